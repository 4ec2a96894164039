package packs

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/index/bleveindex"
	"github.com/jinnang/jinnang/portal/markdown"
	"github.com/jinnang/jinnang/portal/store"
)

// flakyIndex fails writes while down is set, like a Meilisearch outage.
type flakyIndex struct {
	index.Index
	down atomic.Bool
}

func (f *flakyIndex) Upsert(ctx context.Context, docs ...index.Doc) error {
	if f.down.Load() {
		return errors.New("index unavailable")
	}
	return f.Index.Upsert(ctx, docs...)
}

func newService(t testing.TB) (*Service, store.Store, *flakyIndex) {
	t.Helper()
	st, err := store.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	bi, err := bleveindex.Open("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bi.Close() })
	ix := &flakyIndex{Index: bi}
	return New(st, ix, markdown.New(), slog.New(slog.NewTextHandler(io.Discard, nil))), st, ix
}

const packSrc = `---
title: 报销流程
summary: 从填单到到账
department: 财务部
tags: [报销]
date: 2026-03-18
---
## 第一步

出差回来后请在五个工作日内上传电子发票并提交报销单。
`

func TestSaveGetAndRenderCache(t *testing.T) {
	s, _, _ := newService(t)
	ctx := context.Background()
	p, err := s.Save(ctx, "expense", []byte(packSrc), "")
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, "expense")
	if err != nil {
		t.Fatal(err)
	}
	if got.Meta.Title != "报销流程" || !strings.Contains(string(got.HTML), "电子发票") || got.ETag != p.ETag {
		t.Fatalf("unexpected pack: %+v", got)
	}
	again, _ := s.Get(ctx, "expense")
	if again != got {
		t.Error("second view re-rendered instead of hitting the ETag cache")
	}
	if _, err := s.Create(ctx, "expense", []byte(packSrc)); !errors.Is(err, store.ErrPrecondition) {
		t.Errorf("Create over an existing pack: err = %v, want ErrPrecondition", err)
	}
	src, etag, err := s.Source(ctx, "expense")
	if err != nil || string(src) != packSrc || etag != p.ETag {
		t.Fatalf("Source = %q, %q, %v", src, etag, err)
	}
	// An update with the current ETag wins, a stale one loses.
	updated := strings.Replace(packSrc, "五个工作日", "十个工作日", 1)
	if _, err := s.Save(ctx, "expense", []byte(updated), p.ETag); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Save(ctx, "expense", []byte(packSrc), p.ETag); !errors.Is(err, store.ErrPrecondition) {
		t.Errorf("stale If-Match: err = %v, want ErrPrecondition", err)
	}
	got, _ = s.Get(ctx, "expense")
	if !strings.Contains(string(got.HTML), "十个工作日") {
		t.Error("Get served the old render after an update")
	}
	if _, err := s.Get(ctx, "missing"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing pack: err = %v", err)
	}
	if _, err := s.Get(ctx, "../etc/passwd"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("traversal slug: err = %v", err)
	}
	if _, err := s.Save(ctx, "Bad Slug", []byte(packSrc), ""); !errors.Is(err, ErrInvalidSlug) {
		t.Errorf("bad slug: err = %v", err)
	}
}

func TestImportSeedContentAndSearch(t *testing.T) {
	s, _, _ := newService(t)
	ctx := context.Background()
	var last [2]int
	n, err := s.ImportFS(ctx, os.DirFS("../../content"), "packs", func(done, total int) { last = [2]int{done, total} })
	if err != nil {
		t.Fatal(err)
	}
	if n < 15 || last[0] != n || last[1] != n {
		t.Fatalf("imported %d packs, progress %v; want ≥15 and complete progress", n, last)
	}
	for _, word := range []string{"电子发票", "工作日", "试用期", "值班表"} {
		res, err := s.Search(ctx, index.Query{Text: word, Facets: true})
		if err != nil {
			t.Fatal(err)
		}
		if res.Total == 0 {
			t.Errorf("seed search %q found nothing", word)
		}
	}
	all, err := s.Search(ctx, index.Query{Facets: true, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if all.Total != n || len(all.Facets["department"]) < 4 {
		t.Errorf("index holds %d packs (want %d) in %d departments (want ≥4)", all.Total, n, len(all.Facets["department"]))
	}
}

func TestImportReportsBadFileAndKeepsGoing(t *testing.T) {
	s, _, _ := newService(t)
	fsys := fstest.MapFS{
		"in/good.md":   {Data: []byte(packSrc)},
		"in/broken.md": {Data: []byte("---\ntitle: 坏的\ndate: 2026-13-45\n---\n正文\n")},
		"in/中文名.md":    {Data: []byte(packSrc)},
		"in/README.md": {Data: []byte("# not a pack")},
		"in/notes.txt": {Data: []byte("ignored")},
	}
	n, err := s.ImportFS(context.Background(), fsys, "in", nil)
	if n != 1 {
		t.Errorf("saved %d packs, want 1 (good.md)", n)
	}
	if err == nil {
		t.Fatal("want an error for broken.md and the non-ASCII file name")
	}
	msg := err.Error()
	for _, want := range []string{"in/broken.md:3", "in/中文名.md"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not name %q", msg, want)
		}
	}
}

func TestOutboxReplaysFailedIndexWrites(t *testing.T) {
	s, st, ix := newService(t)
	ctx := context.Background()
	ix.down.Store(true)
	if _, err := s.Save(ctx, "expense", []byte(packSrc), ""); err != nil {
		t.Fatalf("a failed index write must not fail the save: %v", err)
	}
	if _, err := st.Stat(ctx, outboxPrefix+"expense.json"); err != nil {
		t.Fatalf("no outbox record: %v", err)
	}
	if res, _ := s.Search(ctx, index.Query{Text: "电子发票"}); res.Total != 0 {
		t.Fatal("pack indexed although the index was down")
	}
	if _, err := s.ReplayOutbox(ctx); err == nil {
		t.Error("replay while the index is still down must report failure")
	}
	ix.down.Store(false)
	n, err := s.ReplayOutbox(ctx)
	if err != nil || n != 1 {
		t.Fatalf("replay: n=%d err=%v", n, err)
	}
	if res, _ := s.Search(ctx, index.Query{Text: "电子发票"}); res.Total != 1 {
		t.Errorf("after replay search found %d, want 1", res.Total)
	}
	if _, err := st.Stat(ctx, outboxPrefix+"expense.json"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("outbox record left behind: %v", err)
	}
}

func TestReindexRebuildsFromStore(t *testing.T) {
	s, _, ix := newService(t)
	ctx := context.Background()
	n, err := s.ImportFS(ctx, os.DirFS("../../content"), "packs", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if res, _ := s.Search(ctx, index.Query{}); res.Total != 0 {
		t.Fatalf("reset left %d docs", res.Total)
	}
	got, err := s.Reindex(ctx, nil)
	if err != nil || got != n {
		t.Fatalf("reindex: %d packs, err %v; want %d", got, err, n)
	}
	if res, _ := s.Search(ctx, index.Query{}); res.Total != n {
		t.Errorf("after reindex %d docs, want %d", res.Total, n)
	}
}

func TestReindexPrunesOnlyItsKind(t *testing.T) {
	s, st, ix := newService(t)
	ctx := context.Background()
	for _, slug := range []string{"keep", "gone"} {
		if _, err := s.Save(ctx, slug, []byte(packSrc), ""); err != nil {
			t.Fatal(err)
		}
	}
	other := index.Doc{ID: "file_x", Kind: "file", Title: "报销单模板", URL: "/files/x"}
	if err := ix.Upsert(ctx, other); err != nil {
		t.Fatal(err)
	}
	if err := st.Delete(ctx, Key("gone")); err != nil { // deleted behind the index's back
		t.Fatal(err)
	}
	if _, err := s.Reindex(ctx, nil); err != nil {
		t.Fatal(err)
	}
	packsLeft, _ := s.Search(ctx, index.Query{})
	if packsLeft.Total != 1 || packsLeft.Hits[0].Doc.ID != docID("keep") {
		t.Errorf("packs in the index after reindex: %+v", packsLeft.Hits)
	}
	files, _ := ix.Search(ctx, index.Query{Kind: "file"})
	if files.Total != 1 {
		t.Errorf("reindexing packs touched other kinds: %d file docs left", files.Total)
	}
}

func TestDailyPick(t *testing.T) {
	s, _, _ := newService(t)
	ctx := context.Background()
	if _, err := s.DailyPick(ctx, time.Now()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("empty store: err = %v, want ErrNotFound", err)
	}
	if _, err := s.ImportFS(ctx, os.DirFS("../../content"), "packs", nil); err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	first, err := s.DailyPick(ctx, day)
	if err != nil {
		t.Fatal(err)
	}
	later, _ := s.DailyPick(ctx, day.Add(10*time.Hour))
	if later.Doc.ID != first.Doc.ID {
		t.Error("the pick changed within one day")
	}
	seen := map[string]bool{}
	for i := range 30 {
		h, err := s.DailyPick(ctx, day.AddDate(0, 0, i))
		if err != nil {
			t.Fatal(err)
		}
		seen[h.Doc.ID] = true
	}
	if len(seen) < 5 {
		t.Errorf("30 days gave only %d different picks", len(seen))
	}
}

// BenchmarkSearchSeed measures a Chinese search with facets over the seed
// packs on the embedded index, as the search page runs it.
func BenchmarkSearchSeed(b *testing.B) {
	s, _, _ := newService(b)
	ctx := context.Background()
	if _, err := s.ImportFS(ctx, os.DirFS("../../content"), "packs", nil); err != nil {
		b.Fatal(err)
	}
	words := []string{"报销", "工作日", "值班表", "expense", "试用期转正"}

	for i := 0; b.Loop(); i++ {
		if _, err := s.Search(ctx, index.Query{Text: words[i%len(words)], Facets: true}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetCached measures a pack view once its render is cached.
func BenchmarkGetCached(b *testing.B) {
	s, _, _ := newService(b)
	ctx := context.Background()
	if _, err := s.Save(ctx, "expense", []byte(packSrc), ""); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.Get(ctx, "expense"); err != nil {
			b.Fatal(err)
		}
	}
}
