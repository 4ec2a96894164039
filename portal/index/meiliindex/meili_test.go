package meiliindex

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/index/indextest"
	"github.com/jinnang/jinnang/portal/index/lang"
)

// TestContract runs the shared suite against a real server when MEILI_URL
// is set; each test gets a fresh random index, deleted afterwards.
func TestContract(t *testing.T) {
	indextest.Run(t, realIndex(t))
}

// TestRelevance runs the relevance benchmark against a real server when
// MEILI_URL is set.
func TestRelevance(t *testing.T) {
	indextest.RunRelevance(t, realIndex(t))
}

// realIndex returns a constructor of fresh indexes on the server at
// MEILI_URL, or skips the test when it is not set.
func realIndex(t *testing.T) func(t *testing.T) index.Index {
	url := os.Getenv("MEILI_URL")
	if url == "" {
		t.Skip("MEILI_URL not set: skipping the Meilisearch suite (set MEILI_URL and MEILI_KEY to run it against a real server)")
	}
	key := os.Getenv("MEILI_KEY")
	return func(t *testing.T) index.Index {
		b := make([]byte, 6)
		if _, err := rand.Read(b); err != nil {
			t.Fatalf("random uid: %v", err)
		}
		uid := "jinnang_test_" + hex.EncodeToString(b)
		x, err := New(t.Context(), url, key, uid)
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		t.Cleanup(func() {
			// t.Context is canceled before Cleanup runs.
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			info, err := x.client.DeleteIndex(ctx, uid)
			if err != nil {
				t.Errorf("delete index %s: %v", uid, err)
			} else if err := x.wait(ctx, info, "delete index"); err != nil {
				t.Errorf("delete index %s: %v", uid, err)
			}
			if err := x.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return x
	}
}

func TestEncodedGrams(t *testing.T) {
	g := EncodeGram("验真")
	if len(g) != 1+2*gramRuneLetters || strings.Trim(g, "abcdefghijklmnopqrstuvwxyz") != "" {
		t.Fatalf("EncodeGram(验真) = %q, want q and 8 lowercase letters", g)
	}
	if EncodeGram("验真") != g || EncodeGram("真验") == g || EncodeGram("验") == EncodeGram("真") {
		t.Error("EncodeGram is not a one-to-one code")
	}
	// 验证…真正 holds 验 and 真 but not the gram 验真.
	grams := strings.Fields(NGrams("系统会验证发票是否真正有效"))
	if slices.Contains(grams, g) || !slices.Contains(grams, EncodeGram("验证")) || !slices.Contains(grams, EncodeGram("真")) {
		t.Errorf("NGrams(验证…真正) = %v", grams)
	}
	// A word in the middle of a sentence is a run of its grams.
	body := strings.Fields(NGrams("新员工入职后请在三个工作日内完成报销单填写"))
	for _, w := range []string{"报销", "销单", "工作", "作日"} {
		if !slices.Contains(body, EncodeGram(w)) {
			t.Errorf("n-grams lack %q", w)
		}
	}
	if NGrams("Hello world") != "" {
		t.Errorf("Latin text has n-grams: %q", NGrams("Hello world"))
	}
	// The budget bounds the work on a huge body.
	if n := len(strings.Fields(NGrams(strings.Repeat("测", 3*maxNGramRunes)))); n > 2*maxNGramRunes {
		t.Errorf("%d grams from a huge body, want at most %d", n, 2*maxNGramRunes)
	}
}

func TestQueryText(t *testing.T) {
	syn := lang.NewSynonyms(nil)
	cases := []struct{ in, want string }{
		{"年假怎么算", EncodeWord("年假") + " " + EncodeGram("算")},
		{"报销单", EncodeGram("报销") + " " + EncodeGram("销单")},
		{"验真", EncodeGram("验真")},
		{"How do I claim expenses", "claim expenses"},
		{"VPN 连不上", "vpn " + EncodeWord("连不")},
		{"，。", ""},
	}
	for _, c := range cases {
		if got := QueryText(lang.Query(c.in, syn)); got != c.want {
			t.Errorf("QueryText(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestSynonymsSetting(t *testing.T) {
	m := SynonymsSetting(lang.NewSynonyms([][]string{{"年假", "年休假"}, {"无线网", "Wi-Fi"}}))
	nj, nxj := EncodeWord("年假"), EncodeWord("年休假")
	if !slices.Equal(m[nj], []string{nxj}) || !slices.Equal(m[nxj], []string{nj}) {
		t.Errorf("年假 synonyms = %v / %v", m[nj], m[nxj])
	}
	wx := EncodeWord("无线网")
	if !slices.Equal(m["wifi"], []string{wx}) || !slices.Contains(m[wx], "wifi") || !slices.Contains(m[wx], "wi fi") {
		t.Errorf("wifi synonyms = %v, 无线网 = %v", m["wifi"], m[wx])
	}
	if !synonymsEqual(m, SynonymsSetting(lang.NewSynonyms([][]string{{"年假", "年休假"}, {"无线网", "Wi-Fi"}}))) || synonymsEqual(m, nil) {
		t.Error("synonymsEqual")
	}
}

func TestFilter(t *testing.T) {
	cases := []struct {
		q    index.Query
		want string
	}{
		{index.Query{}, ""},
		{index.Query{Kind: "pack"}, `kind = "pack"`},
		{index.Query{Department: "财务部", Tag: "报销"}, `department = "财务部" AND tags = "报销"`},
		{index.Query{Kind: "file", Department: "技术部", Tag: "IT"}, `kind = "file" AND department = "技术部" AND tags = "IT"`},
		{index.Query{Tag: `a"b`}, `tags = "a\"b"`},
		{index.Query{Tag: `x" OR kind = "pack`}, `tags = "x\" OR kind = \"pack"`},
		{index.Query{Tag: `back\slash`}, `tags = "back\\slash"`},
		{index.Query{Tag: `end\`}, `tags = "end\\"`},
		{index.Query{Tag: `\"`}, `tags = "\\\""`},
	}
	for _, c := range cases {
		if got := Filter(c.q); got != c.want {
			t.Errorf("Filter(%+v) = %s, want %s", c.q, got, c.want)
		}
	}
}

func TestStoredDocRoundtrip(t *testing.T) {
	d := index.Doc{
		ID: "onboarding-guide", Kind: "pack", Title: "新员工" + index.HitPre + "入职" + index.HitPost,
		Summary: "摘要", Body: "新员工入职后请在三个工作日内完成报销单填写。",
		Department: "人力资源部", Tags: []string{"入职", "报销"}, Author: "王芳",
		Audience: []string{"新员工"}, URL: "/packs/onboarding-guide",
		Date: time.Date(2024, 3, 1, 17, 30, 0, 0, time.FixedZone("CST", 8*3600)),
	}
	s := toStored(d)
	if s.Title != "新员工入职" {
		t.Errorf("stored title %q: markers not stripped", s.Title)
	}
	if s.DateTS != d.Date.Unix() || s.DateTS != 1709285400 {
		t.Errorf("date_ts = %d, want %d", s.DateTS, d.Date.Unix())
	}
	if !strings.Contains(" "+s.NGrams+" ", " "+EncodeGram("工作")+" ") || !strings.Contains(" "+s.TitleGrams+" ", " "+EncodeGram("入职")+" ") {
		t.Errorf("grams %q / %q lack title or body words", s.TitleGrams, s.NGrams)
	}
	if !strings.Contains(s.Pinyin, "ruzhi") || !slices.Equal(s.Readers, []string{index.Everyone}) || s.ExpiresDay != index.Day(time.Time{}) {
		t.Errorf("pinyin %q readers %v expires %d", s.Pinyin, s.Readers, s.ExpiresDay)
	}
	raw, err := json.Marshal(s)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("unmarshal map: %v", err)
	}
	for _, k := range []string{"id", "kind", "title", "summary", "body", "department", "tags", "author", "audience", "date", "date_ts", "url", "readers", "expires_day", "tgrams", "ngrams", "pinyin"} {
		if _, ok := m[k]; !ok {
			t.Errorf("stored JSON lacks %q: %s", k, raw)
		}
	}
	var back storedDoc
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	got := back.toDoc()
	if got.Body != "" || got.Title != "新员工入职" || !got.Date.Equal(d.Date) || !slices.Equal(got.Tags, d.Tags) ||
		!slices.Equal(got.Audience, d.Audience) || got.URL != d.URL || got.Author != d.Author || got.Department != d.Department {
		t.Errorf("roundtrip = %+v", got)
	}

	zero := toStored(index.Doc{ID: "x"})
	if zero.DateTS != 0 || !zero.toDoc().Date.IsZero() {
		t.Errorf("zero date: ts %d, doc date %v", zero.DateTS, zero.toDoc().Date)
	}
}

func TestPageWindow(t *testing.T) {
	cases := []struct {
		offset, limit int
		page, perPage int64
		skip          int
	}{
		{0, 20, 1, 20, 0},
		{20, 20, 2, 20, 0},
		{2, 2, 2, 2, 0},
		{6, 5, 1, 11, 6},
		{3, 2, 1, 5, 3},
	}
	for _, c := range cases {
		p, pp, s := pageWindow(c.offset, c.limit)
		if p != c.page || pp != c.perPage || s != c.skip {
			t.Errorf("pageWindow(%d,%d) = %d,%d,%d want %d,%d,%d", c.offset, c.limit, p, pp, s, c.page, c.perPage, c.skip)
		}
	}
}

func TestRequest(t *testing.T) {
	q := index.Query{Text: " 报销 ", Department: "财务部", Sort: index.SortNewest, Facets: true, Offset: 40, Limit: 20}
	req, skip := request(q, lang.Query(q.Text, nil))
	if skip != 0 {
		t.Errorf("skip = %d", skip)
	}
	raw, err := json.Marshal(req)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	want := map[string]any{
		"q": EncodeGram("报销"), "page": 3.0, "hitsPerPage": 20.0, "filter": `department = "财务部"`,
		"matchingStrategy": "last", "showRankingScore": true,
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %#v, want %#v", k, m[k], v)
		}
	}
	for k, v := range map[string][]string{"sort": {"date_ts:desc"}, "facets": {"kind", "department", "tags"}} {
		if got := strs(m[k]); !slices.Equal(got, v) {
			t.Errorf("%s = %v, want %v", k, got, v)
		}
	}
	if _, ok := m["attributesToHighlight"]; ok {
		t.Errorf("asks for engine highlighting: %s", raw)
	}
	if got := strs(m["attributesToRetrieve"]); slices.Contains(got, attrNGrams) || !slices.Contains(got, attrBody) {
		t.Errorf("attributesToRetrieve = %v", got)
	}
	if _, ok := m["offset"]; ok {
		t.Errorf("page mode request also sends offset: %s", raw)
	}

	// A list: newest first, no filter.
	req, _ = request(index.Query{}, nil)
	if req.Query != "" || req.Filter != nil || !slices.Equal(req.Sort, []string{"date_ts:desc"}) {
		t.Errorf("list request = %+v", req)
	}
	// Relevance with text: no sort.
	req, _ = request(index.Query{Text: "vpn"}, lang.Query("vpn", nil))
	if len(req.Sort) != 0 || req.HitsPerPage == nil || *req.HitsPerPage != index.DefaultLimit || req.Query != "vpn" {
		t.Errorf("relevance request = %+v", req)
	}
	// Readers and expiry.
	f := Filter(index.Query{Readers: []string{"dept:财务部"}, Now: time.Date(2026, 3, 5, 23, 0, 0, 0, time.UTC)})
	if f != `(readers = "*" OR readers = "dept:财务部") AND expires_day >= 20260305` {
		t.Errorf("filter = %s", f)
	}
}

func strs(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, e := range l {
		s, _ := e.(string)
		out = append(out, s)
	}
	return out
}

func join(spans []index.Span) string {
	var b strings.Builder
	for _, s := range spans {
		b.WriteString(s.Text)
	}
	return b.String()
}

func TestToResult(t *testing.T) {
	raw := `{
	  "hits": [
	    {"id":"a","kind":"pack","title":"差旅报销流程","summary":"如何提交","body":"出差回来后…","department":"财务部",
	     "tags":["报销"],"date":"2024-05-10T09:30:00Z","date_ts":1715333400,"url":"/packs/a","_rankingScore":0.91},
	    {"id":"b","kind":"pack","title":"新员工入职指南","summary":"第一周","body":"新员工入职后请在三个工作日内完成报销单填写","department":"人力资源部",
	     "tags":["入职"],"date":"2024-03-01T09:30:00Z","url":"/packs/b","_rankingScore":0.5},
	    {"id":"c","kind":"file","title":"报销","summary":"<b>摘要</b>","body":"无关正文","department":"财务部","_rankingScore":0.4}
	  ],
	  "totalHits": 12,
	  "facetDistribution": {"kind":{"pack":2,"file":1},"department":{"财务部":2,"人力资源部":1},"tags":{"报销":1,"入职":1}}
	}`
	var resp searchResponse
	if err := json.Unmarshal([]byte(raw), &resp); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	words := lang.Query("报销", nil)
	res := toResult(index.Query{Text: "报销", Facets: true}, words, resp, 0)
	if res.Total != 12 || len(res.Hits) != 3 {
		t.Fatalf("Total %d hits %d", res.Total, len(res.Hits))
	}
	a := res.Hits[0]
	if a.Doc.ID != "a" || a.Doc.Body != "" || a.Score != 0.91 || !a.Doc.Date.Equal(time.Date(2024, 5, 10, 9, 30, 0, 0, time.UTC)) {
		t.Errorf("hit a = %+v", a)
	}
	// Matched in the title only: the plain summary, and full coverage.
	if !slices.Equal(a.Snippet, []index.Span{{Text: "如何提交"}}) || a.Coverage != 1 {
		t.Errorf("title-only snippet = %+v coverage %v", a.Snippet, a.Coverage)
	}
	// Marked in the body, the whole word.
	if !slices.Contains(res.Hits[1].Snippet, index.Span{Text: "报销", Hit: true}) {
		t.Errorf("body snippet = %+v", res.Hits[1].Snippet)
	}
	// Title-only match: the summary as plain text (the caller escapes it).
	if !slices.Equal(res.Hits[2].Snippet, []index.Span{{Text: "<b>摘要</b>"}}) {
		t.Errorf("summary snippet = %+v", res.Hits[2].Snippet)
	}
	wantDept := []index.FacetCount{{Value: "财务部", Count: 2}, {Value: "人力资源部", Count: 1}}
	if !slices.Equal(res.Facets["department"], wantDept) {
		t.Errorf("department facets %v", res.Facets["department"])
	}
	wantTags := []index.FacetCount{{Value: "入职", Count: 1}, {Value: "报销", Count: 1}}
	if !slices.Equal(res.Facets["tag"], wantTags) {
		t.Errorf("tag facets %v", res.Facets["tag"])
	}
	if want := []index.FacetCount{{Value: "pack", Count: 2}, {Value: "file", Count: 1}}; !slices.Equal(res.Facets["kind"], want) {
		t.Errorf("kind facets %v", res.Facets["kind"])
	}

	res = toResult(index.Query{Text: "报销", Offset: 1, Limit: 2}, words, resp, 1)
	if len(res.Hits) != 2 || res.Hits[0].Doc.ID != "b" || res.Facets != nil {
		t.Errorf("skip 1: %+v", res)
	}
	if res := toResult(index.Query{}, nil, resp, 5); len(res.Hits) != 0 || res.Total != 12 {
		t.Errorf("skip past end: %+v", res)
	}
}

// fakeMeili is a minimal Meilisearch: enough of the API to check what the
// backend sends and that it waits for its tasks.
type fakeMeili struct {
	mu        sync.Mutex
	exists    bool
	nextTask  int64
	failTask  map[int64]string // task uid → error code
	requests  []string         // "METHOD path"
	bodies    map[string][]byte
	searchOut string
	auth      string         // Authorization header of the last request
	settings  map[string]any // as PATCHed, returned by GET (defaults until then)
	synonyms  []byte         // as PUT
	// down, when set, is the status every request is answered with (a
	// server restarting behind a proxy answers 502/503).
	down int
	// tokenize makes searches match like the real server the contract run
	// used: documents kept as POSTed, words split at spaces and common
	// punctuation but not at < > = (separatorTokens ignored).
	tokenize bool
	docs     map[string]map[string]any
	// busy is how many more polls of a task answer "processing".
	busy map[int64]int
}

// taskJSON is the answer for task uid: processing while busy, then failed
// (failTask) or succeeded.
func (f *fakeMeili) taskJSON(uid int64) string {
	if f.busy[uid] > 0 {
		f.busy[uid]--
		return fmt.Sprintf(`{"uid":%d,"status":"processing"}`, uid)
	}
	if code, ok := f.failTask[uid]; ok {
		return fmt.Sprintf(`{"uid":%d,"status":"failed","error":{"message":"boom","code":%q,"type":"invalid_request","link":""}}`, uid, code)
	}
	return fmt.Sprintf(`{"uid":%d,"status":"succeeded"}`, uid)
}

// fakeSplit splits text the way the real run showed Meilisearch did:
// <script>alert('x') keeps "<script>alert" as one word.
func fakeSplit(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return r == ' ' || strings.ContainsRune("'()\"，。,.;:!?", r)
	})
}

// fakeSearch answers one query of a multi-search in tokenize mode: the
// documents one of whose searchable attributes holds every query word.
func (f *fakeMeili) fakeSearch(q map[string]any) map[string]any {
	var searchable []string
	if f.settings != nil {
		searchable = strs(f.settings["searchableAttributes"])
	}
	words := fakeSplit(fmt.Sprint(q["q"]))
	hits := []any{}
	for _, d := range f.docs {
		found := 0
		for _, w := range words {
			for _, attr := range searchable {
				var text string
				switch v := d[attr].(type) {
				case string:
					text = v
				case []any:
					text = strings.Join(strs(v), " ")
				}
				if slices.Contains(fakeSplit(text), w) {
					found++
					break
				}
			}
		}
		if found == len(words) {
			hits = append(hits, d)
		}
	}
	return map[string]any{"indexUid": q["indexUid"], "hits": hits, "totalHits": len(hits)}
}

// defaultSettings is part of what a new Meilisearch index answers.
const defaultSettings = `{"rankingRules":["words","typo","proximity","attribute","sort","exactness"],
 "searchableAttributes":["*"],"filterableAttributes":[],"sortableAttributes":[],"separatorTokens":[],
 "localizedAttributes":null,"synonyms":{},"typoTolerance":{"enabled":true,"minWordSizeForTypos":{"oneTypo":5,"twoTypos":9},
 "disableOnWords":[],"disableOnAttributes":[],"disableOnNumbers":false}}`

func (f *fakeMeili) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	route := r.Method + " " + r.URL.Path
	f.auth = r.Header.Get("Authorization")
	f.requests = append(f.requests, route)
	f.bodies[route] = body
	w.Header().Set("Content-Type", "application/json")
	if f.down != 0 {
		w.WriteHeader(f.down)
		fmt.Fprint(w, `{"message":"down","code":"internal","type":"internal","link":""}`)
		return
	}
	task := func() {
		f.nextTask++
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprintf(w, `{"taskUid":%d,"indexUid":"idx","status":"enqueued","type":"x","enqueuedAt":"2024-01-01T00:00:00Z"}`, f.nextTask)
	}
	switch {
	case route == "GET /health":
		fmt.Fprint(w, `{"status":"available"}`)
	case route == "GET /indexes/idx":
		if !f.exists {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"message":"Index `+"`idx`"+` not found.","code":"index_not_found","type":"invalid_request","link":"https://docs.meilisearch.com/errors#index_not_found"}`)
			return
		}
		fmt.Fprint(w, `{"uid":"idx","primaryKey":"id"}`)
	case route == "POST /indexes":
		f.exists = true
		task()
	case route == "GET /indexes/idx/settings":
		if f.settings == nil {
			fmt.Fprint(w, defaultSettings)
			return
		}
		b, _ := json.Marshal(f.settings)
		w.Write(b)
	case route == "PATCH /indexes/idx/settings":
		if f.settings == nil {
			_ = json.Unmarshal([]byte(defaultSettings), &f.settings)
		}
		var patch map[string]any
		if err := json.Unmarshal(body, &patch); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for k, v := range patch {
			f.settings[k] = v
		}
		task()
	case route == "GET /indexes/idx/settings/synonyms":
		if f.synonyms == nil {
			fmt.Fprint(w, `{}`)
			return
		}
		w.Write(f.synonyms)
	case route == "PUT /indexes/idx/settings/synonyms":
		f.synonyms = body
		task()
	case route == "POST /indexes/idx/documents":
		var docs []map[string]any
		if err := json.Unmarshal(body, &docs); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for _, d := range docs {
			f.docs[fmt.Sprint(d["id"])] = d
		}
		task()
	case route == "POST /indexes/idx/documents/delete-batch", route == "DELETE /indexes/idx/documents":
		task()
	case strings.HasPrefix(route, "GET /tasks/"):
		uid, err := strconv.ParseInt(strings.TrimPrefix(r.URL.Path, "/tasks/"), 10, 64)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Fprint(w, f.taskJSON(uid))
	case route == "GET /tasks":
		var results []string
		for _, u := range strings.Split(r.URL.Query().Get("uids"), ",") {
			uid, err := strconv.ParseInt(u, 10, 64)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			results = append(results, f.taskJSON(uid))
		}
		fmt.Fprintf(w, `{"results":[%s],"limit":%d,"from":null,"next":null,"total":%d}`, strings.Join(results, ","), len(results), len(results))
	case route == "POST /multi-search":
		var req struct {
			Queries []map[string]any `json:"queries"`
		}
		if err := json.Unmarshal(body, &req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var results []any
		for _, q := range req.Queries {
			if f.tokenize {
				results = append(results, f.fakeSearch(q))
				continue
			}
			var r map[string]any
			if err := json.Unmarshal([]byte(f.searchOut), &r); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			r["indexUid"] = q["indexUid"]
			results = append(results, r)
		}
		b, _ := json.Marshal(map[string]any{"results": results})
		w.Write(b)
	default:
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"message":"no route","code":"bad_request","type":"invalid_request","link":""}`)
	}
}

func newFake(t *testing.T) (*fakeMeili, *Index) {
	t.Helper()
	f := &fakeMeili{failTask: map[int64]string{}, bodies: map[string][]byte{}, docs: map[string]map[string]any{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	x, err := New(t.Context(), srv.URL, "secret", "idx")
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := x.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return f, x
}

func TestAgainstFakeServer(t *testing.T) {
	f, x := newFake(t)
	f.mu.Lock()
	wantStart := []string{"GET /health", "GET /indexes/idx", "POST /indexes", "GET /tasks/1", "GET /indexes/idx/settings", "PATCH /indexes/idx/settings", "GET /tasks/2"}
	if !slices.Equal(f.requests, wantStart) {
		t.Errorf("start-up requests = %v, want %v", f.requests, wantStart)
	}
	var settings map[string]any
	if err := json.Unmarshal(f.bodies["PATCH /indexes/idx/settings"], &settings); err != nil {
		t.Fatalf("settings body: %v", err)
	}
	var created map[string]any
	if err := json.Unmarshal(f.bodies["POST /indexes"], &created); err != nil {
		t.Fatalf("create body: %v", err)
	}
	if f.auth != "Bearer secret" {
		t.Errorf("Authorization = %q, want the API key as bearer token", f.auth)
	}
	f.requests = nil
	f.mu.Unlock()

	if created["uid"] != "idx" || created["primaryKey"] != "id" {
		t.Errorf("create index body = %v", created)
	}
	if got := strs(settings["searchableAttributes"]); !slices.Equal(got[:3], []string{"title", "tags", attrTitleGrams}) || !slices.Contains(got, attrNGrams) {
		t.Errorf("searchableAttributes = %v", got)
	}
	if got := strs(settings["filterableAttributes"]); !slices.Equal(got, []string{"kind", "department", "tags", "audience", "readers", "expires_day"}) {
		t.Errorf("filterableAttributes = %v", got)
	}
	if got := strs(settings["separatorTokens"]); !slices.Equal(got, []string{"<", ">", "="}) {
		t.Errorf("separatorTokens = %v", got)
	}
	if typo := fmt.Sprint(settings["typoTolerance"]); !strings.Contains(typo, "oneTypo:5") || !strings.Contains(typo, attrNGrams) {
		t.Errorf("typoTolerance = %v", typo)
	}
	if got := strs(settings["sortableAttributes"]); !slices.Equal(got, []string{"date_ts"}) {
		t.Errorf("sortableAttributes = %v", got)
	}
	la, _ := settings["localizedAttributes"].([]any)
	if len(la) != 1 || !strings.Contains(fmt.Sprint(la[0]), "cmn") {
		t.Errorf("localizedAttributes = %v", settings["localizedAttributes"])
	}

	ctx := t.Context()
	if err := x.Upsert(ctx, indextest.Corpus()...); err != nil {
		t.Fatalf("Upsert: %v", err)
	}
	if err := x.Delete(ctx, "vpn-setup"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if err := x.Reset(ctx); err != nil {
		t.Fatalf("Reset: %v", err)
	}
	f.mu.Lock()
	wantWrites := []string{
		"POST /indexes/idx/documents", "GET /tasks/3",
		"POST /indexes/idx/documents/delete-batch", "GET /tasks/4",
		"DELETE /indexes/idx/documents", "GET /tasks/5",
	}
	if !slices.Equal(f.requests, wantWrites) {
		t.Errorf("write requests = %v, want %v", f.requests, wantWrites)
	}
	var docs []map[string]any
	if err := json.Unmarshal(f.bodies["POST /indexes/idx/documents"], &docs); err != nil {
		t.Fatalf("documents body: %v", err)
	}
	var deleted []string
	if err := json.Unmarshal(f.bodies["POST /indexes/idx/documents/delete-batch"], &deleted); err != nil {
		t.Fatalf("delete body: %v", err)
	}
	f.searchOut = `{"hits":[{"id":"vpn-setup","title":"VPN 远程办公配置","summary":"在家办公","body":"Connect to the Corporate VPN","_rankingScore":0.8}],"totalHits":1,"facetDistribution":{"department":{"技术部":1}}}`
	f.failTask[8] = "invalid_document_id"
	f.mu.Unlock()

	if len(docs) != len(indextest.Corpus()) || docs[0]["id"] != "onboarding-guide" || docs[0]["ngrams"] == "" || docs[0]["tgrams"] == "" {
		t.Errorf("documents body: %d docs, first %v", len(docs), docs[0])
	}
	if !slices.Equal(deleted, []string{"vpn-setup"}) {
		t.Errorf("delete body = %v", deleted)
	}

	res, err := x.Search(ctx, index.Query{Text: "corporate", Tag: "IT", Facets: true})
	if err != nil {
		t.Fatalf("Search: %v", err)
	}
	if res.Total != 1 || len(res.Hits) != 1 || !slices.Contains(res.Hits[0].Snippet, index.Span{Text: "Corporate", Hit: true}) {
		t.Errorf("search result = %+v", res)
	}
	if len(res.Facets["department"]) != 1 || len(res.Facets["tag"]) != 0 {
		t.Errorf("facets = %v", res.Facets)
	}
	f.mu.Lock()
	var sreq map[string]any
	var multi struct {
		Queries []map[string]any `json:"queries"`
	}
	err = json.Unmarshal(f.bodies["POST /multi-search"], &multi)
	f.mu.Unlock()
	if err != nil || len(multi.Queries) != 1 {
		t.Fatalf("multi-search body: %d queries, %v", len(multi.Queries), err)
	}
	sreq = multi.Queries[0]
	if sreq["indexUid"] != "idx" {
		t.Errorf("indexUid = %v", sreq["indexUid"])
	}
	if sreq["q"] != "corporate" || sreq["filter"] != `tags = "IT"` || sreq["matchingStrategy"] != "last" {
		t.Errorf("search body = %v", sreq)
	}

	// Synonyms go to the synonyms setting, once: the same list again sends nothing.
	groups := [][]string{{"年假", "年休假"}}
	for range 2 {
		if err := x.SetSynonyms(ctx, groups); err != nil {
			t.Fatalf("SetSynonyms: %v", err)
		}
	}
	f.mu.Lock()
	puts := 0
	for _, r := range f.requests {
		if r == "PUT /indexes/idx/settings/synonyms" {
			puts++
		}
	}
	var syn map[string][]string
	err = json.Unmarshal(f.synonyms, &syn)
	f.mu.Unlock()
	if err != nil || puts != 1 || !slices.Equal(syn[EncodeWord("年假")], []string{EncodeWord("年休假")}) {
		t.Errorf("synonyms: %d PUTs, setting %v (%v)", puts, syn, err)
	}

	// A failed task is an error the caller can recognise.
	err = x.Upsert(ctx, indextest.Corpus()[0]) // task 7 succeeds
	if err != nil {
		t.Fatalf("Upsert: %v", err)
	}
	err = x.Upsert(ctx, indextest.Corpus()[0]) // task 8 fails
	if !errors.Is(err, ErrTaskFailed) || !strings.Contains(err.Error(), "invalid_document_id") {
		t.Errorf("failed task err = %v", err)
	}
	if err := x.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

func TestNewExistingIndexAndErrors(t *testing.T) {
	f := &fakeMeili{exists: true, failTask: map[int64]string{}, bodies: map[string][]byte{}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	x, err := New(t.Context(), srv.URL, "", "idx")
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := x.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	f.mu.Lock()
	if slices.Contains(f.requests, "POST /indexes") {
		t.Errorf("existing index was created again: %v", f.requests)
	}
	// A second start finds the settings in place and does not re-apply
	// them (that would make Meilisearch re-extract every word).
	f.requests = nil
	f.mu.Unlock()
	x, err = New(t.Context(), srv.URL, "", "idx")
	if err != nil {
		t.Fatalf("New again: %v", err)
	}
	if err := x.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	f.mu.Lock()
	if slices.Contains(f.requests, "PATCH /indexes/idx/settings") {
		t.Errorf("settings re-applied on the second start: %v", f.requests)
	}
	f.mu.Unlock()

	if _, err := New(t.Context(), srv.URL, "", "bad uid"); !errors.Is(err, index.ErrInvalidID) {
		t.Errorf("bad uid: err = %v", err)
	}
	if _, err := New(t.Context(), "", "", "idx"); err == nil {
		t.Error("empty URL: no error")
	}
	// Settings task failing makes New fail.
	f2 := &fakeMeili{exists: true, failTask: map[int64]string{1: "invalid_settings_filterable_attributes"}, bodies: map[string][]byte{}}
	srv2 := httptest.NewServer(f2)
	defer srv2.Close()
	if _, err := New(t.Context(), srv2.URL, "", "idx"); !errors.Is(err, ErrTaskFailed) {
		t.Errorf("failed settings: err = %v", err)
	}
	// Another process created the index between our check and create.
	f3 := &fakeMeili{failTask: map[int64]string{1: "index_already_exists"}, bodies: map[string][]byte{}}
	srv3 := httptest.NewServer(f3)
	defer srv3.Close()
	y, err := New(t.Context(), srv3.URL, "", "idx")
	if err != nil {
		t.Fatalf("index created concurrently: %v", err)
	}
	if err := y.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}
