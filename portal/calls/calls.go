// Package calls is the one way to wrap every call Jinnang makes to its ports
// (the object store and the search index) with cross-cutting behaviour:
// deadlines (Deadline, here), operation counting, metrics. store.Wrap and
// index.Wrap turn each method of a backend into a Call that runs through a
// chain of Middleware, so each concern is written once, for both ports.
//
// A call may stream. A Get (and GetRange) lasts until its body is closed, a
// List until its iteration ends, a Put until the body it reads from is
// consumed and the write committed. While a stream is open, control passes
// back and forth between the backend and the caller: a Read of a Get body
// waits on the backend, the time between two Reads is the caller's; a List
// waits on the backend for each object and hands it to the caller's loop; a
// Put waits on the backend except while it reads its body (which may come
// from a slow client). Watchers see those hand-overs, so a deadline can bound
// how long the backend keeps the caller waiting (time to first byte, a stall
// mid-stream) without cutting off a long download or a slow upload.
package calls

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Call describes one port call to middleware.
type Call struct {
	// Port is "store" or "index".
	Port string
	// Op is the method, lower case: get, get_range, put, delete, stat, list,
	// ping (store); upsert, delete, reset, search, ping (index).
	Op string
	// Key is the store key, the List prefix, or "" (index calls).
	Key string

	mu       sync.Mutex
	watchers []Watcher
	ended    bool
}

// Watcher follows a call after it started. Every field may be nil.
type Watcher struct {
	// Pause is called when control passes from the backend to the caller
	// (a Get body was handed over or a Read of it returned; a List yielded
	// an object; a Put starts reading its body). Resume is called when it
	// comes back (the next Read; the caller's loop asks for the next object;
	// the body Read returned).
	Pause, Resume func()
	// Fail may replace an error the stream produced (a failed Read, a List
	// error) before the caller sees it; it returns err when it has nothing
	// to add.
	Fail func(err error) error
	// End is called once when the call is over, with its error (nil on
	// success; the first stream error, if any).
	End func(err error)
}

// Watch registers w for the rest of the call. Middleware calls it before or
// after next.
func (c *Call) Watch(w Watcher) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.watchers = append(c.watchers, w)
}

func (c *Call) snapshot() []Watcher {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.watchers
}

// Pause tells the watchers that control passed to the caller.
func (c *Call) Pause() {
	for _, w := range c.snapshot() {
		if w.Pause != nil {
			w.Pause()
		}
	}
}

// Resume tells the watchers that control came back to the backend.
func (c *Call) Resume() {
	for _, w := range c.snapshot() {
		if w.Resume != nil {
			w.Resume()
		}
	}
}

// Fail runs a stream error through the watchers (innermost first, the order
// in which errors travel outwards).
func (c *Call) Fail(err error) error {
	ws := c.snapshot()
	for i := len(ws) - 1; i >= 0; i-- {
		if ws[i].Fail != nil {
			err = ws[i].Fail(err)
		}
	}
	return err
}

// End tells the watchers the call is over. Only the first End counts.
func (c *Call) End(err error) {
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return
	}
	c.ended = true
	ws := c.watchers
	c.mu.Unlock()
	for i := len(ws) - 1; i >= 0; i-- {
		if ws[i].End != nil {
			ws[i].End(err)
		}
	}
}

// Next performs the rest of the call (the next middleware, or the backend).
type Next func(ctx context.Context) error

// Middleware wraps one call: it may change ctx, watch the call, and map the
// error next returns. It must call next at most once.
type Middleware func(ctx context.Context, c *Call, next Next) error

// Run runs do through mws, the first outermost. Port wrappers call it; after
// it returns they call c.End for unary calls, or hand the stream to the
// caller and call c.End when it is over. On an error, Run has already ended
// the call.
func Run(ctx context.Context, c *Call, mws []Middleware, do Next) error {
	var step func(i int, ctx context.Context) error
	step = func(i int, ctx context.Context) error {
		if i == len(mws) {
			return do(ctx)
		}
		called := false
		return mws[i](ctx, c, func(ctx context.Context) error {
			if called {
				return errors.New("calls: middleware called next twice")
			}
			called = true
			return step(i+1, ctx)
		})
	}
	err := step(0, ctx)
	if err != nil {
		c.End(err)
	}
	return err
}

// ErrDeadline means the backend did not answer within the Deadline
// middleware's limit. The port wrappers also mark it as their own
// ErrUnavailable (store.ErrUnavailable, index.ErrUnavailable).
var ErrDeadline = errors.New("no answer within the deadline")

// Deadline bounds how long one call may keep its caller waiting on the
// backend: d from the start of the call until it is over or hands control to
// the caller, and d again each time control comes back (each Read of a Get
// body, each next object of a List, after each body Read of a Put). Time the
// caller spends between Reads, in its List loop or reading a Put's body is
// not counted. When d runs out the call's context is cancelled and the call
// fails with an error wrapping ErrDeadline. d <= 0 turns the limit off.
func Deadline(d time.Duration) Middleware {
	return func(ctx context.Context, c *Call, next Next) error {
		if d <= 0 {
			return next(ctx)
		}
		parent := ctx
		ctx, cancel := context.WithCancelCause(ctx)
		fired := fmt.Errorf("%w: %s %s %q: %s", ErrDeadline, c.Port, c.Op, c.Key, d)
		t := time.AfterFunc(d, func() { cancel(fired) })
		mapErr := func(err error) error {
			if err != nil && parent.Err() == nil && errors.Is(context.Cause(ctx), ErrDeadline) && !errors.Is(err, ErrDeadline) {
				return fmt.Errorf("%w (%w)", fired, err)
			}
			return err
		}
		c.Watch(Watcher{
			Pause:  func() { t.Stop() },
			Resume: func() { t.Reset(d) },
			Fail:   mapErr,
			End: func(error) {
				t.Stop()
				cancel(nil)
			},
		})
		return mapErr(next(ctx))
	}
}
