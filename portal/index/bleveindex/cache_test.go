package bleveindex

import (
	"slices"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/index"
)

// TestWindowCacheFollowsWrites checks that a text query with facets asked
// again after each kind of write sees the write: the cached window of best
// matches and facets is never served for an index that has changed.
func TestWindowCacheFollowsWrites(t *testing.T) {
	x := open(t, "")
	ctx := t.Context()
	pack := func(id, dept string) index.Doc {
		return index.Doc{ID: id, Kind: "pack", Title: "差旅报销", Body: "差旅报销的流程", Department: dept, URL: "/packs/" + id}
	}
	if err := x.Upsert(ctx, pack("a", "财务部")); err != nil {
		t.Fatal(err)
	}
	q := index.Query{Text: "差旅报销", Limit: 10, Facets: true}
	check := func(step string, ids []string, depts []string) {
		t.Helper()
		for range 2 { // the second answer comes from the cache
			res, err := x.Search(ctx, q)
			if err != nil {
				t.Fatalf("%s: Search: %v", step, err)
			}
			var got, gotDepts []string
			for _, h := range res.Hits {
				got = append(got, h.Doc.ID)
			}
			for _, fc := range res.Facets["department"] {
				gotDepts = append(gotDepts, fc.Value)
			}
			slices.Sort(got)
			slices.Sort(gotDepts)
			if !slices.Equal(got, ids) || res.Total != len(ids) || !slices.Equal(gotDepts, depts) {
				t.Fatalf("%s: hits %v (total %d), departments %v; want %v, %v", step, got, res.Total, gotDepts, ids, depts)
			}
			// A caller may change its result without touching the cache's.
			res.Facets["department"] = nil
		}
	}
	check("first", []string{"a"}, []string{"财务部"})
	if err := x.Upsert(ctx, pack("b", "人事部")); err != nil {
		t.Fatal(err)
	}
	check("after upsert", []string{"a", "b"}, []string{"人事部", "财务部"})
	if err := x.Delete(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	check("after delete", []string{"b"}, []string{"人事部"})
	if err := x.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	check("after reset", nil, nil)
	if err := x.Upsert(ctx, index.Doc{ID: "c", Kind: "pack", Title: "出差", Body: "出差的流程", Department: "行政部", URL: "/packs/c"}); err != nil {
		t.Fatal(err)
	}
	if err := x.SetSynonyms(ctx, [][]string{{"差旅报销", "出差"}}); err != nil {
		t.Fatal(err)
	}
	check("after synonyms", []string{"c"}, []string{"行政部"})
}

// TestWindowCacheKeepsReadersApart checks that who asks, and on which day,
// is part of the cached window: an announcement for one department is not
// served to another from the cache, nor after it has expired.
func TestWindowCacheKeepsReadersApart(t *testing.T) {
	x := open(t, "")
	ctx := t.Context()
	day := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	if err := x.Upsert(ctx,
		index.Doc{ID: "open", Kind: "pack", Title: "年会安排", Body: "年会安排", URL: "/packs/open"},
		index.Doc{ID: "fin", Kind: "announce", Title: "年会安排 财务", Body: "年会安排", Readers: []string{"dept:财务部"}, Expires: day, URL: "/a/fin"},
	); err != nil {
		t.Fatal(err)
	}
	ask := func(readers []string, now time.Time) []string {
		t.Helper()
		var ids []string
		for range 2 {
			res, err := x.Search(ctx, index.Query{Text: "年会安排", Facets: true, Readers: readers, Now: now})
			if err != nil {
				t.Fatal(err)
			}
			ids = ids[:0]
			for _, h := range res.Hits {
				ids = append(ids, h.Doc.ID)
			}
			slices.Sort(ids)
		}
		return ids
	}
	if got := ask([]string{"dept:财务部"}, day); !slices.Equal(got, []string{"fin", "open"}) {
		t.Fatalf("财务部 on the last day: %v", got)
	}
	if got := ask([]string{"dept:人事部"}, day); !slices.Equal(got, []string{"open"}) {
		t.Fatalf("人事部: %v", got)
	}
	if got := ask([]string{"dept:财务部"}, day.AddDate(0, 0, 1)); !slices.Equal(got, []string{"open"}) {
		t.Fatalf("财务部 the day after: %v", got)
	}
}

// TestReadersNamingEveryone checks that a doc whose Readers name everyone
// (index.Everyone) among others is found by anyone, as one without Readers.
func TestReadersNamingEveryone(t *testing.T) {
	x := open(t, "")
	if err := x.Upsert(t.Context(), index.Doc{ID: "all", Kind: "announce", Title: "全员大会", Readers: []string{"dept:财务部", index.Everyone}, URL: "/a/all"}); err != nil {
		t.Fatal(err)
	}
	res, err := x.Search(t.Context(), index.Query{Text: "全员大会", Readers: []string{"dept:技术部"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != 1 {
		t.Fatalf("技术部 finds %d docs, want the one for everyone", res.Total)
	}
}
