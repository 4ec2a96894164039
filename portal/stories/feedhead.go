package stories

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/record"
)

// The feed head is a derived record of the newest visible stories (IDs and
// creation times, newest first, at most feedHeadSize) and how many visible
// stories there are. The first pages of the untagged feed come from it
// instead of an index query (which, with the embedded index, loads the
// stored fields of every hit and was most of the feed's time). Every
// change of a story's visibility keeps it with If-Match; it is rebuilt
// from the records by reindex and, when missing, from the index. A page it
// does not cover (tags, later pages, a head shortened by hidden stories)
// asks the index, as before.
const (
	feedHeadKey  = "story-feed.json"
	feedHeadSize = 100
	feedHeadV    = 1
)

type headEntry struct {
	ID      string    `json:"id"`
	Created time.Time `json:"created"`
}

type feedHead struct {
	V       int         `json:"v"`
	Total   int         `json:"total"` // visible stories
	Stories []headEntry `json:"stories"`
}

// covers reports whether the head holds the stories offset..offset+limit-1
// of the feed (or every visible story).
func (h *feedHead) covers(offset, limit int) bool {
	return offset+limit <= len(h.Stories) || len(h.Stories) >= h.Total
}

// change applies one story's visibility to the head: was is whether it was
// visible before the write, st the record written. It returns false when
// the head is unchanged.
func (h *feedHead) change(st *Story, was bool) bool {
	now := st.Visible()
	if was == now {
		return false // membership and order unchanged (Created never changes)
	}
	// The head is the newest len(Stories) visible stories; complete says
	// it holds every one of them.
	complete := len(h.Stories) >= h.Total
	if now {
		h.Total++
	} else if h.Total > 0 {
		h.Total--
	}
	i := slices.IndexFunc(h.Stories, func(e headEntry) bool { return e.ID == st.ID })
	switch {
	case !now && i >= 0:
		h.Stories = slices.Delete(h.Stories, i, i+1)
	case now && i < 0:
		e := headEntry{ID: st.ID, Created: st.Created}
		at, _ := slices.BinarySearchFunc(h.Stories, e, newerFirst)
		// Older than every entry: next in line only if none is missing.
		if at < len(h.Stories) || (complete && len(h.Stories) < feedHeadSize) {
			h.Stories = slices.Insert(h.Stories, at, e)
			if len(h.Stories) > feedHeadSize {
				h.Stories = h.Stories[:feedHeadSize]
			}
		}
	}
	return true
}

// newerFirst orders head entries newest first, then by ID (as the index's
// newest sort).
func newerFirst(a, b headEntry) int {
	if c := b.Created.Compare(a.Created); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}

// keepFeedHead applies a record write to the feed head (was: the story was
// visible before it). A missing head is left for the next read to build.
func (s *Service) keepFeedHead(ctx context.Context, st *Story, was bool) {
	if was == st.Visible() {
		return
	}
	errLeft := errors.New("left")
	err := record.Retry(ctx, digestAttempts, func(int) error {
		var h feedHead
		etag, err := s.readJSON(ctx, feedHeadKey, &h)
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, record.ErrCorrupt) || (err == nil && h.V < feedHeadV) {
			return errLeft
		}
		if err != nil {
			return err
		}
		if !h.change(st, was) {
			return errLeft
		}
		err = s.putJSON(ctx, feedHeadKey, h, store.PutOptions{IfMatch: etag})
		if errors.Is(err, store.ErrPrecondition) || errors.Is(err, store.ErrNotFound) {
			return record.Conflict(err)
		}
		return err
	})
	if err != nil && err != errLeft {
		// The feed then misses or keeps this story until reindex
		// rebuilds the head; drop it so the next read rebuilds it.
		s.log.Warn("story feed head not kept; dropping it", "story", st.ID, "err", err)
		if derr := s.store.Delete(ctx, feedHeadKey); derr != nil && !errors.Is(derr, store.ErrNotFound) {
			s.log.Error("story feed head not dropped", "err", derr)
		}
	}
}

// readFeedHead reads the head, building it from the index when missing.
func (s *Service) readFeedHead(ctx context.Context) (feedHead, error) {
	var h feedHead
	_, err := s.readJSON(ctx, feedHeadKey, &h)
	if err == nil && h.V >= feedHeadV {
		return h, nil
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, record.ErrCorrupt) {
		return feedHead{}, fmt.Errorf("story feed head: %w", err)
	}
	res, err := s.index.Search(ctx, index.Query{Kind: Kind, Sort: index.SortNewest, Limit: feedHeadSize})
	if err != nil {
		return feedHead{}, fmt.Errorf("story feed head: %w", err)
	}
	h = feedHead{V: feedHeadV, Total: res.Total, Stories: make([]headEntry, 0, len(res.Hits))}
	for _, hit := range res.Hits {
		if id, ok := strings.CutPrefix(hit.Doc.ID, Kind+"_"); ok && ValidID(id) {
			h.Stories = append(h.Stories, headEntry{ID: id, Created: hit.Doc.Date.UTC()})
		}
	}
	// Create-once: a head a concurrent write kept wins.
	if err := s.putJSON(ctx, feedHeadKey, h, store.PutOptions{IfNoneMatch: true}); err != nil && !errors.Is(err, store.ErrPrecondition) {
		s.log.Warn("story feed head not saved", "err", err)
	}
	return h, nil
}

// headCollector gathers the visible stories during reindex.
type headCollector struct {
	mu sync.Mutex
	h  feedHead
}

func (c *headCollector) add(st *Story) {
	if !st.Visible() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.h.Total++
	c.h.Stories = append(c.h.Stories, headEntry{ID: st.ID, Created: st.Created})
}

// save writes the head built from the records.
func (c *headCollector) save(ctx context.Context, s *Service) error {
	h := c.h
	h.V = feedHeadV
	slices.SortFunc(h.Stories, newerFirst)
	if len(h.Stories) > feedHeadSize {
		h.Stories = h.Stories[:feedHeadSize]
	}
	if h.Stories == nil {
		h.Stories = []headEntry{}
	}
	if err := s.putJSON(ctx, feedHeadKey, h, store.PutOptions{}); err != nil {
		return fmt.Errorf("story feed head: %w", err)
	}
	return nil
}
