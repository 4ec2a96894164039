package lease

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/internal/miniotest"
	"github.com/jinnang/jinnang/portal/store"
)

func backends(t *testing.T) map[string]func(t *testing.T) store.Store {
	return map[string]func(t *testing.T) store.Store{
		"disk": func(t *testing.T) store.Store {
			d, err := store.NewDisk(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			return d
		},
		"minio": func(t *testing.T) store.Store {
			cfg := miniotest.NewBucket(miniotest.Start(t))
			s, err := store.NewS3(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
	}
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func TestLease(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st := open(t)
			c := &clock{t: time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)}
			a := New(st).WithHolder("a").WithClock(c.now)
			b := New(st).WithHolder("b").WithClock(c.now)

			if ok, err := a.Acquire(ctx, "outbox", time.Minute); !ok || err != nil {
				t.Fatalf("a takes a free lease: %v %v", ok, err)
			}
			if ok, err := b.Acquire(ctx, "outbox", time.Minute); ok || err != nil {
				t.Fatalf("b takes a held lease: %v %v", ok, err)
			}
			c.add(30 * time.Second)
			if ok, err := a.Acquire(ctx, "outbox", time.Minute); !ok || err != nil {
				t.Fatalf("a renews: %v %v", ok, err)
			}
			c.add(45 * time.Second) // past the first expiry, within the renewed one
			if ok, _ := b.Acquire(ctx, "outbox", time.Minute); ok {
				t.Fatal("b took a renewed lease")
			}
			c.add(time.Minute) // a crashed: its lease lapses
			if ok, err := b.Acquire(ctx, "outbox", time.Minute); !ok || err != nil {
				t.Fatalf("b takes a lapsed lease: %v %v", ok, err)
			}
			rec, err := a.Get(ctx, "outbox")
			if err != nil || rec.Holder != "b" {
				t.Fatalf("record after take-over: %+v %v", rec, err)
			}
			if err := a.Release(ctx, "outbox"); err != nil {
				t.Fatal(err)
			}
			if rec, _ := a.Get(ctx, "outbox"); rec.Holder != "b" {
				t.Fatal("a released b's lease")
			}
			if err := b.Release(ctx, "outbox"); err != nil {
				t.Fatal(err)
			}
			if ok, _ := a.Acquire(ctx, "outbox", time.Minute); !ok {
				t.Fatal("a cannot take a released lease")
			}
			if _, err := a.Acquire(ctx, "../x", time.Minute); err == nil {
				t.Fatal("a name with a slash was accepted")
			}
		})
	}
}

// TestRunOnce races many runners, as several portal processes would, and
// checks that the job ran exactly once.
func TestRunOnce(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st := open(t)
			var runs atomic.Int32
			var wg sync.WaitGroup
			release := make(chan struct{})
			for i := 0; i < 8; i++ {
				l := New(st)
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := l.Run(ctx, "sweep", time.Minute, func(context.Context) error {
						runs.Add(1)
						<-release
						return nil
					})
					if err != nil {
						t.Error(err)
					}
				}()
			}
			time.Sleep(200 * time.Millisecond)
			close(release)
			wg.Wait()
			if n := runs.Load(); n != 1 {
				t.Fatalf("job ran %d times, want 1", n)
			}
			// Released afterwards: the next run goes ahead.
			ran, err := New(st).Run(ctx, "sweep", time.Minute, func(context.Context) error { return errors.New("boom") })
			if !ran || err == nil {
				t.Fatalf("second run: ran=%v err=%v", ran, err)
			}
		})
	}
}
