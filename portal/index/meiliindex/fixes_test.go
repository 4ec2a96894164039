package meiliindex

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/index/indextest"
)

func TestMarkupWords(t *testing.T) {
	cases := []struct{ in, want string }{
		{"有同事在评论里贴了 <script>alert('x')</script> 代码", "script alert x script"},
		{"安全提醒 <script>", "script"},
		{"set a=b then", "a b"},
		{"no markup here, 没有", ""},
	}
	for _, c := range cases {
		if got := MarkupWords(c.in); got != c.want {
			t.Errorf("MarkupWords(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if s := toStored(indextest.Corpus()[len(indextest.Corpus())-1]); !slices.Contains(strings.Fields(s.Words), "alert") {
		t.Errorf("xss-note words = %q", s.Words)
	}
}

// TestMarkupFoundWhateverTheSeparators is the contract case
// NoHTMLInterpreted against a server that splits words like the real run
// did (not at < > =, separatorTokens or not): alert still finds xss-note,
// with its raw title and a hit on alert in the snippet.
func TestMarkupFoundWhateverTheSeparators(t *testing.T) {
	f, x := newFake(t)
	f.mu.Lock()
	f.tokenize = true
	f.mu.Unlock()
	if err := x.Upsert(t.Context(), indextest.Corpus()...); err != nil {
		t.Fatalf("Upsert: %v", err)
	}
	res, err := x.Search(t.Context(), index.Query{Text: "alert"})
	if err != nil {
		t.Fatalf("Search: %v", err)
	}
	var got []string
	var hit *index.Hit
	for i, h := range res.Hits {
		got = append(got, h.Doc.ID)
		if h.Doc.ID == "xss-note" {
			hit = &res.Hits[i]
		}
	}
	if hit == nil {
		t.Fatalf("alert: xss-note not found in %v", got)
	}
	if hit.Doc.Title != "安全提醒 <script>" {
		t.Errorf("title = %q, want the raw text", hit.Doc.Title)
	}
	if !slices.Contains(hit.Snippet, index.Span{Text: "alert", Hit: true}) || !strings.Contains(join(hit.Snippet), "<script>") {
		t.Errorf("snippet = %+v", hit.Snippet)
	}
	// The words field is searched but never sent back.
	f.mu.Lock()
	settings := f.settings
	f.mu.Unlock()
	if !slices.Contains(strs(settings["searchableAttributes"]), attrWords) {
		t.Errorf("searchableAttributes lack %q: %v", attrWords, settings["searchableAttributes"])
	}
	req, _ := request(index.Query{Text: "alert"}, nil)
	if slices.Contains(req.AttributesToRetrieve, attrWords) {
		t.Errorf("retrieves %q", attrWords)
	}
}

// TestServerDownIsUnavailable: a Meilisearch that cannot be reached or
// answers 5xx gives index.ErrUnavailable (the web layer's 503), a bad
// request does not.
func TestServerDownIsUnavailable(t *testing.T) {
	f, x := newFake(t)
	ctx := t.Context()
	for _, status := range []int{http.StatusInternalServerError, http.StatusServiceUnavailable} {
		f.mu.Lock()
		f.down = status
		f.mu.Unlock()
		if _, err := x.Search(ctx, index.Query{Text: "报销"}); !errors.Is(err, index.ErrUnavailable) {
			t.Errorf("search, server answering %d: err = %v, want ErrUnavailable", status, err)
		}
		if err := x.Upsert(ctx, indextest.Corpus()[0]); !errors.Is(err, index.ErrUnavailable) {
			t.Errorf("upsert, server answering %d: err = %v, want ErrUnavailable", status, err)
		}
		if err := x.Ping(ctx); !errors.Is(err, index.ErrUnavailable) {
			t.Errorf("ping, server answering %d: err = %v, want ErrUnavailable", status, err)
		}
	}
	f.mu.Lock()
	f.down = http.StatusBadRequest
	f.mu.Unlock()
	if _, err := x.Search(ctx, index.Query{Text: "报销"}); err == nil || errors.Is(err, index.ErrUnavailable) {
		t.Errorf("search, server answering 400: err = %v, want an error that is not ErrUnavailable", err)
	}

	// Nothing listening: connection refused.
	srv := httptest.NewServer(&fakeMeili{exists: true, failTask: map[int64]string{}, bodies: map[string][]byte{}})
	y, err := New(ctx, srv.URL, "", "idx")
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	defer y.Close()
	srv.Close()
	if _, err := y.Search(ctx, index.Query{Text: "报销"}); !errors.Is(err, index.ErrUnavailable) {
		t.Errorf("search, server gone: err = %v, want ErrUnavailable", err)
	}
	if _, err := New(ctx, srv.URL, "", "idx"); !errors.Is(err, index.ErrUnavailable) {
		t.Errorf("New, server gone: err = %v, want ErrUnavailable", err)
	}
}

// TestSearchManyOneRoundTrip: several queries are one /multi-search
// request, answered in order; a query of only punctuation is not sent.
func TestSearchManyOneRoundTrip(t *testing.T) {
	f, x := newFake(t)
	f.mu.Lock()
	f.tokenize = true
	f.mu.Unlock()
	ctx := t.Context()
	if err := x.Upsert(ctx, indextest.Corpus()...); err != nil {
		t.Fatalf("Upsert: %v", err)
	}
	f.mu.Lock()
	f.requests = nil
	f.mu.Unlock()
	res, err := x.SearchMany(ctx, index.Query{Text: "alert"}, index.Query{Text: "，。"}, index.Query{Text: "checklist"})
	if err != nil {
		t.Fatalf("SearchMany: %v", err)
	}
	f.mu.Lock()
	reqs := slices.Clone(f.requests)
	f.mu.Unlock()
	if !slices.Equal(reqs, []string{"POST /multi-search"}) {
		t.Errorf("requests = %v, want one multi-search", reqs)
	}
	if len(res) != 3 || len(res[0].Hits) != 1 || res[0].Hits[0].Doc.ID != "xss-note" || len(res[1].Hits) != 0 ||
		len(res[2].Hits) != 1 || res[2].Hits[0].Doc.ID != "onboarding-guide" {
		t.Errorf("results = %+v", res)
	}
}

// manyDocs returns n small documents.
func manyDocs(n int) []index.Doc {
	out := make([]index.Doc, n)
	for i := range out {
		out[i] = index.Doc{ID: fmt.Sprintf("doc-%04d", i), Kind: "pack", Title: fmt.Sprintf("值班手册第%d篇", i)}
	}
	return out
}

// TestUpsertOneTaskPerBatch: a large write is one task per chunk of
// upsertChunk documents; the backend polls only the last task until it is
// done and then reads the others' statuses in one request.
func TestUpsertOneTaskPerBatch(t *testing.T) {
	f, x := newFake(t)
	f.mu.Lock()
	f.requests = nil
	next := f.nextTask
	f.busy = map[int64]int{next + 3: 2} // the last task is processing for two polls
	f.mu.Unlock()
	ctx := t.Context()
	if err := x.Upsert(ctx, manyDocs(2*upsertChunk+1)...); err != nil {
		t.Fatalf("Upsert: %v", err)
	}
	f.mu.Lock()
	reqs := slices.Clone(f.requests)
	f.mu.Unlock()
	last := fmt.Sprintf("GET /tasks/%d", next+3)
	want := []string{"POST /indexes/idx/documents", "POST /indexes/idx/documents", "POST /indexes/idx/documents", last, last, last, "GET /tasks"}
	if !slices.Equal(reqs, want) {
		t.Errorf("requests = %v, want %v", reqs, want)
	}

	// An earlier chunk that failed is reported although the last succeeded.
	f.mu.Lock()
	f.failTask[f.nextTask+1] = "invalid_document_fields"
	f.mu.Unlock()
	if err := x.Upsert(ctx, manyDocs(upsertChunk+1)...); !errors.Is(err, ErrTaskFailed) || !strings.Contains(err.Error(), "invalid_document_fields") {
		t.Errorf("failed first chunk: err = %v", err)
	}
}

// TestSettingsAsServerNormalisesThem: Meilisearch answers GET /settings
// with its sets sorted (filterable, sortable, separators, typo-free
// attributes) and with settings we never set; a start against such an
// index sends no PATCH, and one changed value does.
func TestSettingsAsServerNormalisesThem(t *testing.T) {
	want := Settings()
	raw, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	sorted := func(v any) []string { s := strs(v); slices.Sort(s); return s }
	m["filterableAttributes"] = sorted(m["filterableAttributes"])
	m["sortableAttributes"] = sorted(m["sortableAttributes"])
	m["separatorTokens"] = sorted(m["separatorTokens"])
	typo := m["typoTolerance"].(map[string]any)
	typo["disableOnAttributes"] = sorted(typo["disableOnAttributes"])
	typo["disableOnNumbers"] = false
	m["nonSeparatorTokens"], m["dictionary"], m["proximityPrecision"], m["synonyms"] = []string{}, []string{}, "byWord", map[string]any{}
	m["displayedAttributes"], m["distinctAttribute"], m["searchCutoffMs"] = []string{"*"}, nil, nil

	start := func(settings map[string]any) []string {
		f := &fakeMeili{exists: true, failTask: map[int64]string{}, bodies: map[string][]byte{}, settings: settings}
		srv := httptest.NewServer(f)
		defer srv.Close()
		x, err := New(t.Context(), srv.URL, "", "idx")
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		x.Close()
		f.mu.Lock()
		defer f.mu.Unlock()
		return slices.Clone(f.requests)
	}
	if reqs := start(m); slices.Contains(reqs, "PATCH /indexes/idx/settings") {
		t.Errorf("settings in the server's normal form re-applied: %v", reqs)
	}
	m["separatorTokens"] = []string{"<", ">"}
	if reqs := start(m); !slices.Contains(reqs, "PATCH /indexes/idx/settings") {
		t.Errorf("a missing separator not applied: %v", reqs)
	}
}
