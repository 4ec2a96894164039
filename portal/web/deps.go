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
}

// Checker reports readiness of one dependency for /readyz.
type Checker interface {
	Ping(ctx context.Context) error
}
