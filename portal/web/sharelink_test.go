package web

import (
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

var shareLinkRE = regexp.MustCompile(`<code id="share-link">([^<]+)</code>`)

// shareLinkOf is the 分享 link of slug's pack page, as a path with query.
func shareLinkOf(t *testing.T, ts *testServer, tok, slug string) string {
	t.Helper()
	body := ts.send(tok, http.MethodGet, "/packs/"+slug, nil, nil).Body.String()
	m := shareLinkRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("pack %s has no share link", slug)
	}
	u, err := url.Parse(html.UnescapeString(m[1]))
	if err != nil || u.Path != "/packs/"+slug || u.Query().Get(shareParam) == "" {
		t.Fatalf("share link %q", m[1])
	}
	return u.RequestURI()
}

// crawl fetches target like a chat app's link preview: a crawler user
// agent and no cookie.
func crawl(ts *testServer, target, ua string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, target, nil)
	req.Header.Set("User-Agent", ua)
	rec := httptest.NewRecorder()
	ts.ServeHTTP(rec, req)
	return rec
}

var ogImageContentRE = regexp.MustCompile(`<meta property="og:image" content="([^"]+)">`)

// TestShareLinkPreview: the 分享 link of a pack answers chat crawlers (no
// cookie) with a public preview carrying the og: and twitter: tags, the
// title, summary and a sign-in button back to the pack, never the body;
// the card it names is a PNG without a session; a tampered, cut, foreign
// or expired signature goes to sign-in as before; a signed-in reader
// gets the full page from the same link.
func TestShareLinkPreview(t *testing.T) {
	clock := testNow
	ts := newTestServer(t, func(o *Options) { o.Now = func() time.Time { return clock } })
	link := shareLinkOf(t, ts, ts.token, "expense-claims")

	for _, ua := range []string{
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 MicroMessenger/8.0.47 NetType/WIFI Language/zh_CN",
		"Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
		"TelegramBot (like TwitterBot)",
	} {
		rec := crawl(ts, link, ua)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", ua, rec.Code, rec.Header().Get("Location"))
		}
		body := rec.Body.String()
		hasAll(t, "preview for "+ua, body,
			`<meta property="og:title" content="差旅报销流程">`,
			`<meta property="og:description" content="报销单怎么填，发票怎么贴，多久到账。">`,
			`<meta property="og:url" content="http://example.com/packs/expense-claims?s=`,
			`<meta name="twitter:card" content="summary_large_image">`,
			`<h1>差旅报销流程</h1>`, `<p class="summary">报销单怎么填，发票怎么贴，多久到账。</p>`, "登录后阅读全文",
			`href="/auth/login?next=%2Fpacks%2Fexpense-claims%3Fs%3D`)
		for _, secret := range []string{"出差回来七天内", "<strong>报销</strong>", `name="_csrf"`, "share-link"} {
			if strings.Contains(body, secret) {
				t.Errorf("%s: the preview shows %q", ua, secret)
			}
		}
	}

	// The og:image is absolute and answers a PNG without a session.
	m := ogImageContentRE.FindStringSubmatch(crawl(ts, link, "facebookexternalhit/1.1").Body.String())
	if m == nil {
		t.Fatal("preview has no og:image")
	}
	img, err := url.Parse(html.UnescapeString(m[1]))
	if err != nil || img.Scheme != "http" || img.Host != "example.com" || !strings.HasPrefix(img.Path, "/share/packs/expense-claims/") {
		t.Fatalf("og:image %q", m[1])
	}
	decodeCard(t, anon(ts, img.RequestURI()))

	// The sign-in button returns to the same link, which then is the full page.
	if got := ts.send(ts.token, http.MethodGet, link, nil, nil); got.Code != http.StatusOK || !strings.Contains(got.Body.String(), "出差回来七天内") {
		t.Errorf("signed in, the share link: %d, full text %t", got.Code, strings.Contains(got.Body.String(), "出差回来七天内"))
	}

	toLogin := func(what, target string) {
		t.Helper()
		rec := crawl(ts, target, "Slackbot-LinkExpanding 1.0")
		if rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), loginPath) {
			t.Errorf("%s: %d %q, want 303 to login", what, rec.Code, rec.Header().Get("Location"))
		}
		if strings.Contains(rec.Body.String(), "og:title") {
			t.Errorf("%s: og tags without a valid signature", what)
		}
	}
	u, _ := url.Parse(link)
	tok := u.Query().Get(shareParam)
	flip := "0"
	if tok[len(tok)-1] == '0' {
		flip = "1"
	}
	toLogin("no signature", "/packs/expense-claims")
	toLogin("tampered signature", "/packs/expense-claims?s="+url.QueryEscape(tok[:len(tok)-1]+flip))
	toLogin("later day, same signature", "/packs/expense-claims?s="+url.QueryEscape("9"+tok))
	toLogin("garbage", "/packs/expense-claims?s=abc")
	toLogin("other pack", "/packs/invoice-tips?s="+url.QueryEscape(tok))

	clock = testNow.Add(shareLinkTTL - time.Hour)
	if rec := crawl(ts, link, "Slackbot"); rec.Code != http.StatusOK {
		t.Errorf("share link at day 89: %d", rec.Code)
	}
	clock = testNow.Add(shareLinkTTL + 2*shareDay)
	toLogin("expired", link)
}

// TestShareLinkGone: the share link of an archived or deleted pack is 404
// without a session (no title, no og tags), and a pack without a summary
// is described without its body.
func TestShareLinkGone(t *testing.T) {
	ts := newTestServer(t, realPacks)
	link := shareLinkOf(t, ts, ts.token, "expense-claims")
	rec := crawl(ts, link, "Slackbot")
	if rec.Code != http.StatusOK {
		t.Fatalf("live pack: %d", rec.Code)
	}
	if body := rec.Body.String(); strings.Contains(body, "每年十月") {
		t.Error("the preview shows the body")
	}
	editor := ts.signIn(financeEd)
	if rec := ts.post(editor, "/packs/expense-claims/state", nil, url.Values{"to": {"archived"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("archive: %d", rec.Code)
	}
	gone := func(what string) {
		t.Helper()
		rec := crawl(ts, link, "Slackbot")
		if rec.Code != http.StatusNotFound {
			t.Errorf("%s pack: %d, want 404", what, rec.Code)
		}
		if body := rec.Body.String(); strings.Contains(body, "预算编制") || strings.Contains(body, "og:title") {
			t.Errorf("%s pack: the 404 names the pack", what)
		}
	}
	gone("archived")
	if rec := ts.post(editor, "/packs/expense-claims/state", nil, url.Values{"to": {"live"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("unarchive: %d", rec.Code)
	}
	if rec := crawl(ts, link, "Slackbot"); rec.Code != http.StatusOK {
		t.Errorf("unarchived pack: %d", rec.Code)
	}
	if rec := ts.post(editor, "/packs/expense-claims/state", nil, url.Values{"to": {"deleted"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("delete: %d", rec.Code)
	}
	gone("deleted")
}
