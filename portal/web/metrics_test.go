package web

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/jinnang/jinnang/portal/suggest"
)

const testMetricsToken = "scrape-me-0123456789"

func scrape(t *testing.T, ts *testServer) string {
	t.Helper()
	rec := ts.send("", http.MethodGet, "/metrics", map[string]string{"Authorization": "Bearer " + testMetricsToken}, nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("/metrics with the token: %d\n%s", rec.Code, rec.Body.String())
	}
	return rec.Body.String()
}

func TestMetricsCountsByRoutePattern(t *testing.T) {
	ts := newTestServer(t, func(o *Options) { o.Metrics.Token = testMetricsToken })
	for range 3 {
		if rec := do(ts, http.MethodGet, "/packs/new-hire-guide", nil); rec.Code != 200 {
			t.Fatalf("pack page: %d", rec.Code)
		}
	}
	if rec := do(ts, http.MethodGet, "/packs/no-such-pack", nil); rec.Code != 404 {
		t.Fatalf("missing pack: %d", rec.Code)
	}
	out := scrape(t, ts)
	for _, want := range []string{
		`jinnang_http_requests_total{route="/packs/:slug",status="2xx"} 3`,
		`jinnang_http_requests_total{route="/packs/:slug",status="4xx"} 1`,
		`jinnang_http_request_duration_seconds_count{route="/packs/:slug",status="2xx"} 3`,
		`jinnang_build_info{`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %s\n%s", want, grepLines(out, "jinnang_"))
		}
	}
	if strings.Contains(out, "new-hire-guide") || strings.Contains(out, "no-such-pack") {
		t.Errorf("metrics carry a raw URL:\n%s", grepLines(out, "jinnang_http"))
	}
}

func TestMetricsAnonymousRoutesHaveOneLabel(t *testing.T) {
	ts := newTestServer(t, func(o *Options) { o.Metrics.Token = testMetricsToken })
	sg := ts.opts.Suggest.(*suggest.Service)
	b, err := sg.CreateBox(context.Background(), "食堂意见箱", "说说你的想法", []string{"饭菜"})
	if err != nil {
		t.Fatal(err)
	}
	if rec := anonSend(ts, "", http.MethodGet, "/s/"+b.ID, nil); rec.Code != 200 {
		t.Fatalf("box form: %d", rec.Code)
	}
	anonSend(ts, "", http.MethodPost, "/s/"+b.ID, nil) // refused (no token): still no status detail
	anonSend(ts, "", http.MethodGet, "/s/no-such-box", nil)
	out := scrape(t, ts)
	if strings.Contains(out, b.ID) || strings.Contains(out, "no-such-box") {
		t.Errorf("metrics name a box:\n%s", grepLines(out, "jinnang_http"))
	}
	if want := `jinnang_http_requests_total{route="/s/*",status="any"} 3`; !strings.Contains(out, want) {
		t.Errorf("metrics lack %s\n%s", want, grepLines(out, "jinnang_http"))
	}
	if strings.Contains(out, `duration_seconds_count{route="/s/`) {
		t.Errorf("anonymous requests are timed:\n%s", grepLines(out, "jinnang_http"))
	}
	for _, l := range strings.Split(grepLines(out, "jinnang_http"), "\n") {
		if strings.Contains(l, `route="/s/`) && !strings.Contains(l, `route="/s/*",status="any"`) {
			t.Errorf("anonymous request with detail: %s", l)
		}
	}
}

func TestMetricsNeedToken(t *testing.T) {
	off := newTestServer(t, nil)
	if rec := off.send("", http.MethodGet, "/metrics", map[string]string{"Authorization": "Bearer x"}, nil); rec.Code != http.StatusNotFound {
		t.Errorf("/metrics without a configured token: %d, want 404", rec.Code)
	}
	ts := newTestServer(t, func(o *Options) { o.Metrics.Token = testMetricsToken })
	for name, h := range map[string]map[string]string{
		"no header":   nil,
		"wrong token": {"Authorization": "Bearer " + testMetricsToken + "x"},
		"basic":       {"Authorization": "Basic " + testMetricsToken},
	} {
		rec := ts.send("", http.MethodGet, "/metrics", h, nil)
		if rec.Code != http.StatusUnauthorized || strings.Contains(rec.Body.String(), "jinnang_http") {
			t.Errorf("%s: %d, want 401 without metrics", name, rec.Code)
		}
	}
	// A signed-in session is not a token.
	if rec := do(ts, http.MethodGet, "/metrics", nil); rec.Code != http.StatusUnauthorized {
		t.Errorf("signed-in employee without the token: %d, want 401", rec.Code)
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
