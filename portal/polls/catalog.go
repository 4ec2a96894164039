package polls

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jinnang/jinnang/portal/auth"
	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/record"
)

// The poll list reads a catalogue of small markers instead of listing
// polls/ (where every vote ever cast lies too):
//
//	polls-catalog/<deadline, 20-digit unix seconds>-<id>.json   {}
//
// The key alone orders the list (open polls first, soonest deadline
// first, then closed ones, latest first), so a page reads only the polls
// it looks at.
const catalogPrefix = "polls-catalog/"

// catalogBuilt says the catalogue holds every poll of the store (written by
// RebuildCatalog; polls created later add their own marker).
const catalogBuilt = "polls-catalog.json"

// Poll list limits.
const (
	// ListPage is the most polls one page of the list shows (with the
	// catalogue listing and the session it stays within 20 store reads).
	ListPage = 15
	// listScan is the most polls one page reads to find those the viewer
	// may see.
	listScan = 60
)

func catalogKey(p *Poll) string {
	return fmt.Sprintf("%s%020d-%s.json", catalogPrefix, max(p.Deadline.Unix(), 0), p.ID)
}

// catalogEntry is a parsed marker key.
type catalogEntry struct {
	deadline int64
	id       string
}

func parseCatalogKey(key string) (catalogEntry, bool) {
	name, ok := strings.CutSuffix(strings.TrimPrefix(key, catalogPrefix), ".json")
	secs, id, cut := strings.Cut(name, "-")
	if !ok || !cut || len(secs) != 20 || !ValidID(id) {
		return catalogEntry{}, false
	}
	n, err := strconv.ParseInt(secs, 10, 64)
	return catalogEntry{deadline: n, id: id}, err == nil
}

// ListPage returns one page of the polls u may see, open ones first (by
// deadline), then closed ones (latest first), starting at position from of
// the catalogue; next is the position of the following page, 0 when there
// is none. It lists the catalogue (one LIST per 1,000 polls) and reads at
// most listScan polls.
func (s *Service) ListPage(ctx context.Context, u *auth.User, from int) ([]Poll, int, error) {
	entries, err := s.catalog(ctx)
	if err != nil {
		return nil, 0, err
	}
	now := s.clock().Unix()
	slices.SortFunc(entries, func(a, b catalogEntry) int {
		ao, bo := a.deadline > now, b.deadline > now
		switch {
		case ao && !bo:
			return -1
		case bo && !ao:
			return 1
		case ao:
			return cmp.Or(cmp.Compare(a.deadline, b.deadline), strings.Compare(a.id, b.id))
		}
		return cmp.Or(cmp.Compare(b.deadline, a.deadline), strings.Compare(a.id, b.id))
	})
	out := []Poll{}
	if from < 0 || from >= len(entries) {
		return out, 0, nil
	}
	i, scanned := from, 0
	for ; i < len(entries) && len(out) < ListPage && scanned < listScan; i++ {
		scanned++
		p, err := s.Get(ctx, entries[i].id)
		if record.Skip(err) {
			continue
		}
		if err != nil {
			return nil, 0, fmt.Errorf("polls: list: %w", err)
		}
		if u != nil && (p.Includes(u.Department) || p.CanManage(u)) {
			out = append(out, *p)
		}
	}
	if i >= len(entries) {
		i = 0
	}
	return out, i, nil
}

// catalogTTL bounds how long a process reuses its listing of the
// catalogue. Listing it is most of a poll list's cost once there are
// hundreds of polls (the disk store reads every marker's header), and it
// changes only when a poll is created: one created through this process
// drops the listing at once, one created through another process appears
// in this one's list within catalogTTL. The polls on a page are always read
// fresh.
const catalogTTL = 10 * time.Second

// catalogCache is a recent listing of the catalogue.
type catalogCache struct {
	mu      sync.Mutex
	entries []catalogEntry
	at      time.Time
}

func (c *catalogCache) get(now time.Time) ([]catalogEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || now.Sub(c.at) >= catalogTTL || now.Before(c.at) {
		return nil, false
	}
	return slices.Clone(c.entries), true
}

func (c *catalogCache) put(entries []catalogEntry, at time.Time) {
	c.mu.Lock()
	c.entries, c.at = slices.Clone(entries), at
	c.mu.Unlock()
}

func (c *catalogCache) drop() {
	c.mu.Lock()
	c.entries = nil
	c.mu.Unlock()
}

// catalog lists the catalogue (reusing a listing for catalogTTL), building
// it once for a store from before it.
func (s *Service) catalog(ctx context.Context) ([]catalogEntry, error) {
	start := time.Now()
	if entries, ok := s.cat.get(start); ok {
		return entries, nil
	}
	entries, err := s.listCatalog(ctx)
	if err == nil {
		s.cat.put(entries, start)
	}
	return entries, err
}

func (s *Service) listCatalog(ctx context.Context) ([]catalogEntry, error) {
	list := func() ([]catalogEntry, error) {
		var out []catalogEntry
		for obj, err := range s.st.List(ctx, catalogPrefix) {
			if err != nil {
				return nil, fmt.Errorf("polls: catalogue: %w", err)
			}
			if e, ok := parseCatalogKey(obj.Key); ok {
				out = append(out, e)
			}
		}
		return out, nil
	}
	if _, err := s.st.Stat(ctx, catalogBuilt); errors.Is(err, store.ErrNotFound) {
		if _, err := s.RebuildCatalog(ctx); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, fmt.Errorf("polls: catalogue: %w", err)
	}
	return list()
}

// RebuildCatalog writes the catalogue marker of every poll in the store
// (derived from the polls; reindex runs it) and returns how many it saw.
func (s *Service) RebuildCatalog(ctx context.Context) (int, error) {
	n := 0
	for obj, err := range s.st.List(ctx, prefix) {
		if err != nil {
			return n, fmt.Errorf("polls: rebuild catalogue: %w", err)
		}
		if !strings.HasSuffix(obj.Key, "/poll.json") {
			continue
		}
		var p Poll
		_, err := readJSON(ctx, s.st, obj.Key, &p)
		if record.Skip(err) {
			continue
		}
		if err != nil {
			return n, fmt.Errorf("polls: rebuild catalogue: %w", err)
		}
		if err := s.markCatalog(ctx, &p); err != nil {
			return n, err
		}
		n++
	}
	if _, err := writeJSON(ctx, s.st, catalogBuilt, map[string]int{"polls": n}, store.PutOptions{}); err != nil {
		return n, fmt.Errorf("polls: rebuild catalogue: %w", err)
	}
	return n, nil
}

func (s *Service) markCatalog(ctx context.Context, p *Poll) error {
	defer s.cat.drop()
	_, err := writeJSON(ctx, s.st, catalogKey(p), struct{}{}, store.PutOptions{IfNoneMatch: true})
	if err != nil && !errors.Is(err, store.ErrPrecondition) {
		return fmt.Errorf("polls: catalogue %s: %w", p.ID, err)
	}
	return nil
}
