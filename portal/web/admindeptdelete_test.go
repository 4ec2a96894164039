package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jinnang/jinnang/portal/files"
	"github.com/jinnang/jinnang/portal/store"
)

func TestAdminDeletesEmptyDepartmentOnly(t *testing.T) {
	ts := newTestServer(t, nil)
	ctx := context.Background()
	for _, d := range []files.Department{{Name: "法务部", Intro: "合同审核"}, {Name: "财务部", Intro: "报销找我们。"}} {
		if err := ts.files.SaveDepartment(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ts.files.Upload(ctx, files.UploadInput{Department: "财务部", Title: "报销单", Name: "a.txt",
		Body: strings.NewReader("报销说明"), By: financeEd.ID}); err != nil {
		t.Fatal(err)
	}
	legal := "/admin/departments/" + url.PathEscape("法务部")
	finance := "/admin/departments/" + url.PathEscape("财务部")
	if rec := ts.postForm(ts.signIn(financeEd), legal+"/delete", nil); rec.Code != http.StatusForbidden {
		t.Errorf("editor deletes a department: %d", rec.Code)
	}
	tok := ts.signIn(admin)
	if body := ts.send(tok, http.MethodGet, legal+"/edit", nil, nil).Body.String(); !strings.Contains(body, `action="`+legal+`/delete"`) {
		t.Error("edit page lacks the delete form")
	}
	// 财务部 has packs and a file: refused, the record stays.
	rec := ts.postForm(tok, finance+"/delete", nil)
	if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "请先移走或删除它们") {
		t.Errorf("delete 财务部 with content: %d", rec.Code)
	}
	if _, err := ts.files.Department(ctx, "财务部"); err != nil {
		t.Errorf("财务部 record after a refused delete: %v", err)
	}
	// 法务部 is empty: deleted, audited, gone from the list.
	rec = ts.postForm(tok, legal+"/delete", nil)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("delete 法务部: %d\n%s", rec.Code, rec.Body.String())
	}
	if _, err := ts.files.Department(ctx, "法务部"); !isNotFound(err) {
		t.Errorf("法务部 after delete: %v, want %v", err, store.ErrNotFound)
	}
	if !ts.hasAction(t, "department.delete", "department:法务部") {
		t.Error("no department.delete audit entry")
	}
	list := ts.send(tok, http.MethodGet, rec.Header().Get("Location"), nil, nil).Body.String()
	if !strings.Contains(list, "已删除部门“法务部”") || strings.Contains(list, ">法务部</a>") {
		t.Error("list after delete: notice missing or 法务部 still listed")
	}
	if rec := ts.postForm(tok, legal+"/delete", nil); rec.Code != http.StatusNotFound {
		t.Errorf("delete again: %d, want 404", rec.Code)
	}
}
