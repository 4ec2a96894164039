package bleveindex

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/internal/gen"
)

// TestStoredFieldsSameAsSearch checks that the stored fields read straight
// from the segments are those a search for the ids with Fields returns,
// over several segments, after updates and deletes, with unknown ids.
func TestStoredFieldsSameAsSearch(t *testing.T) {
	x := open(t, filepath.Join(t.TempDir(), "index.bleve"))
	ctx := t.Context()
	packs := gen.Corpus(9, 120)
	doc := func(i int, title string) index.Doc {
		p := packs[i]
		return index.Doc{ID: "pack_" + p.Slug, Kind: "pack", Title: title, Summary: p.Summary,
			Body: string(p.Markdown()), Department: p.Department, Tags: p.Tags, URL: "/packs/" + p.Slug}
	}
	var ids []string
	for chunk := range 3 {
		var docs []index.Doc
		for i := chunk * 40; i < (chunk+1)*40; i++ {
			docs = append(docs, doc(i, packs[i].Title))
			ids = append(ids, docs[len(docs)-1].ID)
		}
		if err := x.Upsert(ctx, docs...); err != nil {
			t.Fatal(err)
		}
	}
	segments(t, x)
	if err := x.Upsert(ctx, doc(5, "改过的标题"), doc(85, "又改过的标题")); err != nil {
		t.Fatal(err)
	}
	if err := x.Delete(ctx, ids[7], ids[90]); err != nil {
		t.Fatal(err)
	}
	want := func(ids []string, fields []string) map[string]map[string]interface{} {
		req := bleve.NewSearchRequestOptions(query.NewDocIDQuery(ids), len(ids), 0, false)
		req.Score = "none"
		req.Fields = fields
		res, err := x.idx.SearchInContext(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]map[string]interface{}{}
		for _, h := range res.Hits {
			out[h.ID] = h.Fields
		}
		return out
	}
	for _, set := range [][]string{
		{ids[0], ids[5], ids[7], ids[50], ids[85], ids[90], ids[119], "pack_unknown"},
		ids,
		{ids[85]},
	} {
		for _, fields := range [][]string{{fMeta, fText}, {fMeta}} {
			got, err := x.storedFields(ctx, set, fields)
			if err != nil {
				t.Fatal(err)
			}
			if w := want(set, fields); !reflect.DeepEqual(got, w) {
				t.Fatalf("%d ids, fields %v: got %d docs, want %d (or the values differ)", len(set), fields, len(got), len(w))
			}
		}
	}
	got, err := x.storedFields(ctx, []string{ids[5]}, []string{fMeta})
	if err != nil {
		t.Fatal(err)
	}
	if meta, _ := got[ids[5]][fMeta].(string); !strings.Contains(meta, "改过的标题") {
		t.Fatalf("updated doc reads %q", meta)
	}
}
