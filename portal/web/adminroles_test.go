package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jinnang/jinnang/portal/announce"
)

// hasAction reports whether the audit log holds an entry with action and target.
func (ts *testServer) hasAction(t *testing.T, action, target string) bool {
	t.Helper()
	es, err := ts.opts.Auth.Audit.List(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if e.Action == action && e.Target == target {
			return true
		}
	}
	return false
}

func TestAdminRolesPageAccess(t *testing.T) {
	ts := newTestServer(t, nil)
	for _, u := range []string{ts.signIn(employee), ts.signIn(financeEd), ts.signIn(moderator)} {
		if rec := ts.send(u, http.MethodGet, "/admin/roles", nil, nil); rec.Code != http.StatusForbidden {
			t.Errorf("non-admin GET /admin/roles: %d", rec.Code)
		}
		if rec := ts.postForm(u, "/admin/roles", url.Values{"op": {"add"}, "role": {"moderator"}, "id": {"dev:chenchen"}}); rec.Code != http.StatusForbidden {
			t.Errorf("non-admin POST /admin/roles: %d", rec.Code)
		}
	}
	tok := ts.signIn(admin)
	rec := ts.send(tok, http.MethodGet, "/admin/roles", nil, nil)
	body := rec.Body.String()
	if rec.Code != http.StatusOK {
		t.Fatalf("admin GET /admin/roles: %d\n%s", rec.Code, body)
	}
	for _, want := range []string{"角色管理", "dev:zhangwei", "dev:lina", "dev:wangmin", "财务部", "技术部", "来自角色文件", "允许向全员发公告"} {
		if !strings.Contains(body, want) {
			t.Errorf("roles page lacks %q", want)
		}
	}
	if en := ts.send(tok, http.MethodGet, "/admin/roles", map[string]string{"Accept-Language": "en"}, nil).Body.String(); !strings.Contains(en, "Department editors") {
		t.Errorf("English roles page lacks its heading")
	}
}

func TestAdminAssignsEditorAndModerator(t *testing.T) {
	ts := newTestServer(t, nil)
	adminTok := ts.signIn(admin)
	chen := ts.signIn(employee) // signed in before the grant: it applies on the next request
	if rec := ts.send(chen, http.MethodGet, "/moderation", nil, nil); rec.Code != http.StatusForbidden {
		t.Fatalf("employee before the grant opens moderation: %d", rec.Code)
	}
	if rec := ts.send(chen, http.MethodGet, "/announcements/new?dept="+url.QueryEscape("销售部"), nil, nil); rec.Code != http.StatusForbidden {
		t.Fatalf("employee before the grant opens the 销售部 announcement form: %d", rec.Code)
	}
	for _, f := range []url.Values{
		{"op": {"add"}, "role": {"moderator"}, "id": {"dev:chenchen"}},
		{"op": {"add"}, "role": {"editor"}, "dept": {"销售部"}, "id": {"dev:chenchen"}},
	} {
		if rec := ts.postForm(adminTok, "/admin/roles", f); rec.Code != http.StatusSeeOther {
			t.Fatalf("grant %v: %d\n%s", f, rec.Code, rec.Body.String())
		}
	}
	if !ts.hasAction(t, "role.add", "user:dev:chenchen") {
		t.Error("no role.add audit entry")
	}
	if rec := ts.send(chen, http.MethodGet, "/moderation", nil, nil); rec.Code != http.StatusOK {
		t.Errorf("moderator by grant, same session: moderation %d", rec.Code)
	}
	if rec := ts.send(chen, http.MethodGet, "/announcements/new?dept="+url.QueryEscape("销售部"), nil, nil); rec.Code != http.StatusOK {
		t.Errorf("editor of 销售部 by grant: announcement form %d", rec.Code)
	}
	body := ts.send(adminTok, http.MethodGet, "/admin/roles", nil, nil).Body.String()
	if !strings.Contains(body, `name="id" value="dev:chenchen"`) {
		t.Errorf("roles page lacks the remove button of the grant")
	}
	// Remove: gone on the next request of the same session.
	for _, f := range []url.Values{
		{"op": {"remove"}, "role": {"moderator"}, "id": {"dev:chenchen"}},
		{"op": {"remove"}, "role": {"editor"}, "dept": {"销售部"}, "id": {"dev:chenchen"}},
	} {
		if rec := ts.postForm(adminTok, "/admin/roles", f); rec.Code != http.StatusSeeOther {
			t.Fatalf("remove %v: %d", f, rec.Code)
		}
	}
	if !ts.hasAction(t, "role.remove", "user:dev:chenchen") {
		t.Error("no role.remove audit entry")
	}
	if rec := ts.send(chen, http.MethodGet, "/moderation", nil, nil); rec.Code != http.StatusForbidden {
		t.Errorf("after removal: moderation %d", rec.Code)
	}
	if rec := ts.send(chen, http.MethodGet, "/announcements/new?dept="+url.QueryEscape("销售部"), nil, nil); rec.Code != http.StatusForbidden {
		t.Errorf("after removal: announcement form %d", rec.Code)
	}
}

func TestAdminRolesRefusesFileRolesAndBadInput(t *testing.T) {
	ts := newTestServer(t, nil)
	tok := ts.signIn(admin)
	cases := []struct {
		form url.Values
		code int
		want string
	}{
		{url.Values{"op": {"remove"}, "role": {"moderator"}, "id": {"dev:lina"}}, http.StatusConflict, "只能在文件中移除"},
		{url.Values{"op": {"remove"}, "role": {"editor"}, "dept": {"财务部"}, "id": {"dev:wangmin"}}, http.StatusConflict, "只能在文件中移除"},
		{url.Values{"op": {"add"}, "role": {"moderator"}, "id": {"nobody"}}, http.StatusUnprocessableEntity, "用户 ID 无效"},
		{url.Values{"op": {"add"}, "role": {"admin"}, "id": {"dev:chenchen"}}, http.StatusUnprocessableEntity, "无效的操作"},
		{url.Values{"op": {"add"}, "role": {"editor"}, "dept": {""}, "id": {"dev:chenchen"}}, http.StatusUnprocessableEntity, "部门名称无效"},
	}
	for _, c := range cases {
		rec := ts.postForm(tok, "/admin/roles", c.form)
		if rec.Code != c.code || !strings.Contains(rec.Body.String(), c.want) {
			t.Errorf("%v: %d, want %d with %q", c.form, rec.Code, c.code, c.want)
		}
	}
	// The file's moderator is still one.
	if rec := ts.send(ts.signIn(moderator), http.MethodGet, "/moderation", nil, nil); rec.Code != http.StatusOK {
		t.Errorf("file moderator after a refused removal: %d", rec.Code)
	}
	// There is no way to make or remove an admin here.
	if body := ts.send(tok, http.MethodGet, "/admin/roles", nil, nil).Body.String(); strings.Contains(body, `value="admin"`) {
		t.Error("roles page offers an admin role")
	}
}

func TestAnnounceToEveryonePermission(t *testing.T) {
	ts := newTestServer(t, nil)
	adminTok := ts.signIn(admin)
	fin := ts.signIn(financeEd)
	tech := ts.signIn(techEd)
	everyone := func(tok, title string) int {
		return ts.postForm(tok, "/announcements/new", url.Values{"title": {title}, "everyone": {"1"}}).Code
	}
	if body := ts.send(fin, http.MethodGet, "/announcements/new", nil, nil).Body.String(); strings.Contains(body, `name="everyone"`) {
		t.Error("财务部 editor without the permission sees the everyone box")
	}
	if code := everyone(fin, "报销截止（无权限）"); code != http.StatusForbidden {
		t.Fatalf("财务部 editor without the permission: %d", code)
	}
	if rec := ts.postForm(adminTok, "/admin/roles/announce", url.Values{"dept": {"财务部"}, "on": {"1"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("grant announce-all: %d", rec.Code)
	}
	if !ts.hasAction(t, "department.announce_all.on", "department:财务部") {
		t.Error("no audit entry for the permission")
	}
	if body := ts.send(fin, http.MethodGet, "/announcements/new", nil, nil).Body.String(); !strings.Contains(body, `name="everyone"`) || strings.Contains(body, `type="checkbox" name="target"`) {
		t.Errorf("财务部 editor with the permission: the everyone box, still one department")
	}
	if code := everyone(fin, "报销截止"); code != http.StatusSeeOther {
		t.Fatalf("财务部 editor with the permission: %d", code)
	}
	if code := everyone(tech, "技术部全员（无权限）"); code != http.StatusForbidden {
		t.Errorf("技术部 editor (no permission): %d", code)
	}
	if code := everyone(ts.signIn(employee), "员工全员"); code != http.StatusForbidden {
		t.Errorf("employee: %d", code)
	}
	res, err := ts.announcements().List(context.Background(), announce.Query{Any: true})
	if err != nil || res.Total != 1 || !res.Items[0].Everyone || res.Items[0].Title != "报销截止" {
		t.Fatalf("stored: %+v %v", res.Items, err)
	}
	// 销售部 sees it.
	if body := ts.send(ts.signIn(employee), http.MethodGet, "/", nil, nil).Body.String(); !strings.Contains(body, "报销截止") {
		t.Error("销售部 home lacks 报销截止")
	}
	// Revoked: refused again.
	if rec := ts.postForm(adminTok, "/admin/roles/announce", url.Values{"dept": {"财务部"}, "on": {"0"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("revoke: %d", rec.Code)
	}
	if code := everyone(fin, "再次全员"); code != http.StatusForbidden {
		t.Errorf("after revoking: %d", code)
	}
}
