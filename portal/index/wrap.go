package index

import (
	"context"
	"errors"
	"fmt"

	"github.com/jinnang/jinnang/portal/calls"
)

// ErrUnavailable means the index could not be reached or did not answer in
// time (calls.Deadline): the request may succeed later. The web layer answers
// it with 503 and Retry-After.
var ErrUnavailable = errors.New("index: unavailable")

// Wrap returns ix with Upsert, Delete, Reset, Search, SetSynonyms and Ping each run as one
// calls.Call through mws (the first outermost). Close is passed through. An
// error wrapping calls.ErrDeadline also wraps ErrUnavailable.
func Wrap(ix Index, mws ...calls.Middleware) Index {
	return &wrapped{next: ix, mws: mws}
}

var _ Index = (*wrapped)(nil)

type wrapped struct {
	next Index
	mws  []calls.Middleware
}

func (w *wrapped) run(ctx context.Context, op string, do calls.Next) error {
	c := &calls.Call{Port: "index", Op: op}
	err := calls.Run(ctx, c, w.mws, do)
	c.End(err)
	if err != nil && errors.Is(err, calls.ErrDeadline) && !errors.Is(err, ErrUnavailable) {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}

func (w *wrapped) Upsert(ctx context.Context, docs ...Doc) error {
	return w.run(ctx, "upsert", func(ctx context.Context) error { return w.next.Upsert(ctx, docs...) })
}

func (w *wrapped) Delete(ctx context.Context, ids ...string) error {
	return w.run(ctx, "delete", func(ctx context.Context) error { return w.next.Delete(ctx, ids...) })
}

func (w *wrapped) Reset(ctx context.Context) error {
	return w.run(ctx, "reset", w.next.Reset)
}

func (w *wrapped) Search(ctx context.Context, q Query) (Result, error) {
	var res Result
	err := w.run(ctx, "search", func(ctx context.Context) error {
		var err error
		res, err = w.next.Search(ctx, q)
		return err
	})
	return res, err
}

func (w *wrapped) SetSynonyms(ctx context.Context, groups [][]string) error {
	return w.run(ctx, "set_synonyms", func(ctx context.Context) error { return w.next.SetSynonyms(ctx, groups) })
}

func (w *wrapped) Ping(ctx context.Context) error { return w.run(ctx, "ping", w.next.Ping) }

// Close closes the wrapped index.
func (w *wrapped) Close() error { return w.next.Close() }
