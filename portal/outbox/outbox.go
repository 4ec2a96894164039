// Package outbox remembers, in the store, which records still need their
// search-index entry brought in line: the store write (the truth) succeeded
// but the index write after it failed. Replay retries them later.
package outbox

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/record"
)

// Outbox is one kind's queue: one object per record id under a prefix.
// Replay reads the current record from the store, so a later failure for the
// same id simply overwrites its entry.
type Outbox struct {
	st     store.Store
	prefix string // e.g. "outbox/packs/"
}

type entry struct {
	ID string    `json:"id"`
	At time.Time `json:"at"`
}

// New returns the outbox kept under prefix (which ends with "/").
func New(st store.Store, prefix string) *Outbox { return &Outbox{st: st, prefix: prefix} }

// Add queues id.
func (o *Outbox) Add(ctx context.Context, id string) error {
	_, err := record.Write(ctx, o.st, o.prefix+id+".json", entry{ID: id, At: time.Now().UTC()}, store.PutOptions{})
	return err
}

// Replay calls sync for each queued id and clears its entry once sync
// succeeds; it stops at the first failure (the index is likely still down).
// Entries whose id fails valid are dropped with a warning. It returns how
// many entries it cleared.
func (o *Outbox) Replay(ctx context.Context, valid func(string) bool, sync func(context.Context, string) error, log *slog.Logger) (int, error) {
	done := 0
	for obj, err := range o.st.List(ctx, o.prefix) {
		if err != nil {
			return done, fmt.Errorf("list %s: %w", o.prefix, err)
		}
		id := strings.TrimSuffix(strings.TrimPrefix(obj.Key, o.prefix), ".json")
		if valid(id) {
			if err := sync(ctx, id); err != nil {
				return done, fmt.Errorf("replay %q: %w", id, err)
			}
		} else {
			log.Warn("dropping malformed outbox entry", "key", obj.Key)
		}
		if err := o.st.Delete(ctx, obj.Key); err != nil {
			return done, fmt.Errorf("clear %s: %w", obj.Key, err)
		}
		done++
	}
	return done, nil
}
