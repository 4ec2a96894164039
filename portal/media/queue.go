package media

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jinnang/jinnang/portal/ids"
	"github.com/jinnang/jinnang/portal/lease"
	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/record"
)

// Kind is what a job makes.
type Kind string

// The kinds of job.
const (
	KindVideo Kind = "video"
	KindVoice Kind = "voice"
)

// State is where a job is.
type State string

// The states of a job.
const (
	StateQueued  State = "queued"
	StateRunning State = "running"
	StateDone    State = "done"
	StateFailed  State = "failed"
)

// Parts of a job's output, for Open.
const (
	PartVideo  = "video.mp4"
	PartPoster = "poster.jpg"
	PartThumb  = "thumb.jpg"
	PartVoice  = "voice.m4a"
)

const (
	prefix       = "media/"
	jobsPrefix   = prefix + "jobs/"
	queuePrefix  = prefix + "queue/"
	maxAttempts  = 3
	recordLimit  = 64 << 10
	pollInterval = 5 * time.Second
)

// Job is the record of one transcode. It names no person.
type Job struct {
	ID       string    `json:"id"`
	Kind     Kind      `json:"kind"`
	State    State     `json:"state"`
	ReasonZh string    `json:"reason_zh,omitempty"` // why it failed, to show the author
	ReasonEn string    `json:"reason_en,omitempty"`
	Created  time.Time `json:"created"` // to the day for anonymous jobs
	Updated  time.Time `json:"updated"`
	Attempts int       `json:"attempts"`
	// Anonymous jobs keep their times to the day (suggestions).
	Anonymous bool    `json:"anonymous,omitempty"`
	Seconds   float64 `json:"seconds,omitempty"` // duration of the output
	Width     int     `json:"w,omitempty"`
	Height    int     `json:"h,omitempty"`
	// Claimed says the job expects its post to claim it (lifecycle.go):
	// jobs queued before claims existed lack it and are never swept as
	// unclaimed.
	Claimed bool   `json:"claimed,omitempty"`
	ETag    string `json:"-"`
}

// Done reports whether the output is ready.
func (j *Job) Done() bool { return j.State == StateDone }

// Failed reports whether the job gave up.
func (j *Job) Failed() bool { return j.State == StateFailed }

// Sentinel errors of the queue.
var (
	// ErrQueueFull means too many jobs wait; the web layer answers 503.
	ErrQueueFull = errors.New("media: transcode queue is full")
	// ErrTooLarge means the upload passed MaxBytes.
	ErrTooLarge = errors.New("media: upload too large")
)

// QueueOptions configure a Queue.
type QueueOptions struct {
	MaxQueued int   // jobs waiting or running at most; 0 means 20
	MaxBytes  int64 // largest upload; 0 means 50 MB
	Log       *slog.Logger
	Now       func() time.Time
	Leaser    *lease.Leaser // nil means lease.New(st)
}

// Queue is the transcode queue in the store and its worker.
type Queue struct {
	st    store.Store
	tool  *Tool
	lease *lease.Leaser
	opts  QueueOptions
	wake  chan struct{}
	last  lastRuns // the last jobs this process finished (lifecycle.go)
}

// NewQueue returns the queue over st, transcoding with tool.
func NewQueue(st store.Store, tool *Tool, o QueueOptions) *Queue {
	if o.MaxQueued <= 0 {
		o.MaxQueued = 20
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = 50 << 20
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Leaser == nil {
		o.Leaser = lease.New(st)
	}
	return &Queue{st: st, tool: tool, lease: o.Leaser, opts: o, wake: make(chan struct{}, 1)}
}

// MaxBytes is the largest upload the queue takes.
func (q *Queue) MaxBytes() int64 { return q.opts.MaxBytes }

// MaxDuration is the longest clip the queue takes.
func (q *Queue) MaxDuration() time.Duration { return q.tool.Limits.MaxDuration }

func jobKey(id string) string        { return jobsPrefix + id + ".json" }
func partKey(id, part string) string { return prefix + id + "/" + part }
func srcKey(id string) string        { return partKey(id, "src") }
func markerKey(j *Job) string        { return queuePrefix + j.ID }
func leaseName(id string) string     { return "media-" + id }
func (q *Queue) stamp(anon bool) time.Time {
	t := q.opts.Now().UTC()
	if anon {
		return t.Truncate(24 * time.Hour)
	}
	return t.Truncate(time.Second)
}

// Enqueue reads an upload of the given kind (at most MaxBytes), sniffs it,
// checks with ffprobe that it is readable media no longer than the limit,
// stores it and queues its transcode. Refusals are *RefusedError,
// ErrUnreadable, *TooLongError, ErrTooLarge, ErrQueueFull.
func (q *Queue) Enqueue(ctx context.Context, kind Kind, r io.Reader, anonymous bool) (*Job, error) {
	if err := q.checkRoom(ctx); err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(r, SniffLen)
	head, _ := br.Peek(SniffLen)
	var err error
	if kind == KindVoice {
		_, err = SniffVoice(head)
	} else {
		_, err = SniffVideo(head)
	}
	if err != nil {
		return nil, err
	}
	dir, cleanup, err := tempDir()
	if err != nil {
		return nil, err
	}
	defer cleanup()
	in := filepath.Join(dir, "src")
	if err := writeFile(in, br, q.opts.MaxBytes); err != nil {
		return nil, err
	}
	info, err := q.tool.Probe(ctx, in)
	if err != nil {
		return nil, err
	}
	if kind == KindVideo && info.Video() == nil {
		return nil, fmt.Errorf("%w: no video stream", ErrUnreadable)
	}
	if kind == KindVoice && info.Audio() == nil {
		return nil, fmt.Errorf("%w: no audio stream", ErrUnreadable)
	}
	if err := q.tool.checkDuration(info); err != nil {
		return nil, err
	}
	j := &Job{ID: ids.New(), Kind: kind, State: StateQueued, Anonymous: anonymous, Claimed: true}
	j.Created, j.Updated = q.stamp(anonymous), q.stamp(anonymous)
	f, err := os.Open(in)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, _ := f.Stat()
	if _, err := q.st.Put(ctx, srcKey(j.ID), f, store.PutOptions{ContentType: "application/octet-stream", Size: fi.Size(), IfNoneMatch: true}); err != nil {
		return nil, fmt.Errorf("media: store upload: %w", err)
	}
	if err := q.putJob(ctx, j, store.PutOptions{IfNoneMatch: true}); err != nil {
		return nil, err
	}
	if _, err := q.st.Put(ctx, markerKey(j), strings.NewReader(""), store.PutOptions{ContentType: "text/plain", Size: 0, IfNoneMatch: true}); err != nil {
		return nil, fmt.Errorf("media: queue job: %w", err)
	}
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return j, nil
}

// checkRoom counts waiting jobs, reading at most MaxQueued markers.
func (q *Queue) checkRoom(ctx context.Context) error {
	n := 0
	for _, err := range q.st.List(ctx, queuePrefix) {
		if err != nil {
			return fmt.Errorf("media: count queue: %w", err)
		}
		if n++; n >= q.opts.MaxQueued {
			return ErrQueueFull
		}
	}
	return nil
}

func writeFile(path string, r io.Reader, max int64) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	n, err := io.Copy(f, io.LimitReader(r, max+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("media: read upload: %w", err)
	}
	if n > max {
		return ErrTooLarge
	}
	return nil
}

// Job reads a job record; a missing or malformed id is store.ErrNotFound.
func (q *Queue) Job(ctx context.Context, id string) (*Job, error) {
	if !ids.Valid(id) {
		return nil, fmt.Errorf("media job %q: %w", id, store.ErrNotFound)
	}
	var j Job
	etag, err := record.ReadReported(ctx, q.st, jobKey(id), &j, recordLimit)
	if err != nil {
		return nil, fmt.Errorf("media job %q: %w", id, err)
	}
	j.ETag = etag
	return &j, nil
}

// Open opens part of a finished job for reading with seeks (Range requests).
func (q *Queue) Open(ctx context.Context, id, part string) (store.ReadSeekCloser, store.Object, error) {
	switch part {
	case PartVideo, PartPoster, PartThumb, PartVoice:
	default:
		return nil, store.Object{}, fmt.Errorf("media part %q: %w", part, store.ErrNotFound)
	}
	if !ids.Valid(id) {
		return nil, store.Object{}, fmt.Errorf("media %q: %w", id, store.ErrNotFound)
	}
	obj, err := q.st.Stat(ctx, partKey(id, part))
	if err != nil {
		return nil, store.Object{}, fmt.Errorf("media %s/%s: %w", id, part, err)
	}
	return store.NewReadSeeker(ctx, q.st, obj), obj, nil
}

// Remove deletes a job's record, upload and outputs (its story or
// suggestion is gone).
func (q *Queue) Remove(ctx context.Context, id string) error {
	if !ids.Valid(id) {
		return nil
	}
	var errs []error
	for _, k := range []string{queuePrefix + id, srcKey(id), partKey(id, PartVideo), partKey(id, PartPoster), partKey(id, PartThumb), partKey(id, PartVoice), jobKey(id), partKey(id, ownerPart)} {
		errs = append(errs, q.st.Delete(ctx, k))
	}
	return errors.Join(errs...)
}

func (q *Queue) putJob(ctx context.Context, j *Job, opts store.PutOptions) error {
	b, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return err
	}
	opts.ContentType, opts.Size = "application/json", int64(len(b))
	obj, err := q.st.Put(ctx, jobKey(j.ID), bytes.NewReader(b), opts)
	if err != nil {
		return fmt.Errorf("media: save job %s: %w", j.ID, err)
	}
	j.ETag = obj.ETag
	return nil
}

// Run works the queue until ctx ends: one job at a time, woken by Enqueue
// in this process or every few seconds for jobs other processes queued.
func (q *Queue) Run(ctx context.Context) {
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	for {
		if _, err := q.Work(ctx); err != nil && ctx.Err() == nil {
			q.opts.Log.Warn("media queue", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-q.wake:
		}
	}
}

// Work takes the waiting jobs in order, one at a time, each under its
// lease (a job another process holds is left to it), until none is left
// that this process can take. It returns how many jobs it finished.
func (q *Queue) Work(ctx context.Context) (int, error) {
	done := 0
	var ids []string
	for obj, err := range q.st.List(ctx, queuePrefix) {
		if err != nil {
			return done, fmt.Errorf("media: list queue: %w", err)
		}
		ids = append(ids, strings.TrimPrefix(obj.Key, queuePrefix))
	}
	ttl := q.tool.Limits.Timeout + 2*time.Minute
	for _, id := range ids {
		if ctx.Err() != nil {
			return done, ctx.Err()
		}
		ran, err := q.lease.Run(ctx, leaseName(id), ttl, func(ctx context.Context) error { return q.process(ctx, id) })
		if err != nil {
			q.opts.Log.Warn("media job failed to run; it stays queued", "err", err)
			continue
		}
		if ran {
			done++
		}
	}
	return done, nil
}

// process takes one job to done or failed. A job cut short by shutdown
// stays "running" with its marker, and the next worker resumes it.
func (q *Queue) process(ctx context.Context, id string) error {
	j, err := q.Job(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return q.st.Delete(ctx, queuePrefix+id)
	}
	if err != nil {
		return err
	}
	if j.State == StateDone || j.State == StateFailed {
		return q.st.Delete(ctx, markerKey(j))
	}
	if j.Attempts >= maxAttempts {
		return q.finish(ctx, j, fmt.Errorf("gave up after %d attempts", j.Attempts))
	}
	j.State, j.Attempts, j.Updated = StateRunning, j.Attempts+1, q.stamp(j.Anonymous)
	if err := q.putJob(ctx, j, store.PutOptions{IfMatch: j.ETag}); err != nil {
		return err
	}
	q.opts.Log.Info("media job started", "job", logID(j), "kind", j.Kind, "attempt", j.Attempts)
	start := time.Now()
	terr := q.transcode(ctx, j)
	if terr != nil && ctx.Err() != nil {
		return fmt.Errorf("media job %s interrupted: %w", j.ID, terr)
	}
	q.opts.Log.Info("media job finished", "job", logID(j), "took", time.Since(start).Round(time.Millisecond), "err", terr)
	err = q.finish(ctx, j, terr)
	q.last.record(j, time.Since(start), q.stamp(j.Anonymous))
	return err
}

// logID names a job in logs; an anonymous job (a suggestion's) is not
// named, so no log line ties a time to its record.
func logID(j *Job) string {
	if j.Anonymous {
		return "anonymous"
	}
	return j.ID
}

// finish records the outcome, drops the upload and the queue marker.
func (q *Queue) finish(ctx context.Context, j *Job, terr error) error {
	j.Updated = q.stamp(j.Anonymous)
	if terr != nil {
		j.State = StateFailed
		j.ReasonZh, j.ReasonEn = Reason(terr)
	} else {
		j.State = StateDone
	}
	if err := q.putJob(ctx, j, store.PutOptions{IfMatch: j.ETag}); err != nil {
		return err
	}
	return errors.Join(q.st.Delete(ctx, srcKey(j.ID)), q.st.Delete(ctx, markerKey(j)))
}

func (q *Queue) transcode(ctx context.Context, j *Job) error {
	ctx, cancel := context.WithTimeout(ctx, q.tool.Limits.Timeout)
	defer cancel()
	dir, cleanup, err := tempDir()
	if err != nil {
		return err
	}
	defer cleanup()
	in := filepath.Join(dir, "src")
	rc, _, err := q.st.Get(ctx, srcKey(j.ID))
	if err != nil {
		return fmt.Errorf("read upload: %w", err)
	}
	err = writeFile(in, rc, 1<<40)
	rc.Close()
	if err != nil {
		return err
	}
	outs := map[string]string{}
	switch j.Kind {
	case KindVoice:
		outs[PartVoice] = filepath.Join(dir, PartVoice)
		d, err := q.tool.TranscodeVoice(ctx, in, outs[PartVoice])
		if err != nil {
			return err
		}
		j.Seconds = d.Seconds()
	default:
		for _, p := range []string{PartVideo, PartPoster, PartThumb} {
			outs[p] = filepath.Join(dir, p)
		}
		res, err := q.tool.TranscodeVideo(ctx, in, outs[PartVideo], outs[PartPoster], outs[PartThumb])
		if err != nil {
			return err
		}
		j.Seconds, j.Width, j.Height = res.Duration.Seconds(), res.Width, res.Height
	}
	for part, path := range outs {
		if err := q.putFile(ctx, partKey(j.ID, part), path, contentType(part)); err != nil {
			return err
		}
	}
	return nil
}

func contentType(part string) string {
	switch part {
	case PartVideo:
		return "video/mp4"
	case PartVoice:
		return "audio/mp4"
	}
	return "image/jpeg"
}

func (q *Queue) putFile(ctx context.Context, key, path, ct string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if _, err := q.st.Put(ctx, key, f, store.PutOptions{ContentType: ct, Size: fi.Size()}); err != nil {
		return fmt.Errorf("store %s: %w", key, err)
	}
	return nil
}

// Reason is what to tell the author about a failed job, in Chinese and English.
func Reason(err error) (zh, en string) {
	var long *TooLongError
	var ref *RefusedError
	switch {
	case errors.As(err, &long):
		return fmt.Sprintf("视频太长：%d 秒，最长 %d 秒", int(long.Got.Seconds()), int(long.Max.Seconds())),
			fmt.Sprintf("the clip is too long: %d s, at most %d s", int(long.Got.Seconds()), int(long.Max.Seconds()))
	case errors.As(err, &ref):
		return ref.Zh, ref.En
	case errors.Is(err, ErrCPULimit):
		return "转码超出了计算时间上限，请上传更短或分辨率更低的视频", "the transcode ran out of its CPU-time limit; upload a shorter or smaller clip"
	case errors.Is(err, context.DeadlineExceeded):
		return "转码超时，请上传更短的视频", "the transcode took too long; upload a shorter clip"
	case errors.Is(err, ErrUnreadable):
		return "文件无法读取为视频或音频（可能已损坏）", "the file cannot be read as video or audio (it may be damaged)"
	}
	return "转码失败，请换一个文件再试", "the transcode failed; try another file"
}
