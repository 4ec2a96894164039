package jobs

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/internal/miniotest"
	"github.com/jinnang/jinnang/portal/lease"
	"github.com/jinnang/jinnang/portal/store"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func disk(t *testing.T) store.Store {
	d, err := store.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

type obs struct {
	mu   sync.Mutex
	runs map[string][]error
}

func (o *obs) ObserveJob(job string, err error, _ time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.runs == nil {
		o.runs = map[string][]error{}
	}
	o.runs[job] = append(o.runs[job], err)
}

// TestOncePerPeriod: two processes on one store tick the same job; it runs
// once per period, and the other process runs it when the period is over.
func TestOncePerPeriod(t *testing.T) {
	ctx := context.Background()
	st := disk(t)
	c := &clock{t: time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)}
	var runs atomic.Int32
	f := func(context.Context) error { runs.Add(1); return nil }
	a := New(st, Options{Leaser: lease.New(st).WithHolder("a").WithClock(c.now), Now: c.now})
	b := New(st, Options{Leaser: lease.New(st).WithHolder("b").WithClock(c.now), Now: c.now})
	for _, s := range []*Scheduler{a, b} {
		s.Register("sweep", time.Hour, time.Minute, f)
	}
	if ran, err := a.RunDue(ctx, "sweep"); !ran || err != nil {
		t.Fatalf("a: first run %v %v", ran, err)
	}
	c.add(30 * time.Minute)
	if ran, err := b.RunDue(ctx, "sweep"); ran || err != nil {
		t.Fatalf("b ran a job a ran half a period ago: %v %v", ran, err)
	}
	c.add(30 * time.Minute)
	if ran, err := b.RunDue(ctx, "sweep"); !ran || err != nil {
		t.Fatalf("b: run after a period %v %v", ran, err)
	}
	if ran, _ := a.RunDue(ctx, "sweep"); ran {
		t.Fatal("a ran right after b")
	}
	if n := runs.Load(); n != 2 {
		t.Fatalf("runs = %d, want 2", n)
	}
	last, err := a.Last(ctx, "sweep")
	if err != nil || last.Holder != "b" || !last.OK() || !last.Start.Equal(c.now()) {
		t.Fatalf("last run %+v %v", last, err)
	}
	// RunNow ignores the period but not the lease.
	if ran, err := a.RunNow(ctx, "sweep"); !ran || err != nil {
		t.Fatalf("RunNow: %v %v", ran, err)
	}
	if ok, _ := lease.New(st).WithHolder("c").WithClock(c.now).Acquire(ctx, "sweep", time.Minute); !ok {
		t.Fatal("the lease was not released after the run")
	}
	if ran, _ := a.RunNow(ctx, "sweep"); ran {
		t.Fatal("a ran while c holds the lease")
	}
}

// TestRaceRunsOnce races eight processes' schedulers for one due job, on
// disk and on MinIO.
func TestRaceRunsOnce(t *testing.T) {
	for name, open := range map[string]func(t *testing.T) store.Store{
		"disk": disk,
		"minio": func(t *testing.T) store.Store {
			s, err := store.NewS3(context.Background(), miniotest.Start(t))
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
	} {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			var runs atomic.Int32
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := 0; i < 8; i++ {
				s := New(st, Options{})
				s.Register("outbox-replay", time.Minute, time.Minute, func(context.Context) error { runs.Add(1); return nil })
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					if _, err := s.RunDue(context.Background(), "outbox-replay"); err != nil {
						t.Error(err)
					}
				}()
			}
			close(start)
			wg.Wait()
			if n := runs.Load(); n != 1 {
				t.Fatalf("job ran %d times across 8 processes, want 1", n)
			}
		})
	}
}

// TestRecordsErrors: a failing or panicking run is recorded with its error,
// told to the observer, and listed by Statuses.
func TestRecordsErrors(t *testing.T) {
	ctx := context.Background()
	st := disk(t)
	o := &obs{}
	s := New(st, Options{Observer: o})
	s.Register("sync", time.Hour, time.Minute, func(context.Context) error { return errors.New("wecom said no") })
	s.Register("crash", time.Hour, time.Minute, func(context.Context) error { panic("boom") })
	s.RegisterLocal("flush", time.Minute, func(context.Context) error { return nil })
	s.Register("never", time.Hour, time.Minute, func(context.Context) error { return nil })
	if _, err := s.RunNow(ctx, "sync"); err == nil || err.Error() != "wecom said no" {
		t.Fatalf("sync error = %v", err)
	}
	if _, err := s.RunNow(ctx, "crash"); err == nil {
		t.Fatal("a panic was not an error")
	}
	if ran, err := s.RunNow(ctx, "flush"); !ran || err != nil {
		t.Fatal(ran, err)
	}
	sts, err := s.Statuses(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(sts) != 4 {
		t.Fatalf("statuses: %+v", sts)
	}
	if sts[0].Last == nil || sts[0].Last.Error != "wecom said no" || sts[0].Last.Holder != s.Holder() {
		t.Fatalf("sync status %+v", sts[0].Last)
	}
	if sts[1].Last == nil || sts[1].Last.OK() {
		t.Fatalf("crash status %+v", sts[1].Last)
	}
	if sts[2].Last == nil || !sts[2].Last.OK() || !sts[2].Local {
		t.Fatalf("flush status %+v", sts[2])
	}
	if sts[3].Last != nil {
		t.Fatalf("never ran but has a run: %+v", sts[3].Last)
	}
	if len(o.runs["sync"]) != 1 || o.runs["sync"][0] == nil || len(o.runs["flush"]) != 1 || o.runs["flush"][0] != nil {
		t.Fatalf("observer saw %v", o.runs)
	}
	if _, err := s.RunNow(ctx, "nope"); err == nil {
		t.Fatal("unknown job ran")
	}
}

// TestStopsWithContext: Start runs kicked jobs; cancelling the context ends
// a running job; the ttl bounds a run.
func TestStopsWithContext(t *testing.T) {
	st := disk(t)
	s := New(st, Options{})
	started := make(chan struct{}, 1)
	stopped := make(chan error, 1)
	s.Register("long", 0, time.Hour, func(ctx context.Context) error {
		started <- struct{}{}
		<-ctx.Done()
		stopped <- ctx.Err()
		return ctx.Err()
	})
	ctx, cancel := context.WithCancel(context.Background())
	s.Start(ctx)
	s.Kick("long")
	<-started
	cancel()
	if err := <-stopped; !errors.Is(err, context.Canceled) {
		t.Fatalf("job stopped with %v", err)
	}

	s2 := New(disk(t), Options{})
	s2.Register("overrun", 0, 50*time.Millisecond, func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
	if _, err := s2.RunNow(context.Background(), "overrun"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("overrun ended with %v, want the ttl deadline", err)
	}
}
