package web

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/jinnang/jinnang/portal/index"
)

// TestIndexUnavailableFriendly503: with the search index marked unavailable
// (how meiliindex reports a Meilisearch that is down, restarting or
// answering 5xx — here a dropped keep-alive connection, which is neither a
// dial error nor a timeout), /search and /packs answer 503 with the
// friendly page in both languages, and a pack page still opens.
func TestIndexUnavailableFriendly503(t *testing.T) {
	down := fmt.Errorf("meiliindex: search in jinnang: %w: %w", index.ErrUnavailable,
		fmt.Errorf(`MeilisearchCommunicationError (path "POST /multi-search"): %w`, io.EOF))
	ts := newTestServer(t, func(o *Options) {
		o.Search = failingSearch{inner: o.Search, err: down}
	})
	ts.packs.searchErr = down
	for _, p := range []string{"/search?q=报销", "/packs"} {
		rec := do(ts, http.MethodGet, p, nil)
		body := rec.Body.String()
		if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" ||
			!strings.Contains(body, "服务暂时不可用") || strings.Contains(body, "multi-search") {
			t.Errorf("GET %s with the index down: %d, Retry-After %q, body %.300s", p, rec.Code, rec.Header().Get("Retry-After"), body)
		}
	}
	if rec := do(ts, http.MethodGet, "/packs", map[string]string{"Accept-Language": "en"}); !strings.Contains(rec.Body.String(), "temporarily unavailable") {
		t.Errorf("English 503 page: %.300s", rec.Body.String())
	}
	if rec := do(ts, http.MethodGet, "/packs/new-hire-guide", nil); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "新员工入职指南") {
		t.Errorf("pack page with the index down: %d", rec.Code)
	}
}
