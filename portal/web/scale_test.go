package web

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/audit"
)

var moreHref = regexp.MustCompile(`<a rel="next" href="([^"]+)">`)

// nextLink returns the page's 更多 (older) link, or "".
func nextLink(body string) string {
	m := moreHref.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

func TestAuditPagesFiltersAndNames(t *testing.T) {
	ts := newTestServer(t, nil)
	ctx := context.Background()
	log := ts.opts.Auth.Audit
	// 40 entries over 40 hours back from testNow: story.comment by 陈晨 on
	// even hours, pack.save by an actor without a name on odd ones.
	for i := range 40 {
		e := audit.Entry{At: testNow.Add(-time.Duration(i) * time.Hour), Actor: employee.ID, ActorName: employee.Name, Action: "story.comment", Target: fmt.Sprintf("n%02d", i)}
		if i%2 == 1 {
			e.Actor, e.ActorName, e.Action = "dev:old", "", "pack.save"
		}
		if err := log.Record(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	tok := ts.signIn(admin)
	get := func(path string) string {
		t.Helper()
		rec := ts.send(tok, http.MethodGet, path, nil, nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: %d", path, rec.Code)
		}
		return rec.Body.String()
	}
	// Walk every page: 40 entries (admin's own sign-in is not recorded by
	// signIn) in pages of auditLimit, newest first, each once.
	seen, pages := []string{}, 0
	for path := "/admin/audit"; path != ""; pages++ {
		body := get(path)
		for _, m := range regexp.MustCompile(`<td>(n\d\d)</td>`).FindAllStringSubmatch(body, -1) {
			seen = append(seen, m[1])
		}
		path = nextLink(body)
		if pages > 10 {
			t.Fatal("no end to the pages")
		}
	}
	if pages != 3 || len(seen) != 40 || seen[0] != "n00" || seen[39] != "n39" {
		t.Fatalf("pages %d, seen %d: %v", pages, len(seen), seen)
	}
	for i := 1; i < len(seen); i++ {
		if seen[i] <= seen[i-1] {
			t.Fatalf("not newest first: %v", seen)
		}
	}
	body := get("/admin/audit")
	for _, want := range []string{`>陈晨</a>`, `title="dev:chenchen"`, `>dev:old</a>`, `name="kind"`, `<option value="story">`, `name="person"`, `type="date"`, "更早的记录"} {
		if !strings.Contains(body, want) {
			t.Errorf("first page lacks %q", want)
		}
	}
	// Kind filter: only story.* entries, and the link keeps the filter.
	body = get("/admin/audit?kind=story")
	if strings.Contains(body, "pack.save") || !strings.Contains(body, "<code>story.comment</code>") || !strings.Contains(body, `<option value="story" selected>`) {
		t.Error("kind filter not applied")
	}
	if l := nextLink(body); !strings.Contains(l, "kind=story") {
		t.Errorf("older link drops the filter: %q", l)
	}
	// Person filter.
	body = get("/admin/audit?person=dev:old")
	if strings.Contains(body, "story.comment") || !strings.Contains(body, "pack.save") {
		t.Error("person filter not applied")
	}
	// Date: that day and older. testNow is 2025-06-01 00:00 UTC: entry n00
	// is on 06-01, the others on 05-31 and 05-30.
	body = get("/admin/audit?date=2025-05-31")
	if strings.Contains(body, "<td>n00</td>") || !strings.Contains(body, "<td>n01</td>") {
		t.Error("date filter not applied")
	}
	body = get("/admin/audit?date=2025-05-30")
	if strings.Contains(body, "<td>n24</td>") || !strings.Contains(body, "<td>n25</td>") {
		t.Error("date filter (second day) not applied")
	}
	// A bad date is said next to the field; a bad cursor starts afresh.
	if body = get("/admin/audit?date=31.5.2025"); !strings.Contains(body, `aria-invalid="true"`) || !strings.Contains(body, "<td>n00</td>") {
		t.Error("bad date not reported")
	}
	if body = get("/admin/audit?before=nonsense"); !strings.Contains(body, "<td>n00</td>") {
		t.Error("bad cursor")
	}
	if body = get("/admin/audit?kind=story&person=nobody"); !strings.Contains(body, "没有符合条件的记录") {
		t.Error("no empty-filter message")
	}
}
