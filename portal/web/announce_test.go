package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/jinnang/jinnang/portal/announce"
	"github.com/jinnang/jinnang/portal/auth"
	"github.com/jinnang/jinnang/portal/files"
)

const financePath = "/departments/%E8%B4%A2%E5%8A%A1%E9%83%A8"

// announcements is the test server's announcement service.
func (ts *testServer) announcements() *announce.Service {
	ts.t.Helper()
	a, ok := ts.opts.Announcements.(*announce.Service)
	if !ok {
		ts.t.Fatal("test server has no announcement service")
	}
	return a
}

// announceAs posts an announcement straight to the service.
func (ts *testServer) announceAs(u auth.User, in announce.Input) *announce.Announcement {
	ts.t.Helper()
	in.By, in.ByName = u.ID, u.Name
	a, err := ts.announcements().Create(context.Background(), in)
	if err != nil {
		ts.t.Fatal(err)
	}
	return a
}

// prepareRoleRow fills the announcement and department placeholders of a
// role-table row: {aid} and {aetag} name an announcement of 财务部; a path
// under /admin/departments/ gets a 财务部 record, and {detag} its ETag.
func prepareRoleRow(t *testing.T, ts *testServer, path string, form url.Values) (string, url.Values) {
	t.Helper()
	path, form = prepareKnowledgeRow(t, ts, path, form)
	if strings.Contains(path, "{aid}") {
		a := ts.announceAs(financeEd, announce.Input{Title: "报销截止", Targets: []string{"财务部"}})
		path = strings.ReplaceAll(path, "{aid}", a.ID)
		if form.Get("etag") == "{aetag}" {
			form.Set("etag", a.ETag)
		}
	}
	if strings.HasPrefix(path, "/admin/departments/") {
		ctx := context.Background()
		if err := ts.files.SaveDepartment(ctx, files.Department{Name: "财务部", Intro: "报销找我们。"}); err != nil {
			t.Fatal(err)
		}
		_, etag, err := ts.files.DepartmentForEdit(ctx, "财务部")
		if err != nil {
			t.Fatal(err)
		}
		if form.Get("etag") == "{detag}" {
			form.Set("etag", etag)
		}
	}
	return path, form
}

// inOrder checks that the strings appear in body in this order.
func inOrder(body string, want ...string) error {
	at := -1
	for _, w := range want {
		i := strings.Index(body, w)
		if i < 0 {
			return fmt.Errorf("%q missing", w)
		}
		if i < at {
			return fmt.Errorf("%q out of order", w)
		}
		at = i
	}
	return nil
}

func TestAnnouncementTargetingExpiryAndOrder(t *testing.T) {
	ts := newTestServer(t, nil)
	// testNow is 2025-06-01; the clock of the service is real, so later
	// posts are newer.
	ts.announceAs(admin, announce.Input{Title: "置顶的财务旧闻", Targets: []string{"财务部"}, Pinned: true})
	ts.announceAs(admin, announce.Input{Title: "全员大会", Body: "周五下午三点。", Everyone: true})
	ts.announceAs(techEd, announce.Input{Title: "技术部发布冻结", Targets: []string{"技术部"}})
	ts.announceAs(financeEd, announce.Input{Title: "已过期的财务通知", Targets: []string{"财务部"}, Expires: day(2025, 5, 31)})
	ts.announceAs(financeEd, announce.Input{Title: "今天截止的报销", Targets: []string{"财务部"}, Expires: testNow})
	ts.announceAs(financeEd, announce.Input{Title: "最新财务通知", Body: "发票抬头已更新。", Targets: []string{"财务部"}})
	tok := ts.signIn(financeEd)

	// Home: the newest three for 财务部 or everyone, pinned first, compact.
	body := ts.send(tok, http.MethodGet, "/", nil, nil).Body.String()
	if err := inOrder(body, "置顶的财务旧闻", "最新财务通知", "今天截止的报销", `href="/announcements"`, "今日推荐"); err != nil {
		t.Errorf("home: %v\n%s", err, body)
	}
	for _, no := range []string{"技术部发布冻结", "已过期的财务通知", "全员大会", "发票抬头已更新"} { // 全员大会 is fourth; bodies are not shown
		if strings.Contains(body, no) {
			t.Errorf("home shows %q", no)
		}
	}

	// /announcements: every live one for 财务部 and everyone, with bodies.
	body = ts.send(tok, http.MethodGet, "/announcements", nil, nil).Body.String()
	if err := inOrder(body, "置顶的财务旧闻", "最新财务通知", "<p>发票抬头已更新。</p>", "今天截止的报销", "全员大会", "<p>周五下午三点。</p>"); err != nil {
		t.Errorf("/announcements: %v\n%s", err, body)
	}
	for _, no := range []string{"技术部发布冻结", "已过期的财务通知"} {
		if strings.Contains(body, no) {
			t.Errorf("/announcements shows %q", no)
		}
	}
	if !strings.Contains(body, `href="/announcements/new"`) || !strings.Contains(body, "显示到 2025年6月1日") {
		t.Errorf("/announcements lacks the post link or the expiry:\n%s", body)
	}

	// The department space: only announcements naming 财务部.
	body = ts.send(tok, http.MethodGet, financePath, nil, nil).Body.String()
	if err := inOrder(body, "部门公告", "置顶的财务旧闻", "最新财务通知", "今天截止的报销", "部门锦囊"); err != nil {
		t.Errorf("department: %v\n%s", err, body)
	}
	for _, no := range []string{"技术部发布冻结", "已过期的财务通知", "全员大会"} {
		if strings.Contains(body, no) {
			t.Errorf("department page shows %q", no)
		}
	}
	if !strings.Contains(body, `href="/announcements/new?dept=%E8%B4%A2%E5%8A%A1%E9%83%A8"`) {
		t.Errorf("an editor of 财务部 gets no post link on its page")
	}

	// Another department's member sees 全员 only; no edit links, no post link.
	body = do(ts, http.MethodGet, "/announcements", nil).Body.String()
	if !strings.Contains(body, "全员大会") || strings.Contains(body, "财务") || strings.Contains(body, "技术部发布冻结") ||
		strings.Contains(body, "/edit") || strings.Contains(body, "/announcements/new") {
		t.Errorf("销售部 employee's announcements:\n%s", body)
	}
	body = do(ts, http.MethodGet, financePath, nil).Body.String()
	if !strings.Contains(body, "最新财务通知") || strings.Contains(body, "/announcements/new") || strings.Contains(body, "/edit") {
		t.Errorf("an employee on 财务部's page:\n%s", body)
	}
	// An admin sees every live one, with edit links.
	body = ts.send(ts.signIn(admin), http.MethodGet, "/announcements", english, nil).Body.String()
	if !strings.Contains(body, "技术部发布冻结") || !strings.Contains(body, "全员大会") || strings.Contains(body, "已过期的财务通知") ||
		strings.Count(body, `class="edit"`) != 5 || !strings.Contains(body, "Pinned") {
		t.Errorf("admin's announcements:\n%s", body)
	}
}

func TestDepartmentAnnouncementPaging(t *testing.T) {
	ts := newTestServer(t, nil)
	for i := 1; i <= 12; i++ {
		ts.announceAs(financeEd, announce.Input{Title: fmt.Sprintf("第%02d号通知", i), Targets: []string{"财务部"}})
	}
	body := do(ts, http.MethodGet, financePath, nil).Body.String()
	if !strings.Contains(body, "第12号通知") || !strings.Contains(body, "第03号通知") || strings.Contains(body, "第02号通知") ||
		!strings.Contains(body, `href="`+financePath+`?apage=2"`) {
		t.Errorf("first page:\n%s", body)
	}
	body = do(ts, http.MethodGet, financePath+"?apage=2", nil).Body.String()
	if !strings.Contains(body, "第02号通知") || !strings.Contains(body, "第01号通知") || strings.Contains(body, "第03号通知") {
		t.Errorf("second page:\n%s", body)
	}
}

// etagIn returns the etag field of a rendered form.
func etagIn(t *testing.T, body string) string {
	t.Helper()
	m := regexp.MustCompile(`name="etag" value="([^"]*)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no etag field in\n%s", body)
	}
	return m[1]
}

func TestAnnouncementPostEditDelete(t *testing.T) {
	ts := newTestServer(t, nil)
	tok := ts.signIn(financeEd)
	csrf := ts.csrf(tok)

	rec := ts.send(tok, http.MethodGet, "/announcements/new?dept=%E8%B4%A2%E5%8A%A1%E9%83%A8", nil, nil)
	body := rec.Body.String()
	if rec.Code != 200 || !strings.Contains(body, `type="radio" name="target" value="财务部" checked`) || strings.Contains(body, `name="everyone"`) ||
		!strings.Contains(body, `name="_csrf" value="`+csrf+`"`) {
		t.Fatalf("new form: %d\n%s", rec.Code, body)
	}
	form := url.Values{csrfField: {csrf}, "title": {"六月报销截止"}, "body": {"请在 **6 月 25 日**前提交。\r\n"}, "target": {"财务部"},
		"pinned": {"1"}, "expires": {"2025-06-30"}}
	rec = ts.send(tok, http.MethodPost, "/announcements/new", nil, form)
	loc := rec.Header().Get("Location")
	if rec.Code != http.StatusSeeOther || !strings.HasPrefix(loc, financePath+"#a-") {
		t.Fatalf("post: %d %q\n%s", rec.Code, loc, rec.Body.String())
	}
	id := strings.TrimPrefix(loc, financePath+"#a-")
	body = ts.send(tok, http.MethodGet, financePath, nil, nil).Body.String()
	for _, want := range []string{`id="a-` + id + `"`, "六月报销截止", "<strong>6 月 25 日</strong>", "王敏 发布", "显示到 2025年6月30日", "置顶",
		`href="/announcements/` + id + `/edit"`} {
		if !strings.Contains(body, want) {
			t.Errorf("department page lacks %q", want)
		}
	}

	// Edit: the loaded version saves; a stale one is a 409 that keeps the input.
	rec = ts.send(tok, http.MethodGet, "/announcements/"+id+"/edit", nil, nil)
	body = rec.Body.String()
	if rec.Code != 200 || !strings.Contains(body, `value="六月报销截止"`) || !strings.Contains(body, `value="2025-06-30"`) ||
		!strings.Contains(body, `name="pinned" value="1" checked`) || !strings.Contains(body, "/announcements/"+id+"/delete") {
		t.Fatalf("edit form: %d\n%s", rec.Code, body)
	}
	etag := etagIn(t, body)
	edit := url.Values{csrfField: {csrf}, "title": {"六月报销截止（延期）"}, "body": {"延到 6 月 28 日。"}, "target": {"财务部"}, "etag": {etag}}
	if rec = ts.send(tok, http.MethodPost, "/announcements/"+id+"/edit", nil, edit); rec.Code != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", rec.Code, rec.Body.String())
	}
	edit.Set("title", "我的旧版本编辑")
	rec = ts.send(tok, http.MethodPost, "/announcements/"+id+"/edit", nil, edit)
	body = rec.Body.String()
	if rec.Code != http.StatusConflict || !strings.Contains(body, `value="我的旧版本编辑"`) || !strings.Contains(body, "有人修改了这条公告") ||
		etagIn(t, body) == etag {
		t.Fatalf("stale save: %d\n%s", rec.Code, body)
	}
	// Without any version it is a conflict too, never a blind overwrite.
	edit.Del("etag")
	if rec = ts.send(tok, http.MethodPost, "/announcements/"+id+"/edit", nil, edit); rec.Code != http.StatusConflict {
		t.Errorf("save without etag: %d", rec.Code)
	}
	a, err := ts.announcements().Get(context.Background(), id)
	if err != nil || a.Title != "六月报销截止（延期）" || a.Pinned || !a.Expires.IsZero() || a.UpdatedBy != financeEd.ID {
		t.Fatalf("stored after edits: %+v %v", a, err)
	}

	// Another department's editor may neither edit nor delete it.
	other := ts.signIn(techEd)
	if rec := ts.send(other, http.MethodPost, "/announcements/"+id+"/delete", nil, url.Values{csrfField: {ts.csrf(other)}}); rec.Code != http.StatusForbidden {
		t.Errorf("delete by 技术部 editor: %d", rec.Code)
	}
	if rec = ts.send(tok, http.MethodPost, "/announcements/"+id+"/delete", nil, url.Values{csrfField: {csrf}}); rec.Code != http.StatusSeeOther ||
		rec.Header().Get("Location") != financePath {
		t.Fatalf("delete: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	if rec = ts.send(tok, http.MethodGet, "/announcements/"+id+"/edit", nil, nil); rec.Code != http.StatusNotFound {
		t.Errorf("edit after delete: %d", rec.Code)
	}
	if rec = ts.send(tok, http.MethodGet, "/announcements/not-an-id/edit", nil, nil); rec.Code != http.StatusNotFound {
		t.Errorf("malformed id: %d", rec.Code)
	}
	want := []string{
		"announcement.delete dev:wangmin announcement:" + id,
		"announcement.update dev:wangmin announcement:" + id,
		"announcement.create dev:wangmin announcement:" + id,
	}
	if got := auditActions(t, ts); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestAnnouncementAdminTargets(t *testing.T) {
	ts := newTestServer(t, nil)
	if err := ts.files.SaveDepartment(context.Background(), files.Department{Name: "行政部"}); err != nil {
		t.Fatal(err)
	}
	tok := ts.signIn(admin)
	body := ts.send(tok, http.MethodGet, "/announcements/new", nil, nil).Body.String()
	for _, want := range []string{`name="everyone" value="1"`, `type="checkbox" name="target" value="行政部"`, `type="checkbox" name="target" value="人力资源部"`} {
		if !strings.Contains(body, want) {
			t.Errorf("admin form lacks %q", want)
		}
	}
	form := url.Values{csrfField: {ts.csrf(tok)}, "title": {"两部门联合通知"}, "target": {"财务部", "技术部"}}
	rec := ts.send(tok, http.MethodPost, "/announcements/new", nil, form)
	if rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/announcements#a-") {
		t.Fatalf("two departments: %d %q\n%s", rec.Code, rec.Header().Get("Location"), rec.Body.String())
	}
	id := strings.TrimPrefix(rec.Header().Get("Location"), "/announcements#a-")
	// It belongs to admins: editors of either department may not change it.
	fin := ts.signIn(financeEd)
	if rec := ts.send(fin, http.MethodGet, "/announcements/"+id+"/edit", nil, nil); rec.Code != http.StatusForbidden {
		t.Errorf("editor opens a two-department announcement: %d", rec.Code)
	}
	for _, p := range []string{financePath, "/departments/%E6%8A%80%E6%9C%AF%E9%83%A8"} {
		if body := ts.send(fin, http.MethodGet, p, nil, nil).Body.String(); !strings.Contains(body, "两部门联合通知") || strings.Contains(body, id+"/edit") {
			t.Errorf("%s: missing the joint announcement or shows its edit link", p)
		}
	}
	form = url.Values{csrfField: {ts.csrf(tok)}, "title": {"全员通知"}, "everyone": {"1"}, "target": {"财务部"}}
	if rec := ts.send(tok, http.MethodPost, "/announcements/new", nil, form); rec.Code != http.StatusSeeOther {
		t.Fatalf("everyone: %d\n%s", rec.Code, rec.Body.String())
	}
	res, err := ts.announcements().List(context.Background(), announce.Query{Any: true})
	if err != nil || res.Total != 2 || !res.Items[0].Everyone || len(res.Items[0].Targets) != 0 {
		t.Fatalf("stored: %+v %v", res.Items, err)
	}
	if body := do(ts, http.MethodGet, "/", nil).Body.String(); !strings.Contains(body, "全员通知") || strings.Contains(body, "两部门联合通知") {
		t.Errorf("销售部 home: everyone yes, 财务部+技术部 no:\n%s", body)
	}
}

func TestAnnouncementFormErrors(t *testing.T) {
	ts := newTestServer(t, nil)
	tok := ts.signIn(financeEd)
	csrf := ts.csrf(tok)
	long := strings.Repeat("长", announce.MaxTitle+1)
	for _, tc := range []struct {
		name   string
		form   url.Values
		status int
		field  string // the field whose error must show
		msg    string
		kept   string // input that must come back
	}{
		{"empty title", url.Values{"title": {" "}, "body": {"正文保留"}, "target": {"财务部"}}, 422, "title", "标题不能为空。", "正文保留"},
		{"long title", url.Values{"title": {long}, "target": {"财务部"}}, 422, "title", "标题最多 80 个字。", long},
		{"long body", url.Values{"title": {"t"}, "body": {strings.Repeat("字", announce.MaxBody+1)}, "target": {"财务部"}}, 422, "body", "内容最多 4000 个字。", `value="t"`},
		{"no target", url.Values{"title": {"无部门"}}, 422, "targets", "请选择要发给哪个部门。", `value="无部门"`},
		{"bad date", url.Values{"title": {"日期"}, "target": {"财务部"}, "expires": {"2025-13-01"}}, 422, "expires", "请填写有效的日期", `value="2025-13-01"`},
		{"past date", url.Values{"title": {"日期"}, "target": {"财务部"}, "expires": {"2025-05-31"}}, 422, "expires", "截止日期不能早于今天。", `value="2025-05-31"`},
		{"other department", url.Values{"title": {"越权"}, "target": {"技术部"}}, 403, "targets", "你不能给“技术部”发布公告。", `value="越权"`},
		{"everyone", url.Values{"title": {"越权全员"}, "everyone": {"1"}}, 403, "targets", "你不能给“全员”发布公告。", `value="越权全员"`},
		{"two departments", url.Values{"title": {"两个"}, "target": {"财务部", "技术部"}}, 422, "targets", "只能选择一个部门。", `value="两个"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.form.Set(csrfField, csrf)
			rec := ts.send(tok, http.MethodPost, "/announcements/new", nil, tc.form)
			body := rec.Body.String()
			if rec.Code != tc.status || !strings.Contains(body, `id="`+tc.field+`-error">`+tc.msg) || !strings.Contains(body, tc.kept) {
				t.Errorf("status %d, want %d with %s error %q and %q kept\n%s", rec.Code, tc.status, tc.field, tc.msg, tc.kept, body)
			}
		})
	}
	if res, err := ts.announcements().List(context.Background(), announce.Query{Any: true}); err != nil || res.Total != 0 {
		t.Errorf("refused posts were stored: %d %v", res.Total, err)
	}
	// The English form speaks English.
	form := url.Values{csrfField: {csrf}, "title": {""}, "target": {"财务部"}}
	if body := ts.send(tok, http.MethodPost, "/announcements/new", english, form).Body.String(); !strings.Contains(body, "The title cannot be empty.") {
		t.Errorf("english errors:\n%s", body)
	}
}

func TestAnnouncementXSSInert(t *testing.T) {
	ts := newTestServer(t, nil)
	tok := ts.signIn(financeEd)
	form := url.Values{csrfField: {ts.csrf(tok)}, "target": {"财务部"},
		"title": {`<script>alert("t")</script>`},
		"body":  {"<img src=x onerror=alert(1)>\n\n[点我](javascript:alert(2)) <a href=\"javascript:alert(3)\">x</a>\n\n<iframe src=//evil.example></iframe>"}}
	if rec := ts.send(tok, http.MethodPost, "/announcements/new", nil, form); rec.Code != http.StatusSeeOther {
		t.Fatalf("post: %d\n%s", rec.Code, rec.Body.String())
	}
	for _, p := range []string{financePath, "/announcements", "/"} {
		body := ts.send(tok, http.MethodGet, p, nil, nil).Body.String()
		if !strings.Contains(body, "&lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt;") {
			t.Errorf("%s: escaped title missing", p)
		}
		for _, bad := range []string{"<script>alert", "onerror", "javascript:", "<iframe", "<img src=x"} {
			if strings.Contains(body, bad) {
				t.Errorf("%s: %q reached the page", p, bad)
			}
		}
	}
}

func TestAnnouncementsOff(t *testing.T) {
	ts := newTestServer(t, func(o *Options) { o.Announcements = nil })
	if rec := do(ts, http.MethodGet, "/announcements", nil); rec.Code != http.StatusNotFound {
		t.Errorf("/announcements without the domain: %d", rec.Code)
	}
	if rec := do(ts, http.MethodGet, "/", nil); rec.Code != 200 || strings.Contains(rec.Body.String(), `href="/announcements"`) {
		t.Errorf("home without announcements: %d", rec.Code)
	}
	if rec := do(ts, http.MethodGet, financePath, nil); rec.Code != 200 || strings.Contains(rec.Body.String(), "部门公告") {
		t.Errorf("department without announcements: %d", rec.Code)
	}
}
