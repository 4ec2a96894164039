package bleveindex

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/index/scorch/mergeplan"

	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/internal/gen"
	"github.com/jinnang/jinnang/portal/markdown"
)

// corpus is the on-disk index of the generated corpus, built once per test
// process and shared by the corpus benchmarks.
var corpus struct {
	once      sync.Once
	dir       string
	x         *Index
	packs     int
	bytes     int64 // Markdown bytes of the corpus
	buildTime time.Duration
	err       error
}

// corpusIndex builds the corpus index, or, with JINNANG_BENCH_INDEX=DIR,
// opens the index a portal built there (a copy: a changed mapping would
// rebuild it empty) so that repeated profiling runs skip the build.
func corpusIndex(b *testing.B) *Index {
	b.Helper()
	corpus.once.Do(func() {
		n := gen.CorpusSize(gen.DefaultCorpusSize)
		if dir := os.Getenv("JINNANG_BENCH_INDEX"); dir != "" {
			corpus.x, corpus.err = Open(dir)
			if corpus.err == nil {
				var count uint64
				count, corpus.err = corpus.x.idx.DocCount()
				corpus.packs, corpus.buildTime = int(count), time.Nanosecond
			}
			return
		}
		md := markdown.New()
		docs := make([]index.Doc, 0, n)
		for _, p := range gen.Corpus(1, n) {
			src := p.Markdown()
			corpus.bytes += int64(len(src))
			d, err := md.Parse(p.Slug+".md", src)
			if err != nil {
				corpus.err = err
				return
			}
			docs = append(docs, index.Doc{
				ID: "pack_" + p.Slug, Kind: "pack", Title: d.Meta.Title, Summary: d.Meta.Summary, Body: d.Text,
				Department: d.Meta.Department, Tags: d.Meta.Tags, Author: d.Meta.Author, Date: d.Meta.Date,
				URL: "/packs/" + p.Slug,
			})
		}
		corpus.dir, corpus.err = os.MkdirTemp("", "jinnang-bench-*")
		if corpus.err != nil {
			return
		}
		x, err := Open(filepath.Join(corpus.dir, "index.bleve"))
		if err != nil {
			corpus.err = err
			return
		}
		start := time.Now()
		for chunk := range slices.Chunk(docs, 500) {
			if err := x.Upsert(b.Context(), chunk...); err != nil {
				corpus.err = err
				return
			}
		}
		corpus.buildTime = time.Since(start)
		corpus.x, corpus.packs = x, n
		// Let the background merger finish, as it has on a server that
		// has been up a while, so it does not skew the latencies.
		corpus.err = settle(x.idx)
	})
	if corpus.err != nil {
		b.Fatalf("build corpus index: %v", corpus.err)
	}
	return corpus.x
}

// settle runs the default merge plan to its end.
func settle(bi bleve.Index) error {
	adv, err := bi.Advanced()
	if err != nil {
		return err
	}
	s, ok := adv.(*scorch.Scorch)
	if !ok {
		return nil
	}
	return s.ForceMerge(context.Background(), &mergeplan.DefaultMergePlanOptions)
}

func TestMain(m *testing.M) {
	code := m.Run()
	if corpus.x != nil {
		_ = corpus.x.Close()
	}
	if corpus.dir != "" {
		_ = os.RemoveAll(corpus.dir)
	}
	os.Exit(code)
}

// BenchmarkCorpusSearch runs the queries people type (gen.SearchQueries)
// against an on-disk index of gen.CorpusSize packs (20,000 by default; set
// JINNANG_BENCH_PACKS for a smaller run), the way the search page asks:
// relevance order, a page of 10, department and tag facets. It reports the
// latency percentiles, the time to build the index, its size on disk
// against the Markdown corpus, and the process's peak RSS.
func BenchmarkCorpusSearch(b *testing.B) {
	benchCorpusSearch(b, corpusIndex(b))
}

// BenchmarkCorpusSearchUncached is BenchmarkCorpusSearch with the window
// cache off: every search reads its best matches and facets from the
// index, as the first time a query is asked after a write.
func BenchmarkCorpusSearchUncached(b *testing.B) {
	x := corpusIndex(b)
	cached := x.windows
	x.windows = newWindowCache(0)
	defer func() { x.windows = cached }()
	benchCorpusSearch(b, x)
}

// BenchmarkCorpusSearchCold is BenchmarkCorpusSearchUncached with the
// per-document facet cache off too: every facet value is read from the
// index, as for documents no search has read since the index was opened
// or they were written.
func BenchmarkCorpusSearchCold(b *testing.B) {
	x := corpusIndex(b)
	windows, facets := x.windows, x.facets
	x.windows, x.facets = newWindowCache(0), newFacetCache(0)
	defer func() { x.windows, x.facets = windows, facets }()
	benchCorpusSearch(b, x)
}

func benchCorpusSearch(b *testing.B, x *Index) {
	ctx := b.Context()
	var lat []time.Duration
	i := 0
	now := time.Now()
	cpu := cpuTime()
	for b.Loop() {
		// As the search page asks for a signed-in employee: their
		// department's announcements and nothing expired.
		q := index.Query{Text: gen.SearchQueries[i%len(gen.SearchQueries)], Limit: 10, Facets: true,
			Readers: []string{"dept:财务部"}, Now: now}
		i++
		start := time.Now()
		if _, err := x.Search(ctx, q); err != nil {
			b.Fatalf("Search %q: %v", q.Text, err)
		}
		lat = append(lat, time.Since(start))
	}
	reportCPU(b, cpu, len(lat))
	reportLatency(b, lat)
	b.ReportMetric(float64(corpus.packs), "packs")
	b.ReportMetric(float64(corpus.packs)/corpus.buildTime.Seconds(), "index-packs/s")
	if corpus.bytes > 0 {
		b.ReportMetric(float64(dirSize(corpus.dir))/float64(corpus.bytes), "index/corpus")
	}
	b.ReportMetric(peakRSSMB(), "peak-RSS-MB")
}

// BenchmarkCorpusSearchEach is BenchmarkCorpusSearchUncached one query at
// a time (a sub-benchmark each), to see which queries cost the most.
func BenchmarkCorpusSearchEach(b *testing.B) {
	x := corpusIndex(b)
	cached := x.windows
	x.windows = newWindowCache(0)
	defer func() { x.windows = cached }()
	now := time.Now()
	for i, text := range gen.SearchQueries {
		b.Run(fmt.Sprintf("%02d", i), func(b *testing.B) {
			q := index.Query{Text: text, Limit: 10, Facets: true, Readers: []string{"dept:财务部"}, Now: now}
			var total int
			cpu := cpuTime()
			for b.Loop() {
				res, err := x.Search(b.Context(), q)
				if err != nil {
					b.Fatalf("Search %q: %v", q.Text, err)
				}
				total = res.Total
			}
			reportCPU(b, cpu, b.N)
			b.ReportMetric(float64(total), "matches")
		})
	}
}

// BenchmarkCorpusSearchOneChar is the worst case: one character that most
// packs contain.
func BenchmarkCorpusSearchOneChar(b *testing.B) {
	x := corpusIndex(b)
	cached := x.windows
	x.windows = newWindowCache(0) // five queries: the cache would answer all
	defer func() { x.windows = cached }()
	ctx := b.Context()
	var lat []time.Duration
	chars := []string{"报", "假", "会", "请", "的"}
	i := 0
	cpu := cpuTime()
	for b.Loop() {
		q := index.Query{Text: chars[i%len(chars)], Limit: 10, Facets: true}
		i++
		start := time.Now()
		if _, err := x.Search(ctx, q); err != nil {
			b.Fatalf("Search %q: %v", q.Text, err)
		}
		lat = append(lat, time.Since(start))
	}
	reportCPU(b, cpu, len(lat))
	reportLatency(b, lat)
}

// cpuTime is the CPU time this process has used. On a shared, loaded
// machine the CPU time per search is the steadier figure: wall-clock
// latencies include the time spent waiting for a core.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, since time.Duration, n int) {
	if n > 0 {
		b.ReportMetric(float64((cpuTime()-since).Microseconds())/1000/float64(n), "cpu-ms/op")
	}
}

func reportLatency(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.95), "p95-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

// peakRSSMB is the peak resident set size of this process in MiB.
func peakRSSMB() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Maxrss) / 1024 // Linux reports KiB
}
