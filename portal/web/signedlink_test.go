package web

import (
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestSignedDownloadLink: the WeChat page hands over a signed link that
// works in a browser without a session, previews Office files inline when
// asked, and stops working after 15 minutes, for another version, or with
// a changed signature.
func TestSignedDownloadLink(t *testing.T) {
	clock := testNow
	ts := newTestServer(t, func(o *Options) { o.Now = func() time.Time { return clock } })
	id := uploadXLSX(t, ts, ts.signIn(financeEd), "报销单")
	wechat := map[string]string{"User-Agent": "Mozilla/5.0 (iPhone) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0.50 NetType/WIFI"}
	body := do(ts, http.MethodGet, "/files/"+id+"/download", wechat).Body.String()
	m := regexp.MustCompile(`<code id="download-link">http://example.com(/dl/[^<]+)</code>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no signed link on the WeChat page:\n%s", body)
	}
	link := html.UnescapeString(m[1])
	pm := regexp.MustCompile(`href="http://example.com(/dl/[^"]+inline=1[^"]*)"`).FindStringSubmatch(body)
	if pm == nil {
		t.Fatalf("no inline preview link for an Office file")
	}
	preview := html.UnescapeString(pm[1])
	// A browser without any cookie, as the phone's browser is.
	get := func(target string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		rec := httptest.NewRecorder()
		ts.ServeHTTP(rec, req)
		return rec
	}
	rec := get(link)
	if rec.Code != 200 || rec.Header().Get("Content-Type") != xlsxType || !strings.HasPrefix(rec.Header().Get("Content-Disposition"), "attachment") {
		t.Fatalf("signed link without a session: %d %v", rec.Code, rec.Header())
	}
	if b, _ := io.ReadAll(rec.Body); len(b) == 0 {
		t.Error("signed link served no bytes")
	}
	if rec := get(preview); rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Disposition"), "inline") {
		t.Errorf("preview link: %d %q", rec.Code, rec.Header().Get("Content-Disposition"))
	}
	u, _ := url.Parse(link)
	q := u.Query()
	tamper := func(k, v string) string {
		q2 := url.Values{}
		for kk, vv := range q {
			q2[kk] = append([]string(nil), vv...)
		}
		q2.Set(k, v)
		return u.Path + "?" + q2.Encode()
	}
	sig := q.Get("sig")
	flipped := "0"
	if sig[0] == '0' {
		flipped = "1"
	}
	for name, target := range map[string]string{
		"another version":    tamper("v", "2"),
		"tampered signature": tamper("sig", flipped+sig[1:]),
		"later expiry":       tamper("exp", "9999999999"),
		"no signature":       tamper("sig", ""),
		"another file":       strings.Replace(link, id, strings.Repeat("a", len(id)), 1),
	} {
		if rec := get(target); rec.Code != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", name, rec.Code)
		}
	}
	clock = clock.Add(14 * time.Minute)
	if rec := get(link); rec.Code != 200 {
		t.Errorf("after 14 minutes: %d, want 200", rec.Code)
	}
	clock = clock.Add(2 * time.Minute)
	if rec := get(link); rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "下载链接已过期") {
		t.Errorf("after 16 minutes: %d, want 403 with the expiry message", rec.Code)
	}
}
