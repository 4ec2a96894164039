package bleveindex

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/jinnang/jinnang/portal/index"
)

// TestNewestPageFromDateSpans checks that a newest-first list page read
// from a date span (newestPage) is the page the full sort gives, at every
// depth: docs on the same date, undated docs, docs dated ahead, other
// kinds, hidden docs and tags mixed in, and pages only the full sort holds.
func TestNewestPageFromDateSpans(t *testing.T) {
	x := open(t, "")
	now := time.Now().UTC()
	var docs []index.Doc
	for i := range 900 {
		d := index.Doc{ID: fmt.Sprintf("story_%04d", i), Kind: "story", Title: fmt.Sprintf("故事 %d", i)}
		switch {
		case i%97 == 0: // undated: sorts after every dated doc
		case i%50 == 0: // a day ahead (clock skew of another process)
			d.Date = now.Add(24 * time.Hour)
		default:
			// Three docs a day going back about 300 days (busy at the
			// start, then quiet years), several on the same instant.
			back := time.Duration(i/3) * 8 * time.Hour
			if i > 600 {
				back = time.Duration(i) * 90 * time.Hour
			}
			d.Date = now.Add(-back).Truncate(time.Hour)
		}
		if i%7 == 0 {
			d.Tags = []string{"年会"}
		}
		if i%11 == 0 {
			d.Readers = []string{"dept:财务部"}
		}
		docs = append(docs, d)
	}
	for i := range 40 {
		docs = append(docs, index.Doc{ID: fmt.Sprintf("pack_%d", i), Kind: "pack", Title: "锦囊", Date: now.Add(-time.Duration(i) * time.Hour)})
	}
	if err := x.Upsert(t.Context(), docs...); err != nil {
		t.Fatal(err)
	}
	queries := []index.Query{
		{Kind: "story"},
		{Kind: "story", Tag: "年会"},
		{Kind: "story", Readers: []string{"dept:技术部"}},
		{},
	}
	ids := func(r index.Result) []string {
		out := make([]string, len(r.Hits))
		for i, h := range r.Hits {
			out[i] = h.Doc.ID
		}
		return out
	}
	defer func(n int) { newestSmall = n }(newestSmall)
	for _, q := range queries {
		q.Sort = index.SortNewest
		for _, off := range []int{0, 10, 190, 400, 600, 800, 880, 935} {
			q.Offset, q.Limit = off, 10
			newestSmall = 1 << 30
			full, err := x.Search(t.Context(), q)
			if err != nil {
				t.Fatal(err)
			}
			newestSmall = 20
			spans, err := x.Search(t.Context(), q)
			if err != nil {
				t.Fatal(err)
			}
			if spans.Total != full.Total || !slices.Equal(ids(spans), ids(full)) {
				t.Errorf("kind=%q tag=%q readers=%v offset %d: spans give %d %v, the full sort %d %v",
					q.Kind, q.Tag, q.Readers, off, spans.Total, ids(spans), full.Total, ids(full))
			}
		}
	}
	// Both paths were compared above: every page of dated docs comes from
	// a threshold, the last (it reaches the undated) from the full sort.
	newestSmall = 20
	kind := query.NewBooleanQuery([]query.Query{filterQuery(index.Query{Kind: "story"})}, nil, nil)
	for _, c := range []struct {
		offset int
		want   bool
	}{{0, true}, {190, true}, {880, true}, {885, false}} {
		_, _, ok, err := x.newestPage(t.Context(), kind, []string{"-" + fDate, "_id"}, []string{fMeta}, c.offset, 10)
		if err != nil || ok != c.want {
			t.Errorf("newestPage offset %d: from a span %v (%v), want %v", c.offset, ok, err, c.want)
		}
	}
}

// BenchmarkNewestDeepPage is page 20 of a feed of 50,000 stories written
// over two years, newest first: from date spans (newestPage) and from the
// full sort.
func BenchmarkNewestDeepPage(b *testing.B) {
	x := open(b, "")
	now := time.Now().UTC()
	for start := 0; start < 50000; start += 1000 {
		docs := make([]index.Doc, 0, 1000)
		for i := start; i < start+1000; i++ {
			docs = append(docs, index.Doc{ID: fmt.Sprintf("story_%05d", i), Kind: "story", Title: "故事",
				Date: now.Add(-time.Duration(i) * 21 * time.Minute)})
		}
		if err := x.Upsert(b.Context(), docs...); err != nil {
			b.Fatal(err)
		}
	}
	defer func(n int) { newestSmall = n }(newestSmall)
	for _, c := range []struct {
		name  string
		small int
	}{{"spans", 3000}, {"full-sort", 1 << 30}} {
		b.Run(c.name, func(b *testing.B) {
			newestSmall = c.small
			for b.Loop() {
				res, err := x.Search(b.Context(), index.Query{Kind: "story", Sort: index.SortNewest, Offset: 190, Limit: 10})
				if err != nil || len(res.Hits) != 10 || res.Total != 50000 {
					b.Fatalf("page: %d hits of %d, %v", len(res.Hits), res.Total, err)
				}
			}
		})
	}
}

// TestNewestPageWrittenAtOnce is the list a migration or a load generator
// writes: thousands of stories within one second, groups of them on the
// same nanosecond, and a block of them on one instant. Every depth must be
// the page the full sort gives (ties by id), whatever the clock says.
func TestNewestPageWrittenAtOnce(t *testing.T) {
	x := open(t, "")
	base := time.Now().UTC().Add(-40 * 24 * time.Hour).Truncate(time.Second)
	var docs []index.Doc
	for i := range 5000 {
		// ids out of date order, so ties by id are tested
		d := index.Doc{ID: fmt.Sprintf("story_%04d", (i*7919)%5000), Kind: "story", Title: "故事"}
		switch {
		case i < 1500: // one instant
			d.Date = base
		default: // within the second, seven to a nanosecond
			d.Date = base.Add(time.Duration(i/7) * 97 * time.Microsecond)
		}
		if i%3 == 0 {
			d.Tags = []string{"年会"}
		}
		docs = append(docs, d)
	}
	docs = append(docs, index.Doc{ID: "story_old", Kind: "story", Title: "旧", Date: base.Add(-5 * 365 * 24 * time.Hour)})
	if err := x.Upsert(t.Context(), docs...); err != nil {
		t.Fatal(err)
	}
	ids := func(r index.Result) []string {
		out := make([]string, len(r.Hits))
		for i, h := range r.Hits {
			out[i] = h.Doc.ID
		}
		return out
	}
	defer func(n int) { newestSmall = n }(newestSmall)
	compare := func(offsets ...int) {
		t.Helper()
		for _, q := range []index.Query{{Kind: "story"}, {Kind: "story", Tag: "年会"}} {
			q.Sort = index.SortNewest
			for _, off := range offsets {
				q.Offset, q.Limit = off, 10
				newestSmall = 1 << 30
				full, err := x.Search(t.Context(), q)
				if err != nil {
					t.Fatal(err)
				}
				for range 2 { // the second view starts from the first's hint
					newestSmall = 20
					got, err := x.Search(t.Context(), q)
					if err != nil {
						t.Fatal(err)
					}
					if got.Total != full.Total || !slices.Equal(ids(got), ids(full)) {
						t.Errorf("tag=%q offset %d: thresholds give %d %v, the full sort %d %v",
							q.Tag, off, got.Total, ids(got), full.Total, ids(full))
					}
				}
			}
		}
	}
	compare(0, 190, 1000, 3400, 3495, 3500, 3505, 4990, 4995)
	// After writes the remembered thresholds are stale: newer stories on
	// top, more inside the burst, some gone. Pages must still be exact.
	var more []index.Doc
	for i := range 400 {
		d := index.Doc{ID: fmt.Sprintf("story_new_%03d", i), Kind: "story", Title: "新", Tags: []string{"年会"},
			Date: base.Add(time.Duration(i) * 3 * time.Millisecond)}
		if i%2 == 0 {
			d.Date = base.Add(time.Duration(i) * time.Hour)
		}
		more = append(more, d)
	}
	if err := x.Upsert(t.Context(), more...); err != nil {
		t.Fatal(err)
	}
	if err := x.Delete(t.Context(), "story_0000", "story_0007", "story_4999"); err != nil {
		t.Fatal(err)
	}
	compare(0, 190, 1000, 3400, 3495, 3500, 3505, 4990, 5380)
}

// TestNewestThresholdBounded checks the threshold search on its own, over
// dates clustered in ways the clock does not predict: it always holds the
// page, holds at most the slack when distinct dates allow it, and stays
// within its counting budget.
func TestNewestThresholdBounded(t *testing.T) {
	now := time.Now().UnixNano()
	lists := map[string][]int64{}
	var steady, burst, burstOld, split []int64
	for i := range 50000 {
		steady = append(steady, now-int64(i)*int64(21*time.Minute))
		burst = append(burst, now-int64(i)*int64(3*time.Millisecond))
		burstOld = append(burstOld, now-int64(90*24*time.Hour)-int64(i)*17)
		if i%2 == 0 {
			split = append(split, now-int64(i))
		} else {
			split = append(split, now-int64(3*365*24*time.Hour)-int64(i)*int64(time.Second))
		}
	}
	lists["steady"], lists["burst"], lists["burst long ago"], lists["two bursts years apart"] = steady, burst, burstOld, split
	for name, dates := range lists {
		for _, need := range []int{10, 200, 1000, 30000, 50000} {
			for _, start := range []int64{0, now - int64(time.Hour), now + int64(time.Hour), dates[len(dates)/3]} {
				since := func(t int64) (int, error) {
					n := 0
					for _, d := range dates {
						if d >= t {
							n++
						}
					}
					return n, nil
				}
				counts := 0
				counted := func(t int64) (int, error) { counts++; return since(t) }
				slack := newestSlack(need)
				th, ok, err := newestThreshold(counted, need, slack, start, &counts)
				if err != nil || !ok {
					t.Fatalf("%s need %d: ok %v, %v", name, need, ok, err)
				}
				n, _ := since(th)
				if n < need || n > slack {
					t.Errorf("%s need %d start %d: threshold holds %d, want %d..%d (%d counts)", name, need, start-now, n, need, slack, counts)
				}
				if counts > newestCounts+1 {
					t.Errorf("%s need %d: %d counts, budget %d", name, need, counts, newestCounts)
				}
			}
		}
		if _, ok, _ := newestThreshold(func(t int64) (int, error) { return 0, nil }, 10, 20, 0, new(int)); ok {
			t.Errorf("an empty list gave a threshold")
		}
	}
}
