package web

import (
	"context"
	"time"

	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/packs"
)

// Packs is what the web layer needs from the wisdom-pack domain.
type Packs interface {
	Get(ctx context.Context, slug string) (*packs.Pack, error)        // errors.Is(err, store.ErrNotFound) when missing
	Search(ctx context.Context, q index.Query) (index.Result, error)  // Kind is set to "pack" by the service
	DailyPick(ctx context.Context, day time.Time) (*index.Hit, error) // nil, store.ErrNotFound when no packs
	// Create writes a new pack; store.ErrPrecondition when the slug is taken.
	Create(ctx context.Context, slug string, src []byte) (*packs.Pack, error)
	// Save overwrites exactly version ifMatch; store.ErrPrecondition when it changed.
	Save(ctx context.Context, slug string, src []byte, ifMatch string) (*packs.Pack, error)
	// Source returns a pack's Markdown and its ETag (for the editor).
	Source(ctx context.Context, slug string) ([]byte, string, error)
	// Reindex rebuilds the pack index from the store; it returns how many packs it indexed.
	Reindex(ctx context.Context, progress packs.Progress) (int, error)
}

// Checker reports readiness of one dependency for /readyz.
type Checker interface {
	Ping(ctx context.Context) error
}
