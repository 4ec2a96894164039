package announce

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/record"
)

// A page of announcements costs the same however many there are: with an
// index, List reads the pinned ones from a small derived record, walks the
// keys (newest first by construction) only until the page is full, and
// takes the number of matches from the index. Without an index, or for a
// query the index cannot express (departments only, not everyone), it lists
// every key as before.
//
//	announcements-pinned.json   {"ids": [...]} — the pinned announcements
//
// The record is kept on every create, edit and delete that changes what is
// pinned (If-Match, retried); when it cannot be kept it is deleted, and a
// missing record is rebuilt from a full listing on the next read (reindex
// rebuilds it too), so it never stays wrong.
const pinnedKey = "announcements-pinned.json"

// pinnedAttempts bounds the If-Match retries of one pinned-record change.
const pinnedAttempts = 8

// maxCache bounds the records kept in memory; the cache is emptied when full.
const maxCache = 4096

type pinnedRecord struct {
	IDs []string `json:"ids"`
}

// readPinned returns the pinned record and its ETag; a missing record is
// store.ErrNotFound.
func (s *Service) readPinned(ctx context.Context) (pinnedRecord, string, error) {
	rc, obj, err := s.store.Get(ctx, pinnedKey)
	if err != nil {
		return pinnedRecord{}, "", err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxObject+1))
	if err != nil {
		return pinnedRecord{}, "", fmt.Errorf("announce: read %s: %w", pinnedKey, err)
	}
	var p pinnedRecord
	if err := json.Unmarshal(b, &p); err != nil {
		return pinnedRecord{}, "", fmt.Errorf("announce: decode %s: %w", pinnedKey, err)
	}
	return p, obj.ETag, nil
}

func (s *Service) writePinned(ctx context.Context, p pinnedRecord, opts store.PutOptions) error {
	slices.Sort(p.IDs) // keys sort newest first, and so do ids
	p.IDs = slices.Compact(p.IDs)
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	opts.ContentType, opts.Size = "application/json", int64(len(b))
	_, err = s.store.Put(ctx, pinnedKey, bytes.NewReader(b), opts)
	return err
}

// pinnedIDs returns the ids of the pinned announcements, rebuilding the
// record from a full listing when it is missing.
func (s *Service) pinnedIDs(ctx context.Context) ([]string, error) {
	p, _, err := s.readPinned(ctx)
	if err == nil {
		return p.IDs, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if p, err = s.rebuildPinned(ctx, store.PutOptions{IfNoneMatch: true}); errors.Is(err, store.ErrPrecondition) {
		p, _, err = s.readPinned(ctx) // another process rebuilt it first
	}
	return p.IDs, err
}

// rebuildPinned writes the pinned record from a full listing.
func (s *Service) rebuildPinned(ctx context.Context, opts store.PutOptions) (pinnedRecord, error) {
	all, err := s.listAll(ctx, Query{Any: true})
	if err != nil {
		return pinnedRecord{}, err
	}
	p := pinnedRecord{IDs: []string{}}
	for _, a := range all.Items {
		if a.Pinned {
			p.IDs = append(p.IDs, a.ID)
		}
	}
	return p, s.writePinned(ctx, p, opts)
}

// keepPinned records that announcement id is pinned or not. A record that
// does not exist yet is left to be rebuilt; one that cannot be changed is
// deleted so that the next read rebuilds it.
func (s *Service) keepPinned(ctx context.Context, id string, pinned bool) {
	errKept := errors.New("kept")
	err := record.Retry(ctx, pinnedAttempts, func(int) error {
		p, etag, err := s.readPinned(ctx)
		if errors.Is(err, store.ErrNotFound) {
			return errKept
		}
		if err != nil {
			return err
		}
		if slices.Contains(p.IDs, id) == pinned {
			return errKept
		}
		if pinned {
			p.IDs = append(p.IDs, id)
		} else {
			p.IDs = slices.DeleteFunc(p.IDs, func(x string) bool { return x == id })
		}
		err = s.writePinned(ctx, p, store.PutOptions{IfMatch: etag})
		if errors.Is(err, store.ErrPrecondition) || errors.Is(err, store.ErrNotFound) {
			return record.Conflict(err)
		}
		return err
	})
	if err == nil || err == errKept {
		return
	}
	if err := s.store.Delete(ctx, pinnedKey); err != nil && s.log != nil {
		s.log.Warn("could not keep or drop the pinned announcements record", "err", err)
	}
}

// indexable reports whether the index can count q's matches: docs for
// everyone have no Readers, so a query must include them.
func (q Query) indexable() bool { return q.Any || q.Everyone }

// readers is q's index Readers filter (nil: every doc).
func (q Query) readers() []string {
	if q.Any {
		return nil
	}
	r := []string{}
	for _, d := range q.Departments {
		r = append(r, Readers(d))
	}
	if len(r) == 0 {
		r = append(r, Readers("")) // no department: only docs for everyone
	}
	return r
}

// listPage is List for a page of an indexable query (see the top of this file).
func (s *Service) listPage(ctx context.Context, q Query) (Result, error) {
	ids, err := s.pinnedIDs(ctx)
	if err != nil {
		return Result{}, err
	}
	need := max(q.Offset, 0) + q.Limit
	var pinned, rest []Announcement
	isPinned := map[string]bool{}
	for _, id := range ids {
		if !ValidID(id) {
			continue
		}
		isPinned[id] = true
		a, err := s.read(ctx, key(id), "")
		if record.Skip(err) {
			continue // deleted meanwhile, or corrupt (logged, on /admin/health)
		}
		if err != nil {
			return Result{}, err
		}
		if a.Pinned && q.matches(&a) {
			pinned = append(pinned, a)
		}
	}
	for obj, err := range s.store.List(ctx, prefix) {
		if err != nil {
			return Result{}, fmt.Errorf("announce: list: %w", err)
		}
		if len(pinned)+len(rest) >= need {
			break
		}
		if !isKey(obj.Key) {
			continue
		}
		a, err := s.read(ctx, obj.Key, obj.ETag)
		if record.Skip(err) {
			continue // deleted meanwhile, or corrupt (logged, on /admin/health)
		}
		if err != nil {
			return Result{}, err
		}
		switch {
		case isPinned[a.ID] || !q.matches(&a):
		case a.Pinned: // pinned since the record was read: show it on top
			pinned = append(pinned, a)
		default:
			rest = append(rest, a)
		}
	}
	total := 0
	if !q.NoTotal {
		if total, err = s.count(ctx, q); err != nil {
			return Result{}, err
		}
	}
	all := append(pinned, rest...)
	res := Result{Total: max(total, len(all))}
	lo := min(max(q.Offset, 0), len(all))
	hi := min(lo+q.Limit, len(all))
	res.Items = all[lo:hi]
	return res, nil
}

// countTTL bounds how long a count of matches from the index is reused:
// the index walks every match to count them (5,000 announcements: most of
// a page's time). A write through this process drops the counts at once;
// one through another process shows in the pager's total within countTTL
// (the items themselves are always read fresh).
const countTTL = 10 * time.Second

// maxCounts bounds the counts kept (one per audience and day); with one
// more the cache starts again.
const maxCounts = 257

// count is the number of announcements q selects, from the index.
func (s *Service) count(ctx context.Context, q Query) (int, error) {
	now := time.Now()
	k := strings.Join(q.readers(), "\x00") + "\x01" + q.Now.Format(dateFmt)
	s.mu.Lock()
	writes := uint64(s.writes)
	s.mu.Unlock()
	if n, ok := s.counts.Get(k, writes, now, countTTL); ok {
		return n, nil
	}
	res, err := s.index.Search(ctx, index.Query{Kind: Kind, Readers: q.readers(), Now: q.Now, Limit: 1})
	if err != nil {
		return 0, fmt.Errorf("announce: count: %w", err)
	}
	s.counts.Put(k, res.Total, writes, now, maxCounts)
	return res.Total, nil
}

// wrote drops the counts after a write through this process.
func (s *Service) wrote() {
	s.mu.Lock()
	s.writes++
	s.mu.Unlock()
}
