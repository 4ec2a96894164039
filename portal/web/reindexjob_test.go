package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

// TestReindexRunsInTheBackgroundOnce: the button returns at once, the
// audit page shows the reindex running, a second press while it runs
// starts nothing, and the page shows the result when it ends; a reindex
// refused by another process's lease says so.
func TestReindexRunsInTheBackgroundOnce(t *testing.T) {
	done := make(chan struct{}, 1)
	testReindexDone = func() { done <- struct{}{} }
	defer func() { testReindexDone = nil }()
	release := make(chan struct{})
	var calls atomic.Int32
	busy := false
	ts := newTestServer(t, func(o *Options) {
		o.Reindex = func(ctx context.Context) (int, error) {
			calls.Add(1)
			if busy {
				return 0, ErrReindexBusy
			}
			<-release
			return 7, nil
		}
	})
	tok := ts.signIn(admin)
	press := func() {
		t.Helper()
		rec := ts.send(tok, http.MethodPost, "/admin/reindex", nil, url.Values{csrfField: {ts.csrf(tok)}})
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/admin/audit" {
			t.Fatalf("reindex: %d %q", rec.Code, rec.Header().Get("Location"))
		}
	}
	page := func() string { return ts.send(tok, http.MethodGet, "/admin/audit", nil, nil).Body.String() }
	press() // answers while the reindex still runs (it waits for release)
	body := page()
	if !strings.Contains(body, "正在后台重建索引") || !strings.Contains(body, `type="submit" disabled`) {
		t.Errorf("while running the page lacks the progress notice or the disabled button")
	}
	press()
	close(release)
	<-done
	if n := calls.Load(); n != 1 {
		t.Errorf("two presses ran %d reindexes, want 1", n)
	}
	if body := page(); !strings.Contains(body, "UTC 重建完成：7 条") || strings.Contains(body, "正在后台重建索引") {
		t.Errorf("after the run the page lacks the result")
	}
	busy = true
	press()
	<-done
	if body := page(); !strings.Contains(body, "另一个门户进程正在重建索引") {
		t.Errorf("a run refused by another process's lease is not shown")
	}
}
