package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/announce"
	"github.com/jinnang/jinnang/portal/audit"
	"github.com/jinnang/jinnang/portal/auth"
	"github.com/jinnang/jinnang/portal/auth/dev"
	"github.com/jinnang/jinnang/portal/files"
	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/index/bleveindex"
	"github.com/jinnang/jinnang/portal/packs"
	"github.com/jinnang/jinnang/portal/search"
	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/record"
)

var testNow = day(2025, 6, 1) // YearDay 152 → daily pick is packs[152%25] = invoice-tips

// The test people, one per role (IDs as the dev provider and dev.RolesYAML name them).
var (
	employee     = auth.User{ID: "dev:chenchen", Name: "陈晨", Department: "销售部"}
	financeEd    = auth.User{ID: "dev:wangmin", Name: "王敏", Department: "财务部", EditorOf: []string{"财务部"}}
	techEd       = auth.User{ID: "dev:liuyang", Name: "刘洋", Department: "技术部", EditorOf: []string{"技术部"}}
	moderator    = auth.User{ID: "dev:lina", Name: "李娜", Department: "行政部", Moderator: true}
	admin        = auth.User{ID: "dev:zhangwei", Name: "张伟", Department: "人力资源部", Admin: true}
	testStateKey = bytes.Repeat([]byte("k"), auth.MinStateKeyLen)
)

// testServer is the portal's Echo over fake packs and real auth parts (a
// disk store in a temp dir), with a signed-in employee for do.
type testServer struct {
	*echo.Echo
	t        *testing.T
	opts     Options
	packs    *fakePacks // nil when the test swapped Packs
	files    *files.Service
	store    store.Store
	token    string // session token of the default signed-in employee
	defaultU auth.User
}

func newTestServer(t *testing.T, mod func(*Options)) *testServer {
	t.Helper()
	var st store.Store
	st, err := store.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if testStoreWrap != nil {
		st = testStoreWrap(st) // scale_test.go counts store operations
	}
	roles, err := auth.ParseRoles("roles.yaml", []byte(dev.RolesYAML))
	if err != nil {
		t.Fatal(err)
	}
	fp := newFakePacks()
	ix, err := bleveindex.Open("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := ix.Close(); err != nil {
			t.Errorf("close index: %v", err)
		}
	})
	fs := files.New(st, ix, slog.New(slog.NewTextHandler(io.Discard, nil)))
	// The unified search runs over the real index: the fake packs are in it too.
	if err := ix.Upsert(context.Background(), fp.docs()...); err != nil {
		t.Fatal(err)
	}
	opts := Options{
		Search:    search.New(ix, st, slog.New(slog.NewTextHandler(io.Discard, nil)), func() time.Time { return testNow }),
		Files:     fs,
		Packs:     fp,
		Ready:     map[string]Checker{"store": checker{}, "index": checker{}},
		Templates: os.DirFS("../../templates"),
		Assets:    os.DirFS("../../assets"),
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now:       func() time.Time { return testNow },
		Auth: AuthOptions{
			Provider:   dev.New(),
			Sessions:   auth.NewSessions(st, auth.SessionOptions{}),
			States:     auth.NewStateCodec(testStateKey, st, nil),
			Roles:      roles,
			Users:      auth.NewUsers(st, nil),
			Grants:     auth.NewGrants(st),
			Audit:      audit.New(st, nil),
			DemoUsers:  dev.New().Users(),
			WriteLimit: auth.NewLimiter(10000, 10000, nil),
			LoginLimit: auth.NewLimiter(10000, 10000, nil),
		},
	}
	ann := announce.New(st, fakeMarkdown, nil)
	ann.UseIndex(ix, slog.New(slog.NewTextHandler(io.Discard, nil)))
	opts.Announcements = ann
	opts.BadRecords = func(ctx context.Context, limit int) ([]record.Bad, error) { return record.BadRecords(ctx, st, limit) }
	opts.Stories, opts.Points = newTestStories(st, ix)
	opts.Suggest, opts.Polls = newTestSuggest(t, st)
	opts.Editor, opts.Paths, opts.People = newTestKnowledge(t, st, ix)
	if mod != nil {
		mod(&opts)
	}
	e, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { WaitBackground(e) }) // before the temp dir goes
	ts := &testServer{Echo: e, t: t, opts: opts, defaultU: employee, store: st}
	if f, ok := opts.Files.(*files.Service); ok {
		ts.files = f
	}
	if f, ok := opts.Packs.(*fakePacks); ok {
		ts.packs = f
	}
	ts.token = ts.signIn(employee)
	return ts
}

// signIn creates a session for u directly in the store and returns its token.
func (ts *testServer) signIn(u auth.User) string {
	ts.t.Helper()
	tok, _, err := ts.opts.Auth.Sessions.Create(context.Background(), u)
	if err != nil {
		ts.t.Fatal(err)
	}
	return tok
}

// csrf returns the CSRF token of the session behind tok.
func (ts *testServer) csrf(tok string) string {
	ts.t.Helper()
	sess, err := ts.opts.Auth.Sessions.Get(context.Background(), tok)
	if err != nil {
		ts.t.Fatal(err)
	}
	return sess.CSRF
}

// send makes a request with the session cookie tok ("" for none) and, when
// form is not nil, a URL-encoded body.
func (ts *testServer) send(tok, method, target string, headers map[string]string, form url.Values) *httptest.ResponseRecorder {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, target, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	if tok != "" {
		ck := sessionCookiePlain + "=" + tok
		if old := req.Header.Get("Cookie"); old != "" {
			ck = old + "; " + ck
		}
		req.Header.Set("Cookie", ck)
	}
	rec := httptest.NewRecorder()
	ts.ServeHTTP(rec, req)
	return rec
}

// do sends a request as the default signed-in employee.
func do(ts *testServer, method, target string, headers map[string]string) *httptest.ResponseRecorder {
	return ts.send(ts.token, method, target, headers, nil)
}

var (
	hx      = map[string]string{"HX-Request": "true"}
	english = map[string]string{"Cookie": "lang=en"}
)

func TestRoutes(t *testing.T) {
	e := newTestServer(t, nil)
	tests := []struct {
		name     string
		method   string
		url      string
		headers  map[string]string
		status   int
		contains []string
		excludes []string
		header   map[string]string // header → substring it must contain
	}{
		{name: "home zh", url: "/", status: 200,
			contains: []string{`<html lang="zh-CN">`, "最新锦囊", "今日推荐", "发票常见问题", `action="/search"`, "差旅报销流程", `href="/packs/expense-claims"`, `class="result"`, "值班手册第20篇"},
			excludes: []string{"Latest packs", "值班手册第19篇"}, // newest six only: five packs and the newest on-call note
			header:   map[string]string{"Content-Type": "text/html", "Vary": "HX-Request"}},
		{name: "home en cookie", url: "/", headers: english, status: 200,
			contains: []string{`<html lang="en">`, "Latest packs", "Pick of the day", `href="/?lang=zh"`}, excludes: []string{"最新锦囊"}},
		{name: "home en accept-language", url: "/", headers: map[string]string{"Accept-Language": "en-US,en;q=0.9"}, status: 200,
			contains: []string{"Latest packs"}, header: map[string]string{"Vary": "Accept-Language"}},
		{name: "home zh preferred over en", url: "/", headers: map[string]string{"Accept-Language": "en;q=0.5, zh-CN"}, status: 200,
			contains: []string{"最新锦囊"}},
		{name: "cookie beats accept-language", url: "/", headers: map[string]string{"Accept-Language": "en", "Cookie": "lang=zh"}, status: 200,
			contains: []string{"最新锦囊"}},
		{name: "head home", method: http.MethodHead, url: "/", status: 200},
		{name: "lang switch", url: "/?lang=en", status: http.StatusSeeOther,
			header: map[string]string{"Location": "/", "Set-Cookie": "lang=en"}},
		{name: "lang switch keeps filters", url: "/packs?dept=%E8%B4%A2%E5%8A%A1%E9%83%A8&lang=zh", status: http.StatusSeeOther,
			header: map[string]string{"Location": "/packs?dept=%E8%B4%A2%E5%8A%A1%E9%83%A8", "Set-Cookie": "lang=zh"}},
		{name: "lang switch no open redirect", url: "//evil.example/?lang=en", status: http.StatusSeeOther,
			header: map[string]string{"Location": "/evil.example/"}},
		{name: "packs page 1", url: "/packs", status: 200,
			contains: []string{"全部锦囊", "共 25 个锦囊", `rel="next" href="/packs?page=2"`, "第 1 / 2 页", "按部门", "按标签", `href="/packs?dept=%E6%8A%80%E6%9C%AF%E9%83%A8"`},
			excludes: []string{`rel="prev"`, "值班手册第1篇<"}},
		{name: "packs page 2", url: "/packs?page=2", status: 200,
			contains: []string{`rel="prev" href="/packs"`, "值班手册第1篇", "第 2 / 2 页"}, excludes: []string{`rel="next"`, "新员工入职指南"}},
		{name: "packs junk page", url: "/packs?page=abc", status: 200, contains: []string{"第 1 / 2 页"}},
		{name: "packs by dept", url: "/packs?dept=%E8%B4%A2%E5%8A%A1%E9%83%A8", status: 200,
			contains: []string{"差旅报销流程", "发票常见问题", "共 2 个锦囊", "部门：财务部", `href="/packs"`},
			excludes: []string{"新员工入职指南", `rel="next"`}},
		{name: "packs by tag keeps dept in facet links", url: "/packs?dept=%E8%B4%A2%E5%8A%A1%E9%83%A8&tag=%E5%8F%91%E7%A5%A8", status: 200,
			contains: []string{"发票常见问题", "共 1 个锦囊", "标签：发票", `href="/packs?dept=%E8%B4%A2%E5%8A%A1%E9%83%A8&amp;tag=%E6%8A%A5%E9%94%80"`},
			excludes: []string{"差旅报销流程"}},
		{name: "packs empty filter", url: "/packs?tag=nothing", status: 200, contains: []string{"没有符合条件的锦囊"}},
		{name: "pack page", url: "/packs/new-hire-guide", status: 200,
			contains: []string{`<article class="pack">`, "<h1>新员工入职指南</h1>", `<a href="#day-one">第一天</a>`, `class="l3"`,
				`<table><tr><th>事项</th>`, `href="/departments/%E4%BA%BA%E5%8A%9B%E8%B5%84%E6%BA%90%E9%83%A8"`,
				`href="/packs?tag=%E5%85%A5%E8%81%8C"`, "王芳", "2025年3月1日", "<title>新员工入职指南 · 锦囊</title>"},
			header: map[string]string{"ETag": `"`, "Cache-Control": "no-cache", "Vary": "Cookie"}},
		{name: "pack page en", url: "/packs/new-hire-guide", headers: english, status: 200, contains: []string{"1 Mar 2025", "Contents"}},
		{name: "pack fragment", url: "/packs/new-hire-guide", headers: hx, status: 200,
			contains: []string{`<article class="pack">`}, excludes: []string{"<html", "<header class=\"site\">"}},
		{name: "pack missing", url: "/packs/missing", status: 404,
			contains: []string{`<html lang="zh-CN">`, "找不到页面", "页面不存在", "回到首页"},
			excludes: []string{"object not found", "store:", "Page not found"}},
		{name: "pack missing en", url: "/packs/missing", headers: english, status: 404, contains: []string{"Page not found"}, excludes: []string{"找不到页面"}},
		{name: "pack missing fragment", url: "/packs/missing", headers: hx, status: 404,
			contains: []string{"找不到页面", `class="error"`}, excludes: []string{"<html"}, header: map[string]string{"Vary": "HX-Request"}},
		{name: "unknown route", url: "/no/such/page", status: 404, contains: []string{"找不到页面"}},
		{name: "method not allowed", method: http.MethodPost, url: "/search", status: 405, contains: []string{"不支持此操作"}},
		{name: "departments", url: "/departments", status: 200,
			contains: []string{`href="/departments/%E6%8A%80%E6%9C%AF%E9%83%A8"`, "技术部", "21 个锦囊", "财务部", "2 个锦囊"}},
		{name: "department", url: "/departments/%E8%B4%A2%E5%8A%A1%E9%83%A8", status: 200,
			contains: []string{"<h1>财务部</h1>", "差旅报销流程", "发票常见问题", "共 2 个锦囊",
				`href="/departments/%E8%B4%A2%E5%8A%A1%E9%83%A8?tag=%E5%8F%91%E7%A5%A8"`},
			excludes: []string{"新员工入职指南", "按部门"}},
		{name: "department paged", url: "/departments/%E6%8A%80%E6%9C%AF%E9%83%A8?page=2", status: 200,
			contains: []string{`rel="prev" href="/departments/%E6%8A%80%E6%9C%AF%E9%83%A8"`, "第 2 / 2 页"}},
		{name: "department unknown", url: "/departments/%E4%B8%8D%E5%AD%98%E5%9C%A8", status: 404, contains: []string{"找不到页面"}},
		{name: "search hint", url: "/search", status: 200,
			contains: []string{`id="q"`, `hx-get="/search"`, `hx-trigger="input changed delay:300ms"`, `hx-trigger="submit, search from:#q"`,
				`id="search-form"`, `hx-target="#results"`, `hx-push-url="true"`, `hx-replace-url="true"`,
				`id="results"`, "直接输入问题", `<a href="/files">资料</a>`},
			excludes: []string{`name="go"`}},
		{name: "search results", url: "/search?q=%E6%8A%A5%E9%94%80", status: 200,
			contains: []string{`value="报销"`, `<a class="result" href="/packs/expense-claims"><span class="badge">锦囊</span> 差旅报销流程</a>`, "<mark>报销</mark>", "共 2 条结果",
				`href="/search?dept=%E8%B4%A2%E5%8A%A1%E9%83%A8&amp;q=%E6%8A%A5%E9%94%80"`, "按标签", "<title>搜索：报销 · 锦囊</title>"},
			excludes: []string{"新员工入职指南"}, header: map[string]string{"Vary": "HX-Request"}},
		{name: "search fragment", url: "/search?q=%E6%8A%A5%E9%94%80", headers: hx, status: 200,
			contains: []string{`class="result"`, "<mark>报销</mark>"}, excludes: []string{"<html", `id="q"`, `id="results"`},
			header: map[string]string{"Vary": "HX-Request"}},
		{name: "search history restore is full page", url: "/search?q=%E6%8A%A5%E9%94%80",
			headers: map[string]string{"HX-Request": "true", "HX-History-Restore-Request": "true"}, status: 200,
			contains: []string{"<html", `id="q"`, `id="results"`, "<mark>报销</mark>"}},
		{name: "search match in body", url: "/search?q=%E5%8A%A8%E6%80%81%E5%8F%A3%E4%BB%A4", status: 200,
			contains: []string{"远程办公 VPN 设置", "<mark>动态口令</mark>"}},
		{name: "search narrowed by dept", url: "/search?q=%E6%8A%A5%E9%94%80&dept=%E8%B4%A2%E5%8A%A1%E9%83%A8&tag=%E5%8F%91%E7%A5%A8", status: 200,
			contains: []string{"共 1 条结果", "发票常见问题", `name="dept" value="财务部"`, `href="/search?dept=%E8%B4%A2%E5%8A%A1%E9%83%A8&amp;q=%E6%8A%A5%E9%94%80"`},
			excludes: []string{"差旅报销流程"}},
		{name: "search empty state", url: "/search?q=%E7%81%AB%E6%98%9F", status: 200,
			contains: []string{"没有找到与“火星”相关的结果", "建议", `href="/packs"`}, excludes: []string{`class="result"`}},
		{name: "search empty state fragment en", url: "/search?q=mars", headers: map[string]string{"HX-Request": "true", "Cookie": "lang=en"}, status: 200,
			contains: []string{"No results for “mars”"}, excludes: []string{"<html"}},
		{name: "search escapes html", url: "/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E", status: 200,
			contains: []string{"&lt;script&gt;alert(1)&lt;/script&gt;"}, excludes: []string{"<script>alert"}},
		{name: "search escapes html fragment", url: "/search?q=%3Cimg+src%3Dx+onerror%3Dalert(1)%3E", headers: hx, status: 200,
			contains: []string{"&lt;img src=x onerror=alert(1)&gt;"}, excludes: []string{"<img src=x"}},
		{name: "search long query truncated", url: "/search?q=" + strings.Repeat("%E5%AD%97", 150), status: 200,
			contains: []string{"关键词过长，只搜索了前 100 个字", `value="` + strings.Repeat("字", 100) + `"`}, excludes: []string{strings.Repeat("字", 101)}},
		{name: "healthz", url: "/healthz", status: 200, contains: []string{"ok"}, header: map[string]string{"Content-Type": "text/plain"}},
		{name: "readyz", url: "/readyz", status: 200, contains: []string{"index: ok", "store: ok", "ready"}, header: map[string]string{"Content-Type": "text/plain"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			method := tc.method
			if method == "" {
				method = http.MethodGet
			}
			rec := do(e, method, tc.url, tc.headers)
			body := rec.Body.String()
			if rec.Code != tc.status {
				t.Fatalf("status = %d, want %d; body:\n%s", rec.Code, tc.status, body)
			}
			for _, s := range tc.contains {
				if !strings.Contains(body, s) {
					t.Errorf("body does not contain %q; body:\n%s", s, body)
				}
			}
			for _, s := range tc.excludes {
				if strings.Contains(body, s) {
					t.Errorf("body contains %q", s)
				}
			}
			for k, want := range tc.header {
				got := strings.Join(rec.Header().Values(k), ", ")
				if !strings.Contains(got, want) {
					t.Errorf("header %s = %q, want it to contain %q", k, got, want)
				}
			}
		})
	}
}

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	e := newTestServer(t, nil)
	css := assetURL(t, e, "app.css")
	for _, u := range []string{"/", "/packs", "/packs/new-hire-guide", "/packs/missing", "/search?q=x", "/departments", "/healthz", "/readyz", "/nope", css, "/?lang=en"} {
		rec := do(e, http.MethodGet, u, nil)
		want := map[string]string{
			"Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'",
			"X-Content-Type-Options":  "nosniff",
			"Referrer-Policy":         "strict-origin-when-cross-origin",
			"X-Frame-Options":         "DENY",
		}
		for k, v := range want {
			if got := rec.Header().Get(k); got != v {
				t.Errorf("%s: %s = %q, want %q", u, k, got, v)
			}
		}
	}
}

// assetURL finds the hashed URL of an asset in the home page.
func assetURL(t *testing.T, e *testServer, name string) string {
	t.Helper()
	body := do(e, http.MethodGet, "/", nil).Body.String()
	dot := strings.LastIndex(name, ".")
	re := regexp.MustCompile(`"(/assets/` + regexp.QuoteMeta(name[:dot]) + `\.[0-9a-f]{8}` + regexp.QuoteMeta(name[dot:]) + `)"`)
	m := re.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no hashed URL for %s in home page", name)
	}
	return m[1]
}

func TestAssets(t *testing.T) {
	e := newTestServer(t, nil)
	for _, tc := range []struct{ name, file, ctype string }{
		{"app.css", "../../assets/app.css", "text/css"},
		{"vendor/htmx/htmx.min.js", "../../assets/vendor/htmx/htmx.min.js", "text/javascript"},
		{"icon.svg", "../../assets/icon.svg", "image/svg+xml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, err := os.ReadFile(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			u := assetURL(t, e, tc.name)
			rec := do(e, http.MethodGet, u, nil)
			if rec.Code != 200 {
				t.Fatalf("GET %s = %d", u, rec.Code)
			}
			if got := rec.Header().Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
				t.Errorf("Cache-Control = %q", got)
			}
			if got := rec.Header().Get("Content-Type"); !strings.HasPrefix(got, tc.ctype) {
				t.Errorf("Content-Type = %q, want %s", got, tc.ctype)
			}
			if !bytes.Equal(rec.Body.Bytes(), want) {
				t.Errorf("body differs from %s", tc.file)
			}

			// Gzip exactly once: one gunzip gives back the file. Files under
			// the minimum length are sent as they are.
			rec = do(e, http.MethodGet, u, map[string]string{"Accept-Encoding": "gzip"})
			if len(want) < gzipMinLength {
				if rec.Header().Get("Content-Encoding") != "" || !bytes.Equal(rec.Body.Bytes(), want) {
					t.Errorf("small asset: encoding %q", rec.Header().Get("Content-Encoding"))
				}
				return
			}
			if got := rec.Header().Get("Content-Encoding"); got != "gzip" {
				t.Fatalf("Content-Encoding = %q, want gzip", got)
			}
			zr, err := gzip.NewReader(rec.Body)
			if err != nil {
				t.Fatalf("gunzip: %v", err)
			}
			got, err := io.ReadAll(zr)
			if err != nil {
				t.Fatalf("gunzip: %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("gunzipped body differs from %s (compressed twice?)", tc.file)
			}

			rec = do(e, http.MethodGet, u, map[string]string{"If-None-Match": rec.Header().Get("ETag")})
			if rec.Code != http.StatusNotModified {
				t.Errorf("If-None-Match: status %d, want 304", rec.Code)
			}
		})
	}
	for _, u := range []string{"/assets/app.css", "/assets/app.deadbeef.css", "/assets/nope.12345678.css", "/assets/"} {
		if rec := do(e, http.MethodGet, u, nil); rec.Code != 404 {
			t.Errorf("GET %s = %d, want 404", u, rec.Code)
		}
	}
}

func TestGzipPage(t *testing.T) {
	e := newTestServer(t, nil)
	rec := do(e, http.MethodGet, "/packs", map[string]string{"Accept-Encoding": "gzip"})
	if rec.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("page not gzipped: %v", rec.Header())
	}
	zr, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "全部锦囊") {
		t.Errorf("gunzipped page lacks title")
	}
	// Tiny responses are not worth compressing.
	rec = do(e, http.MethodGet, "/healthz", map[string]string{"Accept-Encoding": "gzip"})
	if rec.Header().Get("Content-Encoding") != "" || rec.Body.String() != "ok" {
		t.Errorf("healthz: encoding %q body %q", rec.Header().Get("Content-Encoding"), rec.Body.String())
	}
}

func TestPackETag(t *testing.T) {
	e := newTestServer(t, nil)
	first := do(e, http.MethodGet, "/packs/expense-claims", nil)
	etag := first.Header().Get("ETag")
	if first.Code != 200 || etag == "" {
		t.Fatalf("status %d etag %q", first.Code, etag)
	}
	rec := do(e, http.MethodGet, "/packs/expense-claims", map[string]string{"If-None-Match": etag})
	if rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
		t.Fatalf("If-None-Match: status %d body %d bytes, want 304 and none", rec.Code, rec.Body.Len())
	}
	if rec.Header().Get("ETag") != etag || !strings.Contains(strings.Join(rec.Header().Values("Vary"), ","), "HX-Request") {
		t.Errorf("304 headers: %v", rec.Header())
	}
	rec = do(e, http.MethodGet, "/packs/expense-claims", map[string]string{"If-None-Match": `W/"other", ` + etag})
	if rec.Code != http.StatusNotModified {
		t.Errorf("ETag in a list: status %d, want 304", rec.Code)
	}
	for name, h := range map[string]map[string]string{
		"other language": {"If-None-Match": etag, "Cookie": "lang=en"},
		"fragment":       {"If-None-Match": etag, "HX-Request": "true"},
		"stale etag":     {"If-None-Match": `"stale"`},
	} {
		rec := do(e, http.MethodGet, "/packs/expense-claims", h)
		if rec.Code != 200 {
			t.Errorf("%s: status %d, want 200", name, rec.Code)
		}
		if name != "stale etag" && rec.Header().Get("ETag") == etag {
			t.Errorf("%s: same ETag as the default page", name)
		}
	}
	// Another pack has another ETag.
	if other := do(e, http.MethodGet, "/packs/invoice-tips", nil).Header().Get("ETag"); other == etag {
		t.Errorf("two packs share ETag %s", etag)
	}
}

func TestReadyzFailure(t *testing.T) {
	e := newTestServer(t, func(o *Options) {
		o.Ready = map[string]Checker{"store": checker{}, "index": checker{err: errors.New("dial tcp: connection refused")}}
	})
	rec := do(e, http.MethodGet, "/readyz", nil)
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503", rec.Code)
	}
	body := rec.Body.String()
	for _, s := range []string{"index: fail", "store: ok", "not ready"} {
		if !strings.Contains(body, s) {
			t.Errorf("body %q lacks %q", body, s)
		}
	}
	if strings.Contains(body, "connection refused") {
		t.Errorf("readyz leaks the cause: %q", body)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type %q", ct)
	}
}

// failingSearch is a Search whose searches fail with err.
type failingSearch struct {
	inner Search
	err   error
}

func (f failingSearch) Search(context.Context, index.Query) (index.Result, error) {
	return index.Result{}, f.err
}
func (f failingSearch) Record(q string, hits int, weak bool) { f.inner.Record(q, hits, weak) }
func (f failingSearch) Misses(ctx context.Context, weeks int) ([]search.Week, error) {
	return f.inner.Misses(ctx, weeks)
}
func (f failingSearch) Synonyms(ctx context.Context) (string, string, error) {
	return f.inner.Synonyms(ctx)
}
func (f failingSearch) SaveSynonyms(ctx context.Context, text, ifMatch string) error {
	return f.inner.SaveSynonyms(ctx, text, ifMatch)
}

func TestInternalErrorHidesCause(t *testing.T) {
	var logs bytes.Buffer
	fp := newFakePacks()
	fp.searchErr = errors.New("meilisearch: secret-master-key rejected")
	e := newTestServer(t, func(o *Options) {
		o.Packs = fp
		o.Search = failingSearch{inner: o.Search, err: fp.searchErr}
		o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	for _, tc := range []struct {
		headers  map[string]string
		contains string
		full     bool
	}{
		{nil, "服务器出了点问题", true},
		{english, "Something went wrong on our side", true},
		{hx, "服务器出了点问题", false},
	} {
		rec := do(e, http.MethodGet, "/search?q=x", tc.headers)
		body := rec.Body.String()
		if rec.Code != 500 {
			t.Fatalf("status %d, want 500", rec.Code)
		}
		if !strings.Contains(body, tc.contains) || strings.Contains(body, "secret-master-key") {
			t.Errorf("500 page: want %q and no cause; got:\n%s", tc.contains, body)
		}
		if got := strings.Contains(body, "<html"); got != tc.full {
			t.Errorf("full page = %v, want %v", got, tc.full)
		}
	}
	if !strings.Contains(logs.String(), "secret-master-key") {
		t.Errorf("cause was not logged; logs:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "status=500") {
		t.Errorf("request log lacks status=500; logs:\n%s", logs.String())
	}
}

// panicPacks panics on every call, to prove Recover hands off to the error page.
type panicPacks struct{ *fakePacks }

func (panicPacks) Get(context.Context, string) (*packs.Pack, error) { panic("boom") }

func TestPanicRecovered(t *testing.T) {
	e := newTestServer(t, func(o *Options) { o.Packs = &panicPacks{newFakePacks()} })
	rec := do(e, http.MethodGet, "/packs/x", nil)
	if rec.Code != 500 || !strings.Contains(rec.Body.String(), "服务器错误") || strings.Contains(rec.Body.String(), "boom") {
		t.Fatalf("status %d body:\n%s", rec.Code, rec.Body.String())
	}
}

func TestNoPacks(t *testing.T) {
	e := newTestServer(t, func(o *Options) { o.Packs = &fakePacks{bodies: map[string]string{}, sources: map[string]string{}} })
	rec := do(e, http.MethodGet, "/", nil)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "还没有锦囊") || strings.Contains(rec.Body.String(), "今日推荐") {
		t.Fatalf("status %d body:\n%s", rec.Code, rec.Body.String())
	}
	rec = do(e, http.MethodGet, "/departments", nil)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "还没有部门") {
		t.Fatalf("departments: status %d body:\n%s", rec.Code, rec.Body.String())
	}
}

func TestNewFailsFast(t *testing.T) {
	broken := fstest.MapFS{
		"layout.html":         {Data: []byte(`{{define "layout"}}{{template "content" .}}{{end}}`)},
		"partials/empty.html": {Data: []byte(``)},
		"home.html":           {Data: []byte(`{{define "content"}}{{if}}{{end}}`)},
	}
	ok := newTestServer(t, nil).opts // a complete set of options
	if _, err := New(ok); err != nil {
		t.Fatalf("complete options: %v", err)
	}
	with := func(change func(*Options)) Options {
		o := ok
		change(&o)
		return o
	}
	cases := map[string]Options{
		"no packs":        with(func(o *Options) { o.Packs = nil }),
		"no templates":    with(func(o *Options) { o.Templates = nil }),
		"broken template": with(func(o *Options) { o.Templates = broken }),
		"missing page": with(func(o *Options) {
			o.Templates = fstest.MapFS{"layout.html": broken["layout.html"], "partials/empty.html": broken["partials/empty.html"]}
		}),
		"no provider":    with(func(o *Options) { o.Auth.Provider = nil }),
		"no sessions":    with(func(o *Options) { o.Auth.Sessions = nil }),
		"no states":      with(func(o *Options) { o.Auth.States = nil }),
		"no roles":       with(func(o *Options) { o.Auth.Roles = nil }),
		"no users":       with(func(o *Options) { o.Auth.Users = nil }),
		"no audit":       with(func(o *Options) { o.Auth.Audit = nil }),
		"no write limit": with(func(o *Options) { o.Auth.WriteLimit = nil }),
		"no login limit": with(func(o *Options) { o.Auth.LoginLimit = nil }),
	}
	for name, o := range cases {
		if _, err := New(o); err == nil {
			t.Errorf("%s: New succeeded, want error", name)
		}
	}
}

// withFile copies fsys into a MapFS and adds one file.
func withFile(t *testing.T, fsys fs.FS, name, data string) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		m[p] = &fstest.MapFile{Data: b}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	m[name] = &fstest.MapFile{Data: []byte(data)}
	return m
}

func TestDevReload(t *testing.T) {
	tmpl := withFile(t, os.DirFS("../../templates"), "error.html", `{{define "content"}}<p>old</p>{{end}}`)
	assets := withFile(t, os.DirFS("../../assets"), "app.css", "body{}")
	e := newTestServer(t, func(o *Options) { o.Templates, o.Assets, o.DevReload = tmpl, assets, true })
	if body := do(e, http.MethodGet, "/nope", nil).Body.String(); !strings.Contains(body, "<p>old</p>") {
		t.Fatalf("first render: %s", body)
	}
	oldCSS := assetURL(t, e, "app.css")
	tmpl["error.html"] = &fstest.MapFile{Data: []byte(`{{define "content"}}<p>new</p>{{end}}`)}
	assets["app.css"] = &fstest.MapFile{Data: []byte("body{color:red}")}
	if body := do(e, http.MethodGet, "/nope", nil).Body.String(); !strings.Contains(body, "<p>new</p>") {
		t.Errorf("dev reload did not pick up the new template: %s", body)
	}
	newCSS := assetURL(t, e, "app.css")
	if newCSS == oldCSS {
		t.Errorf("asset URL did not change after edit: %s", newCSS)
	}
	if rec := do(e, http.MethodGet, newCSS, nil); rec.Code != 200 || rec.Body.String() != "body{color:red}" {
		t.Errorf("new asset: %d %q", rec.Code, rec.Body.String())
	}
}

func TestBodyLimit(t *testing.T) {
	e := newTestServer(t, nil)
	req := httptest.NewRequest(http.MethodPost, "/search", bytes.NewReader(bytes.Repeat([]byte("x"), 2<<20)))
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	if rec.Code != http.StatusRequestEntityTooLarge || !strings.Contains(rec.Body.String(), "提交的内容太大了") {
		t.Fatalf("status %d body:\n%s", rec.Code, rec.Body.String())
	}
}

func TestHeadOverHTTP(t *testing.T) {
	ts := newTestServer(t, nil)
	srv := httptest.NewServer(ts)
	defer srv.Close()
	req, err := http.NewRequest(http.MethodHead, srv.URL+"/packs/new-hire-guide", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.AddCookie(&http.Cookie{Name: sessionCookiePlain, Value: ts.token})
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("ETag") == "" {
		t.Errorf("HEAD: status %d, ETag %q", res.StatusCode, res.Header.Get("ETag"))
	}
}
