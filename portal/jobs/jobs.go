// Package jobs is the portal's one scheduler for background work (outbox
// replay, sweeps, directory sync, transcodes). A job is registered with a
// name, a period and a lease time:
//
//	s.Register("outbox-replay", time.Minute, 5*time.Minute, replay)
//
// Every process runs the same schedule; at each tick a process takes the
// job's lease in the store (portal/lease), and runs the job only when it got
// the lease and no process ran the job within the last period (the last run
// is recorded in the store under Prefix). So a job runs once per period
// across any number of processes, not once per process. The job's context
// ends with the scheduler's and when the lease time runs out.
package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/jinnang/jinnang/portal/lease"
	"github.com/jinnang/jinnang/portal/store"
)

// Prefix is where the last run of each job is recorded.
const Prefix = "jobs/"

// Run is the record of one run of a job.
type Run struct {
	Job      string        `json:"job"`
	Holder   string        `json:"holder"` // the process that ran it (lease holder id)
	Start    time.Time     `json:"start"`
	Duration time.Duration `json:"duration"`
	Error    string        `json:"error,omitempty"` // empty: the run succeeded
}

// OK reports whether the run succeeded.
func (r Run) OK() bool { return r.Error == "" }

// Observer is told about every run this process makes (metrics).
type Observer interface {
	ObserveJob(job string, err error, took time.Duration)
}

// Options configure a Scheduler. Every field may be zero.
type Options struct {
	Leaser   *lease.Leaser    // default lease.New(st)
	Log      *slog.Logger     // default slog.Default()
	Observer Observer         // nil: no metrics
	Now      func() time.Time // default time.Now
}

// Job is one registered job.
type job struct {
	name  string
	every time.Duration
	ttl   time.Duration
	local bool
	f     func(context.Context) error
	kick  chan struct{}
}

// Scheduler runs the registered jobs.
type Scheduler struct {
	st    store.Store
	lease *lease.Leaser
	log   *slog.Logger
	obs   Observer
	now   func() time.Time

	mu   sync.Mutex
	jobs []*job
	ctx  context.Context // set by Start: jobs registered later start at once
}

// New returns a scheduler that keeps leases and last runs in st.
func New(st store.Store, o Options) *Scheduler {
	s := &Scheduler{st: st, lease: o.Leaser, log: o.Log, obs: o.Observer, now: o.Now}
	if s.lease == nil {
		s.lease = lease.New(st)
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Holder is this process's lease holder id (shown with each run).
func (s *Scheduler) Holder() string { return s.lease.Holder() }

// Register adds a job that runs every period (0: only when kicked or run
// with RunNow) under a lease of ttl, which also bounds one run. Jobs
// registered after Start are started at once.
func (s *Scheduler) Register(name string, every, ttl time.Duration, f func(context.Context) error) {
	s.add(&job{name: name, every: every, ttl: ttl, f: f})
}

// RegisterLocal adds a job that every process runs for itself, without a
// lease (work on the process's own memory, such as flushing counters it
// holds). Its last run is recorded all the same.
func (s *Scheduler) RegisterLocal(name string, every time.Duration, f func(context.Context) error) {
	s.add(&job{name: name, every: every, ttl: every, local: true, f: f})
}

func (s *Scheduler) add(j *job) {
	if j.ttl <= 0 {
		j.ttl = time.Minute
	}
	j.kick = make(chan struct{}, 1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if slices.ContainsFunc(s.jobs, func(o *job) bool { return o.name == j.name }) {
		panic("jobs: job registered twice: " + j.name)
	}
	s.jobs = append(s.jobs, j)
	if s.ctx != nil {
		go s.loop(s.ctx, j)
	}
}

// Names lists the registered jobs in registration order.
func (s *Scheduler) Names() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, len(s.jobs))
	for i, j := range s.jobs {
		out[i] = j.name
	}
	return out
}

func (s *Scheduler) find(name string) *job {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, j := range s.jobs {
		if j.name == name {
			return j
		}
	}
	return nil
}

// Kick asks for a run of the job soon (new work was queued), even if it
// ran within its period. It never blocks.
func (s *Scheduler) Kick(name string) {
	if j := s.find(name); j != nil {
		select {
		case j.kick <- struct{}{}:
		default:
		}
	}
}

// Start runs every registered job's loop until ctx ends. Call it once.
func (s *Scheduler) Start(ctx context.Context) {
	s.mu.Lock()
	s.ctx = ctx
	jobs := slices.Clone(s.jobs)
	s.mu.Unlock()
	for _, j := range jobs {
		go s.loop(ctx, j)
	}
}

func (s *Scheduler) loop(ctx context.Context, j *job) {
	var tick <-chan time.Time
	if j.every > 0 {
		t := time.NewTicker(j.every)
		defer t.Stop()
		tick = t.C
	}
	for {
		force := false
		select {
		case <-ctx.Done():
			return
		case <-tick:
		case <-j.kick:
			force = true
		}
		if _, err := s.run(ctx, j, force); err != nil && ctx.Err() == nil {
			s.log.Warn("job failed; will retry", "job", j.name, "err", err)
		}
	}
}

// RunNow runs the job called name at once if this process can take its
// lease (whether or not it ran within its period), and reports whether it
// ran and its error.
func (s *Scheduler) RunNow(ctx context.Context, name string) (bool, error) {
	j := s.find(name)
	if j == nil {
		return false, fmt.Errorf("jobs: no job %q", name)
	}
	return s.run(ctx, j, true)
}

// RunDue runs the job called name if it is due: this process can take the
// lease and no process ran it within its period (what a tick does).
func (s *Scheduler) RunDue(ctx context.Context, name string) (bool, error) {
	j := s.find(name)
	if j == nil {
		return false, fmt.Errorf("jobs: no job %q", name)
	}
	return s.run(ctx, j, false)
}

// due reports whether a period has (nearly) passed since the last run: a
// tenth of the period is allowed so that tickers of several processes out
// of phase keep the cadence instead of skipping a whole period.
func (s *Scheduler) due(ctx context.Context, j *job) (bool, error) {
	last, err := s.Last(ctx, j.name)
	if errors.Is(err, store.ErrNotFound) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	return s.now().Sub(last.Start) >= j.every-j.every/10, nil
}

func (s *Scheduler) run(ctx context.Context, j *job, force bool) (bool, error) {
	if j.local {
		return true, s.execute(ctx, j)
	}
	if !force && j.every > 0 {
		// A read first: a job that is not due costs no write.
		if due, err := s.due(ctx, j); err != nil || !due {
			return false, err
		}
	}
	ok, err := s.lease.Acquire(ctx, j.name, j.ttl)
	if err != nil || !ok {
		return false, err
	}
	defer func() {
		if err := s.lease.Release(context.WithoutCancel(ctx), j.name); err != nil {
			s.log.Warn("job lease not released; it lapses on its own", "job", j.name, "err", err)
		}
	}()
	if !force && j.every > 0 {
		// Again under the lease: another process may have run it meanwhile.
		due, err := s.due(ctx, j)
		if err != nil || !due {
			return false, err
		}
	}
	return true, s.execute(ctx, j)
}

// execute runs j with a context bounded by its ttl and records the run.
func (s *Scheduler) execute(ctx context.Context, j *job) error {
	start := s.now()
	jctx, cancel := context.WithTimeout(ctx, j.ttl)
	ferr := func() (err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("job panicked: %v", p)
			}
		}()
		return j.f(jctx)
	}()
	cancel()
	took := s.now().Sub(start)
	if s.obs != nil {
		s.obs.ObserveJob(j.name, ferr, took)
	}
	rec := Run{Job: j.name, Holder: s.lease.Holder(), Start: start.UTC(), Duration: took}
	if ferr != nil {
		rec.Error = ferr.Error()
	}
	if err := s.write(context.WithoutCancel(ctx), rec); err != nil {
		return errors.Join(ferr, fmt.Errorf("record the run: %w", err))
	}
	return ferr
}

func key(name string) string { return Prefix + name + ".json" }

func (s *Scheduler) write(ctx context.Context, r Run) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = s.st.Put(ctx, key(r.Job), bytes.NewReader(b), store.PutOptions{ContentType: "application/json", Size: int64(len(b))})
	return err
}

// Last is the last recorded run of the job called name, by any process
// (store.ErrNotFound: it never ran).
func (s *Scheduler) Last(ctx context.Context, name string) (Run, error) {
	rc, _, err := s.st.Get(ctx, key(name))
	if err != nil {
		return Run{}, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, 16<<10))
	if err != nil {
		return Run{}, err
	}
	var r Run
	if err := json.Unmarshal(b, &r); err != nil {
		return Run{}, fmt.Errorf("jobs: last run of %s: %w", name, err)
	}
	return r, nil
}

// Status is one registered job and its last run.
type Status struct {
	Job   string
	Every time.Duration
	Local bool
	Last  *Run // nil: never ran
}

// Statuses lists every registered job with its last run, in registration order.
func (s *Scheduler) Statuses(ctx context.Context) ([]Status, error) {
	s.mu.Lock()
	jobs := slices.Clone(s.jobs)
	s.mu.Unlock()
	out := make([]Status, 0, len(jobs))
	for _, j := range jobs {
		st := Status{Job: j.name, Every: j.every, Local: j.local}
		r, err := s.Last(ctx, j.name)
		switch {
		case err == nil:
			st.Last = &r
		case errors.Is(err, store.ErrNotFound):
		case errors.Is(err, store.ErrUnavailable), ctx.Err() != nil:
			return out, err
		default:
			st.Last = &Run{Job: j.name, Error: err.Error()}
		}
		out = append(out, st)
	}
	return out, nil
}
