package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jinnang/jinnang/portal/files"
)

// TestSearchPageCached: a repeated search is answered again the same
// (gzipped or not); each user sees their own name and CSRF token on it; a
// pack published by a write request shows at once.
func TestSearchPageCached(t *testing.T) {
	ts := newTestServer(t, nil)
	u := searchURL("量子咖啡机")
	first := ts.send(ts.token, http.MethodGet, u, nil, nil).Body.String()
	mustContain(t, "before", first, "没有找到")
	if err := ts.files.SaveDepartment(context.Background(), files.Department{Name: "技术部", Intro: "量子咖啡机坏了请找我们。"}); err != nil {
		t.Fatal(err)
	}
	// The create went around the HTTP handlers: within the TTL the cached
	// answer may still show; a write request drops it.
	rec := ts.send(ts.token, http.MethodPost, "/me/lang", nil, url.Values{"lang": {"zh"}, csrfField: {ts.csrf(ts.token)}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("write: %d", rec.Code)
	}
	plain := ts.send(ts.token, http.MethodGet, u, nil, nil)
	mustContain(t, "after a write", plain.Body.String(), "量子咖啡机", ts.csrf(ts.token))
	mustNotContain(t, "after a write", plain.Body.String(), "没有找到")

	for range 2 { // fresh, then from the caches
		rec := ts.send(ts.token, http.MethodGet, u, map[string]string{"Accept-Encoding": "gzip"}, nil)
		if rec.Header().Get("Content-Encoding") != "gzip" {
			t.Fatalf("search page not gzipped: %v", rec.Header())
		}
		zr, err := gzip.NewReader(bytes.NewReader(rec.Body.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(zr)
		if !bytes.Equal(got, plain.Body.Bytes()) {
			t.Errorf("gzip body differs from the plain one")
		}
		if vary := strings.Join(rec.Header().Values("Vary"), ","); !strings.Contains(vary, "Accept-Encoding") {
			t.Errorf("Vary = %q", vary)
		}
	}

	other := ts.signIn(techEd)
	body := ts.send(other, http.MethodGet, u, nil, nil).Body.String()
	mustContain(t, "another user", body, "量子咖啡机", ts.csrf(other))
	mustNotContain(t, "another user", body, ts.csrf(ts.token))
}

func TestTopChips(t *testing.T) {
	var links []facetLink
	for i := range 30 {
		links = append(links, facetLink{Value: string(rune('a' + i)), Active: i == 27})
	}
	got := topChips(links, 24)
	if len(got) != 25 || got[23].Value != links[23].Value || !got[24].Active {
		t.Errorf("topChips: %d links, last %+v", len(got), got[len(got)-1])
	}
	if got := topChips(links[:5], 24); len(got) != 5 {
		t.Errorf("topChips of 5: %d", len(got))
	}
}
