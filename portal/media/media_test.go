package media

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/internal/mediatest"
	"github.com/jinnang/jinnang/portal/lease"
	"github.com/jinnang/jinnang/portal/store"
)

func TestSniff(t *testing.T) {
	ts := bytes.Repeat(append([]byte{0x47}, make([]byte, 187)...), 4)
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	for _, tc := range []struct {
		name   string
		head   []byte
		video  Container
		voice  Container
		refuse string // the sniffed type named in the refusal of video
	}{
		{"mp4", []byte("\x00\x00\x00\x20ftypisom\x00\x00\x02\x00"), ContainerMP4, ContainerMP4, ""},
		{"webm", []byte{0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81}, ContainerWebM, ContainerWebM, ""},
		{"mpegts", ts, ContainerMPEGTS, "", ""},
		{"png", png, "", "", "image/png"},
		{"text", []byte("hello, this is not a video at all"), "", "", "text/plain; charset=utf-8"},
		{"amr", []byte("#!AMR\n\x3c\x00\x00\x00"), "", "", "audio/amr"},
		{"ts with a bad second sync", append(append([]byte{0x47}, make([]byte, 187)...), make([]byte, 400)...), "", "", "application/octet-stream"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := SniffVideo(tc.head)
			if c != tc.video {
				t.Errorf("SniffVideo = %q, %v; want %q", c, err, tc.video)
			}
			if tc.refuse != "" {
				var re *RefusedError
				if !errors.As(err, &re) || re.Sniffed != tc.refuse || !strings.Contains(re.Zh, tc.refuse) || !errors.Is(err, ErrRefused) {
					t.Errorf("SniffVideo refusal = %v; want one naming %s", err, tc.refuse)
				}
			}
			if c, _ := SniffVoice(tc.head); c != tc.voice {
				t.Errorf("SniffVoice = %q; want %q", c, tc.voice)
			}
		})
	}
	_, err := SniffVoice([]byte("#!AMR\n\x3c\x00\x00\x00"))
	var re *RefusedError
	if !errors.As(err, &re) || !strings.Contains(re.Zh, "AMR") || !strings.Contains(re.En, "AMR") {
		t.Errorf("amr voice: %v, want a refusal naming AMR", err)
	}
}

func newQueue(t *testing.T, l Limits, o QueueOptions) (*Queue, store.Store) {
	t.Helper()
	mediatest.Need(t)
	st, err := store.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	tool, err := NewTool(l)
	if err != nil {
		t.Fatal(err)
	}
	return NewQueue(st, tool, o), st
}

func enqueueFile(t *testing.T, q *Queue, kind Kind, path string) (*Job, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return q.Enqueue(context.Background(), kind, f, false)
}

// fetch copies a job's part out of the store into a file.
func fetch(t *testing.T, q *Queue, id, part string) string {
	t.Helper()
	rs, obj, err := q.Open(context.Background(), id, part)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	p := filepath.Join(t.TempDir(), part)
	b, err := io.ReadAll(rs)
	if err != nil || int64(len(b)) != obj.Size {
		t.Fatalf("read %s: %d of %d bytes, %v", part, len(b), obj.Size, err)
	}
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// CheckClean fails unless the MP4 at path carries no tags beyond the mov
// muxer's structural ones, and none of the device's strings.
func checkClean(t *testing.T, path string) {
	t.Helper()
	p := mediatest.FFprobe(t, path)
	for k := range p.Format.Tags {
		if !slices.Contains([]string{"major_brand", "minor_version", "compatible_brands"}, k) {
			t.Errorf("container tag %s=%q survived", k, p.Format.Tags[k])
		}
	}
	for _, s := range p.Streams {
		for k, v := range s.Tags {
			ok := (k == "language" && v == "und") || (k == "vendor_id" && v == "[0][0][0][0]") ||
				(k == "handler_name" && (v == "VideoHandler" || v == "SoundHandler")) || (k == "encoder" && strings.HasPrefix(v, "Lavc"))
			if !ok {
				t.Errorf("%s stream tag %s=%q survived", s.CodecType, k, v)
			}
		}
	}
	b, _ := os.ReadFile(path)
	for _, s := range []string{mediatest.Location, mediatest.Model, "Jinnang", "x264 - core"} {
		if bytes.Contains(b, []byte(s)) {
			t.Errorf("the output still contains %q", s)
		}
	}
}

func TestVideoTranscode(t *testing.T) {
	q, st := newQueue(t, DefaultLimits(), QueueOptions{})
	dir := t.TempDir()
	for _, tc := range []struct {
		clip mediatest.Clip
		w, h int
	}{
		{mediatest.Clip{W: 1920, H: 1080, Seconds: 3}, 1280, 720},
		{mediatest.Clip{W: 1080, H: 1920, Seconds: 2, Ext: "mov"}, 720, 1280}, // a phone held upright
		{mediatest.Clip{W: 642, H: 362, Seconds: 2, Ext: "webm"}, 642, 362},
		{mediatest.Clip{W: 1000, H: 562, Seconds: 2, Ext: "ts"}, 1000, 562},
	} {
		src := mediatest.Video(t, dir, tc.clip)
		j, err := enqueueFile(t, q, KindVideo, src)
		if err != nil {
			t.Fatalf("%v: enqueue: %v", tc.clip, err)
		}
		if j.State != StateQueued {
			t.Errorf("new job is %s", j.State)
		}
		if n, err := q.Work(context.Background()); n != 1 || err != nil {
			t.Fatalf("Work = %d, %v", n, err)
		}
		j, err = q.Job(context.Background(), j.ID)
		if err != nil || !j.Done() {
			t.Fatalf("%v: job %+v, %v", tc.clip, j, err)
		}
		out := fetch(t, q, j.ID, PartVideo)
		p := mediatest.FFprobe(t, out)
		var kinds []string
		for _, s := range p.Streams {
			kinds = append(kinds, s.CodecName)
			if s.CodecType == "video" {
				if s.Profile != "High" || s.Width != tc.w || s.Height != tc.h || s.Width%2 != 0 || s.Height%2 != 0 {
					t.Errorf("%v: video %s %s %dx%d, want h264 High %dx%d", tc.clip, s.CodecName, s.Profile, s.Width, s.Height, tc.w, tc.h)
				}
			}
		}
		if !slices.Equal(kinds, []string{"h264", "aac"}) {
			t.Errorf("%v: streams %v, want h264 + aac", tc.clip, kinds)
		}
		if j.Width != tc.w || j.Height != tc.h || j.Seconds < 1.5 {
			t.Errorf("job result %dx%d %.1fs", j.Width, j.Height, j.Seconds)
		}
		boxes := mediatest.TopBoxes(t, out)
		if mi, di := slices.Index(boxes, "moov"), slices.Index(boxes, "mdat"); mi < 0 || di < 0 || mi > di {
			t.Errorf("%v: boxes %v: moov is not before mdat (no faststart)", tc.clip, boxes)
		}
		checkClean(t, out)
		poster := mediatest.FFprobe(t, fetch(t, q, j.ID, PartPoster))
		thumb := mediatest.FFprobe(t, fetch(t, q, j.ID, PartThumb))
		if poster.Streams[0].CodecName != "mjpeg" || poster.Streams[0].Width != tc.w || thumb.Streams[0].Width != 360 {
			t.Errorf("poster %+v thumb %+v", poster.Streams[0], thumb.Streams[0])
		}
		if _, err := st.Stat(context.Background(), srcKey(j.ID)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the upload is kept after the transcode: %v", err)
		}
	}
	if n, err := q.Work(context.Background()); n != 0 || err != nil {
		t.Errorf("Work on an empty queue = %d, %v", n, err)
	}
}

func TestEnqueueRefuses(t *testing.T) {
	l := DefaultLimits()
	l.MaxDuration = 3 * time.Second
	q, _ := newQueue(t, l, QueueOptions{})
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.mp4")
	os.WriteFile(bad, append([]byte("\x00\x00\x00\x20ftypisom\x00\x00\x02\x00"), bytes.Repeat([]byte("junk"), 1000)...), 0o600)
	if _, err := enqueueFile(t, q, KindVideo, bad); !errors.Is(err, ErrUnreadable) {
		t.Errorf("unreadable mp4: %v, want ErrUnreadable", err)
	}
	long := mediatest.Video(t, dir, mediatest.Clip{W: 160, H: 120, Seconds: 6})
	var tl *TooLongError
	if _, err := enqueueFile(t, q, KindVideo, long); !errors.As(err, &tl) {
		t.Errorf("6 s clip with a 3 s limit: %v, want TooLongError", err)
	}
	small, _ := newQueue(t, l, QueueOptions{MaxBytes: 4 << 10})
	big := mediatest.Video(t, dir, mediatest.Clip{W: 640, H: 360, Seconds: 2})
	if _, err := enqueueFile(t, small, KindVideo, big); !errors.Is(err, ErrTooLarge) {
		t.Errorf("clip over a 4 kB limit: %v, want ErrTooLarge", err)
	}
	png := filepath.Join(dir, "x.png")
	os.WriteFile(png, []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00"), 0o600)
	var re *RefusedError
	if _, err := enqueueFile(t, q, KindVideo, png); !errors.As(err, &re) || re.Sniffed != "image/png" {
		t.Errorf("png as video: %v", err)
	}
	audioOnly := mediatest.Audio(t, dir, "m4a", 1)
	if _, err := enqueueFile(t, q, KindVideo, audioOnly); !errors.Is(err, ErrUnreadable) {
		t.Errorf("audio as video: %v, want ErrUnreadable (no video stream)", err)
	}
}

func TestQueueFull(t *testing.T) {
	q, _ := newQueue(t, DefaultLimits(), QueueOptions{MaxQueued: 2})
	src := mediatest.Video(t, t.TempDir(), mediatest.Clip{W: 160, H: 120, Seconds: 1})
	for i := range 2 {
		if _, err := enqueueFile(t, q, KindVideo, src); err != nil {
			t.Fatalf("job %d: %v", i, err)
		}
	}
	if _, err := enqueueFile(t, q, KindVideo, src); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("third job: %v, want ErrQueueFull", err)
	}
	if n, err := q.Work(context.Background()); n != 2 || err != nil {
		t.Fatalf("Work = %d, %v", n, err)
	}
	if _, err := enqueueFile(t, q, KindVideo, src); err != nil {
		t.Errorf("after the queue drained: %v", err)
	}
}

func TestCPULimit(t *testing.T) {
	l := DefaultLimits()
	l.CPUSeconds, l.Preset = 1, "veryslow"
	q, _ := newQueue(t, l, QueueOptions{})
	if q.tool.Prlimit == "" {
		t.Skip("SKIP: prlimit (util-linux) not found; the CPU limit is not applied")
	}
	j, err := enqueueFile(t, q, KindVideo, mediatest.Video(t, t.TempDir(), mediatest.Clip{W: 1280, H: 720, Seconds: 8}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.Work(context.Background()); err != nil {
		t.Fatal(err)
	}
	j, _ = q.Job(context.Background(), j.ID)
	if !j.Failed() || !strings.Contains(j.ReasonEn, "CPU-time limit") || !strings.Contains(j.ReasonZh, "计算时间") {
		t.Errorf("job %+v, want failed for the CPU-time limit", j)
	}
}

func TestTimeout(t *testing.T) {
	l := DefaultLimits()
	l.Timeout, l.Preset = 300*time.Millisecond, "veryslow"
	q, _ := newQueue(t, l, QueueOptions{})
	j, err := enqueueFile(t, q, KindVideo, mediatest.Video(t, t.TempDir(), mediatest.Clip{W: 1280, H: 720, Seconds: 8}))
	if err != nil {
		t.Fatal(err)
	}
	q.Work(context.Background())
	j, _ = q.Job(context.Background(), j.ID)
	if !j.Failed() || !strings.Contains(j.ReasonEn, "too long") {
		t.Errorf("job %+v, want failed for the timeout", j)
	}
}

func TestResumeAndLease(t *testing.T) {
	q, st := newQueue(t, DefaultLimits(), QueueOptions{})
	ctx := context.Background()
	j, err := enqueueFile(t, q, KindVideo, mediatest.Video(t, t.TempDir(), mediatest.Clip{W: 320, H: 240, Seconds: 1}))
	if err != nil {
		t.Fatal(err)
	}
	// Another process holds the job's lease: this one leaves it alone.
	other := lease.New(st).WithHolder("other")
	if ok, err := other.Acquire(ctx, leaseName(j.ID), time.Minute); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if n, _ := q.Work(ctx); n != 0 {
		t.Fatalf("worked a job another process holds")
	}
	// That process died mid-job: the record says running, the lease lapses.
	j.State, j.Attempts = StateRunning, 1
	if err := q.putJob(ctx, j, store.PutOptions{IfMatch: j.ETag}); err != nil {
		t.Fatal(err)
	}
	late := lease.New(st).WithHolder("late").WithClock(func() time.Time { return time.Now().Add(2 * time.Minute) })
	q.lease = late
	if n, err := q.Work(ctx); n != 1 || err != nil {
		t.Fatalf("resume: Work = %d, %v", n, err)
	}
	if j, _ = q.Job(ctx, j.ID); !j.Done() || j.Attempts != 2 {
		t.Errorf("resumed job %+v", j)
	}
}

func TestVoice(t *testing.T) {
	q, _ := newQueue(t, DefaultLimits(), QueueOptions{})
	dir := t.TempDir()
	for _, ext := range []string{"m4a", "webm", "ogg"} {
		src := mediatest.Audio(t, dir, ext, 2)
		j, err := enqueueFile(t, q, KindVoice, src)
		if err != nil {
			t.Fatalf("%s: %v", ext, err)
		}
		q.Work(context.Background())
		if j, _ = q.Job(context.Background(), j.ID); !j.Done() || j.Seconds < 1.5 {
			t.Fatalf("%s: job %+v", ext, j)
		}
		p := mediatest.FFprobe(t, fetch(t, q, j.ID, PartVoice))
		if len(p.Streams) != 1 || p.Streams[0].CodecName != "aac" {
			t.Errorf("%s: voice streams %+v, want one aac", ext, p.Streams)
		}
		checkClean(t, fetch(t, q, j.ID, PartVoice))
	}
	amr := filepath.Join(dir, "v.amr")
	os.WriteFile(amr, []byte("#!AMR\n\x3c\x00\x00\x00\x00\x00"), 0o600)
	var re *RefusedError
	if _, err := enqueueFile(t, q, KindVoice, amr); !errors.As(err, &re) || re.Sniffed != "audio/amr" {
		t.Errorf("amr: %v", err)
	}
}
