package web

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/announce"
	"github.com/jinnang/jinnang/portal/auth"
	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/markdown"
	"github.com/jinnang/jinnang/portal/packs"
	"github.com/jinnang/jinnang/portal/paths"
	"github.com/jinnang/jinnang/portal/people"
	"github.com/jinnang/jinnang/portal/store"
)

// newTestKnowledge is the real pack editor (over the test store and index,
// with expense-claims of 财务部 seeded), reading paths and the directory.
func newTestKnowledge(t *testing.T, st store.Store, ix index.Index) (*packs.Service, *paths.Service, *people.Directory) {
	t.Helper()
	ps := packs.New(st, ix, fakeMarkdown, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ps.SetClock(func() time.Time { return testNow })
	pt, err := paths.New(st, bytes.Repeat([]byte("p"), 32), func() time.Time { return testNow })
	if err != nil {
		t.Fatal(err)
	}
	return ps, pt, people.New(st, func() time.Time { return testNow })
}

// seedEditor stores expense-claims (财务部) in the real editor service.
func seedEditor(ps *packs.Service) error {
	_, err := ps.Save(context.Background(), "expense-claims", []byte(financeSource), "")
	return err
}

// realPacks makes the test server's pack pages use the real editor service,
// seeded with expense-claims of 财务部.
func realPacks(o *Options) {
	ps := o.Editor.(*packs.Service)
	if err := seedEditor(ps); err != nil {
		panic(err)
	}
	o.Packs = ps
}

const testDraftID = "aaaaaaaaaaaaaaaa"

func publishNew(dept string) url.Values {
	return url.Values{"do": {"publish"}, "draft": {testDraftID}, "title": {"预算编制流程"}, "department": {dept}, "body": {"每年十月开始。"}}
}

func publishEdit(dept string) url.Values {
	return url.Values{"do": {"publish"}, "draft": {"{pid}"}, "pack": {"expense-claims"}, "etag": {"{petag}"}, "base": {"1"},
		"title": {"预算编制"}, "department": {dept}, "body": {"每年九月开始。"}}
}

// prepareKnowledgeRow fills the role table's {pid}, {petag} and {pathid}.
func prepareKnowledgeRow(t *testing.T, ts *testServer, path string, form url.Values) (string, url.Values) {
	t.Helper()
	ctx := context.Background()
	if strings.Contains(path, "expense-claims") || form.Get("pack") == "expense-claims" {
		if err := seedEditor(ts.opts.Editor.(*packs.Service)); err != nil {
			t.Fatal(err)
		}
	}
	if form.Get("draft") == "{pid}" {
		m, err := ts.opts.Editor.Prepare(ctx, "expense-claims")
		if err != nil {
			t.Fatal(err)
		}
		_, etag, err := ts.opts.Editor.Source(ctx, "expense-claims")
		if err != nil {
			t.Fatal(err)
		}
		form.Set("draft", m.ID)
		form.Set("etag", etag)
	}
	if strings.Contains(path, "{pathid}") {
		p, err := ts.opts.Paths.Create(ctx, paths.Path{Title: "入职第一周", Steps: []paths.Step{{Kind: paths.KindPack, Ref: "expense-claims", Title: "报销"}},
			By: techEd.ID, ByName: techEd.Name})
		if err != nil {
			t.Fatal(err)
		}
		path = strings.ReplaceAll(path, "{pathid}", p.ID)
	}
	return path, form
}

// post sends form as u with the CSRF token.
func (ts *testServer) post(tok, target string, headers map[string]string, form url.Values) *httptest.ResponseRecorder {
	ts.t.Helper()
	form = cloneValues(form)
	form.Set(csrfField, ts.csrf(tok))
	return ts.send(tok, http.MethodPost, target, headers, form)
}

func hasAll(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
}

func TestEditorWriteWithPreview(t *testing.T) {
	ts := newTestServer(t, realPacks)
	tok := ts.signIn(financeEd)
	body := ts.send(tok, http.MethodGet, "/packs/new", nil, nil).Body.String()
	hasAll(t, "new form", body, `name="title"`, `name="summary"`, `name="department"`, `<option value="财务部" selected>`, `name="tags"`,
		`name="audience" value="new-hire"`, `hx-post="/editor/preview"`, `hx-post="/editor/autosave"`, `enctype="multipart/form-data"`,
		"其他网站的图片不会显示", `data-md="table"`)
	if strings.Contains(body, "---") {
		t.Error("the editor shows front matter")
	}
	draft := regexp.MustCompile(`name="draft" value="([a-z2-7]{16})"`).FindStringSubmatch(body)
	if draft == nil {
		t.Fatal("no draft id in the form")
	}
	form := url.Values{"draft": {draft[1]}, "title": {"差旅报销：五步走"}, "department": {"财务部"}, "tags": {"报销，差旅、发票；出差"},
		"audience": {"new-hire"}, "summary": {"从填单到到账"},
		"body": {"## 第一步\n\n填写**报销单**。\n\n| 项目 | 标准 |\n| --- | --- |\n| 住宿 | 500 |\n\n![外链](https://img.example.com/a.png)\n"}}
	// HTMX preview: the fragment alone, same renderer and sanitizer.
	rec := ts.post(tok, "/editor/preview", hx, form)
	frag := rec.Body.String()
	if rec.Code != http.StatusOK || strings.Contains(frag, "<html") {
		t.Fatalf("preview fragment: %d\n%s", rec.Code, frag)
	}
	hasAll(t, "preview", frag, `<h2 id="第一步">第一步</h2>`, "<strong>报销单</strong>", "<table>", `<a href="https://img.example.com/a.png" rel="nofollow noopener">🖼 外链</a>`, "1 张其他网站的图片不会显示")
	if strings.Contains(frag, "<img") {
		t.Error("an external image is loaded")
	}
	// Without JavaScript: the Preview button renders the whole page.
	noJS := cloneValues(form)
	noJS.Set("do", "preview")
	rec = ts.post(tok, "/editor", nil, noJS)
	hasAll(t, "no-JS preview", rec.Body.String(), "<html", "<strong>报销单</strong>", `value="差旅报销：五步走"`)
	// Publish: the slug comes from the title's pinyin, the front matter from the fields.
	pub := cloneValues(form)
	pub.Set("do", "publish")
	rec = ts.post(tok, "/editor", nil, pub)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/packs/cha-lv-bao-xiao-wu-bu-zou" {
		t.Fatalf("publish: %d %q\n%s", rec.Code, rec.Header().Get("Location"), rec.Body.String())
	}
	src, _, err := ts.opts.Editor.Source(context.Background(), "cha-lv-bao-xiao-wu-bu-zou")
	if err != nil {
		t.Fatal(err)
	}
	hasAll(t, "generated source", string(src), "title: 差旅报销：五步走", "  - 报销\n  - 差旅\n  - 发票\n  - 出差\n", "department: 财务部", "author: 王敏", "  - new-hire")
	page := ts.send(tok, http.MethodGet, "/packs/cha-lv-bao-xiao-wu-bu-zou", nil, nil).Body.String()
	hasAll(t, "pack page", page, "<strong>报销单</strong>", "负责人", "王敏", "最后核对", "历史版本（1）")
	if acts := auditActions(t, ts); len(acts) == 0 || !strings.HasPrefix(acts[0], "pack.create dev:wangmin pack:cha-lv-bao-xiao-wu-bu-zou") {
		t.Errorf("audit: %q", acts)
	}
	// A second pack with the same title gets the next free slug.
	pub.Set("draft", "bbbbbbbbbbbbbbbb")
	if rec := ts.post(tok, "/editor", nil, pub); rec.Header().Get("Location") != "/packs/cha-lv-bao-xiao-wu-bu-zou-2" {
		t.Errorf("second slug: %q", rec.Header().Get("Location"))
	}
	// Errors next to their fields, input kept; another department is 403.
	bad := url.Values{"do": {"publish"}, "draft": {"cccccccccccccccc"}, "title": {""}, "department": {"技术部"}, "body": {"正文保留"}, "slug": {"Bad Slug"}}
	rec = ts.post(tok, "/editor", nil, bad)
	if rec.Code != http.StatusForbidden {
		t.Errorf("other department: %d", rec.Code)
	}
	hasAll(t, "invalid form", rec.Body.String(), `id="title-error"`, `id="slug-error"`, `id="department-error"`, "正文保留", `aria-invalid="true"`)
}

func TestSplitListChineseSeparators(t *testing.T) {
	got := strings.Join(splitList(" 报销，差旅、发票；出差;  ,入职,报销 "), "|")
	if got != "报销|差旅|发票|出差|入职" {
		t.Errorf("splitList: %q", got)
	}
}

func TestEditorImages(t *testing.T) {
	ts := newTestServer(t, realPacks)
	tok := ts.signIn(financeEd)
	fields := []field{{csrfField, ts.csrf(tok)}, {"draft", testDraftID}, {"title", "发票怎么贴"}, {"department", "财务部"}, {"body", "先看图："}, {"do", "upload"}}
	rec := ts.sendMultipart(tok, "/editor", nil, fields, &upload{"image", "发票.png", bytes.NewReader(pngBytes(t))})
	if rec.Code != http.StatusOK {
		t.Fatalf("upload: %d\n%s", rec.Code, rec.Body.String())
	}
	m := regexp.MustCompile(`!\[发票\]\(images/([0-9a-f]{32}\.jpg)\)`).FindStringSubmatch(rec.Body.String())
	if m == nil {
		t.Fatalf("no image link in the body:\n%s", rec.Body.String())
	}
	hasAll(t, "preview after upload", rec.Body.String(), `<img src="/drafts/`+testDraftID+`/images/`+m[1]+`" alt="发票">`, "图片已插入")
	img := ts.send(tok, http.MethodGet, "/drafts/"+testDraftID+"/images/"+m[1], nil, nil)
	if img.Code != 200 || img.Header().Get("Content-Type") != "image/jpeg" {
		t.Fatalf("draft image: %d %s", img.Code, img.Header().Get("Content-Type"))
	}
	if other := ts.send(ts.signIn(techEd), http.MethodGet, "/drafts/"+testDraftID+"/images/"+m[1], nil, nil); other.Code != 404 {
		t.Errorf("another editor reads the draft's image: %d", other.Code)
	}
	// The toolbar and paste path (assets/editor.js): the Markdown comes back.
	fields = fields[:len(fields)-1]
	rec = ts.sendMultipart(tok, "/editor/image", map[string]string{csrfHeader: ts.csrf(tok)}, fields, &upload{"image", "image.png", bytes.NewReader(pngBytes(t))})
	if rec.Code != 200 || !regexp.MustCompile(`^!\[图片\]\(images/[0-9a-f]{32}\.jpg\)$`).MatchString(rec.Body.String()) {
		t.Errorf("paste upload: %d %q", rec.Code, rec.Body.String())
	}
	rec = ts.sendMultipart(tok, "/editor/image", map[string]string{csrfHeader: ts.csrf(tok)}, fields, &upload{"image", "x.png", strings.NewReader("<html><script>alert(1)</script>")})
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "不是可以使用的图片") {
		t.Errorf("a non-image: %d %q", rec.Code, rec.Body.String())
	}
	// Published, the image is found next to the pack.
	rec = ts.post(tok, "/editor", nil, url.Values{"do": {"publish"}, "draft": {testDraftID}, "title": {"发票怎么贴"}, "department": {"财务部"},
		"body": {"![发票](images/" + m[1] + ")"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("publish: %d", rec.Code)
	}
	slug := strings.TrimPrefix(rec.Header().Get("Location"), "/packs/")
	page := ts.send(ts.token, http.MethodGet, "/packs/"+slug, nil, nil).Body.String()
	hasAll(t, "pack page", page, `<img src="/packs/`+slug+`/images/`+m[1]+`" alt="发票">`)
	if img := ts.send(ts.token, http.MethodGet, "/packs/"+slug+"/images/"+m[1], nil, nil); img.Code != 200 || img.Body.Len() == 0 {
		t.Errorf("pack image: %d", img.Code)
	}
}

func TestEditorAutosaveAndDrafts(t *testing.T) {
	ts := newTestServer(t, realPacks)
	tok := ts.signIn(financeEd)
	form := url.Values{"draft": {testDraftID}, "title": {"写到一半"}, "department": {"财务部"}, "body": {"还没写完……"}}
	rec := ts.post(tok, "/editor/autosave", hx, form)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "草稿已自动保存（") || strings.Contains(rec.Body.String(), "<html") {
		t.Fatalf("autosave: %d %q", rec.Code, rec.Body.String())
	}
	me := ts.send(tok, http.MethodGet, "/me", nil, nil).Body.String()
	hasAll(t, "/me", me, `href="/drafts/`+testDraftID+`"`, "写到一半")
	rec = ts.send(tok, http.MethodGet, "/drafts/"+testDraftID, nil, nil)
	hasAll(t, "draft editor", rec.Body.String(), `value="写到一半"`, "还没写完……", `value="discard"`)
	if other := ts.send(ts.signIn(admin), http.MethodGet, "/drafts/"+testDraftID, nil, nil); other.Code != 404 {
		t.Errorf("someone else's draft: %d", other.Code)
	}
	// Without JavaScript, "save draft" stores it too.
	noJS := cloneValues(form)
	noJS.Set("do", "draft")
	noJS.Set("body", "写完了一半。")
	if rec := ts.post(tok, "/editor", nil, noJS); rec.Code != 200 || !strings.Contains(rec.Body.String(), "草稿已保存") {
		t.Errorf("save draft: %d", rec.Code)
	}
	// An edit of an existing pack: its draft comes back when the editor reopens.
	page := ts.send(tok, http.MethodGet, "/packs/expense-claims/edit", nil, nil).Body.String()
	pid := regexp.MustCompile(`name="draft" value="([a-z2-7]{16})"`).FindStringSubmatch(page)[1]
	etag := regexp.MustCompile(`name="etag" value="([^"]+)"`).FindStringSubmatch(page)[1]
	edit := url.Values{"draft": {pid}, "pack": {"expense-claims"}, "etag": {etag}, "base": {"1"}, "title": {"预算编制"}, "department": {"财务部"}, "body": {"改到一半"}}
	if rec := ts.post(tok, "/editor/autosave", hx, edit); rec.Code != 200 {
		t.Fatalf("autosave an edit: %d", rec.Code)
	}
	hasAll(t, "reopened editor", ts.send(tok, http.MethodGet, "/packs/expense-claims/edit", nil, nil).Body.String(), "改到一半", "已恢复你在")
	edit.Set("do", "discard")
	if rec := ts.post(tok, "/editor", nil, edit); rec.Code != http.StatusSeeOther {
		t.Errorf("discard: %d", rec.Code)
	}
	if body := ts.send(tok, http.MethodGet, "/packs/expense-claims/edit", nil, nil).Body.String(); strings.Contains(body, "改到一半") {
		t.Error("the discarded draft came back")
	}
	// An autosave cannot write someone else's pack through a forged draft.
	forged := cloneValues(edit)
	forged.Set("draft", testDraftID)
	if rec := ts.post(tok, "/editor/autosave", hx, forged); rec.Code != http.StatusForbidden {
		t.Errorf("forged draft id: %d", rec.Code)
	}
}

func TestEditorConflictMerge(t *testing.T) {
	ts := newTestServer(t, realPacks)
	ctx := context.Background()
	base := "第一段：十月开始。\n\n第二段：提交给王敏。\n\n第三段：周五截止。\n"
	fm := packs.Publication{Slug: "expense-claims", Fields: fakeFields("预算编制"), Body: base, By: admin.ID, ByName: admin.Name}
	m, _ := ts.opts.Editor.Prepare(ctx, "expense-claims")
	_, etag, _ := ts.opts.Editor.Source(ctx, "expense-claims")
	fm.IfMatch = etag
	if _, _, err := ts.opts.Editor.Publish(ctx, fm); err != nil {
		t.Fatal(err)
	}
	tok := ts.signIn(financeEd)
	page := ts.send(tok, http.MethodGet, "/packs/expense-claims/edit", nil, nil).Body.String()
	myETag := regexp.MustCompile(`name="etag" value="([^"]+)"`).FindStringSubmatch(page)[1]
	hasAll(t, "editor", page, `name="base" value="2"`, "第二段：提交给王敏。")
	// 张伟 publishes first: the first and the second paragraph.
	_, etag, _ = ts.opts.Editor.Source(ctx, "expense-claims")
	fm.IfMatch, fm.Body = etag, "第一段：九月开始。\n\n第二段：提交给李强。\n\n第三段：周五截止。\n"
	if _, _, err := ts.opts.Editor.Publish(ctx, fm); err != nil {
		t.Fatal(err)
	}
	// 王敏 changed the second and the third paragraph.
	mine := url.Values{"do": {"publish"}, "draft": {m.ID}, "pack": {"expense-claims"}, "etag": {myETag}, "base": {"2"}, "title": {"预算编制"},
		"department": {"财务部"}, "body": {"第一段：十月开始。\n\n第二段：提交给财务部。\n\n第三段：周四截止。\n"}}
	rec := ts.post(tok, "/editor", nil, mine)
	if rec.Code != http.StatusConflict {
		t.Fatalf("stale publish: %d\n%s", rec.Code, rec.Body.String())
	}
	body := rec.Body.String()
	hasAll(t, "merge page", body, "第 3 版", "需要你决定的地方：1 处", `name="c0" value="theirs"`, "<del>李强</del><ins>财务部</ins>", "只有对方改了这里", "只有你改了这里", `name="theirsv" value="3"`)
	if src, _, _ := ts.opts.Editor.Source(ctx, "expense-claims"); !strings.Contains(string(src), "李强") {
		t.Fatal("their version was overwritten")
	}
	theirsETag := regexp.MustCompile(`name="etag" value="([^"]+)"`).FindStringSubmatch(body)[1]
	merge := url.Values{"do": {"merge"}, "draft": {m.ID}, "pack": {"expense-claims"}, "etag": {theirsETag}, "base": {"2"}, "theirsv": {"3"},
		"title": {"预算编制"}, "department": {"财务部"}, "body": {mine.Get("body")}, "c0": {"theirs"}}
	rec = ts.post(tok, "/editor", nil, merge)
	merged := "第一段：九月开始。\n\n第二段：提交给李强。\n\n第三段：周四截止。\n"
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), merged) || !strings.Contains(rec.Body.String(), "已合并") {
		t.Fatalf("merged editor: %d\n%s", rec.Code, rec.Body.String())
	}
	pub := url.Values{"do": {"publish"}, "draft": {m.ID}, "pack": {"expense-claims"}, "etag": {theirsETag}, "base": {"3"}, "title": {"预算编制"},
		"department": {"财务部"}, "body": {merged}, "note": {"合并张伟的修改"}}
	if rec := ts.post(tok, "/editor", nil, pub); rec.Code != http.StatusSeeOther {
		t.Fatalf("publish the merge: %d\n%s", rec.Code, rec.Body.String())
	}
	if src, _, _ := ts.opts.Editor.Source(ctx, "expense-claims"); !strings.Contains(string(src), merged) {
		t.Errorf("published merge:\n%s", src)
	}
}

func fakeFields(title string) markdown.FrontMatter {
	return markdown.FrontMatter{Title: title, Department: "财务部"}
}

func TestHistoryDiffRestore(t *testing.T) {
	ts := newTestServer(t, realPacks)
	tok := ts.signIn(financeEd)
	publishBody := func(body, note string) {
		t.Helper()
		page := ts.send(tok, http.MethodGet, "/packs/expense-claims/edit", nil, nil).Body.String()
		get := func(name string) string {
			return regexp.MustCompile(`name="` + name + `" value="([^"]*)"`).FindStringSubmatch(page)[1]
		}
		rec := ts.post(tok, "/editor", nil, url.Values{"do": {"publish"}, "draft": {get("draft")}, "pack": {"expense-claims"}, "etag": {get("etag")},
			"base": {get("base")}, "title": {"预算编制"}, "department": {"财务部"}, "body": {body}, "note": {note}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("publish: %d\n%s", rec.Code, rec.Body.String())
		}
	}
	publishBody("每年九月开始编制预算。\n", "提前一个月")
	publishBody("每年九月开始编制预算，十一月定稿。\n", "加定稿时间")
	hist := ts.send(ts.token, http.MethodGet, "/packs/expense-claims/history", nil, nil).Body.String()
	hasAll(t, "history", hist, "第 3 版", "第 2 版", "第 1 版", "提前一个月", "加定稿时间", "王敏", `name="a" value="2" checked`, `name="b" value="3" checked`)
	diff := ts.send(ts.token, http.MethodGet, "/packs/expense-claims/diff?a=1&b=3", nil, nil).Body.String()
	hasAll(t, "diff", diff, "<span>每年</span><del>十</del><ins>九</ins><span>月开始编制预算</span><ins>，十一月定稿</ins><span>。")
	old := ts.send(ts.token, http.MethodGet, "/packs/expense-claims/versions/1", nil, nil).Body.String()
	hasAll(t, "version 1", old, "每年十月开始编制预算。", "这是第 1 版，当前是第 3 版。")
	if strings.Contains(old, "/restore") {
		t.Error("an employee is offered restore")
	}
	hasAll(t, "version 1 as editor", ts.send(tok, http.MethodGet, "/packs/expense-claims/versions/1", nil, nil).Body.String(), "恢复第 1 版")
	rec := ts.post(tok, "/packs/expense-claims/versions/1/restore", nil, url.Values{})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("restore: %d", rec.Code)
	}
	page := ts.send(ts.token, http.MethodGet, "/packs/expense-claims", nil, nil).Body.String()
	hasAll(t, "restored pack", page, "每年十月开始编制预算。", "历史版本（4）")
	hasAll(t, "history after restore", ts.send(ts.token, http.MethodGet, "/packs/expense-claims/history", nil, nil).Body.String(), "恢复自第 1 版")
	if acts := auditActions(t, ts); !strings.HasPrefix(acts[0], "pack.restore.version dev:wangmin pack:expense-claims") {
		t.Errorf("audit: %q", acts)
	}
	if rec := ts.post(ts.signIn(techEd), "/packs/expense-claims/versions/1/restore", nil, url.Values{}); rec.Code != http.StatusForbidden {
		t.Errorf("another department restores: %d", rec.Code)
	}
}

func TestRenameRedirects(t *testing.T) {
	ts := newTestServer(t, realPacks)
	tok := ts.signIn(financeEd)
	page := ts.send(tok, http.MethodGet, "/packs/expense-claims/edit", nil, nil).Body.String()
	get := func(name string) string {
		return regexp.MustCompile(`name="` + name + `" value="([^"]*)"`).FindStringSubmatch(page)[1]
	}
	rec := ts.post(tok, "/editor", nil, url.Values{"do": {"publish"}, "draft": {get("draft")}, "pack": {"expense-claims"}, "etag": {get("etag")},
		"base": {get("base")}, "slug": {"yu-suan"}, "title": {"预算编制"}, "department": {"财务部"}, "body": {"每年十月。"}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/packs/yu-suan" {
		t.Fatalf("rename: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	old := ts.send(ts.token, http.MethodGet, "/packs/expense-claims", nil, nil)
	if old.Code != http.StatusMovedPermanently || old.Header().Get("Location") != "/packs/yu-suan" {
		t.Errorf("old slug: %d %q", old.Code, old.Header().Get("Location"))
	}
	if h := ts.send(ts.token, http.MethodGet, "/packs/expense-claims/history", nil, nil); h.Header().Get("Location") != "/packs/yu-suan/history" {
		t.Errorf("old history: %d %q", h.Code, h.Header().Get("Location"))
	}
	hasAll(t, "history after rename", ts.send(ts.token, http.MethodGet, "/packs/yu-suan/history", nil, nil).Body.String(), "第 2 版", "第 1 版")
}

func TestFreshnessArchiveDelete(t *testing.T) {
	// expense-claims was last checked 2025-05-01 (its date); 13 months later it is stale.
	later := func() time.Time { return testNow.AddDate(1, 1, 0) }
	ts := newTestServer(t, func(o *Options) {
		realPacks(o)
		o.Now = later
		o.Editor.(*packs.Service).SetClock(later)
	})
	tok := ts.signIn(financeEd)
	page := ts.send(ts.token, http.MethodGet, "/packs/expense-claims", nil, nil).Body.String()
	if !strings.Contains(page, "内容可能已过时") {
		t.Errorf("stale pack without a notice")
	}
	if _, err := ts.opts.Editor.Prepare(context.Background(), "expense-claims"); err != nil {
		t.Fatal(err)
	}
	hasAll(t, "待核对", ts.send(tok, http.MethodGet, "/review", nil, nil).Body.String(), `href="/packs/expense-claims"`, "预算编制")
	if body := ts.send(ts.signIn(techEd), http.MethodGet, "/review", nil, nil).Body.String(); strings.Contains(body, "expense-claims") {
		t.Error("another department's editor must check it")
	}
	rec := ts.post(tok, "/packs/expense-claims/review", nil, url.Values{"back": {"review"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("review: %d", rec.Code)
	}
	if body := ts.send(tok, http.MethodGet, "/review", nil, nil).Body.String(); strings.Contains(body, `href="/packs/expense-claims"`) {
		t.Error("a checked pack is still to check")
	}
	if strings.Contains(ts.send(ts.token, http.MethodGet, "/packs/expense-claims", nil, nil).Body.String(), "内容可能已过时") {
		t.Error("a checked pack shows the stale notice")
	}
	// Archive: off lists, page readable with a notice.
	if rec := ts.post(tok, "/packs/expense-claims/state", nil, url.Values{"to": {"archived"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("archive: %d", rec.Code)
	}
	if body := ts.send(ts.token, http.MethodGet, "/packs", nil, nil).Body.String(); strings.Contains(body, "expense-claims") {
		t.Error("an archived pack is listed")
	}
	hasAll(t, "archived page", ts.send(ts.token, http.MethodGet, "/packs/expense-claims", nil, nil).Body.String(), "已归档", "每年十月")
	// Delete: gone for readers, restorable by the department's editors.
	if rec := ts.post(tok, "/packs/expense-claims/state", nil, url.Values{"to": {"deleted"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("delete: %d", rec.Code)
	}
	if rec := ts.send(ts.token, http.MethodGet, "/packs/expense-claims", nil, nil); rec.Code != 404 {
		t.Errorf("deleted pack for a reader: %d", rec.Code)
	}
	hasAll(t, "trash", ts.send(tok, http.MethodGet, "/review", nil, nil).Body.String(), "最近删除", `value="undeleted"`)
	if rec := ts.post(tok, "/packs/expense-claims/state", nil, url.Values{"to": {"undeleted"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("undelete: %d", rec.Code)
	}
	if rec := ts.send(ts.token, http.MethodGet, "/packs/expense-claims", nil, nil); rec.Code != 200 {
		t.Errorf("undeleted pack: %d", rec.Code)
	}
	acts := strings.Join(auditActions(t, ts), "\n")
	for _, want := range []string{"pack.review dev:wangmin", "pack.archive dev:wangmin", "pack.delete dev:wangmin", "pack.undelete dev:wangmin"} {
		if !strings.Contains(acts, want) {
			t.Errorf("audit lacks %q:\n%s", want, acts)
		}
	}
}

func TestOwnerLeftHandsPacksOn(t *testing.T) {
	ts := newTestServer(t, realPacks)
	tok := ts.signIn(financeEd)
	rec := ts.post(tok, "/editor", nil, publishNew("财务部"))
	slug := strings.TrimPrefix(rec.Header().Get("Location"), "/packs/")
	hasAll(t, "owner", ts.send(ts.token, http.MethodGet, "/packs/"+slug, nil, nil).Body.String(), "<dd>王敏</dd>")
	adm := ts.signIn(admin)
	rec = ts.post(adm, "/admin/owners", nil, url.Values{"user": {financeEd.ID}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("owner left: %d", rec.Code)
	}
	hasAll(t, "result", ts.send(adm, http.MethodGet, rec.Header().Get("Location"), nil, nil).Body.String(), "1 篇锦囊已转交", slug)
	hasAll(t, "new owner", ts.send(ts.token, http.MethodGet, "/packs/"+slug, nil, nil).Body.String(), "财务部编辑组")
}

func TestPathProgressAndReport(t *testing.T) {
	ts := newTestServer(t, realPacks)
	ctx := context.Background()
	for _, u := range []auth.User{employee, {ID: "dev:xiaoli", Name: "小李", Department: "销售部"}, financeEd} {
		if err := ts.opts.People.Join(ctx, u.ID, u.Name, u.Department); err != nil {
			t.Fatal(err)
		}
	}
	if err := ts.opts.Editor.(*packs.Service).SaveDraft(ctx, &packs.Draft{ID: testDraftID, Owner: "x"}); err != nil {
		t.Fatal(err)
	}
	ed := ts.signIn(techEd)
	rec := ts.post(ed, "/paths/new", nil, url.Values{"title": {"销售新人"}, "departments": {"销售部"}, "audience": {"everyone"},
		"steps": {"/packs/expense-claims\nhttp://example.com/packs/nope"}})
	hasAll(t, "bad step", rec.Body.String(), "第 2 行")
	publishRec := ts.post(ts.signIn(financeEd), "/editor", nil, publishNew("财务部"))
	second := strings.TrimPrefix(publishRec.Header().Get("Location"), "/packs/")
	rec = ts.post(ed, "/paths/new", nil, url.Values{"title": {"销售新人"}, "departments": {"销售部"}, "audience": {"everyone"},
		"steps": {"/packs/expense-claims\n" + second}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("create path: %d\n%s", rec.Code, rec.Body.String())
	}
	pathURL := rec.Header().Get("Location")
	id := strings.TrimPrefix(pathURL, "/paths/")
	home := ts.send(ts.token, http.MethodGet, "/", nil, nil).Body.String()
	hasAll(t, "home", home, "我的入职路径", "销售新人", "已读 0 / 2", `href="/packs/expense-claims?path=`+id+`"`)
	if body := ts.send(ts.signIn(financeEd), http.MethodGet, "/", nil, nil).Body.String(); strings.Contains(body, "销售新人") {
		t.Error("a path for 销售部 shows to 财务部")
	}
	page := ts.send(ts.token, http.MethodGet, "/packs/expense-claims?path="+id, nil, nil).Body.String()
	hasAll(t, "pack on a path", page, "读完了，下一篇", "第 1 / 2 篇", `name="step" value="pack:expense-claims"`)
	rec = ts.post(ts.token, "/paths/"+id+"/read", nil, url.Values{"step": {"pack:expense-claims"}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/packs/"+second+"?path="+id {
		t.Fatalf("read: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	// Reading twice changes nothing (create-once mark).
	ts.post(ts.token, "/paths/"+id+"/read", nil, url.Values{"step": {"pack:expense-claims"}})
	hasAll(t, "home after one", ts.send(ts.token, http.MethodGet, "/", nil, nil).Body.String(), "已读 1 / 2")
	// HR (an admin here) sees completion per department and who is behind, by name.
	adm := ts.signIn(admin)
	report := ts.send(adm, http.MethodGet, "/paths/"+id+"/report", nil, nil).Body.String()
	hasAll(t, "report", report, "<td>销售部</td><td>2</td><td>0</td><td>1</td><td>0%</td>", "销售部：未完成 2 人", "小李", "陈晨")
	csvRec := ts.send(adm, http.MethodGet, "/paths/"+id+"/report.csv", nil, nil)
	if csvRec.Header().Get("Content-Type") != "text/csv; charset=utf-8" || !strings.Contains(csvRec.Body.String(), "销售部,陈晨,dev:chenchen,1,2,") {
		t.Errorf("csv: %q\n%s", csvRec.Header().Get("Content-Type"), csvRec.Body.String())
	}
	if rec := ts.send(ts.token, http.MethodGet, "/paths/"+id+"/report", nil, nil); rec.Code != http.StatusForbidden {
		t.Errorf("an employee sees the report: %d", rec.Code)
	}
	ts.post(ts.token, "/paths/"+id+"/read", nil, url.Values{"step": {"pack:" + second}})
	hasAll(t, "finished path", ts.send(ts.token, http.MethodGet, pathURL, nil, nil).Body.String(), "全部读完了")
	hasAll(t, "report after", ts.send(adm, http.MethodGet, "/paths/"+id+"/report", nil, nil).Body.String(), "<td>销售部</td><td>2</td><td>1</td><td>0</td><td>50%</td>")
}

func TestAnnouncementReadReceipts(t *testing.T) {
	ts := newTestServer(t, nil)
	ctx := context.Background()
	for _, u := range []auth.User{financeEd, {ID: "dev:xiaozhao", Name: "小赵", Department: "财务部"}, {ID: "dev:xiaoqian", Name: "小钱", Department: "财务部"}} {
		if err := ts.opts.People.Join(ctx, u.ID, u.Name, u.Department); err != nil {
			t.Fatal(err)
		}
	}
	author := ts.signIn(financeEd)
	form := url.Values{"title": {"七月起报销走新系统"}, "target": {"财务部"}, "body": {"请大家**七月一日**起用新系统。"}, "confirm": {"1"}, "comments": {"1"}}
	rec := ts.post(author, "/announcements/new", nil, form)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("create: %d\n%s", rec.Code, rec.Body.String())
	}
	res, err := ts.opts.Announcements.List(ctx, announce.Query{Any: true})
	if err != nil || len(res.Items) != 1 || !res.Items[0].Confirm || !res.Items[0].Comments {
		t.Fatalf("stored: %v %+v", err, res.Items)
	}
	id := res.Items[0].ID
	zhao := ts.signIn(auth.User{ID: "dev:xiaozhao", Name: "小赵", Department: "财务部"})
	hasAll(t, "list", ts.send(zhao, http.MethodGet, "/announcements", nil, nil).Body.String(), `href="/announcements/`+id+`"`, "请确认已读")
	page := ts.send(zhao, http.MethodGet, "/announcements/"+id, nil, nil).Body.String()
	hasAll(t, "announcement page", page, "<strong>七月一日</strong>", `name="kind" value="ack"`, "有疑问", "写评论")
	if strings.Contains(page, "/receipts") {
		t.Error("a reader sees the receipt report link")
	}
	rec = ts.post(zhao, "/announcements/"+id+"/receipt", nil, url.Values{"kind": {"ack"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("收到: %d", rec.Code)
	}
	hasAll(t, "after 收到", ts.send(zhao, http.MethodGet, rec.Header().Get("Location"), nil, nil).Body.String(), "已收到你的确认", "你已于")
	qian := ts.signIn(auth.User{ID: "dev:xiaoqian", Name: "小钱", Department: "财务部"})
	if rec := ts.post(qian, "/announcements/"+id+"/receipt", nil, url.Values{"kind": {"question"}}); rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("a question without text: %d", rec.Code)
	}
	if rec := ts.post(qian, "/announcements/"+id+"/receipt", nil, url.Values{"kind": {"question"}, "comment": {"旧系统的单子怎么办？"}}); rec.Code != http.StatusSeeOther {
		t.Errorf("有疑问: %d", rec.Code)
	}
	if rec := ts.post(qian, "/announcements/"+id+"/comments", nil, url.Values{"text": {"新系统的地址是什么？"}}); rec.Code != http.StatusSeeOther {
		t.Errorf("comment: %d", rec.Code)
	}
	hasAll(t, "comments", ts.send(zhao, http.MethodGet, "/announcements/"+id, nil, nil).Body.String(), "新系统的地址是什么？", "小钱")
	// The author sees counts per department and who has not confirmed.
	report := ts.send(author, http.MethodGet, "/announcements/"+id+"/receipts", nil, nil)
	hasAll(t, "report", report.Body.String(), "已确认 2 / 3 人，其中 1 人有疑问", "<td>财务部</td><td>3</td><td>2</td><td>1</td><td>1</td>", "财务部：还有 1 人未确认", "王敏", "旧系统的单子怎么办？")
	if rec := ts.send(zhao, http.MethodGet, "/announcements/"+id+"/receipts", nil, nil); rec.Code != http.StatusForbidden {
		t.Errorf("a reader opens the report: %d", rec.Code)
	}
	// Someone the announcement does not address does not see it.
	if rec := ts.send(ts.signIn(techEd), http.MethodGet, "/announcements/"+id, nil, nil); rec.Code != http.StatusNotFound {
		t.Errorf("another department: %d", rec.Code)
	}
}
