package packs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/record"
)

// maxLedger bounds one department's or owner's ledger (≈ 10,000 packs).
const maxLedger = 4 << 20

// LedgerItem is one pack in a department's or an owner's ledger: enough for
// the 待核对 list without opening the pack.
type LedgerItem struct {
	Slug       string    `json:"slug"`
	Title      string    `json:"title"`
	Department string    `json:"department"`
	Owner      string    `json:"owner,omitempty"`
	OwnerName  string    `json:"owner_name,omitempty"`
	Reviewed   time.Time `json:"reviewed"`
}

// ledger is the record under packledger/dept/… or packledger/owner/…: the
// live packs of one department or one owner, by slug. It is derived from the
// meta records (Backfill rebuilds it), so a failed update is logged, not fatal.
type ledger struct {
	Items map[string]LedgerItem `json:"items"`
}

func (s *Service) upsertLedger(ctx context.Context, key string, change func(*ledger)) error {
	err := record.Retry(ctx, attempts, func(int) error {
		var l ledger
		etag, err := record.Read(ctx, s.store, key, &l, maxLedger)
		opts := store.PutOptions{IfMatch: etag}
		switch {
		case errors.Is(err, store.ErrNotFound):
			opts = store.PutOptions{IfNoneMatch: true}
		case err != nil:
			return err
		}
		if l.Items == nil {
			l.Items = map[string]LedgerItem{}
		}
		change(&l)
		_, err = record.Write(ctx, s.store, key, &l, opts)
		if errors.Is(err, store.ErrPrecondition) || errors.Is(err, store.ErrNotFound) {
			return record.Conflict(err)
		}
		return err
	})
	if errors.Is(err, record.ErrContended) {
		return fmt.Errorf("ledger %s: %w", key, err)
	}
	return err
}

// ledgerPut records m (live) in its department's and its owner's ledgers.
func (s *Service) ledgerPut(ctx context.Context, m *Meta) {
	it := LedgerItem{Slug: m.Slug, Title: m.Title, Department: m.Department, Owner: m.Owner, OwnerName: m.OwnerName, Reviewed: m.Reviewed}
	put := func(l *ledger) { l.Items[m.Slug] = it }
	if err := s.upsertLedger(ctx, deptLedgerKey(m.Department), func(l *ledger) {
		for slug, old := range l.Items { // a pack that changed department leaves the old ledger elsewhere
			if slug == m.Slug && old.Department != m.Department {
				delete(l.Items, slug)
			}
		}
		put(l)
	}); err != nil {
		s.log.Warn("department ledger", "pack", m.Slug, "err", err)
	}
	if m.Owner != "" {
		if err := s.upsertLedger(ctx, ownerLedgerKey(m.Owner), put); err != nil {
			s.log.Warn("owner ledger", "pack", m.Slug, "err", err)
		}
	}
}

// ledgerDrop removes slug from the ledgers of dept and owner (either may be "").
func (s *Service) ledgerDrop(ctx context.Context, slug, dept, owner string) {
	drop := func(l *ledger) { delete(l.Items, slug) }
	if dept != "" {
		if err := s.upsertLedger(ctx, deptLedgerKey(dept), drop); err != nil {
			s.log.Warn("department ledger", "pack", slug, "err", err)
		}
	}
	if owner != "" {
		if err := s.upsertLedger(ctx, ownerLedgerKey(owner), drop); err != nil {
			s.log.Warn("owner ledger", "pack", slug, "err", err)
		}
	}
}

// ToReview is the 待核对 list: the packs owned by owner or belonging to one of
// depts that were last checked before cutoff, oldest check first. It reads
// one ledger per department and one for the owner.
func (s *Service) ToReview(ctx context.Context, owner string, depts []string, cutoff time.Time) ([]LedgerItem, error) {
	seen := map[string]bool{}
	var out []LedgerItem
	var keys []string
	if owner != "" {
		keys = append(keys, ownerLedgerKey(owner))
	}
	for _, d := range depts {
		keys = append(keys, deptLedgerKey(d))
	}
	for _, k := range keys {
		var l ledger
		_, err := record.Read(ctx, s.store, k, &l, maxLedger)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, it := range l.Items {
			if !seen[it.Slug] && it.Reviewed.Before(cutoff) {
				seen[it.Slug] = true
				out = append(out, it)
			}
		}
	}
	slices.SortFunc(out, func(a, b LedgerItem) int {
		return cmp.Or(a.Reviewed.Compare(b.Reviewed), strings.Compare(a.Slug, b.Slug))
	})
	return out, nil
}

// backfillMarker says Backfill has run on this store.
const backfillMarker = ledgerPrefix + "backfilled.json"

// Backfill gives every pack that has no meta record one (with its current
// source as version 1) and fills the ledgers; it runs once per store, at
// start-up, for packs seeded or imported before the editor kept records.
func (s *Service) Backfill(ctx context.Context) (int, error) {
	if _, err := s.store.Stat(ctx, backfillMarker); err == nil {
		return 0, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return 0, err
	}
	n := 0
	var slugs []string
	for obj, err := range s.store.List(ctx, packPrefix) {
		if err != nil {
			return n, err
		}
		if slug, ok := strings.CutSuffix(strings.TrimPrefix(obj.Key, packPrefix), ".md"); ok && ValidSlug(slug) {
			slugs = append(slugs, slug)
		}
	}
	var errs []error
	for _, slug := range slugs {
		if _, err := s.store.Stat(ctx, metaKey(slug)); err == nil {
			continue
		}
		if _, err := s.ensureMeta(ctx, slug); err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	if len(errs) > 0 {
		return n, errors.Join(errs...)
	}
	_, err := record.Write(ctx, s.store, backfillMarker, map[string]time.Time{"at": s.now()}, store.PutOptions{})
	return n, err
}
