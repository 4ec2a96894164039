package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/jinnang/jinnang/portal/ids"
	"github.com/jinnang/jinnang/portal/store"
)

// Owners of media jobs, as Claim records them: "story:<id>",
// "comment:<story>/<comment>", "suggestion:<ref>", "report:<id>".
const (
	OwnerStory      = "story"
	OwnerComment    = "comment"
	OwnerSuggestion = "suggestion"
	OwnerReport     = "report"
)

// ownerPart is the object naming who a job belongs to. It is kept apart
// from the job record so that claiming a job never races the worker's
// If-Match writes of the record.
const ownerPart = "owner"

// maxOwnerBytes bounds an owner object.
const maxOwnerBytes = 512

// Owner joins an owner kind and its id ("story", "01J…" → "story:01J…").
func Owner(kind, id string) string { return kind + ":" + id }

// Claim records that job id belongs to owner (a saved post). A job
// without an owner is an orphan once it is older than the sweep's age: its
// post was never saved.
func (q *Queue) Claim(ctx context.Context, id, owner string) error {
	if !ids.Valid(id) {
		return fmt.Errorf("media job %q: %w", id, store.ErrNotFound)
	}
	if owner == "" || len(owner) > maxOwnerBytes {
		return fmt.Errorf("media job %s: bad owner", id)
	}
	if _, err := q.st.Put(ctx, partKey(id, ownerPart), strings.NewReader(owner), store.PutOptions{ContentType: "text/plain", Size: int64(len(owner))}); err != nil {
		return fmt.Errorf("media job %s: claim: %w", id, err)
	}
	return nil
}

// JobOwner returns who a job belongs to, "" when nobody claimed it.
func (q *Queue) JobOwner(ctx context.Context, id string) (string, error) {
	if !ids.Valid(id) {
		return "", fmt.Errorf("media job %q: %w", id, store.ErrNotFound)
	}
	rc, _, err := q.st.Get(ctx, partKey(id, ownerPart))
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxOwnerBytes))
	return string(b), err
}

// OwnerExists says whether the owner of a job still wants its media; the
// portal answers it from the stories, suggestions and reports.
type OwnerExists func(ctx context.Context, owner string) (bool, error)

// SweepResult counts what one sweep did.
type SweepResult struct {
	Removed int // jobs removed with all their objects (owner gone, or never claimed)
	Sources int // uploads left behind by a finished job, deleted
}

// maxSweepJobs bounds the jobs one sweep looks at.
const maxSweepJobs = 5000

// Sweep removes the media nobody owns: jobs whose owner no longer exists
// (exists says so), jobs never claimed and objects without a job record
// that are older than before, and the upload of a job that is done or
// failed. A queued or running job is only removed for a gone owner.
func (q *Queue) Sweep(ctx context.Context, exists OwnerExists, before time.Time) (SweepResult, error) {
	var res SweepResult
	type entry struct {
		job        bool
		jobMod     time.Time
		newest     time.Time
		src, owner bool
	}
	seen := map[string]*entry{}
	order := []string{}
	get := func(id string) *entry {
		e := seen[id]
		if e == nil {
			e = &entry{}
			seen[id] = e
			order = append(order, id)
		}
		return e
	}
	for obj, err := range q.st.List(ctx, prefix) {
		if err != nil {
			return res, fmt.Errorf("media sweep: %w", err)
		}
		rest := strings.TrimPrefix(obj.Key, prefix)
		switch {
		case strings.HasPrefix(rest, "queue/"):
			continue
		case strings.HasPrefix(rest, "jobs/"):
			id, ok := strings.CutSuffix(strings.TrimPrefix(rest, "jobs/"), ".json")
			if !ok || !ids.Valid(id) {
				continue
			}
			e := get(id)
			e.job, e.jobMod = true, obj.ModTime
		default:
			id, part, ok := strings.Cut(rest, "/")
			if !ok || !ids.Valid(id) {
				continue
			}
			e := get(id)
			if obj.ModTime.After(e.newest) {
				e.newest = obj.ModTime
			}
			switch part {
			case "src":
				e.src = true
			case ownerPart:
				e.owner = true
			}
		}
		if len(order) >= maxSweepJobs {
			break
		}
	}
	var errs []error
	for _, id := range order {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		e := seen[id]
		if !e.job {
			// Parts with no record: a job removed half-way, or never saved.
			if e.newest.Before(before) {
				errs = append(errs, q.Remove(ctx, id))
				res.Removed++
			}
			continue
		}
		if e.owner {
			owner, err := q.JobOwner(ctx, id)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			ok, err := exists(ctx, owner)
			if err != nil {
				errs = append(errs, fmt.Errorf("media sweep: owner of %s: %w", id, err))
				continue
			}
			if !ok {
				errs = append(errs, q.Remove(ctx, id))
				res.Removed++
				continue
			}
		} else if e.jobMod.Before(before) && e.newest.Before(before) {
			j, err := q.Job(ctx, id)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if j.Claimed { // its post was never saved
				errs = append(errs, q.Remove(ctx, id))
				res.Removed++
				continue
			}
		}
		if e.src {
			j, err := q.Job(ctx, id)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if j.Done() || j.Failed() {
				errs = append(errs, q.st.Delete(ctx, srcKey(id)))
				res.Sources++
			}
		}
	}
	return res, errors.Join(errs...)
}

// Status is what the admin health page shows of the queue.
type Status struct {
	Queued  int  // jobs waiting or running (queue markers), counted up to a cap
	Capped  bool // more than the cap are queued
	Running *Job // the job being transcoded, by any process; nil for none
	// LastDone and LastFailed are the last jobs this process finished.
	LastDone, LastFailed *Finished
}

// Finished is one finished job as the health page shows it (no owner).
type Finished struct {
	Kind    Kind
	At      time.Time
	Took    time.Duration
	Seconds float64
	Reason  string // English, for failed jobs
	// Anonymous jobs (a suggestion's) keep At to the day.
	Anonymous bool
}

// statusCap bounds how many markers Status counts and reads.
const statusCap = 200

// lastRuns holds the last finished jobs of this process.
type lastRuns struct {
	mu           sync.Mutex
	done, failed *Finished
}

func (l *lastRuns) record(j *Job, took time.Duration, at time.Time) {
	f := &Finished{Kind: j.Kind, At: at, Took: took, Seconds: j.Seconds, Reason: j.ReasonEn, Anonymous: j.Anonymous}
	l.mu.Lock()
	defer l.mu.Unlock()
	if j.Failed() {
		l.failed = f
	} else {
		l.done = f
	}
}

// Status counts the queue and finds the running job (reading at most
// statusCap markers and one job record per marker until it finds one
// running).
func (q *Queue) Status(ctx context.Context) (Status, error) {
	var s Status
	var marks []string
	for obj, err := range q.st.List(ctx, queuePrefix) {
		if err != nil {
			return s, fmt.Errorf("media status: %w", err)
		}
		if len(marks) >= statusCap {
			s.Capped = true
			break
		}
		marks = append(marks, strings.TrimPrefix(obj.Key, queuePrefix))
	}
	s.Queued = len(marks)
	for _, id := range marks {
		j, err := q.Job(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return s, err
		}
		if j.State == StateRunning {
			s.Running = j
			break
		}
	}
	q.last.mu.Lock()
	s.LastDone, s.LastFailed = q.last.done, q.last.failed
	q.last.mu.Unlock()
	return s, nil
}
