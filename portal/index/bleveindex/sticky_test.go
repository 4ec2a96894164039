package bleveindex

import (
	"fmt"
	"testing"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/jinnang/jinnang/portal/index"
)

// TestStickyConjunctionSameHits: a should-conjunction that runs out early
// (its rare terms are in the first documents only) gives the same matches
// and scores sticky as plain, in several batches (segments).
func TestStickyConjunctionSameHits(t *testing.T) {
	x := open(t, "")
	for batch := range 4 {
		var docs []index.Doc
		for i := range 30 {
			n := batch*30 + i
			body := "年假 规定"
			if n%7 == 0 && n < 40 {
				body += " 怎么算"
			}
			if n%3 == 0 {
				body += " 怎么"
			}
			docs = append(docs, index.Doc{ID: fmt.Sprintf("d%03d", n), Kind: "pack", Title: fmt.Sprintf("第%d条", n), Body: body})
		}
		if err := x.Upsert(t.Context(), docs...); err != nil {
			t.Fatal(err)
		}
	}
	run := func(sticky bool) map[string]float64 {
		conj := query.NewConjunctionQuery([]query.Query{term(fBody, "怎么", 1), term(fBody, "么算", 1)})
		conj.SetBoost(2)
		var should query.Query = conj
		if sticky {
			should = stickyConjunction{conj}
		}
		bq := query.NewBooleanQuery([]query.Query{query.NewDisjunctionQuery([]query.Query{term(fBody, "年假", 1)})}, []query.Query{should}, nil)
		req := bleve.NewSearchRequestOptions(bq, 1000, 0, false)
		res, err := x.idx.Search(req)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]float64{}
		for _, h := range res.Hits {
			out[h.ID] = h.Score
		}
		return out
	}
	plain, sticky := run(false), run(true)
	if len(plain) != 120 {
		t.Fatalf("plain conjunction: %d matches, want 120", len(plain))
	}
	boosted := 0
	for id, s := range plain {
		if sticky[id] != s {
			t.Errorf("%s: sticky score %v, plain %v", id, sticky[id], s)
		}
		if s > plain["d001"] {
			boosted++
		}
	}
	if len(sticky) != len(plain) || boosted == 0 {
		t.Errorf("sticky %d matches, plain %d, %d boosted by the conjunction", len(sticky), len(plain), boosted)
	}
}
