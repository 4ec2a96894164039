package packs

import (
	"context"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"

	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/index/bleveindex"
	"github.com/jinnang/jinnang/portal/markdown"
	"github.com/jinnang/jinnang/portal/store"
)

// countingIndex records the size of every Upsert (with Meilisearch, one
// Upsert of up to 500 documents is one indexing task).
type countingIndex struct {
	index.Index
	mu      sync.Mutex
	upserts []int
}

func (c *countingIndex) Upsert(ctx context.Context, docs ...index.Doc) error {
	c.mu.Lock()
	c.upserts = append(c.upserts, len(docs))
	c.mu.Unlock()
	return c.Index.Upsert(ctx, docs...)
}

// TestSeedIsOneIndexWrite: the first-start seed (content/packs, 20 packs)
// and a reindex of it are one index write each, not one per pack, and
// their progress ends at 20/20.
func TestSeedIsOneIndexWrite(t *testing.T) {
	st, err := store.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	bi, err := bleveindex.Open("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bi.Close() })
	ix := &countingIndex{Index: bi}
	s := New(st, ix, markdown.New(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := t.Context()
	var last [2]int
	n, err := s.ImportFS(ctx, os.DirFS("../../content"), "packs", func(done, total int) { last = [2]int{done, total} })
	if err != nil || n != 20 {
		t.Fatalf("ImportFS = %d, %v; want the 20 sample packs", n, err)
	}
	if len(ix.upserts) != 1 || ix.upserts[0] != 20 || last != [2]int{20, 20} {
		t.Errorf("seed: upserts %v, last progress %v; want one upsert of 20 and 20/20", ix.upserts, last)
	}
	ix.upserts, last = nil, [2]int{}
	if n, err := s.Reindex(ctx, func(done, total int) { last = [2]int{done, total} }); err != nil || n != 20 {
		t.Fatalf("Reindex = %d, %v", n, err)
	}
	if len(ix.upserts) != 1 || ix.upserts[0] != 20 || last != [2]int{20, 20} {
		t.Errorf("reindex: upserts %v, last progress %v; want one upsert of 20 and 20/20", ix.upserts, last)
	}
}
