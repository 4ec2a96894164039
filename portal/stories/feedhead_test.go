package stories

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/store"
)

// searchCounter counts the index queries of a Service.
type searchCounter struct {
	index.Index
	n atomic.Int64
}

func (c *searchCounter) Search(ctx context.Context, q index.Query) (index.Result, error) {
	c.n.Add(1)
	return c.Index.Search(ctx, q)
}

// TestFeedHeadAgreesWithIndex: the untagged feed's first pages come from
// the feed head without an index query, and every page (from the head or
// the index) lists what the index lists, with the index's total, through
// creates, hides, deletes, restores, a lost head and a reindex; pages
// beyond the head still come from the index.
func TestFeedHeadAgreesWithIndex(t *testing.T) {
	disk, err := store.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	base, ix := newService(t, disk)
	sc := &searchCounter{Index: ix}
	clock := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	s := New(disk, sc, base.log, Options{Now: func() time.Time {
		clock = clock.Add(time.Second) // distinct creation times; ties are ordered by ID
		return clock
	}})
	ctx := context.Background()
	var sts []*Story
	for i := range feedHeadSize + 25 {
		sts = append(sts, create(t, s, alice, fmt.Sprintf("第%d条 #活动%d", i, i%3), 0))
	}
	fromIndex := func(offset int) ([]string, int) {
		res, err := ix.Search(ctx, index.Query{Kind: Kind, Sort: index.SortNewest, Offset: offset, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, h := range res.Hits {
			ids = append(ids, strings.TrimPrefix(h.Doc.ID, Kind+"_"))
		}
		return ids, res.Total
	}
	check := func(when string) {
		t.Helper()
		for offset := 0; offset <= feedHeadSize+30; offset += 10 {
			before := sc.n.Load()
			p, err := s.FeedFor(ctx, "", bob.ID, offset, 10)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, st := range p.Stories {
				got = append(got, st.ID)
			}
			want, total := fromIndex(offset)
			if !slices.Equal(got, want) || p.Total != total {
				t.Errorf("%s: offset %d: feed %v (total %d), index %v (total %d)", when, offset, got, p.Total, want, total)
			}
			if queried := sc.n.Load() > before; offset+10 <= feedHeadSize-10 && queried {
				t.Errorf("%s: offset %d asked the index", when, offset)
			}
		}
	}
	// Build the head (from the index), then it is kept by the writes.
	if _, err := s.FeedFor(ctx, "", "", 0, 10); err != nil {
		t.Fatal(err)
	}
	check("created")
	newest := len(sts) - 1
	if _, err := s.Moderate(ctx, sts[newest].ID, ActHide, "dev:mod", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Delete(ctx, sts[newest-3].ID, alice.ID); err != nil {
		t.Fatal(err)
	}
	for i := range 5 { // hidden inside the head: it gets shorter
		if _, err := s.Moderate(ctx, sts[newest-10-i].ID, ActHide, "dev:mod", ""); err != nil {
			t.Fatal(err)
		}
	}
	check("hidden and deleted")
	if _, err := s.Moderate(ctx, sts[newest].ID, ActRestore, "dev:mod", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Restore(ctx, sts[newest-3].ID, alice.ID); err != nil {
		t.Fatal(err)
	}
	// An old story shown again, older than the head: the index lists it.
	if _, err := s.Moderate(ctx, sts[0].ID, ActHide, "dev:mod", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Moderate(ctx, sts[0].ID, ActRestore, "dev:mod", ""); err != nil {
		t.Fatal(err)
	}
	create(t, s, bob, "最新的一条", 0)
	check("restored and one more")
	if err := disk.Delete(ctx, feedHeadKey); err != nil {
		t.Fatal(err)
	}
	before := sc.n.Load()
	if _, err := s.FeedFor(ctx, "", "", 0, 10); err != nil || sc.n.Load() != before+1 { // rebuilt from the index
		t.Fatalf("head lost: %v, %d index queries", err, sc.n.Load()-before)
	}
	check("head lost")
	if _, err := s.Reindex(ctx, nil); err != nil {
		t.Fatal(err)
	}
	var h feedHead
	if _, err := s.readJSON(ctx, feedHeadKey, &h); err != nil || len(h.Stories) != feedHeadSize {
		t.Errorf("reindex: head of %d stories, %v", len(h.Stories), err)
	}
	check("after reindex")
	// A tag's feed is the index's.
	before = sc.n.Load()
	if p, err := s.FeedFor(ctx, "活动1", "", 0, 10); err != nil || len(p.Stories) != 10 || sc.n.Load() == before {
		t.Errorf("tag feed: %d stories, %v, index asked %v", len(p.Stories), err, sc.n.Load() > before)
	}
}
