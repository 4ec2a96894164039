package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// stylesheet is the served app.css of a page.
func stylesheet(t *testing.T, ts *testServer) string {
	t.Helper()
	m := regexp.MustCompile(`<link rel="stylesheet" href="([^"]+)"`).FindStringSubmatch(do(ts, http.MethodGet, "/", nil).Body.String())
	if m == nil {
		t.Fatal("no stylesheet link")
	}
	rec := do(ts, http.MethodGet, m[1], nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s: %d", m[1], rec.Code)
	}
	return rec.Body.String()
}

// rule is the declaration block of the first CSS rule whose selector is sel.
func rule(css, sel string) string {
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(sel) + ` \{([^}]*)\}`).FindStringSubmatch(css)
	if m == nil {
		return ""
	}
	return m[1]
}

// TestNoPageWideOverflowRules: the rules that made /departments 1668 px wide
// on a phone, broke admin table headers per character and cut wide Markdown
// tables are gone; tables scroll in their own box and keep their alignment.
func TestNoPageWideOverflowRules(t *testing.T) {
	ts := newTestServer(t, nil)
	css := stylesheet(t, ts)
	if r := rule(css, ".depts .intro"); r == "" || strings.Contains(r, "nowrap") {
		t.Errorf(".depts .intro = %q: a nowrap intro widens the grid column", r)
	}
	if r := rule(css, ".depts"); !strings.Contains(r, "minmax(0, 1fr)") {
		t.Errorf(".depts = %q: an auto grid column grows to its widest intro", r)
	}
	if r := rule(css, ".body th, .body td"); strings.Contains(r, "nowrap") {
		t.Errorf("markdown cells are nowrap: %q", r)
	}
	if r := rule(css, ".body .table-scroll"); !strings.Contains(r, "overflow-x: auto") {
		t.Errorf("no scroll box for markdown tables: %q", r)
	}
	if !strings.Contains(css, `.body td[align="right"]`) {
		t.Error("the ---: alignment (align=right) is overridden by text-align: left")
	}
	if r := rule(css, `table.admin-depts th`); !strings.Contains(r, "nowrap") {
		t.Errorf("admin department headers may break per character: %q", r)
	}
	if !regexp.MustCompile(`dl\.meta dt[^{]*\{[^}]*keep-all`).MatchString(css) {
		t.Error("labels like 标签 may wrap per character")
	}
	// The scroll box itself is added by the Markdown renderer (markdown.TestTableScrollsInItsBox).
}

// TestButtonHierarchy: plain buttons are secondary, one primary per form,
// removals are danger, 取消赞 is secondary; dark mode keeps the header and
// buttons readable.
func TestButtonHierarchy(t *testing.T) {
	ts := newTestServer(t, nil)
	css := stylesheet(t, ts)
	if r := rule(css, "button, .button"); !strings.Contains(r, "var(--jade-bg)") || strings.Contains(r, "background: var(--jade);") {
		t.Errorf("plain buttons are not secondary: %q", r)
	}
	if r := rule(css, "button.primary, .button.primary"); !strings.Contains(r, "background: var(--jade)") {
		t.Errorf("no primary style: %q", r)
	}
	if r := rule(css, "button.danger, .button.danger"); !strings.Contains(r, "var(--danger)") {
		t.Errorf("no danger style: %q", r)
	}
	if r := rule(css, "header.site"); strings.Contains(r, "var(--jade)") {
		t.Errorf("header uses --jade, which dark mode lightens to about 2.1:1 under white text: %q", r)
	}
	st := ts.postStory(employee, "今天的团建")
	page := "/stories/" + st.ID
	body := do(ts, http.MethodGet, page, nil).Body.String()
	if !regexp.MustCompile(`<a class="button danger" href="[^"]+/delete">[^<]*删除`).MatchString(body) {
		t.Errorf("story delete is not a danger button")
	}
	if !strings.Contains(body, `class="primary like" aria-pressed="false"`) {
		t.Errorf("like is not the primary action")
	}
	csrf := ts.csrf(ts.token)
	ts.send(ts.token, http.MethodPost, page+"/like", nil, url.Values{csrfField: {csrf}})
	body = do(ts, http.MethodGet, page, nil).Body.String()
	if !strings.Contains(body, `class="secondary like" aria-pressed="true"`) {
		t.Errorf("取消赞 is not secondary")
	}
	// One primary per form on the poll form.
	form := ts.send(ts.signIn(financeEd), http.MethodGet, "/polls/new", nil, nil).Body.String()
	if n := strings.Count(form, `class="primary"`); n != 1 {
		t.Errorf("poll form has %d primary buttons", n)
	}
}
