package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jinnang/jinnang/portal/announce"
	"github.com/jinnang/jinnang/portal/files"
)

func searchURL(q string, extra ...string) string {
	v := url.Values{"q": {q}}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	return "/search?" + v.Encode()
}

// TestSearchEverything: questions without spaces find packs, department
// intros and the announcements addressed to the reader; the type chips
// narrow the results.
func TestSearchEverything(t *testing.T) {
	ts := newTestServer(t, nil)
	ctx := context.Background()
	if err := ts.files.SaveDepartment(ctx, files.Department{Name: "技术部", Intro: "VPN 和 Wi-Fi 连不通、电脑故障，都可以来问我们。"}); err != nil {
		t.Fatal(err)
	}
	ann := ts.opts.Announcements
	for _, in := range []announce.Input{
		{Title: "技术部：机房停电检修", Body: "周六机房停电检修，VPN 暂停。", Targets: []string{"技术部"}, By: admin.ID},
		{Title: "全员：消防演练", Body: "周五下午消防演练，请听从指挥。", Everyone: true, By: admin.ID},
		{Title: "旧通知：消防通道", Body: "消防通道已恢复。", Everyone: true, By: admin.ID, Expires: testNow.AddDate(0, 0, -3)},
	} {
		if _, err := ann.Create(ctx, in); err != nil {
			t.Fatal(err)
		}
	}

	body := do(ts, http.MethodGet, searchURL("年假怎么休"), nil).Body.String()
	mustContain(t, "question", body, "年假怎么休", `<span class="badge">锦囊</span>`)
	mustNotContain(t, "question", body, "没有找到")

	body = do(ts, http.MethodGet, searchURL("wifi连不上"), nil).Body.String()
	mustContain(t, "department intro", body, `<span class="badge">部门</span> 技术部`, `href="/departments/%E6%8A%80%E6%9C%AF%E9%83%A8"`)

	// The employee (销售部) finds the announcement for everyone, not the
	// one for 技术部, and not the expired one.
	body = do(ts, http.MethodGet, searchURL("消防"), nil).Body.String()
	mustContain(t, "announcement for everyone", body, `<span class="badge">公告</span> 全员：消防演练`)
	mustNotContain(t, "expired announcement", body, "旧通知")
	body = do(ts, http.MethodGet, searchURL("停电检修"), nil).Body.String()
	mustNotContain(t, "another department's announcement", body, "机房停电检修")
	techTok := ts.signIn(techEd)
	body = ts.send(techTok, http.MethodGet, searchURL("停电检修"), nil, nil).Body.String()
	mustContain(t, "own department's announcement", body, "机房停电检修")

	// Type chips: everything, then each type with its count; choosing one narrows.
	body = ts.send(techTok, http.MethodGet, searchURL("VPN"), nil, nil).Body.String()
	mustContain(t, "type chips", body, `aria-current="true">全部`, `type=dept`, `type=announce`, `type=pack`)
	body = ts.send(techTok, http.MethodGet, searchURL("VPN", "type", "dept"), nil, nil).Body.String()
	mustContain(t, "dept only", body, `<span class="badge">部门</span> 技术部`, `name="type" value="dept"`)
	mustNotContain(t, "dept only", body, `<span class="badge">锦囊</span>`, `<span class="badge">公告</span>`)
}

// TestSearchWeakResults: a question nothing fully answers says which
// department to ask and shows related tags; nothing at all lists the
// departments with their intros.
func TestSearchWeakResults(t *testing.T) {
	ts := newTestServer(t, nil)
	ctx := context.Background()
	if err := ts.files.SaveDepartment(ctx, files.Department{Name: "财务部", Intro: "报销、发票和付款都可以来问我们。"}); err != nil {
		t.Fatal(err)
	}
	body := do(ts, http.MethodGet, searchURL("发票丢了怎么补办"), nil).Body.String()
	mustContain(t, "weak", body, "部分匹配", "可以问问", `href="/departments/%E8%B4%A2%E5%8A%A1%E9%83%A8"`, "相关标签", "#报销")
	body = do(ts, http.MethodGet, searchURL("火星基地"), nil).Body.String()
	mustContain(t, "nothing", body, "没有找到", "可以问问", "报销、发票和付款都可以来问我们。")
	body = do(ts, http.MethodGet, searchURL("报销"), nil).Body.String()
	mustNotContain(t, "strong", body, "可以问问", "部分匹配")
}

// TestSearchMisses: submitted questions that found little are counted per
// week for editors; typing is not counted; employees cannot see the page.
func TestSearchMisses(t *testing.T) {
	ts := newTestServer(t, nil)
	submit := map[string]string{"HX-Request": "true", "HX-Trigger": searchFormID}
	typing := map[string]string{"HX-Request": "true", "HX-Trigger": "q"}
	do(ts, http.MethodGet, searchURL("火星基地"), nil)
	do(ts, http.MethodGet, searchURL("火星基地"), submit)
	do(ts, http.MethodGet, searchURL("火星"), typing)             // typing: not a question asked
	do(ts, http.MethodGet, searchURL("报销"), submit)             // found well
	do(ts, http.MethodGet, searchURL("月球", "dept", "财务部"), nil) // narrowed by a filter
	do(ts, http.MethodGet, searchURL("发票丢了怎么补办"), nil)          // partial

	if rec := do(ts, http.MethodGet, missesPath, nil); rec.Code != http.StatusForbidden {
		t.Errorf("employee: %d, want 403", rec.Code)
	}
	tok := ts.signIn(financeEd)
	rec := ts.send(tok, http.MethodGet, missesPath, nil, nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("editor: %d", rec.Code)
	}
	body := rec.Body.String()
	mustContain(t, "misses", body, "搜不到的问题", "火星基地</a></td><td>2</td><td>0</td>", "发票丢了怎么补办</a></td><td>0</td><td>1</td>",
		"共 2 个不同的问题", `href="/search?q=%e7%81%ab%e6%98%9f%e5%9f%ba%e5%9c%b0"`)
	mustNotContain(t, "misses", body, ">火星<", "报销</a>", "月球", employee.Name+"</td>")
	// The editor's search page links to it.
	mustContain(t, "link", ts.send(tok, http.MethodGet, searchURL("报销"), nil, nil).Body.String(), `href="/search/misses"`)
	mustNotContain(t, "employee link", do(ts, http.MethodGet, searchURL("报销"), nil).Body.String(), `href="/search/misses"`)
}

// TestSynonymEditor: admins edit the list; it applies at once; a bad line
// and a stale version are refused with the text kept.
func TestSynonymEditor(t *testing.T) {
	ts := newTestServer(t, nil)
	if rec := ts.send(ts.signIn(financeEd), http.MethodGet, synonymsPath, nil, nil); rec.Code != http.StatusForbidden {
		t.Errorf("editor: %d, want 403", rec.Code)
	}
	tok := ts.signIn(admin)
	csrf := ts.csrf(tok)
	if strings.Contains(do(ts, http.MethodGet, searchURL("年休假"), nil).Body.String(), "年假怎么休") {
		t.Fatal("年休假 finds 年假 before any synonym")
	}
	page := ts.send(tok, http.MethodGet, synonymsPath, nil, nil).Body.String()
	mustContain(t, "form", page, `name="synonyms"`, `name="etag" value=""`, "同义词（0 组）")

	rec := ts.send(tok, http.MethodPost, synonymsPath, nil, url.Values{"_csrf": {csrf}, "synonyms": {"年假, 年休假\n"}, "etag": {""}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != synonymsPath+"?saved=1" {
		t.Fatalf("save: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	if !strings.Contains(do(ts, http.MethodGet, searchURL("年休假"), nil).Body.String(), "年假怎么休") {
		t.Error("年休假 does not find 年假 after saving the synonym")
	}
	page = ts.send(tok, http.MethodGet, synonymsPath+"?saved=1", nil, nil).Body.String()
	mustContain(t, "saved", page, "已保存", "年假, 年休假", "同义词（1 组）")

	rec = ts.send(tok, http.MethodPost, synonymsPath, nil, url.Values{"_csrf": {csrf}, "synonyms": {"年假, 年休假\n孤单\n"}, "etag": {"whatever"}})
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "line 2") || !strings.Contains(rec.Body.String(), "孤单") {
		t.Errorf("bad line: %d", rec.Code)
	}
	rec = ts.send(tok, http.MethodPost, synonymsPath, nil, url.Values{"_csrf": {csrf}, "synonyms": {"报销, 报账\n"}, "etag": {"stale"}})
	if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "有人保存了") || !strings.Contains(rec.Body.String(), "报销, 报账") {
		t.Errorf("stale version: %d", rec.Code)
	}
}
