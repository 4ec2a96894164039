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
	// Both paths were compared above: the first pages come from a span,
	// the deepest only from the full sort (docs older than every span).
	newestSmall = 20
	kind := query.NewBooleanQuery([]query.Query{filterQuery(index.Query{Kind: "story"})}, nil, nil)
	for _, c := range []struct {
		offset int
		want   bool
	}{{0, true}, {190, true}, {880, false}} {
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
