package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestPackEditorCreate(t *testing.T) {
	ts := newTestServer(t, nil)
	tok := ts.signIn(financeEd)
	csrf := ts.csrf(tok)
	post := func(slug, src string) (int, string, string) {
		rec := ts.send(tok, http.MethodPost, "/packs", nil, url.Values{csrfField: {csrf}, "slug": {slug}, "source": {src}})
		return rec.Code, rec.Header().Get("Location"), rec.Body.String()
	}

	body := ts.send(tok, http.MethodGet, "/packs/new", nil, nil).Body.String()
	for _, want := range []string{"department: 财务部", "author: 王敏", "date: 2025-06-01", `name="slug"`, `name="_csrf" value="` + csrf + `"`} {
		if !strings.Contains(body, want) {
			t.Errorf("new form lacks %q", want)
		}
	}

	// Every error next to its field, the input kept.
	code, _, body := post("Bad Slug!", "---\ntitle: 预算\nbogus: 1\n---\n正文\n")
	if code != http.StatusUnprocessableEntity {
		t.Fatalf("invalid form: %d", code)
	}
	for _, want := range []string{`id="slug-error"`, "网址名只能包含", `value="Bad Slug!"`, `id="source-error"`, "第 3 行", "bogus: 1", `aria-invalid="true"`} {
		if !strings.Contains(body, want) {
			t.Errorf("invalid form lacks %q:\n%s", want, body)
		}
	}
	code, _, body = post("budget", strings.Replace(financeSource, "department: 财务部\n", "", 1))
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "请在锦囊信息里填写 department") {
		t.Errorf("no department: %d", code)
	}
	code, _, body = post("release", techSource)
	if code != http.StatusForbidden || !strings.Contains(body, "你不能发布或修改“技术部”的锦囊") || !strings.Contains(body, "周四不发布") || !strings.Contains(body, `value="release"`) {
		t.Errorf("other department: %d\n%s", code, body)
	}
	code, _, body = post("expense-claims", financeSource)
	if code != http.StatusConflict || !strings.Contains(body, "网址名“expense-claims”已被使用") || !strings.Contains(body, "每年十月开始编制预算") {
		t.Errorf("slug taken: %d\n%s", code, body)
	}
	if ts.packs.sources["expense-claims"] != "" {
		t.Error("a taken slug was overwritten")
	}

	code, loc, _ := post("budget", strings.ReplaceAll(financeSource, "\n", "\r\n"))
	if code != http.StatusSeeOther || loc != "/packs/budget" {
		t.Fatalf("create: %d %q", code, loc)
	}
	if src := ts.packs.sources["budget"]; strings.Contains(src, "\r") || !strings.Contains(src, "每年十月") {
		t.Errorf("stored source %q", src)
	}
	if body := ts.send(tok, http.MethodGet, "/packs/budget", nil, nil).Body.String(); !strings.Contains(body, `href="/packs/budget/edit"`) {
		t.Error("editor sees no Edit link")
	}
	for _, other := range []string{ts.token, ts.signIn(techEd)} {
		if body := ts.send(other, http.MethodGet, "/packs/budget", nil, nil).Body.String(); strings.Contains(body, "/edit") {
			t.Error("a non-editor of 财务部 sees the Edit link")
		}
	}
	if body := ts.send(tok, http.MethodGet, "/me", nil, nil).Body.String(); !strings.Contains(body, `href="/packs/budget">预算编制</a>`) {
		t.Errorf("my posts lack the pack:\n%s", body)
	}
	if acts := auditActions(t, ts); len(acts) != 1 || acts[0] != "pack.create dev:wangmin pack:budget" {
		t.Errorf("audit: %q", acts)
	}
}

func TestPackEditorConflict(t *testing.T) {
	ts := newTestServer(t, nil)
	tok := ts.signIn(financeEd)
	csrf := ts.csrf(tok)
	body := ts.send(tok, http.MethodGet, "/packs/expense-claims/edit", nil, nil).Body.String()
	if !strings.Contains(body, `name="etag" value="etag-expense-claims-v1"`) || !strings.Contains(body, "title: 差旅报销流程") {
		t.Fatalf("edit form:\n%s", body)
	}
	// Someone else saves first.
	theirs := strings.Replace(financeSource, "每年十月", "每年九月", 1)
	if _, err := ts.packs.Save(context.Background(), "expense-claims", []byte(theirs), "etag-expense-claims-v1"); err != nil {
		t.Fatal(err)
	}
	mine := strings.Replace(financeSource, "每年十月", "每年十一月", 1)
	rec := ts.send(tok, http.MethodPost, "/packs/expense-claims/edit", nil, url.Values{csrfField: {csrf}, "etag": {"etag-expense-claims-v1"}, "source": {mine}})
	body = rec.Body.String()
	if rec.Code != http.StatusConflict {
		t.Fatalf("conflict: %d\n%s", rec.Code, body)
	}
	for _, want := range []string{"有人修改了这个锦囊", "每年十一月", `id="theirs"`, "每年九月", `name="etag" value="etag-expense-claims-v2"`} {
		if !strings.Contains(body, want) {
			t.Errorf("conflict page lacks %q", want)
		}
	}
	if !strings.Contains(ts.packs.sources["expense-claims"], "每年九月") {
		t.Error("their version was overwritten")
	}
	// An empty etag is a conflict too, never a blind overwrite.
	if rec := ts.send(tok, http.MethodPost, "/packs/expense-claims/edit", nil, url.Values{csrfField: {csrf}, "source": {mine}}); rec.Code != http.StatusConflict {
		t.Errorf("empty etag: %d", rec.Code)
	}
	// Saving again over their version (now loaded) succeeds.
	rec = ts.send(tok, http.MethodPost, "/packs/expense-claims/edit", nil, url.Values{csrfField: {csrf}, "etag": {"etag-expense-claims-v2"}, "source": {mine}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/packs/expense-claims" || !strings.Contains(ts.packs.sources["expense-claims"], "每年十一月") {
		t.Fatalf("save: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	if acts := auditActions(t, ts); len(acts) != 1 || acts[0] != "pack.update dev:wangmin pack:expense-claims" {
		t.Errorf("audit: %q", acts)
	}
	if rec := ts.send(tok, http.MethodGet, "/packs/missing/edit", nil, nil); rec.Code != 404 {
		t.Errorf("edit a missing pack: %d", rec.Code)
	}
}
