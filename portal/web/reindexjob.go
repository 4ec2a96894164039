package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jinnang/jinnang/portal/audit"
	"github.com/jinnang/jinnang/portal/auth"
)

// ErrReindexBusy is what a Reindex function returns when another portal
// process holds the reindex lease (portal.go runs it under portal/lease).
var ErrReindexBusy = errors.New("web: a reindex is already running in another portal process")

// reindexJob is the admin's reindex, run in the background: one at a time
// in this process (another process's is refused by the lease in Reindex),
// with its progress and result for the audit page.
type reindexJob struct {
	mu       sync.Mutex
	running  bool
	started  time.Time
	finished time.Time
	n        int
	partial  bool
	failed   string         // the error of the last run; "" when it succeeded
	busy     bool           // the last run found another process's reindex running
	wg       sync.WaitGroup // the background run, until its audit entry is written
}

// reindexStatus is what the audit page shows of the job.
type reindexStatus struct {
	Running           bool
	Started, Finished string // 15:04:05 UTC; Finished "" while running or before the first run
	N                 int
	Partial, Busy     bool
	Failed            string
}

func (j *reindexJob) status() reindexStatus {
	j.mu.Lock()
	defer j.mu.Unlock()
	st := reindexStatus{Running: j.running, N: j.n, Partial: j.partial, Busy: j.busy, Failed: j.failed}
	if !j.started.IsZero() {
		st.Started = j.started.UTC().Format("15:04:05")
	}
	if !j.running && !j.finished.IsZero() {
		st.Finished = j.finished.UTC().Format("15:04:05")
	}
	return st
}

// start runs the reindex in the background unless one runs already; it
// reports whether it started one.
func (s *server) startReindex(u *auth.User) bool {
	j := &s.reindexJob
	j.mu.Lock()
	if j.running {
		j.mu.Unlock()
		return false
	}
	j.running, j.started, j.finished = true, s.now(), time.Time{}
	j.mu.Unlock()
	j.wg.Add(1)
	go func() {
		defer j.wg.Done()
		ctx := context.Background()
		n, err := s.reindexAll(ctx)
		partial := err != nil && n > 0 && !errors.Is(err, ErrReindexBusy)
		busy := errors.Is(err, ErrReindexBusy)
		failed := ""
		detail := fmt.Sprintf("%d documents", n)
		switch {
		case busy:
			detail = "another process was reindexing"
		case partial:
			s.log.Warn("reindex skipped some documents", slog.Int("indexed", n), slog.Any("err", err))
			detail += " (some skipped)"
		case err != nil:
			s.log.Error("reindex failed", slog.Any("err", err))
			failed, detail = err.Error(), "failed: "+err.Error()
		}
		if aerr := s.auth.Audit.Record(ctx, audit.Entry{Actor: u.ID, ActorName: u.Name, Action: "admin.reindex", Target: "index", Detail: detail}); aerr != nil {
			s.log.Error("audit record failed", slog.String("action", "admin.reindex"), slog.Any("err", aerr))
		}
		j.mu.Lock()
		j.running, j.finished, j.n, j.partial, j.busy, j.failed = false, s.now(), n, partial, busy, failed
		j.mu.Unlock()
		if testReindexDone != nil {
			testReindexDone()
		}
	}()
	return true
}

// testReindexDone, when set (tests), is called when a background reindex
// has finished and its status is saved.
var testReindexDone func()
