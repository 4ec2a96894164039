package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"sync"
	"time"

	"github.com/jinnang/jinnang/portal/calls"
)

// ErrUnavailable means the backend could not be reached or did not answer in
// time (calls.Deadline): the request may succeed later. The web layer answers
// it with 503 and Retry-After.
var ErrUnavailable = errors.New("store: unavailable")

// Wrap returns st with every call run through mws (the first outermost):
// Get, GetRange, Put, Delete, Stat, List and Ping each become one calls.Call.
// A Get or GetRange lasts until its body is closed, a List until its
// iteration ends. An error wrapping calls.ErrDeadline also wraps
// ErrUnavailable. When st can presign URLs (S3), so can the result; signing
// is local and not a call.
func Wrap(st Store, mws ...calls.Middleware) Store {
	w := &wrapped{next: st, mws: mws}
	if p, ok := st.(Presigner); ok {
		return &wrappedPresigner{wrapped: w, p: p}
	}
	return w
}

var (
	_ Store     = (*wrapped)(nil)
	_ Store     = (*wrappedPresigner)(nil)
	_ Presigner = (*wrappedPresigner)(nil)
)

type wrapped struct {
	next Store
	mws  []calls.Middleware
}

type wrappedPresigner struct {
	*wrapped
	p Presigner
}

// PresignGet signs locally with the wrapped store.
func (w *wrappedPresigner) PresignGet(ctx context.Context, key string, expiry time.Duration, downloadName string) (string, error) {
	return w.p.PresignGet(ctx, key, expiry, downloadName)
}

// unavailable marks deadline errors as ErrUnavailable too.
func unavailable(err error) error {
	if err != nil && errors.Is(err, calls.ErrDeadline) && !errors.Is(err, ErrUnavailable) {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}

func (w *wrapped) call(op, key string) *calls.Call {
	return &calls.Call{Port: "store", Op: op, Key: key}
}

// unary runs a call that is over when do returns.
func (w *wrapped) unary(ctx context.Context, op, key string, do calls.Next) error {
	c := w.call(op, key)
	err := calls.Run(ctx, c, w.mws, do)
	c.End(err)
	return unavailable(err)
}

func (w *wrapped) Get(ctx context.Context, key string) (io.ReadCloser, Object, error) {
	return w.open(ctx, "get", key, func(ctx context.Context) (io.ReadCloser, Object, error) { return w.next.Get(ctx, key) })
}

func (w *wrapped) GetRange(ctx context.Context, key string, offset, length int64) (io.ReadCloser, Object, error) {
	return w.open(ctx, "get_range", key, func(ctx context.Context) (io.ReadCloser, Object, error) {
		return w.next.GetRange(ctx, key, offset, length)
	})
}

// open runs a Get or GetRange whose call lasts until the body is closed.
func (w *wrapped) open(ctx context.Context, op, key string, get func(context.Context) (io.ReadCloser, Object, error)) (io.ReadCloser, Object, error) {
	c := w.call(op, key)
	var (
		rc  io.ReadCloser
		obj Object
	)
	err := calls.Run(ctx, c, w.mws, func(ctx context.Context) error {
		var err error
		rc, obj, err = get(ctx)
		return err
	})
	if err != nil {
		return nil, Object{}, unavailable(err)
	}
	c.Pause()
	return &watchedBody{c: c, rc: rc}, obj, nil
}

// watchedBody tells its call about each Read and ends it on Close.
type watchedBody struct {
	c      *calls.Call
	rc     io.ReadCloser
	mu     sync.Mutex
	failed error
}

func (b *watchedBody) Read(p []byte) (int, error) {
	b.c.Resume()
	n, err := b.rc.Read(p)
	b.c.Pause()
	if err != nil && !errors.Is(err, io.EOF) {
		err = unavailable(b.c.Fail(err))
		b.mu.Lock()
		if b.failed == nil {
			b.failed = err
		}
		b.mu.Unlock()
	}
	return n, err
}

func (b *watchedBody) Close() error {
	err := b.rc.Close()
	b.mu.Lock()
	end := b.failed
	b.mu.Unlock()
	if end == nil {
		end = err
	}
	b.c.End(end)
	return err
}

func (w *wrapped) Put(ctx context.Context, key string, r io.Reader, opts PutOptions) (Object, error) {
	c := w.call("put", key)
	var obj Object
	err := calls.Run(ctx, c, w.mws, func(ctx context.Context) error {
		var err error
		obj, err = w.next.Put(ctx, key, &watchedReader{c: c, r: r}, opts)
		return err
	})
	c.End(err)
	return obj, unavailable(err)
}

// watchedReader marks the time a Put spends reading its body as the caller's.
type watchedReader struct {
	c *calls.Call
	r io.Reader
}

func (r *watchedReader) Read(p []byte) (int, error) {
	r.c.Pause()
	defer r.c.Resume()
	return r.r.Read(p)
}

func (w *wrapped) Delete(ctx context.Context, key string) error {
	return w.unary(ctx, "delete", key, func(ctx context.Context) error { return w.next.Delete(ctx, key) })
}

func (w *wrapped) Stat(ctx context.Context, key string) (Object, error) {
	var obj Object
	err := w.unary(ctx, "stat", key, func(ctx context.Context) error {
		var err error
		obj, err = w.next.Stat(ctx, key)
		return err
	})
	return obj, err
}

func (w *wrapped) Ping(ctx context.Context) error {
	return w.unary(ctx, "ping", "", w.next.Ping)
}

// List is one call from the start of the iteration to its end; the time the
// caller's loop body takes is the caller's.
func (w *wrapped) List(ctx context.Context, prefix string) iter.Seq2[Object, error] {
	return func(yield func(Object, error) bool) {
		c := w.call("list", prefix)
		var seq iter.Seq2[Object, error]
		err := calls.Run(ctx, c, w.mws, func(ctx context.Context) error {
			seq = w.next.List(ctx, prefix)
			return nil
		})
		if err != nil {
			yield(Object{}, unavailable(err))
			return
		}
		var failed error
		defer func() { c.End(failed) }()
		for obj, err := range seq {
			if err != nil {
				err = unavailable(c.Fail(err))
				if failed == nil {
					failed = err
				}
			}
			c.Pause()
			more := yield(obj, err)
			c.Resume()
			if !more {
				return
			}
		}
	}
}
