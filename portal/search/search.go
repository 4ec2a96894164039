// Package search is the portal's search over everything a person may see
// (packs, files, department intros, announcements, stories), with what
// admins and editors manage around it: the synonym list, kept in the store
// and applied to the index, and the weekly counts of queries that found
// nothing or only partial matches (搜不到的问题), kept without any user
// identity.
//
// Store layout:
//
//	search/synonyms.txt              the synonym list, one group per line (If-Match edits)
//	search/misses/<YYYY>-W<WW>.json  one week's counts, merged with If-Match
package search

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/store"
)

// Service searches the index and keeps the synonyms and miss counts. It is
// safe for concurrent use.
type Service struct {
	index index.Index
	store store.Store
	log   *slog.Logger
	now   func() time.Time

	mu      sync.Mutex
	pending map[string]map[string]*Count // week → query → counts not yet in the store
}

// New returns a Service over ix and st; now is the clock (nil: time.Now).
func New(ix index.Index, st store.Store, log *slog.Logger, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	return &Service{index: ix, store: st, log: log, now: now, pending: map[string]map[string]*Count{}}
}

// Search runs q over every kind of document.
func (s *Service) Search(ctx context.Context, q index.Query) (index.Result, error) {
	res, err := s.index.Search(ctx, q)
	if err != nil {
		return index.Result{}, fmt.Errorf("search: %w", err)
	}
	return res, nil
}
