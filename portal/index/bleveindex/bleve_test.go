package bleveindex

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/index/indextest"
)

func open(t testing.TB, path string) *Index {
	t.Helper()
	x, err := Open(path)
	if err != nil {
		t.Fatalf("Open(%q): %v", path, err)
	}
	t.Cleanup(func() {
		if err := x.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return x
}

func TestContractInMemory(t *testing.T) {
	indextest.Run(t, func(t *testing.T) index.Index { return open(t, "") })
}

func TestContractOnDisk(t *testing.T) {
	indextest.Run(t, func(t *testing.T) index.Index {
		return open(t, filepath.Join(t.TempDir(), "search.bleve"))
	})
}

// TestReopen checks that an on-disk index keeps its documents and its
// analysis (Chinese bigrams) across Close and Open.
func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "search.bleve")
	x, err := Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := x.Upsert(t.Context(), indextest.Corpus()...); err != nil {
		t.Fatalf("Upsert: %v", err)
	}
	if err := x.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	y := open(t, path)
	res, err := y.Search(t.Context(), index.Query{Text: "工作日"})
	if err != nil {
		t.Fatalf("Search: %v", err)
	}
	if res.Total != 2 {
		t.Fatalf("after reopen 工作日 Total=%d, want 2", res.Total)
	}
}

func TestPunctuationOnlyQuery(t *testing.T) {
	x := open(t, "")
	if err := x.Upsert(t.Context(), indextest.Corpus()...); err != nil {
		t.Fatalf("Upsert: %v", err)
	}
	res, err := x.Search(t.Context(), index.Query{Text: "，。！？"})
	if err != nil {
		t.Fatalf("Search: %v", err)
	}
	if res.Total != 0 || len(res.Hits) != 0 {
		t.Fatalf("punctuation query: Total=%d hits=%d, want none", res.Total, len(res.Hits))
	}
}

func TestZeroDateSortsLast(t *testing.T) {
	x := open(t, "")
	docs := []index.Doc{
		{ID: "undated", Kind: "pack", Title: "无日期的锦囊"},
		{ID: "dated", Kind: "pack", Title: "有日期的锦囊", Date: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	if err := x.Upsert(t.Context(), docs...); err != nil {
		t.Fatalf("Upsert: %v", err)
	}
	res, err := x.Search(t.Context(), index.Query{Sort: index.SortNewest})
	if err != nil {
		t.Fatalf("Search: %v", err)
	}
	if len(res.Hits) != 2 || res.Hits[0].Doc.ID != "dated" || !res.Hits[1].Doc.Date.IsZero() {
		t.Fatalf("hits %+v, want dated then undated with zero Date", res.Hits)
	}
}

// BenchmarkBleveSearch searches ~1000 generated Chinese documents.
func BenchmarkBleveSearch(b *testing.B) {
	x := open(b, "")
	words := []string{"报销", "入职", "年假", "发票", "差旅", "培训", "绩效", "门禁", "会议室", "加班", "社保", "公积金"}
	depts := []string{"人力资源部", "财务部", "技术部", "行政部"}
	var docs []index.Doc
	for i := range 1000 {
		w1, w2 := words[i%len(words)], words[(i*7+3)%len(words)]
		docs = append(docs, index.Doc{
			ID:         fmt.Sprintf("doc-%04d", i),
			Kind:       "pack",
			Title:      fmt.Sprintf("%s与%s常见问题第%d篇", w1, w2, i),
			Summary:    fmt.Sprintf("关于%s的办理流程和注意事项。", w1),
			Body:       fmt.Sprintf("新员工在办理%s时，请先阅读制度说明，再在系统中提交%s申请。如有疑问请联系%s。Reference %d.", w1, w2, depts[i%len(depts)], i),
			Department: depts[i%len(depts)],
			Tags:       []string{w1, w2},
			Date:       time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Hour),
		})
	}
	ctx := b.Context()
	if err := x.Upsert(ctx, docs...); err != nil {
		b.Fatalf("Upsert: %v", err)
	}
	queries := []struct {
		name string
		q    index.Query
	}{
		{"word", index.Query{Text: "报销"}},
		{"two-words-facets", index.Query{Text: "公积金 申请", Facets: true}},
		{"word-filter", index.Query{Text: "制度", Department: "财务部"}},
		{"list-newest-facets", index.Query{Sort: index.SortNewest, Facets: true}},
	}
	for _, c := range queries {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := x.Search(ctx, c.q); err != nil {
					b.Fatalf("Search: %v", err)
				}
			}
		})
	}
}

// TestExactPhraseRanksHigher checks that the bigrams of "报销单" in order
// and adjacent outrank the same bigrams scattered through a document.
func TestExactPhraseRanksHigher(t *testing.T) {
	x := open(t, "")
	docs := []index.Doc{
		{ID: "scattered", Kind: "pack", Title: "常见问题", Body: "报销流程说明；另附销单操作手册。"},
		{ID: "exact", Kind: "pack", Title: "常见问题", Body: "请先填写报销单再提交。"},
	}
	if err := x.Upsert(t.Context(), docs...); err != nil {
		t.Fatalf("Upsert: %v", err)
	}
	res, err := x.Search(t.Context(), index.Query{Text: "报销单"})
	if err != nil {
		t.Fatalf("Search: %v", err)
	}
	if len(res.Hits) != 2 || res.Hits[0].Doc.ID != "exact" {
		var got []string
		for _, h := range res.Hits {
			got = append(got, fmt.Sprintf("%s(%.3f)", h.Doc.ID, h.Score))
		}
		t.Fatalf("order %v, want exact first of 2", got)
	}
}

func TestTruncateRunes(t *testing.T) {
	cases := []struct {
		in   string
		n    int
		want string
	}{
		{"报销单填写", 3, "报销单"},
		{"abc", 5, "abc"},
		{"abc", 0, ""},
		{"", 2, ""},
	}
	for _, c := range cases {
		if got := truncateRunes(c.in, c.n); got != c.want {
			t.Errorf("truncateRunes(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}

// TestConcurrentUse runs writers and readers together (meaningful under -race).
func TestConcurrentUse(t *testing.T) {
	x := open(t, "")
	ctx := t.Context()
	corpus := indextest.Corpus()
	errs := make(chan error, 8)
	for w := range 4 {
		go func() {
			for i := range 20 {
				d := corpus[(w+i)%len(corpus)]
				if err := x.Upsert(ctx, d); err != nil {
					errs <- err
					return
				}
				if _, err := x.Search(ctx, index.Query{Text: "报销", Facets: true}); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatalf("concurrent use: %v", err)
		}
	}
	res, err := x.Search(ctx, index.Query{})
	if err != nil {
		t.Fatalf("Search: %v", err)
	}
	if res.Total != len(corpus) {
		t.Fatalf("Total = %d, want %d (no duplicates)", res.Total, len(corpus))
	}
}

// TestRelevance runs the relevance benchmark on the seed content.
func TestRelevance(t *testing.T) {
	indextest.RunRelevance(t, func(t *testing.T) index.Index { return open(t, "") })
}
