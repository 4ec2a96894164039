package index_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/index/bleveindex"
)

func TestRebuild(t *testing.T) {
	ctx := context.Background()
	ix, err := bleveindex.Open("")
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	docID := func(id string) string { return "thing_" + id }
	doc := func(id string) index.Doc {
		return index.Doc{ID: docID(id), Kind: "thing", Title: "标题 " + id, URL: "/things/" + id}
	}
	// Already indexed: broken (will fail to load), hidden (loads as not-ok),
	// gone (no record any more), and a document of another kind.
	if err := ix.Upsert(ctx, doc("broken"), doc("hidden"), doc("gone"),
		index.Doc{ID: "other_1", Kind: "other", Title: "别的"}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range 250 { // more than one batch
		ids = append(ids, fmt.Sprintf("n%03d", i))
	}
	ids = append(ids, "broken", "hidden")
	bad := errors.New("unreadable")
	var last [2]int
	n, err := index.Rebuild(ctx, ix, "thing", ids, docID, func(_ context.Context, id string) (index.Doc, bool, error) {
		switch id {
		case "broken":
			return index.Doc{}, false, bad
		case "hidden":
			return doc(id), false, nil
		}
		return doc(id), true, nil
	}, func(done, total int) { last = [2]int{done, total} })
	if !errors.Is(err, bad) || n != 250 || last != [2]int{252, 252} {
		t.Fatalf("Rebuild = %d, %v, progress %v; want 250, the load error, 252/252", n, err, last)
	}
	has := func(kind, id string) bool {
		res, err := ix.Search(ctx, index.Query{Kind: kind, Limit: index.MaxLimit})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range res.Hits {
			if h.Doc.ID == id {
				return true
			}
		}
		return false
	}
	for id, want := range map[string]bool{"n000": true, "n249": true, "broken": true, "hidden": false, "gone": false} {
		if got := has("thing", docID(id)); got != want {
			t.Errorf("%s indexed = %v, want %v", id, got, want)
		}
	}
	if !has("other", "other_1") {
		t.Error("Rebuild of one kind removed a document of another kind")
	}
}
