package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/audit"
	"github.com/jinnang/jinnang/portal/auth"
	"github.com/jinnang/jinnang/portal/auth/header"
	"github.com/jinnang/jinnang/portal/files"
)

// fakeProvider is a redirect provider (named like a real one so Roles maps
// its IDs) whose Finish returns id or err.
type fakeProvider struct {
	name string
	id   auth.Identity
	err  error
}

const fakeAuthorize = "https://provider.example/authorize"

func (p *fakeProvider) Name() string { return p.name }
func (p *fakeProvider) Start(_ context.Context, state string, _ *http.Request) (string, error) {
	return fakeAuthorize + "?" + url.Values{"state": {state}}.Encode(), nil
}
func (p *fakeProvider) Finish(context.Context, *http.Request) (auth.Identity, error) {
	return p.id, p.err
}

// cookieFrom returns the named cookie the response set, or nil.
func cookieFrom(rec *httptest.ResponseRecorder, name string) *http.Cookie {
	for _, c := range rec.Result().Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// startSignIn runs /auth/start?next= (carrying cookie, if any) and returns
// the provider URL's state and the nonce cookie.
func startSignIn(t *testing.T, ts *testServer, tok, next string) (state, nonce string, location *url.URL) {
	t.Helper()
	rec := ts.send(tok, http.MethodGet, "/auth/start?"+url.Values{"next": {next}}.Encode(), nil, nil)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("/auth/start: status %d\n%s", rec.Code, rec.Body.String())
	}
	loc, err := url.Parse(rec.Header().Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	ck := cookieFrom(rec, stateCookiePlain)
	if ck == nil || ck.Value == "" || ck.MaxAge != 600 || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode {
		t.Fatalf("nonce cookie: %+v", ck)
	}
	return loc.Query().Get("state"), ck.Value, loc
}

// finishDevSignIn posts the dev picker's form as person and returns the response.
func finishDevSignIn(ts *testServer, tok, state, nonce, person string) *httptest.ResponseRecorder {
	h := map[string]string{"Cookie": stateCookiePlain + "=" + nonce}
	return ts.send(tok, http.MethodPost, callbackPath, h, url.Values{"state": {state}, "user": {person}})
}

// devSignIn signs person in through the whole dev flow and returns the new session token.
func devSignIn(t *testing.T, ts *testServer, oldTok, person, next string) (string, *httptest.ResponseRecorder) {
	t.Helper()
	state, nonce, _ := startSignIn(t, ts, oldTok, next)
	rec := finishDevSignIn(ts, oldTok, state, nonce, person)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("callback: status %d\n%s", rec.Code, rec.Body.String())
	}
	ck := cookieFrom(rec, sessionCookiePlain)
	if ck == nil || ck.Value == "" {
		t.Fatalf("callback set no session cookie: %v", rec.Header())
	}
	return ck.Value, rec
}

func isLoginRedirect(rec *httptest.ResponseRecorder) bool {
	return rec.Code == http.StatusSeeOther && strings.HasPrefix(rec.Header().Get("Location"), loginPath)
}

// auditActions lists the recorded actions, newest first.
func auditActions(t *testing.T, ts *testServer) []string {
	t.Helper()
	es, err := ts.opts.Auth.Audit.List(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Action+" "+e.Actor+" "+e.Target)
	}
	return out
}

func TestDevSignInFlow(t *testing.T) {
	ts := newTestServer(t, nil)
	rec := ts.send("", http.MethodGet, "/packs?tag=%E5%8F%91%E7%A5%A8", nil, nil)
	if !isLoginRedirect(rec) || rec.Header().Get("Location") != "/auth/login?next=%2Fpacks%3Ftag%3D%25E5%258F%2591%25E7%25A5%25A8" {
		t.Fatalf("anonymous page: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	rec = ts.send("", http.MethodGet, rec.Header().Get("Location"), nil, nil)
	body := rec.Body.String()
	if rec.Code != 200 || !strings.Contains(body, "演示登录（开发模式）") || !strings.Contains(body, `href="/auth/start?next=%2Fpacks%3Ftag%3D%25E5%258F%2591%25E7%25A5%25A8"`) {
		t.Fatalf("login page: %d\n%s", rec.Code, body)
	}
	if strings.Contains(body, "/auth/logout") || strings.Contains(body, "hx-headers") || strings.Contains(body, `href="/me"`) {
		t.Errorf("signed-out page shows user controls:\n%s", body)
	}

	state, nonce, loc := startSignIn(t, ts, "", "/packs?tag=发票")
	if loc.Path != "/auth/dev" || state == "" {
		t.Fatalf("dev Start went to %s", loc)
	}
	rec = ts.send("", http.MethodGet, loc.String(), nil, nil)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `name="user" value="wangmin"`) || !strings.Contains(rec.Body.String(), "王敏") ||
		!strings.Contains(rec.Body.String(), `action="/auth/callback"`) || !strings.Contains(rec.Body.String(), `name="state" value="`+state+`"`) {
		t.Fatalf("dev picker: %d\n%s", rec.Code, rec.Body.String())
	}
	rec = finishDevSignIn(ts, "", state, nonce, "wangmin")
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/packs?tag=发票" {
		t.Fatalf("callback: %d %q\n%s", rec.Code, rec.Header().Get("Location"), rec.Body.String())
	}
	ck := cookieFrom(rec, sessionCookiePlain)
	if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Domain != "" || ck.Secure ||
		ck.MaxAge != int(auth.DefaultAbsolute/time.Second) {
		t.Fatalf("session cookie: %+v", ck)
	}
	if nc := cookieFrom(rec, stateCookiePlain); nc == nil || nc.MaxAge >= 0 {
		t.Errorf("nonce cookie not cleared: %+v", nc)
	}
	tok := ck.Value
	body = ts.send(tok, http.MethodGet, "/", nil, nil).Body.String()
	csrf := ts.csrf(tok)
	for _, want := range []string{`<a class="who" href="/me"`, ">王敏</a>", `action="/auth/logout"`, `name="_csrf" value="` + csrf + `"`,
		`hx-headers="{&#34;X-CSRF-Token&#34;:&#34;` + csrf + `&#34;}"`} {
		if !strings.Contains(body, want) {
			t.Errorf("home lacks %q", want)
		}
	}
	body = ts.send(tok, http.MethodGet, "/me", english, nil).Body.String()
	for _, want := range []string{"财务部", "Editor", "Employee", "Edits: 财务部", `action="/me/lang"`} {
		if !strings.Contains(body, want) {
			t.Errorf("/me lacks %q:\n%s", want, body)
		}
	}
	if acts := auditActions(t, ts); len(acts) != 1 || acts[0] != "auth.login dev:wangmin user:dev:wangmin" {
		t.Errorf("audit: %q", acts)
	}
	// The state worked once: replaying the callback is a retry page.
	if rec := finishDevSignIn(ts, "", state, nonce, "wangmin"); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "登录没有成功，请重试") {
		t.Errorf("replayed state: %d", rec.Code)
	}
}

func TestAnonymous(t *testing.T) {
	ts := newTestServer(t, nil)
	for _, path := range []string{"/healthz", "/readyz", "/auth/login", "/auth/login?bye=1", assetURL(t, ts, "app.css")} {
		if rec := ts.send("", http.MethodGet, path, nil, nil); rec.Code != 200 {
			t.Errorf("anonymous GET %s: %d", path, rec.Code)
		}
	}
	if body := ts.send("", http.MethodGet, "/auth/login?bye=1", english, nil).Body.String(); !strings.Contains(body, "You have signed out.") {
		t.Errorf("bye page:\n%s", body)
	}
	// HTMX: 401 with HX-Redirect, to the page the browser shows.
	rec := ts.send("", http.MethodGet, "/search?q=x", hx, nil)
	if rec.Code != http.StatusUnauthorized || rec.Header().Get("HX-Redirect") != "/auth/login?next=%2Fsearch%3Fq%3Dx" {
		t.Errorf("htmx: %d %q", rec.Code, rec.Header().Get("HX-Redirect"))
	}
	rec = ts.send("", http.MethodGet, "/search?q=x", map[string]string{"HX-Request": "true", "HX-Current-URL": "http://example.com/packs?page=2"}, nil)
	if rec.Header().Get("HX-Redirect") != "/auth/login?next=%2Fpacks%3Fpage%3D2" {
		t.Errorf("htmx current URL: %q", rec.Header().Get("HX-Redirect"))
	}
	// A signed-in user on the login page goes on to next; an off-site next is refused.
	for next, want := range map[string]string{"/packs": "/packs", "//evil.example/": "/", "https://evil.example/": "/"} {
		rec := do(ts, http.MethodGet, "/auth/login?"+url.Values{"next": {next}}.Encode(), nil)
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != want {
			t.Errorf("login as signed in, next %q: %d %q", next, rec.Code, rec.Header().Get("Location"))
		}
	}
	// A forged return path in the state is replaced by "/".
	state, nonce, _ := startSignIn(t, ts, "", "//evil.example/x")
	if rec := finishDevSignIn(ts, "", state, nonce, "chenchen"); rec.Header().Get("Location") != "/" {
		t.Errorf("off-site return: %q", rec.Header().Get("Location"))
	}
	// No dev picker without demo people.
	ts2 := newTestServer(t, func(o *Options) { o.Auth.DemoUsers = nil })
	if rec := ts2.send("", http.MethodGet, "/auth/dev?state=x", nil, nil); rec.Code != 404 {
		t.Errorf("dev picker without demo users: %d", rec.Code)
	}
}

// outcome of a request in the role table.
type outcome int

const (
	allowed outcome = iota
	toLogin
	denied
)

func (o outcome) String() string { return [...]string{"allowed", "303-to-login", "403"}[o] }

func classify(rec *httptest.ResponseRecorder) (outcome, bool) {
	switch {
	case isLoginRedirect(rec):
		return toLogin, true
	case rec.Code == http.StatusForbidden:
		return denied, true
	case rec.Code == 200 || rec.Code == http.StatusSeeOther:
		return allowed, true
	}
	return 0, false
}

const (
	financeSource = "---\ntitle: 预算编制\nsummary: 怎么做预算\ndepartment: 财务部\ndate: 2025-05-01\n---\n\n每年十月开始编制预算。\n"
	techSource    = "---\ntitle: 发布流程\nsummary: 怎么上线\ndepartment: 技术部\ndate: 2025-05-01\n---\n\n周四不发布。\n"
)

func TestRoleTable(t *testing.T) {
	roles := []struct {
		name string
		user *auth.User
	}{
		{"anonymous", nil}, {"employee", &employee}, {"editor 财务部", &financeEd}, {"editor 技术部", &techEd},
		{"moderator", &moderator}, {"admin", &admin},
	}
	A, L, D := allowed, toLogin, denied
	// Paths with {id} name a file of 财务部 made for the subtest. Forms
	// with a "file" key are multipart: the fields, then a file part named
	// by that key.
	fileForm := url.Values{"dept": {"财务部"}, "file": {"file"}}
	techFileForm := url.Values{"dept": {"技术部"}, "file": {"file"}}
	routes := []struct {
		method, path string
		form         url.Values
		want         [6]outcome // in the order of roles
	}{
		{"GET", "/", nil, [6]outcome{L, A, A, A, A, A}},
		{"GET", "/packs", nil, [6]outcome{L, A, A, A, A, A}},
		{"GET", "/packs/expense-claims", nil, [6]outcome{L, A, A, A, A, A}},
		{"GET", "/departments", nil, [6]outcome{L, A, A, A, A, A}},
		{"GET", "/search?q=x", nil, [6]outcome{L, A, A, A, A, A}},
		{"GET", "/me", nil, [6]outcome{L, A, A, A, A, A}},
		{"POST", "/me/lang", url.Values{"lang": {"en"}}, [6]outcome{L, A, A, A, A, A}},
		{"GET", "/packs/new", nil, [6]outcome{L, D, A, A, D, A}},
		{"POST", "/editor", publishNew("财务部"), [6]outcome{L, D, A, D, D, A}},
		{"POST", "/editor", publishNew("技术部"), [6]outcome{L, D, D, A, D, A}},
		{"GET", "/packs/expense-claims/edit", nil, [6]outcome{L, D, A, D, D, A}},
		{"POST", "/editor", publishEdit("财务部"), [6]outcome{L, D, A, D, D, A}},
		{"POST", "/editor", publishEdit("技术部"), [6]outcome{L, D, D, D, D, A}},
		{"GET", "/packs/expense-claims/history", nil, [6]outcome{L, A, A, A, A, A}},
		{"POST", "/packs/expense-claims/versions/1/restore", nil, [6]outcome{L, D, A, D, D, A}},
		{"POST", "/packs/expense-claims/state", url.Values{"to": {"archived"}}, [6]outcome{L, D, A, D, D, A}},
		{"POST", "/packs/expense-claims/review", nil, [6]outcome{L, D, A, D, D, A}},
		{"GET", "/review", nil, [6]outcome{L, A, A, A, A, A}},
		{"GET", "/admin/owners", nil, [6]outcome{L, D, D, D, D, A}},
		{"POST", "/admin/owners", url.Values{"user": {"dev:nobody"}}, [6]outcome{L, D, D, D, D, A}},
		{"GET", "/paths", nil, [6]outcome{L, A, A, A, A, A}},
		{"GET", "/paths/new", nil, [6]outcome{L, D, A, A, D, A}},
		{"GET", "/paths/{pathid}", nil, [6]outcome{L, A, A, A, A, A}},
		{"GET", "/paths/{pathid}/report", nil, [6]outcome{L, D, D, A, D, A}},
		{"GET", "/paths/{pathid}/edit", nil, [6]outcome{L, D, D, A, D, A}},
		{"POST", "/paths/{pathid}/read", url.Values{"step": {"pack:expense-claims"}}, [6]outcome{L, A, A, A, A, A}},
		{"GET", "/admin/audit", nil, [6]outcome{L, D, D, D, D, A}},
		{"POST", "/admin/reindex", nil, [6]outcome{L, D, D, D, D, A}},
		{"GET", "/files", nil, [6]outcome{L, A, A, A, A, A}},
		{"GET", "/files/{id}", nil, [6]outcome{L, A, A, A, A, A}},
		{"GET", "/files/{id}/download", nil, [6]outcome{L, A, A, A, A, A}},
		{"GET", "/qr.svg?path=%2F", nil, [6]outcome{L, A, A, A, A, A}},
		{"GET", "/files/new", nil, [6]outcome{L, D, A, A, D, A}},
		{"POST", "/files", fileForm, [6]outcome{L, D, A, D, D, A}},
		{"POST", "/files", techFileForm, [6]outcome{L, D, D, A, D, A}},
		{"POST", "/files/{id}/versions", url.Values{"file": {"file"}}, [6]outcome{L, D, A, D, D, A}},
		{"GET", "/files/{id}/edit", nil, [6]outcome{L, D, A, D, D, A}},
		{"POST", "/files/{id}/edit", url.Values{"title": {"新标题"}, "etag": {"{etag}"}}, [6]outcome{L, D, A, D, D, A}},
		{"POST", "/files/{id}/delete", nil, [6]outcome{L, D, A, D, D, A}},
		{"POST", "/departments/%E8%B4%A2%E5%8A%A1%E9%83%A8/qr", url.Values{"file": {"qr"}}, [6]outcome{L, D, A, D, D, A}},
		// Stories: {story} names a story with a photo by someone else,
		// {mystory} one by the requesting user (prepareStoryRow).
		{"GET", "/stories", nil, [6]outcome{L, A, A, A, A, A}},
		{"GET", "/stories/tag/%E5%B9%B4%E4%BC%9A", nil, [6]outcome{L, A, A, A, A, A}},
		{"GET", "/stories/new", nil, [6]outcome{L, A, A, A, A, A}},
		{"POST", "/stories", url.Values{"text": {"#年会 真热闹"}, "file": {"images"}}, [6]outcome{L, A, A, A, A, A}},
		{"GET", "/stories/{story}", nil, [6]outcome{L, A, A, A, A, A}},
		{"GET", "/stories/{story}/img/1", nil, [6]outcome{L, A, A, A, A, A}},
		{"POST", "/stories/{story}/like", nil, [6]outcome{L, A, A, A, A, A}},
		{"POST", "/stories/{story}/unlike", nil, [6]outcome{L, A, A, A, A, A}},
		{"POST", "/stories/{story}/comments", url.Values{"text": {"好看"}}, [6]outcome{L, A, A, A, A, A}},
		{"POST", "/stories/{story}/report", url.Values{"reason": {"spam"}}, [6]outcome{L, A, A, A, A, A}},
		{"POST", "/stories/{mystory}/delete", nil, [6]outcome{L, A, A, A, A, A}},
		{"POST", "/stories/{story}/delete", nil, [6]outcome{L, D, D, D, D, D}},
		{"POST", "/stories/{story}/comments/{comment}/delete", nil, [6]outcome{L, D, D, D, A, A}},
		{"POST", "/stories/{story}/comments/{mycomment}/delete", nil, [6]outcome{L, A, A, A, A, A}},
		{"GET", "/moderation", nil, [6]outcome{L, D, D, D, A, A}},
		{"POST", "/stories/{story}/moderate", url.Values{"action": {"hide"}}, [6]outcome{L, D, D, D, A, A}},
		{"POST", "/stories/{story}/moderate", url.Values{"action": {"warn"}, "note": {"请注意"}}, [6]outcome{L, D, D, D, A, A}},
		{"GET", "/leaderboard", nil, [6]outcome{L, A, A, A, A, A}},
		{"GET", "/rules", nil, [6]outcome{L, A, A, A, A, A}},
		// Announcements: {aid} names an announcement of 财务部; department
		// administration paths get a 财务部 record (prepareRoleRow).
		{"GET", "/announcements", nil, [6]outcome{L, A, A, A, A, A}},
		{"GET", "/announcements/new", nil, [6]outcome{L, D, A, A, D, A}},
		{"GET", "/announcements/new?dept=%E8%B4%A2%E5%8A%A1%E9%83%A8", nil, [6]outcome{L, D, A, D, D, A}},
		{"POST", "/announcements/new", url.Values{"title": {"通知"}, "target": {"财务部"}}, [6]outcome{L, D, A, D, D, A}},
		{"POST", "/announcements/new", url.Values{"title": {"全员通知"}, "everyone": {"1"}}, [6]outcome{L, D, D, D, D, A}},
		{"GET", "/announcements/{aid}/edit", nil, [6]outcome{L, D, A, D, D, A}},
		{"POST", "/announcements/{aid}/edit", url.Values{"title": {"改"}, "target": {"财务部"}, "etag": {"{aetag}"}}, [6]outcome{L, D, A, D, D, A}},
		{"POST", "/announcements/{aid}/delete", nil, [6]outcome{L, D, A, D, D, A}},
		{"GET", "/admin/departments", nil, [6]outcome{L, D, D, D, D, A}},
		{"POST", "/admin/departments", url.Values{"name": {"法务部"}}, [6]outcome{L, D, D, D, D, A}},
		{"GET", "/admin/departments/%E8%B4%A2%E5%8A%A1%E9%83%A8/edit", nil, [6]outcome{L, D, D, D, D, A}},
		{"POST", "/admin/departments/%E8%B4%A2%E5%8A%A1%E9%83%A8/edit", url.Values{"intro": {"新介绍"}, "etag": {"{detag}"}}, [6]outcome{L, D, D, D, D, A}},
		// Suggestion boxes and polls: {box}, {ref} (with one image), {poll},
		// {token} and {code} are filled by prepareSuggestRow. The /s/ routes
		// are anonymous: every role gets the same answer (their POSTs answer
		// 200 with a page, never a redirect, and are tested in suggest_test.go).
		{"GET", "/s/{box}", nil, [6]outcome{A, A, A, A, A, A}},
		{"GET", "/s/receipt", nil, [6]outcome{A, A, A, A, A, A}},
		{"GET", "/suggest", nil, [6]outcome{L, D, D, D, D, A}},
		{"GET", "/suggest/export.csv", nil, [6]outcome{L, D, D, D, D, A}},
		{"GET", "/suggest/boxes", nil, [6]outcome{L, D, D, D, D, A}},
		{"GET", "/suggest/boxes/{box}/qr", nil, [6]outcome{L, D, D, D, D, A}},
		{"POST", "/suggest/boxes", url.Values{"title": {"食堂"}}, [6]outcome{L, D, D, D, D, A}},
		{"POST", "/suggest/boxes/{box}/closed", url.Values{"closed": {"1"}}, [6]outcome{L, D, D, D, D, A}},
		{"GET", "/suggest/items/{ref}", nil, [6]outcome{L, D, D, D, D, A}},
		{"GET", "/suggest/items/{ref}/img/1", nil, [6]outcome{L, D, D, D, D, A}},
		{"GET", "/suggest/items/{ref}/thumb/1", nil, [6]outcome{L, D, D, D, D, A}},
		{"POST", "/suggest/items/{ref}/reply", url.Values{"reply": {"收到"}}, [6]outcome{L, D, D, D, D, A}},
		{"POST", "/suggest/items/{ref}/status", url.Values{"status": {"processing"}}, [6]outcome{L, D, D, D, D, A}},
		{"POST", "/suggest/items/{ref}/publish", url.Values{"answer": {"已处理"}}, [6]outcome{L, D, D, D, D, A}},
		{"GET", "/polls", nil, [6]outcome{L, A, A, A, A, A}},
		{"GET", "/polls/new", nil, [6]outcome{L, D, A, A, D, A}},
		{"POST", "/polls", url.Values{"title": {"团建"}, "mode": {"anonymous"}, "deadline": {"2099-01-01T10:00"}, "owner_dept": {"财务部"}, "qtext0": {"去哪"}, "qkind0": {"single"}, "qopts0": {"山\n海"}}, [6]outcome{L, D, A, D, D, A}},
		{"GET", "/polls/{poll}", nil, [6]outcome{L, A, A, A, A, A}},
		{"POST", "/polls/{poll}/vote", url.Values{"q0": {"1"}}, [6]outcome{L, A, A, A, A, A}},
		{"GET", "/polls/{poll}/results", nil, [6]outcome{L, D, A, D, D, A}},
		{"GET", "/polls/{poll}/chart/0", nil, [6]outcome{L, D, A, D, D, A}},
	}
	for _, rt := range routes {
		for i, r := range roles {
			t.Run(fmt.Sprintf("%s %s %s as %s", rt.method, rt.path, rt.form.Get("slug"), r.name), func(t *testing.T) {
				ts := newTestServer(t, nil)
				path, form := rt.path, cloneValues(rt.form)
				if strings.Contains(path, "{id}") {
					f, err := ts.files.Upload(context.Background(), files.UploadInput{Department: "财务部", Title: "报销单",
						Name: "a.txt", Body: strings.NewReader("报销说明"), By: financeEd.ID})
					if err != nil {
						t.Fatal(err)
					}
					path = strings.ReplaceAll(path, "{id}", f.ID)
					if form.Get("etag") == "{etag}" {
						form.Set("etag", f.ETag)
					}
				}
				path, form = prepareRoleRow(t, ts, path, form)
				var tok string
				if r.user != nil {
					tok = ts.signIn(*r.user)
				}
				path = prepareStoryRow(t, ts, path, r.user)
				path, form = prepareSuggestRow(t, ts, path, form)
				var rec *httptest.ResponseRecorder
				if rt.method == "GET" {
					form = nil
				}
				if rt.form.Has("file") {
					fields := []field{}
					if tok != "" {
						fields = append(fields, field{csrfField, ts.csrf(tok)})
					}
					for k, vs := range form {
						if k != "file" {
							fields = append(fields, field{k, vs[0]})
						}
					}
					rec = ts.sendMultipart(tok, path, nil, fields, &upload{form.Get("file"), "a.png", bytes.NewReader(pngBytes(t))})
				} else {
					if rt.method == "POST" && tok != "" {
						form.Set(csrfField, ts.csrf(tok))
					}
					rec = ts.send(tok, rt.method, path, nil, form)
				}
				got, ok := classify(rec)
				if !ok || got != rt.want[i] {
					t.Fatalf("status %d (Location %q), want %s\n%s", rec.Code, rec.Header().Get("Location"), rt.want[i], rec.Body.String())
				}
				if got == denied && !strings.Contains(rec.Body.String(), "<html") {
					t.Errorf("403 is not a page")
				}
				if got == allowed && rt.method == "POST" && rec.Code != http.StatusSeeOther {
					t.Errorf("write answered %d, want 303", rec.Code)
				}
			})
		}
	}
}

func TestRequireModerator(t *testing.T) {
	ts := newTestServer(t, nil)
	h := requireModerator(func(c echo.Context) error { return c.String(200, "ok") })
	for _, tc := range []struct {
		u    *auth.User
		pass bool
	}{{nil, false}, {&employee, false}, {&financeEd, false}, {&moderator, true}, {&admin, true}} {
		c := ts.NewContext(httptest.NewRequest(http.MethodGet, "/", nil), httptest.NewRecorder())
		if tc.u != nil {
			setSession(c, &auth.Session{User: *tc.u}, "t")
		}
		err := h(c)
		var we *Error
		if tc.pass != (err == nil) || (!tc.pass && (!errors.As(err, &we) || we.Status != http.StatusForbidden)) {
			t.Errorf("%v: err %v, want pass=%v", tc.u, err, tc.pass)
		}
	}
}

func TestCSRF(t *testing.T) {
	ts := newTestServer(t, nil)
	csrf := ts.csrf(ts.token)
	other := ts.csrf(ts.signIn(financeEd))
	for _, tc := range []struct {
		name    string
		headers map[string]string
		form    url.Values
		want    int
	}{
		{"missing", nil, url.Values{"lang": {"en"}}, 403},
		{"wrong", nil, url.Values{"lang": {"en"}, csrfField: {"x" + csrf[1:]}}, 403},
		{"another session's", nil, url.Values{"lang": {"en"}, csrfField: {other}}, 403},
		{"cross-site origin", map[string]string{"Origin": "https://evil.example"}, url.Values{"lang": {"en"}, csrfField: {csrf}}, 403},
		{"null origin", map[string]string{"Origin": "null"}, url.Values{"lang": {"en"}, csrfField: {csrf}}, 403},
		{"sec-fetch-site cross-site", map[string]string{"Sec-Fetch-Site": "cross-site"}, url.Values{"lang": {"en"}, csrfField: {csrf}}, 403},
		{"form token", nil, url.Values{"lang": {"en"}, csrfField: {csrf}}, 303},
		{"same origin", map[string]string{"Origin": "http://example.com", "Sec-Fetch-Site": "same-origin"}, url.Values{"lang": {"en"}, csrfField: {csrf}}, 303},
		{"htmx header", map[string]string{"HX-Request": "true", csrfHeader: csrf}, url.Values{"lang": {"en"}}, 303},
	} {
		rec := ts.send(ts.token, http.MethodPost, "/me/lang", tc.headers, tc.form)
		if rec.Code != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, rec.Code, tc.want)
		}
		if tc.want == 403 && !strings.Contains(rec.Body.String(), "这个请求无法验证") {
			t.Errorf("%s: body lacks the CSRF message:\n%s", tc.name, rec.Body.String())
		}
	}
	// Logout also needs the token; without it the session survives.
	if rec := ts.send(ts.token, http.MethodPost, "/auth/logout", nil, url.Values{}); rec.Code != 403 {
		t.Errorf("logout without token: %d", rec.Code)
	}
	if rec := do(ts, http.MethodGet, "/", nil); rec.Code != 200 {
		t.Errorf("session ended by a logout without token: %d", rec.Code)
	}
}

func TestSessionFixation(t *testing.T) {
	ts := newTestServer(t, nil)
	// An attacker-chosen (well-formed) token is not a session.
	planted := strings.Repeat("A", 43)
	rec := ts.send(planted, http.MethodGet, "/", nil, nil)
	if !isLoginRedirect(rec) {
		t.Fatalf("planted cookie accepted: %d", rec.Code)
	}
	if ck := cookieFrom(rec, sessionCookiePlain); ck == nil || ck.MaxAge >= 0 {
		t.Errorf("planted cookie not cleared: %+v", ck)
	}
	tok, _ := devSignIn(t, ts, planted, "wangmin", "/")
	if tok == planted {
		t.Fatal("login kept the planted token")
	}
	if rec := ts.send(tok, http.MethodGet, "/", nil, nil); rec.Code != 200 {
		t.Errorf("new session: %d", rec.Code)
	}
	// Signing in again from a signed-in browser issues a new token and ends the old one.
	tok2, _ := devSignIn(t, ts, tok, "liuyang", "/")
	if tok2 == tok {
		t.Fatal("second login reused the token")
	}
	if rec := ts.send(tok, http.MethodGet, "/", nil, nil); !isLoginRedirect(rec) {
		t.Errorf("pre-login token still works: %d", rec.Code)
	}
	if body := ts.send(tok2, http.MethodGet, "/", nil, nil).Body.String(); !strings.Contains(body, ">刘洋</a>") {
		t.Errorf("new session is not 刘洋's")
	}
}

func TestLogoutReplay(t *testing.T) {
	ts := newTestServer(t, nil)
	tok := ts.signIn(financeEd)
	rec := ts.send(tok, http.MethodPost, "/auth/logout", nil, url.Values{csrfField: {ts.csrf(tok)}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/auth/login?bye=1" {
		t.Fatalf("logout: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	if ck := cookieFrom(rec, sessionCookiePlain); ck == nil || ck.MaxAge >= 0 {
		t.Errorf("logout did not expire the cookie: %+v", ck)
	}
	for _, path := range []string{"/", "/me"} {
		if rec := ts.send(tok, http.MethodGet, path, nil, nil); !isLoginRedirect(rec) {
			t.Errorf("old cookie after logout, GET %s: %d", path, rec.Code)
		}
	}
	if rec := ts.send(tok, http.MethodPost, "/me/lang", nil, url.Values{"lang": {"en"}, csrfField: {"whatever"}}); !isLoginRedirect(rec) {
		t.Errorf("old cookie after logout, POST: %d", rec.Code)
	}
	if acts := auditActions(t, ts); len(acts) == 0 || acts[0] != "auth.logout dev:wangmin user:dev:wangmin" {
		t.Errorf("audit: %q", acts)
	}
}

func TestWeChatGoesStraightToProvider(t *testing.T) {
	p := &fakeProvider{name: "wecom", id: auth.Identity{Provider: "wecom", Subject: "WangMin", Name: "王敏"}}
	ts := newTestServer(t, func(o *Options) { o.Auth.Provider, o.Auth.DemoUsers = p, nil })
	for _, ua := range []string{
		"Mozilla/5.0 (iPhone) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0.50 NetType/WIFI Language/zh_CN",
		"Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Mobile Safari/537.36 wxwork/4.1.22 MicroMessenger/7.0.1",
	} {
		rec := ts.send("", http.MethodGet, "/packs/expense-claims?x=1", map[string]string{"User-Agent": ua}, nil)
		loc, err := url.Parse(rec.Header().Get("Location"))
		if rec.Code != http.StatusSeeOther || err != nil || !strings.HasPrefix(loc.String(), fakeAuthorize+"?") {
			t.Fatalf("WeChat UA: %d %q", rec.Code, rec.Header().Get("Location"))
		}
		nonce := cookieFrom(rec, stateCookiePlain)
		if nonce == nil {
			t.Fatal("no nonce cookie")
		}
		// The provider comes back with the state: the user lands on the page they opened.
		cb := ts.send("", http.MethodGet, callbackPath+"?"+url.Values{"code": {"c"}, "state": {loc.Query().Get("state")}}.Encode(),
			map[string]string{"Cookie": stateCookiePlain + "=" + nonce.Value}, nil)
		if cb.Code != http.StatusSeeOther || cb.Header().Get("Location") != "/packs/expense-claims?x=1" || cookieFrom(cb, sessionCookiePlain) == nil {
			t.Errorf("callback: %d %q\n%s", cb.Code, cb.Header().Get("Location"), cb.Body.String())
		}
	}
	// Outside WeChat: the login page, with the WeCom button.
	rec := ts.send("", http.MethodGet, "/packs", map[string]string{"User-Agent": "Mozilla/5.0 Firefox/130.0"}, nil)
	if !isLoginRedirect(rec) {
		t.Errorf("desktop browser: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	if body := ts.send("", http.MethodGet, "/auth/login", nil, nil).Body.String(); !strings.Contains(body, "用企业微信登录") {
		t.Errorf("login page lacks the WeCom button")
	}
	// With another provider, WeChat users see the login page too.
	ts2 := newTestServer(t, nil)
	if rec := ts2.send("", http.MethodGet, "/", map[string]string{"User-Agent": "MicroMessenger/8.0"}, nil); !isLoginRedirect(rec) {
		t.Errorf("dev provider in WeChat: %d %q", rec.Code, rec.Header().Get("Location"))
	}
}

func TestCallbackFailures(t *testing.T) {
	for _, tc := range []struct {
		name   string
		err    error
		status int
		want   string
	}{
		{"retry", fmt.Errorf("wecom: code already used: %w", auth.ErrRetry), 400, "登录没有成功，请重试"},
		{"unknown", errors.New("wecom: upstream said 40029 secret-detail"), 400, "登录没有成功，请重试"},
		{"denied", fmt.Errorf("wecom: not visible: %w", auth.ErrDenied), 403, "没有开通锦囊的访问权限"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &fakeProvider{name: "wecom", err: tc.err}
			ts := newTestServer(t, func(o *Options) { o.Auth.Provider = p })
			state, nonce, _ := startSignIn(t, ts, "", "/")
			rec := ts.send("", http.MethodGet, callbackPath+"?state="+url.QueryEscape(state), map[string]string{"Cookie": stateCookiePlain + "=" + nonce}, nil)
			body := rec.Body.String()
			if rec.Code != tc.status || !strings.Contains(body, tc.want) || strings.Contains(body, "secret-detail") {
				t.Fatalf("status %d, want %d with %q:\n%s", rec.Code, tc.status, tc.want, body)
			}
			if got := strings.Contains(body, `href="/auth/start"`); got != (tc.status == 400) {
				t.Errorf("retry button shown = %v", got)
			}
			if cookieFrom(rec, sessionCookiePlain) != nil {
				t.Error("a failed sign-in set a session cookie")
			}
		})
	}
	// Broken round trips are retry pages too: no nonce cookie, a forged state, none at all.
	ts := newTestServer(t, nil)
	state, nonce, _ := startSignIn(t, ts, "", "/")
	for name, rec := range map[string]*httptest.ResponseRecorder{
		"no nonce":     ts.send("", http.MethodPost, callbackPath, nil, url.Values{"state": {state}, "user": {"wangmin"}}),
		"other nonce":  finishDevSignIn(ts, "", state, nonce[1:]+"x", "wangmin"),
		"forged state": finishDevSignIn(ts, "", state+"x", nonce, "wangmin"),
		"no state":     ts.send("", http.MethodGet, callbackPath, nil, nil),
	} {
		if rec.Code != 400 || !strings.Contains(rec.Body.String(), "登录没有成功，请重试") {
			t.Errorf("%s: %d", name, rec.Code)
		}
	}
}

func TestRateLimits(t *testing.T) {
	frozen := func() time.Time { return testNow } // no refill
	ts := newTestServer(t, func(o *Options) {
		o.Auth.WriteLimit = auth.NewLimiter(1, 1, frozen)
		o.Auth.LoginLimit = auth.NewLimiter(1, 1, frozen)
	})
	form := url.Values{"lang": {"zh"}, csrfField: {ts.csrf(ts.token)}}
	if rec := ts.send(ts.token, http.MethodPost, "/me/lang", nil, form); rec.Code != http.StatusSeeOther {
		t.Fatalf("first write: %d", rec.Code)
	}
	rec := ts.send(ts.token, http.MethodPost, "/me/lang", nil, form)
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "60" || !strings.Contains(rec.Body.String(), "请求太频繁") {
		t.Fatalf("second write: %d %q\n%s", rec.Code, rec.Header().Get("Retry-After"), rec.Body.String())
	}
	// The same user from another address is still limited (by user).
	req := httptest.NewRequest(http.MethodPost, "/me/lang", strings.NewReader(form.Encode()))
	req.RemoteAddr = "198.51.100.7:5555"
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: sessionCookiePlain, Value: ts.token})
	rr := httptest.NewRecorder()
	ts.ServeHTTP(rr, req)
	if rr.Code != http.StatusTooManyRequests {
		t.Errorf("same user, other address: %d", rr.Code)
	}
	// Reading is not limited.
	if rec := do(ts, http.MethodGet, "/", nil); rec.Code != 200 {
		t.Errorf("GET after limit: %d", rec.Code)
	}
	// Sign-in by address.
	if rec := ts.send("", http.MethodGet, "/auth/start", nil, nil); rec.Code != http.StatusSeeOther {
		t.Fatalf("first start: %d", rec.Code)
	}
	for _, path := range []string{"/auth/start", callbackPath} {
		if rec := ts.send("", http.MethodGet, path, nil, nil); rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" {
			t.Errorf("%s over the limit: %d", path, rec.Code)
		}
	}
}

func TestHeaderProviderSignsInTransparently(t *testing.T) {
	hp, err := header.New(header.Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}})
	if err != nil {
		t.Fatal(err)
	}
	ts := newTestServer(t, func(o *Options) { o.Auth.Provider, o.Auth.DemoUsers = hp, nil })
	alice := map[string]string{"X-Forwarded-User": "alice", "X-Forwarded-Name": url.PathEscape("爱丽丝")}
	rec := ts.send("", http.MethodGet, "/", alice, nil) // httptest's peer 192.0.2.1 is the proxy
	ck := cookieFrom(rec, sessionCookiePlain)
	if rec.Code != 200 || ck == nil || !strings.Contains(rec.Body.String(), ">爱丽丝</a>") {
		t.Fatalf("trusted proxy: %d %+v", rec.Code, ck)
	}
	// The session is reused while the proxy names the same person.
	if rec := ts.send(ck.Value, http.MethodGet, "/me", alice, nil); rec.Code != 200 || cookieFrom(rec, sessionCookiePlain) != nil {
		t.Errorf("same person: %d, new cookie %v", rec.Code, cookieFrom(rec, sessionCookiePlain))
	}
	// Someone else behind the proxy with alice's cookie gets their own session; alice's ends.
	rec = ts.send(ck.Value, http.MethodGet, "/", map[string]string{"X-Forwarded-User": "bob"}, nil)
	bob := cookieFrom(rec, sessionCookiePlain)
	if rec.Code != 200 || bob == nil || bob.Value == ck.Value || !strings.Contains(rec.Body.String(), ">bob</a>") {
		t.Fatalf("other person: %d %+v", rec.Code, bob)
	}
	if rec := ts.send(ck.Value, http.MethodGet, "/", nil, nil); !isLoginRedirect(rec) {
		t.Errorf("alice's replaced session still works: %d", rec.Code)
	}
	// Headers from anyone but the proxy are ignored.
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.RemoteAddr = "203.0.113.9:4444"
	req.Header.Set("X-Forwarded-User", "mallory")
	rr := httptest.NewRecorder()
	ts.ServeHTTP(rr, req)
	if rr.Code != http.StatusSeeOther || cookieFrom(rr, sessionCookiePlain) != nil {
		t.Errorf("untrusted peer: %d", rr.Code)
	}
	// The login page explains the gateway instead of offering a button.
	if body := ts.send("", http.MethodGet, "/auth/login", nil, nil).Body.String(); !strings.Contains(body, "单点登录网关") || strings.Contains(body, "/auth/start") {
		t.Errorf("header login page:\n%s", body)
	}
	if acts := auditActions(t, ts); len(acts) != 2 {
		t.Errorf("audit: %q", acts)
	}
}

func TestSecureCookies(t *testing.T) {
	ts := newTestServer(t, func(o *Options) { o.Auth.SecureCookies = true })
	rec := ts.send("", http.MethodGet, "/auth/start", nil, nil)
	nonce := cookieFrom(rec, stateCookieSecure)
	if nonce == nil || !nonce.Secure || nonce.Path != "/" || nonce.Domain != "" || nonce.MaxAge != 600 {
		t.Fatalf("state cookie: %+v", nonce)
	}
	loc, err := url.Parse(rec.Header().Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	cb := ts.send("", http.MethodPost, callbackPath, map[string]string{"Cookie": stateCookieSecure + "=" + nonce.Value},
		url.Values{"state": {loc.Query().Get("state")}, "user": {"wangmin"}})
	ck := cookieFrom(cb, sessionCookieSecure)
	if ck == nil || !ck.Secure || !ck.HttpOnly || ck.Path != "/" || ck.Domain != "" || ck.SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie: %+v (%d)", ck, cb.Code)
	}
	// The plain-HTTP name means nothing in secure mode.
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.AddCookie(&http.Cookie{Name: sessionCookiePlain, Value: ck.Value})
	rr := httptest.NewRecorder()
	ts.ServeHTTP(rr, req)
	if rr.Code != http.StatusSeeOther {
		t.Errorf("plain cookie name accepted in secure mode: %d", rr.Code)
	}
	req.Header.Del("Cookie")
	req.AddCookie(ck)
	rr = httptest.NewRecorder()
	ts.ServeHTTP(rr, req)
	if rr.Code != 200 {
		t.Errorf("secure cookie: %d", rr.Code)
	}
}

func TestMeLanguage(t *testing.T) {
	ts := newTestServer(t, nil)
	tok := ts.signIn(financeEd)
	rec := ts.send(tok, http.MethodPost, "/me/lang", nil, url.Values{"lang": {"en"}, csrfField: {ts.csrf(tok)}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/me?saved=1" || cookieFrom(rec, langCookie).Value != "en" {
		t.Fatalf("set lang: %d %v", rec.Code, rec.Header())
	}
	// Without the lang cookie (another device) the session's language applies.
	if body := ts.send(tok, http.MethodGet, "/me?saved=1", nil, nil).Body.String(); !strings.Contains(body, "Language preference saved.") {
		t.Errorf("session language not applied:\n%s", body)
	}
	prof, err := ts.opts.Auth.Users.Get(context.Background(), financeEd.ID)
	if err != nil || prof.Lang != "en" {
		t.Errorf("profile lang: %+v %v", prof, err)
	}
	// A new sign-in starts in the saved language.
	tok2, _ := devSignIn(t, ts, "", "wangmin", "/")
	if body := ts.send(tok2, http.MethodGet, "/", nil, nil).Body.String(); !strings.Contains(body, "Latest packs") {
		t.Errorf("new session not in the saved language")
	}
	if rec := ts.send(tok, http.MethodPost, "/me/lang", nil, url.Values{"lang": {"fr"}, csrfField: {ts.csrf(tok)}}); rec.Code != 400 {
		t.Errorf("unknown language: %d", rec.Code)
	}
}

func TestAdminAuditAndReindex(t *testing.T) {
	done := make(chan struct{}, 1)
	testReindexDone = func() { done <- struct{}{} }
	defer func() { testReindexDone = nil }()
	ts := newTestServer(t, nil)
	tok := ts.signIn(admin)
	rec := ts.send(tok, http.MethodPost, "/admin/reindex", nil, url.Values{csrfField: {ts.csrf(tok)}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/admin/audit" {
		t.Fatalf("reindex: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	<-done // it runs in the background
	if ts.packs.reindexed != 1 {
		t.Fatalf("reindex calls %d, want 1", ts.packs.reindexed)
	}
	body := ts.send(tok, http.MethodGet, "/admin/audit", nil, nil).Body.String()
	for _, want := range []string{"UTC 重建完成：25 条", `title="admin.reindex">重建搜索索引`, `title="admin.reindex.start">开始重建搜索索引`, "dev:zhangwei", "<td>index</td>", `action="/admin/reindex"`} {
		if !strings.Contains(body, want) {
			t.Errorf("audit page lacks %q", want)
		}
	}
	if more := ts.send(tok, http.MethodGet, "/more", nil, nil).Body.String(); !strings.Contains(more, `href="/admin/audit"`) {
		t.Error("the admin's 更多 page lacks the admin link")
	}
	if body := do(ts, http.MethodGet, "/more", nil).Body.String(); strings.Contains(body, `href="/admin/audit"`) {
		t.Error("employee sees the admin link")
	}
}

func TestAuditEntriesAreNewestFirstOnPage(t *testing.T) {
	ts := newTestServer(t, nil)
	ctx := context.Background()
	for i, a := range []string{"first.action", "second.action"} {
		if err := ts.opts.Auth.Audit.Record(ctx, audit.Entry{At: testNow.Add(time.Duration(i) * time.Minute), Actor: "dev:x", Action: a}); err != nil {
			t.Fatal(err)
		}
	}
	body := ts.send(ts.signIn(admin), http.MethodGet, "/admin/audit", nil, nil).Body.String()
	if i, j := strings.Index(body, "second.action"), strings.Index(body, "first.action"); i < 0 || j < 0 || i > j {
		t.Errorf("entries not newest first:\n%s", body)
	}
}
