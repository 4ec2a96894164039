package packs

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"testing/fstest"

	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/internal/gen"
	"github.com/jinnang/jinnang/portal/store/record"
)

// TestImportBatchedMatchesPerPackSaves imports a few hundred generated packs
// through ImportFS (parallel parsing and storing, several index batches)
// and saves the same packs one by one as the editor does: every pack must
// be searchable, and both indexes must answer queries with the same hits.
func TestImportBatchedMatchesPerPackSaves(t *testing.T) {
	old := importBatch
	importBatch = 64
	t.Cleanup(func() { importBatch = old })
	const n = 200
	corpus := gen.Corpus(7, n)
	fsys := fstest.MapFS{}
	for _, p := range corpus {
		fsys[p.Slug+".md"] = &fstest.MapFile{Data: p.Markdown()}
	}
	ctx := context.Background()

	batched, _, _ := newService(t)
	var last [2]int
	got, err := batched.ImportFS(ctx, fsys, ".", func(done, total int) { last = [2]int{done, total} })
	if err != nil || got != n {
		t.Fatalf("ImportFS = %d, %v; want %d", got, err, n)
	}
	if last != [2]int{n, n} {
		t.Errorf("last progress = %v, want %d of %d", last, n, n)
	}
	single, _, _ := newService(t)
	for _, p := range corpus {
		if _, err := single.Save(ctx, p.Slug, p.Markdown(), ""); err != nil {
			t.Fatal(err)
		}
	}

	all, err := batched.Search(ctx, index.Query{Limit: 1})
	if err != nil || all.Total != n {
		t.Fatalf("batched index lists %d packs (%v), want %d", all.Total, err, n)
	}
	for i, p := range corpus {
		res, err := batched.Search(ctx, index.Query{Text: p.Title, Limit: n})
		if err != nil {
			t.Fatal(err)
		}
		if !hasID(res, docID(p.Slug)) {
			t.Errorf("pack %s not found by its title %q", p.Slug, p.Title)
		}
		if i%25 != 0 {
			continue
		}
		for _, q := range []string{p.Title, p.Tags[0], p.Department + " " + p.Tags[1]} {
			a, err := batched.Search(ctx, index.Query{Text: q, Limit: n})
			if err != nil {
				t.Fatal(err)
			}
			b, err := single.Search(ctx, index.Query{Text: q, Limit: n})
			if err != nil {
				t.Fatal(err)
			}
			if a.Total == 0 {
				t.Errorf("query %q: no hits", q)
			}
			if ha, hb := hitIDs(a), hitIDs(b); ha != hb || a.Total != b.Total {
				t.Errorf("query %q: batched import hits %v, per-pack saves %v", q, ha, hb)
			}
		}
	}
}

func hasID(res index.Result, id string) bool {
	for _, h := range res.Hits {
		if h.Doc.ID == id {
			return true
		}
	}
	return false
}

// hitIDs is the set of ids the hits name, sorted. Scores are not compared:
// bleve's BM25 figures depend on how the documents were cut into segments
// (one per write), which a batched import changes, not which documents match.
func hitIDs(res index.Result) string {
	ids := make([]string, 0, len(res.Hits))
	for _, h := range res.Hits {
		ids = append(ids, h.Doc.ID)
	}
	slices.Sort(ids)
	return fmt.Sprint(ids)
}

// TestImportMakesHistoryAndLedgers checks that imported packs have their
// records at once (version 1, 导入 in the history, listed in their
// department's ledger), so that nothing is left to backfill at the next
// start, and that importing again keeps the records.
func TestImportMakesHistoryAndLedgers(t *testing.T) {
	const n = 60
	corpus := gen.Corpus(9, n)
	fsys := fstest.MapFS{}
	perDept := map[string]int{}
	for _, p := range corpus {
		fsys[p.Slug+".md"] = &fstest.MapFile{Data: p.Markdown()}
		perDept[p.Department]++
	}
	ctx := context.Background()
	s, _, _ := newService(t)
	if got, err := s.ImportFS(ctx, fsys, ".", nil); err != nil || got != n {
		t.Fatalf("ImportFS = %d, %v", got, err)
	}
	ids := map[string]string{}
	for _, p := range corpus {
		vp, err := s.History(ctx, p.Slug, 1)
		if err != nil || vp.Meta.ID == "" || vp.Meta.Versions != 1 || len(vp.Entries) != 1 {
			t.Fatalf("history of imported %s: %v %+v", p.Slug, err, vp)
		}
		ids[p.Slug] = vp.Meta.ID
	}
	if n, err := s.Backfill(ctx); n != 0 || err != nil {
		t.Errorf("backfill after import made %d records (%v), want 0", n, err)
	}
	for dept, want := range perDept {
		var l ledger
		if _, err := record.Read(ctx, s.store, deptLedgerKey(dept), &l, maxLedger); err != nil {
			t.Fatalf("ledger of %s: %v", dept, err)
		}
		if len(l.Items) != want {
			t.Errorf("ledger of %s lists %d packs, want %d", dept, len(l.Items), want)
		}
	}
	if _, err := s.ImportFS(ctx, fsys, ".", nil); err != nil {
		t.Fatal(err)
	}
	for _, p := range corpus[:5] {
		if m, err := s.Info(ctx, p.Slug); err != nil || m.ID != ids[p.Slug] {
			t.Errorf("re-import replaced the record of %s: %v", p.Slug, err)
		}
	}
}
