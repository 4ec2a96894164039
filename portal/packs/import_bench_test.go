package packs

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/index/bleveindex"
	"github.com/jinnang/jinnang/portal/internal/gen"
	"github.com/jinnang/jinnang/portal/markdown"
	"github.com/jinnang/jinnang/portal/store"
)

// BenchmarkImport imports half of gen.CorpusSize packs (10,000 by default;
// JINNANG_BENCH_PACKS=2000 imports 1,000) from Markdown files into a disk
// store and an on-disk bleve index, as `jinnang import DIR` does. It reports
// packs per second and the process's peak RSS (run it alone, with -bench
// Import, for an RSS figure of the import only).
func BenchmarkImport(b *testing.B) {
	n := gen.CorpusSize(gen.DefaultCorpusSize) / 2
	fsys := fstest.MapFS{}
	for _, p := range gen.Corpus(2, n) {
		fsys[p.Slug+".md"] = &fstest.MapFile{Data: p.Markdown()}
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var took time.Duration
	for b.Loop() {
		dir := b.TempDir()
		st, err := store.NewDisk(filepath.Join(dir, "store"))
		if err != nil {
			b.Fatal(err)
		}
		ix, err := bleveindex.Open(filepath.Join(dir, "index.bleve"))
		if err != nil {
			b.Fatal(err)
		}
		s := New(st, ix, markdown.New(), log)
		start := time.Now()
		got, err := s.ImportFS(b.Context(), fsys, ".", nil)
		took += time.Since(start)
		if err != nil || got != n {
			b.Fatalf("ImportFS: %d of %d, %v", got, n, err)
		}
		if err := ix.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/took.Seconds(), "packs/s")
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "peak-RSS-MB")
	}
}

// BenchmarkReindex rebuilds the index of half of gen.CorpusSize packs from a
// disk store (as `jinnang reindex` does) and reports packs per second.
func BenchmarkReindex(b *testing.B) {
	n := gen.CorpusSize(gen.DefaultCorpusSize) / 2
	fsys := fstest.MapFS{}
	for _, p := range gen.Corpus(2, n) {
		fsys[p.Slug+".md"] = &fstest.MapFile{Data: p.Markdown()}
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir := b.TempDir()
	st, err := store.NewDisk(filepath.Join(dir, "store"))
	if err != nil {
		b.Fatal(err)
	}
	if got, err := New(st, noIndex{}, markdown.New(), log).ImportFS(b.Context(), fsys, ".", nil); err != nil || got != n {
		b.Fatalf("ImportFS: %d of %d, %v", got, n, err)
	}
	var took time.Duration
	for b.Loop() {
		ix, err := bleveindex.Open(filepath.Join(b.TempDir(), "index.bleve"))
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		got, err := New(st, ix, markdown.New(), log).Reindex(b.Context(), nil)
		took += time.Since(start)
		if err != nil || got != n {
			b.Fatalf("Reindex: %d of %d, %v", got, n, err)
		}
		if err := ix.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/took.Seconds(), "packs/s")
}

// noIndex takes writes and finds nothing (to fill a store fast).
type noIndex struct{ index.Index }

func (noIndex) Upsert(context.Context, ...index.Doc) error { return nil }
