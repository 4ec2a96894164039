package portal

import (
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/internal/browsertest"
	"github.com/jinnang/jinnang/portal/wecom"
	"github.com/jinnang/jinnang/portal/wecom/wecomtest"
)

const (
	e2eCorp   = "ww-jinnang"
	e2eSecret = "app-secret"
	e2eAgent  = "1000002"
	e2eToken  = "jinnangToken2025"
	e2eAESKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
)

// wechatClient is a phone's WeChat browser: a cookie jar, the WeChat user
// agent on every hop, and the list of paths it went through.
type wechatClient struct {
	t    *testing.T
	c    *http.Client
	hops []string
}

func newWeChatClient(t *testing.T) *wechatClient {
	jar, _ := cookiejar.New(nil)
	w := &wechatClient{t: t}
	w.c = &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		w.hops = append(w.hops, req.URL.Path)
		req.Header.Set("User-Agent", browsertest.WeChatUA)
		return nil
	}}
	return w
}

func (w *wechatClient) do(method, u string, form url.Values) (int, string, *url.URL) {
	w.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		w.t.Fatal(err)
	}
	req.Header.Set("User-Agent", browsertest.WeChatUA)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := w.c.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Request.URL
}

var csrfRE = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// eventually polls cond every 200 ms for up to limit.
func eventually(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestWeComChannel runs the real portal against a fake WeCom that follows
// the documented API: the address book syncs at start; an admin posts an
// announcement for 销售部 while WeCom is down, the outbox keeps it and
// retries, and once WeCom is back the text card reaches party 销售部; its
// link signs 陈晨 in inside WeChat and lands on the announcement. The
// keyword bot answers 报销单 and 年假怎么算 with the right packs.
func TestWeComChannel(t *testing.T) {
	fake := wecomtest.New(t, e2eCorp, e2eSecret)
	fake.SetDirectory([]wecomtest.Department{
		{ID: 1, Name: "锦囊科技"}, {ID: 2, Name: "财务部", ParentID: 1}, {ID: 3, Name: "销售部", ParentID: 1},
		{ID: 4, Name: "人力资源部", ParentID: 1}, {ID: 5, Name: "技术部", ParentID: 1},
	}, []wecomtest.Member{
		{UserID: "ZhangWei", Name: "张伟", Departments: []int{4}, Status: 1},
		{UserID: "ChenChen", Name: "陈晨", Departments: []int{3}, Status: 1},
		{UserID: "ZhaoLei", Name: "赵磊", Departments: []int{3}, Status: 1},
		{UserID: "WangMin", Name: "王敏", Departments: []int{2}, Status: 1},
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	roles := filepath.Join(t.TempDir(), "roles.yaml")
	if err := os.WriteFile(roles, []byte("admins: [\"wecom:ZhangWei\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := startPortal(t, "-addr", addr, "-auth", "wecom", "-base-url", "http://"+addr,
		"-secret-key", strings.Repeat("s", 40), "-roles-file", roles,
		"-wecom-corp-id", e2eCorp, "-wecom-agent-id", e2eAgent, "-wecom-secret", e2eSecret,
		"-wecom-api-base", fake.URL, "-wecom-auth-base", fake.URL,
		"-wecom-token", e2eToken, "-wecom-aes-key", e2eAESKey)

	// The admin opens the portal inside WeCom: signed in silently, as 张伟
	// of 人力资源部 (name and department from the synced address book).
	fake.SignIn("ZhangWei")
	admin := newWeChatClient(t)
	eventually(t, 30*time.Second, "the directory sync at start", func() bool {
		_, page, _ := admin.do("GET", base+"/admin/wecom", nil)
		return strings.Contains(page, "成功：5 个部门，4 名在职成员")
	})
	admin = newWeChatClient(t) // a sign-in after the sync
	_, me, _ := admin.do("GET", base+"/me", nil)
	if !strings.Contains(me, "张伟") || !strings.Contains(me, "人力资源部") {
		t.Fatalf("/me of the admin:\n%.800s", me)
	}

	// The admin pastes 销售部's group robot.
	_, form, _ := admin.do("GET", base+"/admin/wecom", nil)
	m := csrfRE.FindStringSubmatch(form)
	if m == nil {
		t.Fatalf("no CSRF token on the admin page:\n%.600s", form)
	}
	robot := "5f1b2c3d-0000-4bc4-97a0-0ec2aaaa5aaa"
	if status, page, _ := admin.do("POST", base+"/admin/wecom/groups", url.Values{"_csrf": {m[1]}, "department": {"销售部"}, "webhook": {fake.WebhookURL(robot)}}); status != 200 || !strings.Contains(page, "群机器人已保存") {
		t.Fatalf("saving the robot: %d\n%.600s", status, page)
	}

	// WeCom goes down; the announcement is posted anyway.
	fake.Down(-1)
	_, form, _ = admin.do("GET", base+"/announcements/new", nil)
	if m = csrfRE.FindStringSubmatch(form); m == nil {
		t.Fatalf("no CSRF token on the form:\n%.600s", form)
	}
	const title = "六月销售冲刺动员会"
	status, _, landed := admin.do("POST", base+"/announcements/new", url.Values{"_csrf": {m[1]}, "title": {title},
		"body": {"周五下午三点，**全体销售**到大会议室。"}, "target": {"销售部"}})
	if status != 200 || !strings.HasPrefix(landed.Path, "/departments/") {
		t.Fatalf("posting: %d, landed on %s", status, landed)
	}
	eventually(t, 30*time.Second, "a failed delivery attempt", func() bool { return fake.Calls("/cgi-bin/message/send") > 0 })
	_, page, _ := admin.do("GET", base+"/admin/wecom", nil)
	if !strings.Contains(page, "等待发送：2 条") { // the text card and the robot post
		t.Errorf("the outbox does not hold the message while WeCom is down:\n%.2000s", page)
	}
	if n := len(fake.Sends()); n != 0 {
		t.Fatalf("%d messages accepted while WeCom was down", n)
	}

	// Meanwhile the keyword bot (the callback does not need message/send).
	cb := &wecomtest.Callback{URL: base + "/wecom/callback", CorpID: e2eCorp, AgentID: e2eAgent}
	if cb.Crypto, err = wecom.NewCrypto(e2eToken, e2eAESKey, e2eCorp); err != nil {
		t.Fatal(err)
	}
	if status, echo, err := cb.VerifyURL("6458271930485713"); err != nil || status != 200 || echo != "6458271930485713" {
		t.Fatalf("URL check: %d %q %v", status, echo, err)
	}
	rep, err := cb.Text("ChenChen", "报销单")
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Articles) == 0 || len(rep.Articles) > wecom.BotHits || !slices.ContainsFunc(rep.Articles, func(a wecom.Article) bool {
		return strings.HasPrefix(a.URL, base+"/packs/expense-") && strings.Contains(a.Title, "报销")
	}) {
		t.Errorf("报销单: %+v", rep)
	}
	rep, err = cb.Text("ChenChen", "年假怎么算")
	if err != nil || len(rep.Articles) == 0 || rep.Articles[0].URL != base+"/packs/annual-leave-calculation" {
		t.Errorf("年假怎么算: %+v %v", rep, err)
	}
	rep, err = cb.Text("ChenChen", "工资条看不懂")
	if err != nil || !strings.Contains(rep.Text, "没有找到") && len(rep.Articles) == 0 {
		t.Errorf("工资条看不懂: %+v %v", rep, err)
	}
	rep, err = cb.Event("ChenChen", "enter_agent")
	if err != nil || len(rep.Articles) < 2 || rep.Articles[0].URL != base+"/" || !strings.Contains(rep.Articles[1].Title, "销售部") {
		t.Errorf("welcome: %+v %v", rep, err)
	}

	// WeCom is back: the outbox retries and the card reaches party 销售部.
	fake.Up()
	var card wecomtest.Sent
	eventually(t, 75*time.Second, "the text card after WeCom came back", func() bool {
		for _, s := range fake.Sends() {
			if s.ToParty == "3" {
				card = s
				return true
			}
		}
		return false
	})
	if card.MsgType != "textcard" || card.Title != "新公告："+title || card.DuplicateCheck != 1 || !strings.HasPrefix(card.URL, base+"/departments/") ||
		!strings.Contains(card.Description, "销售部") {
		t.Fatalf("card %+v", card)
	}

	eventually(t, 30*time.Second, "the robot post", func() bool { return len(fake.Posts()) > 0 })
	if p := fake.Posts()[0]; p.Key != robot || !strings.Contains(p.Content, "**新公告："+title+"**") || !strings.Contains(p.Content, "("+card.URL+")") {
		t.Errorf("robot post %+v", p)
	}

	// 陈晨 taps the card inside WeChat: signed in on the way, no login page.
	fake.SignIn("ChenChen")
	chen := newWeChatClient(t)
	status, page, landed = chen.do("GET", card.URL, nil)
	if status != 200 || !strings.Contains(page, title) || !strings.Contains(page, "陈晨") || landed.Path != "/departments/销售部" {
		t.Fatalf("opening the card: %d at %s, hops %v\n%.800s", status, landed, chen.hops, page)
	}
	if slices.Contains(chen.hops, "/auth/login") || !slices.Contains(chen.hops, "/connect/oauth2/authorize") {
		t.Errorf("hops %v: want the silent snsapi_base sign-in, no login page", chen.hops)
	}
	// And 消息 shows the announcement with a badge.
	_, page, _ = chen.do("GET", base+"/notifications", nil)
	if !strings.Contains(page, "新公告："+title) || !strings.Contains(page, `class="badge-count"`) {
		t.Errorf("陈晨's 消息:\n%.1500s", page)
	}
}
