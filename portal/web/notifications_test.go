package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/auth"
	"github.com/jinnang/jinnang/portal/notify"
	"github.com/jinnang/jinnang/portal/suggest"
	"github.com/jinnang/jinnang/portal/wecom"
)

// recordingPusher is the WeCom channel of the handler tests: it records
// what notifications queue.
type recordingPusher struct {
	mu       sync.Mutex
	users    []string
	audience []string
	groups   []string
}

func (p *recordingPusher) PushUser(_ context.Context, userID string, c notify.Card, _ string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.users = append(p.users, userID+" "+c.Title)
	return nil
}

func (p *recordingPusher) PushAudience(_ context.Context, everyone bool, depts, except []string, c notify.Card, _ string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	to := strings.Join(depts, ",")
	if everyone {
		to = "全员"
	}
	p.audience = append(p.audience, to+" "+c.Title+" "+c.URL)
	return nil
}

func (p *recordingPusher) PostGroup(_ context.Context, dept, _, md, _ string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.groups = append(p.groups, dept+" "+md)
	return nil
}

func (p *recordingPusher) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.users) + len(p.audience) + len(p.groups)
}

func newNotifyServer(t *testing.T, mod func(*Options)) (*testServer, *recordingPusher) {
	t.Helper()
	push := &recordingPusher{}
	ts := newTestServer(t, mod)
	// The notifications live in the test server's store.
	svc := notify.New(ts.store, notify.Options{Pusher: push, Groups: push, BaseURL: "https://jinnang.example.com",
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		CheckHook: func(u string) error {
			if !strings.HasPrefix(u, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=") {
				return errors.New("not a group robot")
			}
			return nil
		}})
	ts.opts.Notify = svc
	e, err := New(ts.opts)
	if err != nil {
		t.Fatal(err)
	}
	ts.Echo = e
	return ts, push
}

var badgeRE = regexp.MustCompile(`class="badge-count"[^>]*>(\d+)</span>`)

func badge(body string) string {
	m := badgeRE.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

// postForm posts form as the user behind tok with its CSRF token.
func (ts *testServer) postForm(tok, target string, form url.Values) *httptest.ResponseRecorder {
	if form == nil {
		form = url.Values{}
	}
	form.Set(csrfField, ts.csrf(tok))
	return ts.send(tok, http.MethodPost, target, nil, form)
}

func TestNotificationsForStoryActivity(t *testing.T) {
	ts, push := newNotifyServer(t, nil)
	st := ts.postStory(employee, "周末团建的照片 #团建")
	wangTok := ts.signIn(financeEd)
	liuTok := ts.signIn(techEd)

	if b := badge(do(ts, "GET", "/", nil).Body.String()); b != "" {
		t.Fatalf("badge %q before anything happened", b)
	}
	rec := ts.postForm(wangTok, storyURL(st.ID)+"/comments", url.Values{"text": {"拍得真好！"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("comment: %d", rec.Code)
	}
	home := do(ts, "GET", "/", nil).Body.String()
	if b := badge(home); b != "1" || !strings.Contains(home, `href="/notifications"`) {
		t.Fatalf("badge %q after one comment", b)
	}
	page := do(ts, "GET", "/notifications", nil).Body.String()
	if !strings.Contains(page, "王敏 评论了你的故事") || !strings.Contains(page, "拍得真好！") || !strings.Contains(page, `class="note unread"`) {
		t.Fatalf("消息 page:\n%s", page)
	}
	if len(push.users) != 1 || push.users[0] != employee.ID+" 王敏 评论了你的故事" {
		t.Errorf("pushes %v", push.users)
	}
	open := regexp.MustCompile(`href="(/notifications/[0-9a-f-]+)"`).FindStringSubmatch(page)
	if open == nil {
		t.Fatal("no link to open the notification")
	}
	rec = do(ts, "GET", open[1], nil)
	if rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), storyURL(st.ID)+"#c-") {
		t.Fatalf("open: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	if b := badge(do(ts, "GET", "/", nil).Body.String()); b != "" {
		t.Errorf("badge %q after opening", b)
	}

	// 陈晨 replies to 王敏's comment: 王敏 hears about the reply.
	comments, _ := ts.storiesOf().Comments(context.Background(), st.ID)
	form := do(ts, "GET", storyURL(st.ID)+"?reply="+comments[0].ID, nil).Body.String()
	if !strings.Contains(form, `name="reply" value="`+comments[0].ID+`"`) || !strings.Contains(form, "回复 @王敏：") {
		t.Fatalf("reply form:\n%s", form)
	}
	rec = ts.postForm(ts.token, storyURL(st.ID)+"/comments", url.Values{"text": {"回复 @王敏：谢谢！"}, "reply": {comments[0].ID}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("reply: %d", rec.Code)
	}
	if page := ts.send(wangTok, "GET", "/notifications", nil, nil).Body.String(); !strings.Contains(page, "陈晨 回复了你的评论") {
		t.Errorf("王敏's 消息:\n%s", page)
	}
	// Nobody is told about their own comment.
	if page := do(ts, "GET", "/notifications", nil).Body.String(); strings.Contains(page, "陈晨 评论了你的故事") {
		t.Error("陈晨 was told about her own comment")
	}

	// Three likes make one notification.
	for _, tok := range []string{wangTok, liuTok, ts.signIn(moderator)} {
		if rec := ts.postForm(tok, storyURL(st.ID)+"/like", nil); rec.Code != http.StatusSeeOther {
			t.Fatalf("like: %d", rec.Code)
		}
	}
	page = do(ts, "GET", "/notifications", nil).Body.String()
	if n := strings.Count(page, "赞了你的故事"); n != 1 || !strings.Contains(page, "王敏、刘洋、李娜 赞了你的故事") {
		t.Errorf("likes shown %d times:\n%s", n, page)
	}
	if b := badge(do(ts, "GET", "/", nil).Body.String()); b != "1" {
		t.Errorf("badge %q after three likes", b)
	}
	// English readers get English sentences.
	if page := ts.send(ts.token, "GET", "/notifications", english, nil).Body.String(); !strings.Contains(page, "liked your story") {
		t.Error("no English notification text")
	}
	// Mark all read.
	if rec := ts.postForm(ts.token, "/notifications/read", nil); rec.Code != http.StatusSeeOther {
		t.Fatalf("mark all read: %d", rec.Code)
	}
	if b := badge(do(ts, "GET", "/", nil).Body.String()); b != "" {
		t.Errorf("badge %q after mark all read", b)
	}
}

func TestNotificationSettings(t *testing.T) {
	ts, _ := newNotifyServer(t, nil)
	page := do(ts, "GET", "/notifications/settings", nil).Body.String()
	if !strings.Contains(page, `name="k-story.comment" value="wecom" checked`) || !strings.Contains(page, `name="k-story.like" value="portal" checked`) {
		t.Fatalf("defaults:\n%s", page)
	}
	if strings.Contains(page, "k-modqueue") {
		t.Error("an employee is offered the moderation queue")
	}
	modTok := ts.signIn(moderator)
	if page := ts.send(modTok, "GET", "/notifications/settings", nil, nil).Body.String(); !strings.Contains(page, "k-modqueue") {
		t.Error("a moderator is not offered the moderation queue")
	}
	if rec := ts.postForm(ts.token, "/notifications/settings", url.Values{"k-story.comment": {"off"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("save: %d", rec.Code)
	}
	if rec := ts.postForm(ts.token, "/notifications/settings", url.Values{"k-story.comment": {"sms"}}); rec.Code != http.StatusBadRequest {
		t.Errorf("unknown channel: %d, want 400", rec.Code)
	}
	st := ts.postStory(employee, "新故事")
	ts.postForm(ts.signIn(financeEd), storyURL(st.ID)+"/comments", url.Values{"text": {"不错"}})
	if page := do(ts, "GET", "/notifications", nil).Body.String(); strings.Contains(page, "评论了你的故事") {
		t.Error("comments turned off still show")
	}
}

func TestModerationNotifications(t *testing.T) {
	ts, _ := newNotifyServer(t, nil)
	st := ts.postStory(employee, "有争议的故事")
	if rec := ts.postForm(ts.signIn(financeEd), storyURL(st.ID)+"/report", url.Values{"reason": {"spam"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("report: %d", rec.Code)
	}
	modTok := ts.signIn(moderator)
	page := ts.send(modTok, "GET", "/notifications", nil, nil).Body.String()
	if !strings.Contains(page, "有人举报了故事") || !strings.Contains(page, "广告或刷屏") {
		t.Fatalf("moderator's 消息:\n%s", page)
	}
	if page := ts.send(ts.signIn(admin), "GET", "/notifications", nil, nil).Body.String(); !strings.Contains(page, "有人举报了故事") {
		t.Error("admins are not told about the queue")
	}
	if rec := ts.postForm(modTok, storyURL(st.ID)+"/moderate", url.Values{"action": {"hide"}, "note": {"请勿发广告"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("hide: %d", rec.Code)
	}
	page = do(ts, "GET", "/notifications", nil).Body.String()
	if !strings.Contains(page, "你的故事已被隐藏") || !strings.Contains(page, "请勿发广告") {
		t.Errorf("author's 消息:\n%s", page)
	}
	if rec := ts.postForm(modTok, storyURL(st.ID)+"/moderate", url.Values{"action": {"restore"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("restore: %d", rec.Code)
	}
	if page := do(ts, "GET", "/notifications", nil).Body.String(); !strings.Contains(page, "你的故事已恢复显示") {
		t.Error("no restored notification")
	}
}

func TestAnnouncementAndPollNotifications(t *testing.T) {
	ts, push := newNotifyServer(t, nil)
	adminTok := ts.signIn(admin)
	hook := "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7aaa-4bc4-97a0-0ec2sifa5aaa"
	if rec := ts.postForm(adminTok, "/admin/wecom/groups", url.Values{"department": {"销售部"}, "webhook": {hook}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("group robot: %d\n%s", rec.Code, rec.Body.String())
	}
	rec := ts.postForm(adminTok, "/announcements/new", url.Values{"title": {"六月销售冲刺"}, "body": {"本月目标 120%。"}, "target": {"销售部"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("announce: %d\n%s", rec.Code, rec.Body.String())
	}
	if page := do(ts, "GET", "/notifications", nil).Body.String(); !strings.Contains(page, "新公告：六月销售冲刺") {
		t.Errorf("陈晨 (销售部):\n%s", page)
	}
	if page := ts.send(ts.signIn(financeEd), "GET", "/notifications", nil, nil).Body.String(); strings.Contains(page, "六月销售冲刺") {
		t.Error("财务部 got 销售部's announcement")
	}
	if len(push.audience) != 1 || !strings.HasPrefix(push.audience[0], "销售部 新公告：六月销售冲刺 https://jinnang.example.com/departments/") {
		t.Errorf("audience push %v", push.audience)
	}
	if len(push.groups) != 1 || !strings.HasPrefix(push.groups[0], "销售部 **新公告：六月销售冲刺**") {
		t.Errorf("group posts %v", push.groups)
	}
	deadline := testNow.Add(72 * time.Hour).Format(pollDeadlineLayout)
	rec = ts.postForm(adminTok, "/polls", url.Values{"title": {"食堂满意度"}, "mode": {"anonymous"}, "deadline": {deadline},
		"qtext0": {"满意吗"}, "qkind0": {"single"}, "qopts0": {"满意\n一般"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("poll: %d\n%s", rec.Code, rec.Body.String())
	}
	if page := ts.send(ts.signIn(financeEd), "GET", "/notifications", nil, nil).Body.String(); !strings.Contains(page, "新投票：食堂满意度") {
		t.Errorf("a poll for everyone did not reach 财务部:\n%s", page)
	}
	if len(push.audience) != 2 || !strings.HasPrefix(push.audience[1], "全员 新投票：食堂满意度") {
		t.Errorf("poll push %v", push.audience)
	}
	// A webhook pointing elsewhere is refused with the form.
	if rec := ts.postForm(adminTok, "/admin/wecom/groups", url.Values{"department": {"财务部"}, "webhook": {"https://evil.example.com/hook"}}); rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("bad webhook: %d", rec.Code)
	}
	if rec := ts.postForm(ts.token, "/admin/wecom/groups", url.Values{"department": {"销售部"}, "webhook": {hook}}); rec.Code != http.StatusForbidden {
		t.Errorf("an employee setting a robot: %d", rec.Code)
	}
}

// TestAnonymousSuggestionNotifiesNobody: the suggestion path never creates
// a notification or a push, whoever's browser submits.
func TestAnonymousSuggestionNotifiesNobody(t *testing.T) {
	ts, push := newNotifyServer(t, nil)
	sg := ts.opts.Suggest.(*suggest.Service)
	b, err := sg.CreateBox(context.Background(), "食堂意见箱", "说说你的想法", []string{"饭菜"})
	if err != nil {
		t.Fatal(err)
	}
	rec := anonSend(ts, ts.token, http.MethodPost, "/s/"+b.ID, url.Values{"token": {sg.FormToken(b.ID)}, "category": {"饭菜"}, "body": {"希望增加素菜"}})
	if rec.Code != 200 {
		t.Fatalf("submit: %d", rec.Code)
	}
	for obj, err := range ts.store.List(context.Background(), "notify/") {
		if err != nil {
			t.Fatal(err)
		}
		t.Errorf("the anonymous path wrote %s", obj.Key)
	}
	if push.count() != 0 {
		t.Error("the anonymous path pushed to WeCom")
	}
	for _, h := range []string{"suggest", "意见"} {
		for _, k := range notify.Kinds() {
			if strings.Contains(string(k.Kind), h) {
				t.Errorf("a notification kind for suggestions exists: %s", k.Kind)
			}
		}
	}
}

// fakeCallback stands in for the WeCom callback: it records calls and
// answers as configured.
type fakeCallback struct {
	mu    sync.Mutex
	calls int
	err   error
}

func (f *fakeCallback) Verify(_ context.Context, q url.Values) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.err != nil {
		return nil, f.err
	}
	return []byte("echo-" + q.Get("echostr")), nil
}

func (f *fakeCallback) Receive(_ context.Context, _ url.Values, body []byte) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.err != nil {
		return nil, f.err
	}
	return []byte("<xml>reply to " + fmt.Sprint(len(body)) + "</xml>"), nil
}

func TestWeComCallbackRoute(t *testing.T) {
	cb := &fakeCallback{}
	ts, _ := newNotifyServer(t, func(o *Options) {
		o.WeComCallback = cb
		o.Auth.WriteLimit = auth.NewLimiter(2, 2, nil) // WeCom's servers post far more than a person
	})
	rec := ts.send("", "GET", "/wecom/callback?echostr=abc", nil, nil)
	if rec.Code != 200 || rec.Body.String() != "echo-abc" {
		t.Fatalf("verify: %d %q", rec.Code, rec.Body.String())
	}
	for i := range 5 {
		req := ts.send("", "POST", "/wecom/callback?msg_signature=x&timestamp=1&nonce=2", map[string]string{"Content-Type": "text/xml"}, url.Values{"a": {"b"}})
		if req.Code != 200 || !strings.HasPrefix(req.Body.String(), "<xml>reply") {
			t.Fatalf("post %d: %d %q", i, req.Code, req.Body.String())
		}
		if sc := req.Header().Values("Set-Cookie"); len(sc) > 0 {
			t.Errorf("the callback set cookies %q", sc)
		}
	}
	cb.err = fmt.Errorf("x: %w", wecom.ErrReplay)
	if rec := ts.send("", "POST", "/wecom/callback", nil, url.Values{}); rec.Code != 200 || rec.Body.Len() != 0 {
		t.Errorf("replay: %d %q, want an empty 200", rec.Code, rec.Body.String())
	}
	cb.err = fmt.Errorf("x: %w", wecom.ErrSignature)
	if rec := ts.send("", "POST", "/wecom/callback", nil, url.Values{}); rec.Code != http.StatusForbidden {
		t.Errorf("forged: %d, want 403", rec.Code)
	}
	if rec := ts.send("", "GET", "/wecom/callback?echostr=x", nil, nil); rec.Code != http.StatusForbidden {
		t.Errorf("forged URL check: %d, want 403", rec.Code)
	}
}

// fakeWeComAdmin is the directory and outbox of the admin page tests.
type fakeWeComAdmin struct {
	mu      sync.Mutex
	synced  bool
	syncErr error
	mapping map[int]string
}

func (f *fakeWeComAdmin) Sync(context.Context) (wecom.SyncStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.syncErr != nil {
		return wecom.SyncStatus{}, f.syncErr
	}
	f.synced = true
	return wecom.SyncStatus{OK: true, Departments: 2, People: 3}, nil
}

func (f *fakeWeComAdmin) LastSync(context.Context) (wecom.SyncStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.synced {
		return wecom.SyncStatus{}, wecom.ErrNotSynced
	}
	return wecom.SyncStatus{At: testNow, OK: true, Departments: 2, People: 3, Joined: 3, Left: []string{"赵磊", "钱多"}}, nil
}

func (f *fakeWeComAdmin) DepartmentList(context.Context) ([]wecom.Department, time.Time, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.synced {
		return nil, time.Time{}, wecom.ErrNotSynced
	}
	portal := "华东区"
	if p, ok := f.mapping[4]; ok {
		portal = p
	}
	return []wecom.Department{{ID: 3, Name: "销售部", Portal: "销售部", Members: 2}, {ID: 4, Name: "华东区", ParentID: 3, Portal: portal, Members: 1}}, testNow, nil
}

func (f *fakeWeComAdmin) SetMapping(_ context.Context, id int, portal string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if id <= 0 {
		return wecom.ErrBadMapping
	}
	f.mapping[id] = portal
	return nil
}

func (f *fakeWeComAdmin) OutboxStatus(context.Context, int) (wecom.Status, error) {
	return wecom.Status{Pending: 2, Problems: []wecom.Problem{{At: testNow, Kind: wecom.ProblemInvalidUser, IDs: []string{"ghost", "leftlongago"}, Subject: "六月报销截止提醒"}}}, nil
}

func TestAdminWeComPage(t *testing.T) {
	wa := &fakeWeComAdmin{mapping: map[int]string{}}
	ts, _ := newNotifyServer(t, func(o *Options) { o.WeComAdmin = wa; o.BaseURL = "https://jinnang.example.com" })
	adminTok := ts.signIn(admin)
	if rec := do(ts, "GET", "/admin/wecom", nil); rec.Code != http.StatusForbidden {
		t.Errorf("employee: %d, want 403", rec.Code)
	}
	page := ts.send(adminTok, "GET", "/admin/wecom", nil, nil).Body.String()
	if !strings.Contains(page, "https://jinnang.example.com/wecom/callback") || !strings.Contains(page, "还没有同步过通讯录") ||
		!strings.Contains(page, "ghost、leftlongago") || !strings.Contains(page, "等待发送：2 条") {
		t.Fatalf("admin page before sync:\n%s", page)
	}
	if rec := ts.postForm(adminTok, "/admin/wecom/sync", nil); rec.Code != http.StatusSeeOther {
		t.Fatalf("sync: %d", rec.Code)
	}
	page = ts.send(adminTok, "GET", "/admin/wecom?done=sync", nil, nil).Body.String()
	if !strings.Contains(page, "通讯录已同步") || !strings.Contains(page, "标记为已离职：赵磊、钱多") || !strings.Contains(page, `name="portal" value="华东区"`) {
		t.Fatalf("admin page after sync:\n%s", page)
	}
	if rec := ts.postForm(adminTok, "/admin/wecom/mapping", url.Values{"id": {"4"}, "portal": {"销售部"}}); rec.Code != http.StatusSeeOther || wa.mapping[4] != "销售部" {
		t.Errorf("mapping: %d %v", rec.Code, wa.mapping)
	}
	if rec := ts.postForm(adminTok, "/admin/wecom/mapping", url.Values{"id": {"x"}}); rec.Code != http.StatusBadRequest {
		t.Errorf("bad mapping: %d", rec.Code)
	}
	wa.syncErr = wecom.ErrShrunk
	if rec := ts.postForm(adminTok, "/admin/wecom/sync", nil); rec.Code != http.StatusBadGateway || !strings.Contains(rec.Body.String(), "同步失败") {
		t.Errorf("failed sync: %d", rec.Code)
	}
}
