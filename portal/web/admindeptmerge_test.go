package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/jinnang/jinnang/portal/announce"
	"github.com/jinnang/jinnang/portal/auth"
	"github.com/jinnang/jinnang/portal/files"
	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/markdown"
	"github.com/jinnang/jinnang/portal/packs"
)

// TestAdminMergesDepartment: merging 财务部 into 综合部 through the form
// moves its pack (a new version, reindexed), its file (reindexed), the
// announcement audience and the granted editor and announce-to-everyone
// switch, folds the record into 综合部's and deletes 财务部; it is audited.
func TestAdminMergesDepartment(t *testing.T) {
	ts := newTestServer(t, realPacks)
	ctx := context.Background()
	for _, d := range []files.Department{{Name: "财务部", Intro: "报销找我们。"}, {Name: "综合部"}} {
		if err := ts.files.SaveDepartment(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	f, err := ts.files.Upload(ctx, files.UploadInput{Department: "财务部", Title: "报销单模板", Name: "a.txt",
		Body: strings.NewReader("报销说明"), By: financeEd.ID})
	if err != nil {
		t.Fatal(err)
	}
	a, err := ts.opts.Announcements.Create(ctx, announce.Input{Title: "报销截止", Body: "25 日前", Targets: []string{"人力资源部", "财务部"}, By: admin.ID, ByName: admin.Name})
	if err != nil {
		t.Fatal(err)
	}
	if err := ts.opts.Auth.Grants.Update(ctx, func(g *auth.GrantSet) error {
		g.Editors = map[string][]string{"财务部": {employee.ID}}
		g.AnnounceAll = []string{"财务部"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	finance := "/admin/departments/" + url.PathEscape("财务部")
	tok := ts.signIn(admin)
	edit := ts.send(tok, http.MethodGet, finance+"/edit", nil, nil).Body.String()
	if !strings.Contains(edit, `action="`+finance+`/merge"`) || !strings.Contains(edit, `<option value="综合部">`) {
		t.Fatalf("edit page lacks the merge form")
	}
	if rec := ts.postForm(ts.signIn(financeEd), finance+"/merge", url.Values{"into": {"综合部"}}); rec.Code != http.StatusForbidden {
		t.Errorf("editor merges: %d", rec.Code)
	}
	if rec := ts.send(tok, http.MethodPost, finance+"/merge", nil, url.Values{"into": {"综合部"}}); rec.Code != http.StatusForbidden {
		t.Errorf("merge without CSRF: %d", rec.Code)
	}
	if rec := ts.postForm(tok, finance+"/merge", url.Values{"into": {"财务部"}}); rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("merge into itself: %d", rec.Code)
	}
	if rec := ts.postForm(tok, finance+"/merge", url.Values{"into": {"综合部"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("merge: %d\n%s", rec.Code, rec.Body.String())
	}
	ps := ts.opts.Editor.(*packs.Service)
	src, _, err := ps.Source(ctx, "expense-claims")
	if err != nil {
		t.Fatal(err)
	}
	if fm, _, err := markdown.Split("x.md", src); err != nil || fm.Department != "综合部" {
		t.Errorf("pack department after merge: %q %v", fm.Department, err)
	}
	// (The index also holds the fake packs of the test server: look for this one.)
	for dept, want := range map[string]bool{"财务部": false, "综合部": true} {
		res, err := ps.Search(ctx, index.Query{Department: dept, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if got := slices.ContainsFunc(res.Hits, func(h index.Hit) bool { return h.Doc.ID == "pack_expense-claims" }); got != want {
			t.Errorf("expense-claims indexed under %s: %v, want %v", dept, got, want)
		}
	}
	for dept, want := range map[string]int{"财务部": 0, "综合部": 1} {
		if res, err := ts.files.ByDepartment(ctx, dept, 0, 10); err != nil || res.Total != want {
			t.Errorf("files indexed under %s: %d %v, want %d", dept, res.Total, err, want)
		}
	}
	if got, _ := ts.files.Get(ctx, f.ID); got == nil || got.Department != "综合部" {
		t.Errorf("file record after merge: %+v", got)
	}
	if got, _ := ts.opts.Announcements.Get(ctx, a.ID); got == nil || !slices.Equal(got.Targets, []string{"人力资源部", "综合部"}) {
		t.Errorf("announcement targets after merge: %+v", got)
	}
	g, _ := ts.opts.Auth.Grants.Load(ctx)
	if !slices.Equal(g.EditorsOf("综合部"), []string{employee.ID}) || len(g.EditorsOf("财务部")) != 0 || !slices.Equal(g.AnnounceAll, []string{"综合部"}) {
		t.Errorf("grants after merge: %+v", g)
	}
	if _, err := ts.files.Department(ctx, "财务部"); !isNotFound(err) {
		t.Errorf("财务部 record after merge: %v", err)
	}
	if d, err := ts.files.Department(ctx, "综合部"); err != nil || d.Intro != "报销找我们。" {
		t.Errorf("综合部 record after merge: %+v %v", d, err)
	}
	if !ts.hasAction(t, "department.merge", "department:财务部") {
		t.Error("no department.merge audit entry")
	}
}

// TestAdminRenamesDepartment: rename changes the shown name only; the id
// (what files refer to) stays, and a bad name is refused.
func TestAdminRenamesDepartment(t *testing.T) {
	ts := newTestServer(t, nil)
	ctx := context.Background()
	if err := ts.files.SaveDepartment(ctx, files.Department{Name: "综合部", Intro: "杂事"}); err != nil {
		t.Fatal(err)
	}
	f, err := ts.files.Upload(ctx, files.UploadInput{Department: "综合部", Title: "门禁", Name: "a.txt", Body: strings.NewReader("x"), By: admin.ID})
	if err != nil {
		t.Fatal(err)
	}
	path := "/admin/departments/" + url.PathEscape("综合部")
	tok := ts.signIn(admin)
	if rec := ts.postForm(ts.signIn(employee), path+"/rename", url.Values{"display": {"行政综合部"}}); rec.Code != http.StatusForbidden {
		t.Errorf("employee renames: %d", rec.Code)
	}
	if rec := ts.postForm(tok, path+"/rename", url.Values{"display": {"行政/综合"}}); rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("bad name: %d", rec.Code)
	}
	if rec := ts.postForm(tok, path+"/rename", url.Values{"display": {"行政综合部"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("rename: %d\n%s", rec.Code, rec.Body.String())
	}
	d, err := ts.files.Department(ctx, "综合部")
	if err != nil || d.Shown() != "行政综合部" || d.Intro != "杂事" {
		t.Errorf("record after rename: %+v %v", d, err)
	}
	if got, _ := ts.files.Get(ctx, f.ID); got == nil || got.Department != "综合部" {
		t.Errorf("file's department id changed: %+v", got)
	}
	if !strings.Contains(ts.send(tok, http.MethodGet, path+"/edit", nil, nil).Body.String(), `value="行政综合部"`) {
		t.Error("edit page does not show the display name")
	}
	if page := do(ts, http.MethodGet, "/departments/"+url.PathEscape("综合部"), nil).Body.String(); !strings.Contains(page, "<h1>行政综合部</h1>") {
		t.Error("department page does not show the display name")
	}
	if !strings.Contains(do(ts, http.MethodGet, "/departments", nil).Body.String(), `<span class="name">行政综合部</span>`) {
		t.Error("department list does not show the display name")
	}
	if !ts.hasAction(t, "department.rename", "department:综合部") {
		t.Error("no department.rename audit entry")
	}
}
