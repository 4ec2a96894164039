package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jinnang/jinnang/portal/files"
)

func TestAdminDepartments(t *testing.T) {
	ts := newTestServer(t, nil)
	ctx := context.Background()
	if err := ts.files.SaveDepartment(ctx, files.Department{Name: "财务部", Intro: "报销找我们。"}); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.files.Upload(ctx, files.UploadInput{Department: "财务部", Title: "报销单", Name: "a.txt",
		Body: strings.NewReader("报销说明"), By: financeEd.ID}); err != nil {
		t.Fatal(err)
	}
	tok := ts.signIn(admin)
	csrf := ts.csrf(tok)

	// The list: records and departments only packs name, with counts.
	rec := ts.send(tok, http.MethodGet, "/admin/departments", nil, nil)
	body := rec.Body.String()
	if rec.Code != 200 || rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("list: %d %q", rec.Code, rec.Header().Get("Cache-Control"))
	}
	for _, want := range []string{
		`<td><a href="/departments/%E8%B4%A2%E5%8A%A1%E9%83%A8">财务部</a></td>
    <td>报销找我们。</td>
    <td>无</td>
    <td>2</td>
    <td>1</td>
    <td><a href="/admin/departments/%E8%B4%A2%E5%8A%A1%E9%83%A8/edit">编辑介绍</a></td>`,
		`<td><a href="/departments/%E6%8A%80%E6%9C%AF%E9%83%A8">技术部</a></td>
    <td><span class="hint">还没有部门记录`,
		`action="/admin/departments"`, `name="_csrf" value="` + csrf + `"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("list lacks %q\n%s", want, body)
		}
	}
	// Linked from the audit page and, for admins, the department index.
	for _, p := range []string{"/admin/audit", "/departments"} {
		if !strings.Contains(ts.send(tok, http.MethodGet, p, nil, nil).Body.String(), `href="/admin/departments"`) {
			t.Errorf("%s has no link to department administration", p)
		}
	}
	if strings.Contains(do(ts, http.MethodGet, "/departments", nil).Body.String(), `href="/admin/departments"`) {
		t.Error("an employee sees the administration link")
	}

	// Create, then the same name again (create-once), then bad names.
	form := url.Values{csrfField: {csrf}, "name": {" 法务部 "}, "intro": {"合同审核找我们。"}}
	rec = ts.send(tok, http.MethodPost, "/admin/departments", nil, form)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/admin/departments?created=%E6%B3%95%E5%8A%A1%E9%83%A8" {
		t.Fatalf("create: %d %q\n%s", rec.Code, rec.Header().Get("Location"), rec.Body.String())
	}
	body = ts.send(tok, http.MethodGet, rec.Header().Get("Location"), nil, nil).Body.String()
	if !strings.Contains(body, "已创建部门“法务部”。") || !strings.Contains(body, "合同审核找我们。") {
		t.Errorf("after create:\n%s", body)
	}
	if body := do(ts, http.MethodGet, "/departments/%E6%B3%95%E5%8A%A1%E9%83%A8", nil).Body.String(); !strings.Contains(body, "合同审核找我们。") {
		t.Errorf("the new department's space:\n%s", body)
	}
	form.Set("intro", "第二次")
	rec = ts.send(tok, http.MethodPost, "/admin/departments", nil, form)
	body = rec.Body.String()
	if rec.Code != http.StatusConflict || !strings.Contains(body, `id="name-error">部门“法务部”已经存在。`) || !strings.Contains(body, ">第二次</textarea>") {
		t.Errorf("duplicate: %d\n%s", rec.Code, body)
	}
	for _, bad := range []string{"法务/合规", "", strings.Repeat("部", files.MaxNewDeptRunes+1)} {
		rec := ts.send(tok, http.MethodPost, "/admin/departments", nil, url.Values{csrfField: {csrf}, "name": {bad}})
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), `id="name-error">部门名称需为 1 到 32 个字`) {
			t.Errorf("name %q: %d", bad, rec.Code)
		}
	}
	rec = ts.send(tok, http.MethodPost, "/admin/departments", nil, url.Values{csrfField: {csrf}, "name": {"长介绍部"},
		"intro": {strings.Repeat("字", files.MaxIntroRunes+1)}})
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), `id="intro-error">介绍最多 2000 个字。`) {
		t.Errorf("long intro: %d", rec.Code)
	}

	// Edit the intro: the loaded version saves once; a stale one is a 409
	// that keeps the text and carries the new version.
	rec = ts.send(tok, http.MethodGet, "/admin/departments/%E6%B3%95%E5%8A%A1%E9%83%A8/edit", nil, nil)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), ">合同审核找我们。</textarea>") {
		t.Fatalf("edit form: %d\n%s", rec.Code, rec.Body.String())
	}
	etag := etagIn(t, rec.Body.String())
	edit := url.Values{csrfField: {csrf}, "intro": {"合同、合规都找我们。"}, "etag": {etag}}
	rec = ts.send(tok, http.MethodPost, "/admin/departments/%E6%B3%95%E5%8A%A1%E9%83%A8/edit", nil, edit)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/departments/%E6%B3%95%E5%8A%A1%E9%83%A8" {
		t.Fatalf("save: %d %q\n%s", rec.Code, rec.Header().Get("Location"), rec.Body.String())
	}
	edit.Set("intro", "我的旧版本")
	rec = ts.send(tok, http.MethodPost, "/admin/departments/%E6%B3%95%E5%8A%A1%E9%83%A8/edit", nil, edit)
	body = rec.Body.String()
	if rec.Code != http.StatusConflict || !strings.Contains(body, ">我的旧版本</textarea>") || etagIn(t, body) == etag {
		t.Errorf("stale save: %d\n%s", rec.Code, body)
	}
	d, err := ts.files.Department(ctx, "法务部")
	if err != nil || d.Intro != "合同、合规都找我们。" {
		t.Errorf("stored: %+v %v", d, err)
	}
	if rec := ts.send(tok, http.MethodGet, "/admin/departments/%E6%B2%A1%E6%9C%89/edit", nil, nil); rec.Code != http.StatusNotFound {
		t.Errorf("edit of an unknown department: %d", rec.Code)
	}
	want := "department.update dev:zhangwei department:法务部\ndepartment.create dev:zhangwei department:法务部"
	if got := strings.Join(auditActions(t, ts), "\n"); got != want {
		t.Errorf("audit:\n%s\nwant\n%s", got, want)
	}
}
