package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/announce"
	"github.com/jinnang/jinnang/portal/files"
	"github.com/jinnang/jinnang/portal/polls"
)

// TestDeptDisplayNameShown: after 财务部 is renamed to 财务结算中心 in the
// admin form, the new name shows where the id showed: on a pack page
// (also one rendered and cached before the rename), in an announcement's
// targets (list and page), in the search facets and filter chip, on a
// file's page, on the profile and in a poll's audience; links and form values keep the id.
func TestDeptDisplayNameShown(t *testing.T) {
	ts := newTestServer(t, nil)
	ctx := context.Background()
	if err := ts.files.SaveDepartment(ctx, files.Department{Name: "财务部"}); err != nil {
		t.Fatal(err)
	}
	f, err := ts.files.Upload(ctx, files.UploadInput{Department: "财务部", Title: "报销单模板", Name: "a.txt", Body: strings.NewReader("报销说明"), By: financeEd.ID})
	if err != nil {
		t.Fatal(err)
	}
	a, err := ts.opts.Announcements.Create(ctx, announce.Input{Title: "报销截止", Body: "25 日前", Targets: []string{"财务部", "人力资源部"}, By: admin.ID, ByName: admin.Name})
	if err != nil {
		t.Fatal(err)
	}
	pl, err := ts.opts.Polls.(*polls.Service).Create(ctx, polls.Poll{Title: "年会去哪", Questions: []polls.Question{{Text: "地点", Kind: polls.Single, Options: []string{"海边", "山里"}}},
		Departments: []string{"财务部"}, Deadline: testNow.Add(7 * 24 * time.Hour), Mode: polls.Anonymous, Owner: admin.ID})
	if err != nil {
		t.Fatal(err)
	}
	const shown = "财务结算中心"
	deptLink := `href="/departments/` + url.PathEscape("财务部") + `">`
	before := do(ts, http.MethodGet, "/packs/expense-claims", nil).Body.String()
	if !strings.Contains(before, deptLink+"财务部</a>") || strings.Contains(before, shown) {
		t.Fatalf("pack page before the rename:\n%s", before)
	}
	if home := do(ts, http.MethodGet, "/", nil).Body.String(); !strings.Contains(home, deptLink+"财务部</a>") { // rendered and cached
		t.Fatalf("home before the rename lacks 财务部")
	}
	if rec := ts.postForm(ts.signIn(admin), "/admin/departments/"+url.PathEscape("财务部")+"/rename", url.Values{"display": {shown}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("rename: %d", rec.Code)
	}
	finance := ts.signIn(financeEd)
	for _, c := range []struct{ what, tok, path, want string }{
		{"home (cached before)", ts.token, "/", deptLink + shown + "</a>"},
		{"pack page", ts.token, "/packs/expense-claims", deptLink + shown + "</a>"},
		{"pack owner", ts.token, "/packs/expense-claims", deptLink + shown + "</a>"},
		{"announcement list", finance, "/announcements", deptLink + shown + "</a>"},
		{"announcement page", finance, "/announcements/" + a.ID, deptLink + shown + "</a>"},
		{"search facet", ts.token, "/search?q=" + url.QueryEscape("报销"), shown + ` <span class="n">`},
		{"filter chip", ts.token, "/search?q=" + url.QueryEscape("报销") + "&dept=" + url.QueryEscape("财务部"), "部门：" + shown + " ✕"},
		{"file page", ts.token, "/files/" + f.ID, deptLink + shown + "</a>"},
		{"profile", finance, "/me", "<dd>" + shown + "</dd>"},
		{"poll audience", finance, "/polls/" + pl.ID, shown + " ·"},
	} {
		rec := ts.send(c.tok, http.MethodGet, c.path, nil, nil)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), c.want) {
			t.Errorf("%s (%s): %d, lacks %q", c.what, c.path, rec.Code, c.want)
		}
	}
	if strings.Contains(ts.send(finance, http.MethodGet, "/announcements", nil, nil).Body.String(), ">财务部</a>") {
		t.Error("the announcement list still shows the id")
	}
}
