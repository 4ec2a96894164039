package web

import (
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/jinnang/jinnang/portal/auth"
)

// gunzipBody returns the body of rec, gunzipped when it says gzip.
func gunzipBody(t *testing.T, rec *httptest.ResponseRecorder) string {
	t.Helper()
	if rec.Header().Get("Content-Encoding") != "gzip" {
		return rec.Body.String()
	}
	zr, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestHotPagesCached: the pack page and home, served from the page caches,
// stay per user (name, CSRF token), per language and per pack version, and
// their gzip form is the same page.
func TestHotPagesCached(t *testing.T) {
	ts := newTestServer(t, nil)
	other := ts.signIn(auth.User{ID: "dev:lina", Name: "李娜", Department: "行政部"})
	gz := map[string]string{"Accept-Encoding": "gzip"}
	for _, path := range []string{"/packs/expense-claims", "/"} {
		var bodies []string
		for _, tok := range []string{ts.token, other} {
			plain := ts.send(tok, http.MethodGet, path, nil, nil)
			if plain.Code != 200 || plain.Header().Get("Content-Encoding") != "" {
				t.Fatalf("%s: %d %v", path, plain.Code, plain.Header())
			}
			for range 2 { // the second is served from the caches
				rec := ts.send(tok, http.MethodGet, path, gz, nil)
				if rec.Header().Get("Content-Encoding") != "gzip" || !strings.Contains(strings.Join(rec.Header().Values("Vary"), ","), "Accept-Encoding") {
					t.Fatalf("%s: not gzipped or no Vary: %v", path, rec.Header())
				}
				if got := gunzipBody(t, rec); got != plain.Body.String() {
					t.Errorf("%s: gzipped page differs from the plain one", path)
				}
			}
			body := plain.Body.String()
			if !strings.Contains(body, `name="_csrf" value="`+ts.csrf(tok)+`"`) {
				t.Errorf("%s: page lacks the session's own CSRF token", path)
			}
			bodies = append(bodies, body)
		}
		if !strings.Contains(bodies[1], ">李娜</a>") || strings.Contains(bodies[1], ">"+ts.defaultU.Name+"</a>") {
			t.Errorf("%s: second user's page shows the wrong name", path)
		}
		en := gunzipBody(t, ts.send(ts.token, http.MethodGet, path, map[string]string{"Accept-Encoding": "gzip", "Cookie": "lang=en"}, nil))
		if en == bodies[0] || !strings.Contains(en, `lang="en"`) {
			t.Errorf("%s: English page is the cached Chinese one", path)
		}
	}

	// A new version of the pack is shown at once.
	if _, err := ts.packs.Save(context.Background(), "expense-claims", []byte("---\ntitle: 报销新规\ndepartment: 财务部\n---\n\n新的正文内容。\n"), ""); err != nil {
		t.Fatal(err)
	}
	body := gunzipBody(t, ts.send(ts.token, http.MethodGet, "/packs/expense-claims", gz, nil))
	if !strings.Contains(body, "新的正文内容") {
		t.Errorf("pack page after a save still shows the old version")
	}
}

// TestHomePacksAfterWrite: home keeps its index answers for a moment (the
// test clock stands still, so only a write can drop them); any write
// through the portal shows a new pack on home at once.
func TestHomePacksAfterWrite(t *testing.T) {
	ts := newTestServer(t, nil)
	if body := ts.send(ts.token, http.MethodGet, "/", nil, nil).Body.String(); strings.Contains(body, "全新的锦囊标题") {
		t.Fatal("new pack on home before it exists")
	}
	if _, err := ts.packs.Create(context.Background(), "brand-new-pack", []byte("---\ntitle: 全新的锦囊标题\ndepartment: 财务部\ndate: 2099-01-01\n---\n\n正文。\n")); err != nil {
		t.Fatal(err)
	}
	rec := ts.send(ts.token, http.MethodPost, "/me/lang", nil, url.Values{"lang": {"zh"}, csrfField: {ts.csrf(ts.token)}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("write: %d", rec.Code)
	}
	if body := ts.send(ts.token, http.MethodGet, "/", nil, nil).Body.String(); !strings.Contains(body, "全新的锦囊标题") {
		t.Errorf("home after a write does not show the new pack")
	}
}
