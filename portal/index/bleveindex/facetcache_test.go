package bleveindex

import (
	"fmt"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/internal/gen"
)

// facetsByRequest is how the window's facets were counted before the
// cache: a facet request over a query for exactly ids.
func facetsByRequest(t *testing.T, x *Index, ids []string) map[string][]index.FacetCount {
	t.Helper()
	req := bleve.NewSearchRequestOptions(query.NewDocIDQuery(ids), 0, 0, false)
	req.Score = "none"
	addFacets(req)
	res, err := x.idx.SearchInContext(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	return facetMap(res.Facets)
}

// TestFacetCacheSameFacets checks that the facets counted from the cached
// per-document values are those bleve's facet request counts, cold and
// warm, over several segments, and after updates that move documents to
// another department and tags, deletes (of cached and unknown ids) and a
// reset: a stale cached value would count the old department.
func TestFacetCacheSameFacets(t *testing.T) {
	x := open(t, filepath.Join(t.TempDir(), "index.bleve"))
	ctx := t.Context()
	packs := gen.Corpus(5, 240)
	doc := func(i int, dept string, tags []string) index.Doc {
		p := packs[i]
		return index.Doc{ID: "pack_" + p.Slug, Kind: []string{"pack", "story", "file"}[i%3], Title: p.Title,
			Body: "正文", Department: dept, Tags: tags, URL: "/packs/" + p.Slug}
	}
	var all []string
	for chunk := 0; chunk < 4; chunk++ { // one segment (at least) per batch
		var docs []index.Doc
		for i := chunk * 60; i < (chunk+1)*60; i++ {
			dept := packs[i].Department
			if i%7 == 0 {
				dept = "" // no department
			}
			docs = append(docs, doc(i, dept, packs[i].Tags))
			all = append(all, docs[len(docs)-1].ID)
		}
		if err := x.Upsert(ctx, docs...); err != nil {
			t.Fatal(err)
		}
	}
	sets := map[string][]string{"all": all, "some": append(append([]string{}, all[10:90]...), "pack_unknown", all[200]), "one": all[3:4]}
	check := func(step string) {
		t.Helper()
		for name, ids := range sets {
			want := facetsByRequest(t, x, ids)
			for pass := range 2 { // cold (after a write), then from the cache
				got, err := x.facetsOf(ids)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("%s, %s, pass %d:\ngot  %v\nwant %v", step, name, pass, got, want)
				}
			}
		}
	}
	segments(t, x)
	check("first")
	if len(x.facets.docs) == 0 {
		t.Fatal("nothing cached")
	}
	var moved []index.Doc
	for i := 0; i < 240; i += 5 {
		moved = append(moved, doc(i, fmt.Sprintf("新部门%d", i%3), []string{"新标签", packs[i].Title}))
	}
	if err := x.Upsert(ctx, moved...); err != nil {
		t.Fatal(err)
	}
	check("after upsert")
	if err := x.Delete(ctx, all[10], all[11], all[200], "pack_never"); err != nil {
		t.Fatal(err)
	}
	check("after delete")
	if err := x.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if len(x.facets.docs) != 0 {
		t.Fatalf("reset kept %d cached documents", len(x.facets.docs))
	}
	check("after reset")
	if err := x.Upsert(ctx, doc(3, "回来的部门", []string{"回来"})); err != nil {
		t.Fatal(err)
	}
	check("after reset and upsert")
}

// TestFacetCacheDropsStaleRead checks that values read at a generation a
// write has moved past are not stored.
func TestFacetCacheDropsStaleRead(t *testing.T) {
	c := newFacetCache(10)
	gen := c.generation()
	c.forget([]string{"b"})
	c.put(gen, []string{"a"}, []docFacets{{departments: []string{"旧"}}})
	if len(c.docs) != 0 {
		t.Fatalf("stale read stored: %v", c.docs)
	}
	c.put(c.generation(), []string{"a"}, []docFacets{{departments: []string{"新"}}})
	if f, ok := c.docs["a"]; !ok || f.departments[0] != "新" {
		t.Fatalf("fresh read not stored: %v", c.docs)
	}
}

// segments fails the test unless x's snapshot has several segments (so
// that internal ids are offset by the segments before).
func segments(t *testing.T, x *Index) {
	t.Helper()
	adv, err := x.idx.Advanced()
	if err != nil {
		t.Fatal(err)
	}
	r, err := adv.Reader()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	snap, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		t.Fatalf("reader is %T, not a scorch snapshot", r)
	}
	if n := len(snap.Segments()); n < 2 {
		t.Fatalf("%d segment(s): the test needs several", n)
	}
}

// TestFacetCacheConcurrentWrites runs searches with facets while documents
// move between departments (for the race detector): once the writes stop,
// the cached values must be the index's. The interleaving that would
// store a stale value is rare here; TestFacetCacheDropsStaleRead checks
// the rule that prevents it.
func TestFacetCacheConcurrentWrites(t *testing.T) {
	x := open(t, filepath.Join(t.TempDir(), "index.bleve"))
	ctx := t.Context()
	doc := func(i, round int) index.Doc {
		return index.Doc{ID: fmt.Sprintf("pack_%03d", i), Kind: "pack", Title: "差旅报销", Body: "差旅报销的流程",
			Department: fmt.Sprintf("部门%d", (i+round)%5), URL: fmt.Sprintf("/packs/%03d", i)}
	}
	var docs []index.Doc
	var ids []string
	for i := range 60 {
		docs = append(docs, doc(i, 0))
		ids = append(ids, docs[i].ID)
	}
	if err := x.Upsert(ctx, docs...); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			for {
				select {
				case <-done:
					errs <- nil
					return
				default:
				}
				if _, err := x.Search(ctx, index.Query{Text: "差旅报销", Limit: 10, Facets: true}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for round := 1; round <= 20; round++ {
		var moved []index.Doc
		for i := round % 3; i < 60; i += 3 {
			moved = append(moved, doc(i, round))
		}
		if err := x.Upsert(ctx, moved...); err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	want := facetsByRequest(t, x, ids)
	got, err := x.facetsOf(ids)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("after concurrent writes:\ngot  %v\nwant %v", got, want)
	}
}
