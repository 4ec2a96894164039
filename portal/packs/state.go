package packs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/record"
)

// RestoreWindow is how long a deleted pack can be brought back before
// PurgeDeleted removes it with its history and images.
const RestoreWindow = 30 * 24 * time.Hour

// ErrState means the pack is not in the state the action needs (restoring a
// live pack, archiving a deleted one).
var ErrState = errors.New("packs: wrong state for this action")

// Archive takes a live pack off the lists and out of search; its page stays
// readable with a notice, and Unarchive brings it back.
func (s *Service) Archive(ctx context.Context, slug, by string) (*Meta, error) {
	return s.move(ctx, slug, by, StateLive, StateArchived, Key(slug), archiveKey(slug))
}

// Unarchive returns an archived pack to the lists.
func (s *Service) Unarchive(ctx context.Context, slug, by string) (*Meta, error) {
	return s.move(ctx, slug, by, StateArchived, StateLive, archiveKey(slug), Key(slug))
}

// Delete moves a live or archived pack to the trash: gone from pages, lists
// and search, restorable for RestoreWindow.
func (s *Service) Delete(ctx context.Context, slug, by string) (*Meta, error) {
	m, err := s.meta(ctx, slug)
	if err != nil {
		return nil, err
	}
	from := Key(slug)
	if m.State == StateArchived {
		from = archiveKey(slug)
	}
	return s.move(ctx, slug, by, m.State, StateDeleted, from, trashKey(slug))
}

// Undelete brings a deleted pack back as a live one.
func (s *Service) Undelete(ctx context.Context, slug, by string) (*Meta, error) {
	return s.move(ctx, slug, by, StateDeleted, StateLive, trashKey(slug), Key(slug))
}

// meta reads the meta record of a pack in any state, creating it for a live
// pack that has none.
func (s *Service) meta(ctx context.Context, slug string) (*Meta, error) {
	if !ValidSlug(slug) {
		return nil, fmt.Errorf("pack %q: %w", slug, store.ErrNotFound)
	}
	var m Meta
	etag, err := record.Read(ctx, s.store, metaKey(slug), &m, maxMeta)
	if errors.Is(err, store.ErrNotFound) {
		return s.ensureMeta(ctx, slug)
	}
	if err != nil {
		return nil, err
	}
	m.etag = etag
	return &m, nil
}

// Lookup returns a pack's meta in any state (for the archived and trash
// notices); store.ErrNotFound when there is no such pack at all.
func (s *Service) Lookup(ctx context.Context, slug string) (*Meta, error) {
	if !ValidSlug(slug) {
		return nil, fmt.Errorf("pack %q: %w", slug, store.ErrNotFound)
	}
	var m Meta
	etag, err := record.Read(ctx, s.store, metaKey(slug), &m, maxMeta)
	if err != nil {
		return nil, err
	}
	m.etag = etag
	return &m, nil
}

// ArchivedSource returns the source of an archived or deleted pack.
func (s *Service) ArchivedSource(ctx context.Context, slug string) ([]byte, error) {
	m, err := s.Lookup(ctx, slug)
	if err != nil {
		return nil, err
	}
	k := archiveKey(slug)
	if m.State == StateDeleted {
		k = trashKey(slug)
	}
	b, _, err := s.readAll(ctx, k)
	return b, err
}

// move changes a pack's state by moving its source from one key to another
// (create-once at the target, then delete) and recording the state.
func (s *Service) move(ctx context.Context, slug, by, want, to, fromKey, toKey string) (*Meta, error) {
	m, err := s.meta(ctx, slug)
	if err != nil {
		return nil, err
	}
	if m.State != want {
		return m, fmt.Errorf("pack %q is %q, not %q: %w", slug, m.State, want, ErrState)
	}
	src, _, err := s.readAll(ctx, fromKey)
	if err != nil {
		return nil, fmt.Errorf("move pack %q: %w", slug, err)
	}
	if to == StateLive {
		_, err = s.save(ctx, slug, src, store.PutOptions{IfNoneMatch: true})
	} else {
		_, err = s.store.Put(ctx, toKey, bytesReader(src), store.PutOptions{ContentType: "text/markdown; charset=utf-8", Size: int64(len(src))})
	}
	if err != nil {
		return nil, fmt.Errorf("move pack %q: %w", slug, err)
	}
	if err := s.store.Delete(ctx, fromKey); err != nil {
		return nil, err
	}
	if fromKey == Key(slug) {
		s.unindex(ctx, slug)
	}
	now := s.now()
	m, err = s.modifyMeta(ctx, slug, func(m *Meta) error {
		m.State, m.StateAt, m.StateBy = to, now, by
		return nil
	})
	if err != nil {
		return nil, err
	}
	if to == StateLive {
		s.ledgerPut(ctx, m)
	} else {
		s.ledgerDrop(ctx, slug, m.Department, m.Owner)
	}
	return m, nil
}

// Trash lists the deleted packs that can still be restored, newest first,
// for the given departments (nil: all).
func (s *Service) Trash(ctx context.Context, depts []string) ([]Meta, error) {
	var out []Meta
	for obj, err := range s.store.List(ctx, trashPrefix) {
		if err != nil {
			return nil, err
		}
		slug, ok := strings.CutSuffix(strings.TrimPrefix(obj.Key, trashPrefix), ".md")
		if !ok || !ValidSlug(slug) {
			continue
		}
		m, err := s.Lookup(ctx, slug)
		if err != nil {
			continue // purged meanwhile
		}
		if depts == nil || slices.Contains(depts, m.Department) {
			out = append(out, *m)
		}
	}
	slices.SortFunc(out, func(a, b Meta) int { return b.StateAt.Compare(a.StateAt) })
	return out, nil
}

// PurgeDeleted removes the packs deleted longer than RestoreWindow ago: the
// trashed source, the meta record, every version, log chunk and image. It
// returns how many packs it removed.
func (s *Service) PurgeDeleted(ctx context.Context) (int, error) {
	cutoff := s.now().Add(-RestoreWindow)
	n := 0
	for obj, err := range s.store.List(ctx, trashPrefix) {
		if err != nil {
			return n, err
		}
		slug, ok := strings.CutSuffix(strings.TrimPrefix(obj.Key, trashPrefix), ".md")
		if !ok || !ValidSlug(slug) {
			continue
		}
		m, err := s.Lookup(ctx, slug)
		if err != nil || m.State != StateDeleted || !m.StateAt.Before(cutoff) {
			continue
		}
		for _, prefix := range []string{histPrefix + m.ID + "/", imagePrefix + m.ID + "/"} {
			for o, err := range s.store.List(ctx, prefix) {
				if err != nil {
					return n, err
				}
				if err := s.store.Delete(ctx, o.Key); err != nil {
					return n, err
				}
			}
		}
		if err := s.store.Delete(ctx, metaKey(slug)); err != nil {
			return n, err
		}
		if err := s.store.Delete(ctx, trashKey(slug)); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// MarkReviewed sets a pack's 最后核对 date to now (no new version).
func (s *Service) MarkReviewed(ctx context.Context, slug string) (*Meta, error) {
	if _, err := s.ensureMeta(ctx, slug); err != nil {
		return nil, err
	}
	now := s.now()
	m, err := s.modifyMeta(ctx, slug, func(m *Meta) error { m.Reviewed = now; return nil })
	if err != nil {
		return nil, err
	}
	s.ledgerPut(ctx, m)
	return m, nil
}

// SetOwner makes owner (a user id, "" for the department's editors)
// responsible for the pack.
func (s *Service) SetOwner(ctx context.Context, slug, owner, ownerName string) (*Meta, error) {
	old, err := s.ensureMeta(ctx, slug)
	if err != nil {
		return nil, err
	}
	m, err := s.modifyMeta(ctx, slug, func(m *Meta) error {
		m.Owner, m.OwnerName = owner, ownerName
		if owner == "" {
			m.OwnerName = ""
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if old.Owner != owner {
		s.ledgerDrop(ctx, slug, "", old.Owner)
	}
	s.ledgerPut(ctx, m)
	return m, nil
}

// OwnerLeft hands every pack owned by userID to its department's editors
// (owner ""), so knowledge is never orphaned when a person leaves. The admin
// page calls it; directory sync will too. It returns the slugs it moved.
func (s *Service) OwnerLeft(ctx context.Context, userID string) ([]string, error) {
	var l ledger
	_, err := record.Read(ctx, s.store, ownerLedgerKey(userID), &l, maxLedger)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var moved []string
	for slug := range l.Items {
		m, err := s.Lookup(ctx, slug)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return moved, err
		}
		if m.Owner != userID {
			continue
		}
		if _, err := s.SetOwner(ctx, slug, "", ""); err != nil {
			return moved, err
		}
		moved = append(moved, slug)
	}
	slices.Sort(moved)
	if err := s.store.Delete(ctx, ownerLedgerKey(userID)); err != nil {
		return moved, err
	}
	return moved, nil
}
