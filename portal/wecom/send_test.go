package wecom_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	wecomauth "github.com/jinnang/jinnang/portal/auth/wecom"
	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/wecom"
	"github.com/jinnang/jinnang/portal/wecom/wecomtest"
)

const (
	corpID = "ww-test-corp"
	secret = "app-secret"
	agent  = "1000002"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 6, 3, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// directory is the fake company: 销售部 (3) under the root, 华东区 (4) under 销售部.
var (
	testDepts = []wecomtest.Department{
		{ID: 1, Name: "锦囊科技", ParentID: 0},
		{ID: 2, Name: "财务部", ParentID: 1},
		{ID: 3, Name: "销售部", ParentID: 1},
		{ID: 4, Name: "华东区", ParentID: 3},
	}
	testMembers = []wecomtest.Member{
		{UserID: "WangMin", Name: "王敏", Departments: []int{2}, Status: 1},
		{UserID: "ChenChen", Name: "陈晨", Departments: []int{3}, Status: 1},
		{UserID: "ZhaoLei", Name: "赵磊", Departments: []int{4}, Status: 1},
		{UserID: "SunLi", Name: "孙丽", Departments: []int{3, 2}, Status: 4},
	}
)

func newFake(t *testing.T, c *clock) *wecomtest.Server {
	f := wecomtest.New(t, corpID, secret)
	f.Now = c.Now
	f.SetDirectory(testDepts, testMembers)
	return f
}

func newClient(t *testing.T, f *wecomtest.Server, c *clock) *wecom.Client {
	t.Helper()
	tokens, err := wecomauth.NewTokens(corpID, secret, f.URL, nil, c.Now)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := wecom.NewClient(wecom.Config{CorpID: corpID, AgentID: agent, Tokens: tokens, APIBase: f.URL})
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

func card(title string) wecom.Card {
	return wecom.Card{Title: title, Description: "财务部 · 2025-06-03\n请在 6 月 25 日前提交报销单。", URL: "https://jinnang.example.com/announcements"}
}

func TestSendTextcard(t *testing.T) {
	c := newClock()
	f := newFake(t, c)
	cl := newClient(t, f, c)
	ctx := context.Background()

	res, err := cl.Send(ctx, wecom.Message{ToUsers: []string{"ChenChen", "Nobody"}, ToParties: []string{"3", "99"}, Card: card("六月报销截止提醒 <重要>")})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.InvalidUsers) != 1 || res.InvalidUsers[0] != "nobody" || len(res.InvalidParties) != 1 || res.InvalidParties[0] != "99" {
		t.Errorf("invalid recipients %+v, want nobody and party 99", res)
	}
	sends := f.Sends()
	if len(sends) != 1 {
		t.Fatalf("%d sends, want 1", len(sends))
	}
	s := sends[0]
	if s.MsgType != "textcard" || s.ToUser != "ChenChen|Nobody" || s.ToParty != "3|99" || s.AgentID != 1000002 || s.DuplicateCheck != 1 {
		t.Errorf("sent %+v", s)
	}
	if s.Title != "六月报销截止提醒 <重要>" || !strings.Contains(s.Description, `<div class="gray">财务部 · 2025-06-03</div>`) ||
		!strings.Contains(s.Description, "请在 6 月 25 日前提交报销单。") || s.Button != "详情" {
		t.Errorf("card %q / %q / %q", s.Title, s.Description, s.Button)
	}

	// The same body again within the duplicate window reaches nobody twice.
	if _, err := cl.Send(ctx, wecom.Message{ToUsers: []string{"ChenChen", "Nobody"}, ToParties: []string{"3", "99"}, Card: card("六月报销截止提醒 <重要>")}); err != nil {
		t.Fatal(err)
	}
	if got := f.Sends(); !got[1].Duplicate {
		t.Error("a repeated body was not caught by the duplicate check")
	}

	// Every recipient invalid: 81013, and the result still names them.
	res, err = cl.Send(ctx, wecom.Message{ToUsers: []string{"Ghost"}, Card: card("x")})
	var ae *wecom.APIError
	if !errors.As(err, &ae) || ae.Code != wecom.CodeAllInvalid || len(res.InvalidUsers) != 1 {
		t.Errorf("all invalid: %v %+v, want 81013", err, res)
	}
	if wecom.Retryable(err) {
		t.Error("81013 is not worth retrying")
	}
}

func TestSendRenewsAnExpiredToken(t *testing.T) {
	c := newClock()
	f := newFake(t, c)
	cl := newClient(t, f, c)
	ctx := context.Background()
	if _, err := cl.Send(ctx, wecom.Message{ToUsers: []string{"ChenChen"}, Card: card("一")}); err != nil {
		t.Fatal(err)
	}
	// WeCom revokes the token early: 42001 → a new token and one retry.
	f.ExpireTokens()
	if _, err := cl.Send(ctx, wecom.Message{ToUsers: []string{"ChenChen"}, Card: card("二")}); err != nil {
		t.Fatalf("after 42001: %v", err)
	}
	if n := f.Calls("/cgi-bin/gettoken"); n != 2 {
		t.Errorf("gettoken called %d times, want 2", n)
	}
	// The token's own expiry: the cache renews before it runs out.
	c.Add(7200 * time.Second)
	if _, err := cl.Send(ctx, wecom.Message{ToUsers: []string{"ChenChen"}, Card: card("三")}); err != nil {
		t.Fatal(err)
	}
	if n := f.Calls("/cgi-bin/gettoken"); n != 3 {
		t.Errorf("gettoken called %d times after the TTL, want 3", n)
	}
	if n := len(f.Sends()); n != 3 {
		t.Errorf("%d sends, want 3", n)
	}
}

func TestSplitRespectsPerRequestLimits(t *testing.T) {
	var users []string
	for i := range 2345 {
		users = append(users, "u"+strings.Repeat("x", i%3)+string(rune('a'+i%26))+strings.Repeat("0", i/26%5))
	}
	parts := wecom.Message{ToUsers: users, ToParties: make([]string, 150), Card: card("x")}.Split()
	if len(parts) != 3 { // 1000 + 1000 + 345 users; 100 + 50 parties ride along
		t.Fatalf("%d parts, want 5", len(parts))
	}
	total := 0
	for _, p := range parts {
		if len(p.ToUsers) > wecom.MaxUsersPerMessage || len(p.ToParties) > wecom.MaxPartiesPerMessage {
			t.Errorf("part over the limit: %d users, %d parties", len(p.ToUsers), len(p.ToParties))
		}
		total += p.Recipients()
	}
	if total != 2345+150 {
		t.Errorf("parts hold %d recipients, want %d", total, 2345+150)
	}
}

func TestWebhook(t *testing.T) {
	c := newClock()
	f := newFake(t, c)
	cl := newClient(t, f, c)
	for _, bad := range []string{
		"https://evil.example.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa",
		f.URL + "/cgi-bin/webhook/other?key=693a91f6-7aaa-4bc4-97a0-0ec2sifa5aaa",
		f.URL + "/cgi-bin/webhook/send",
		f.URL + "/cgi-bin/webhook/send?key=a<b",
	} {
		if err := cl.CheckWebhook(bad); err == nil {
			t.Errorf("CheckWebhook(%q) accepted", bad)
		}
	}
	hook := f.WebhookURL("693a91f6-7aaa-4bc4-97a0-0ec2sifa5aaa")
	if err := cl.PostMarkdown(context.Background(), hook, "**新公告** 六月报销截止提醒"); err != nil {
		t.Fatal(err)
	}
	if p := f.Posts(); len(p) != 1 || p[0].MsgType != "markdown" || p[0].Content != "**新公告** 六月报销截止提醒" || p[0].Key != "693a91f6-7aaa-4bc4-97a0-0ec2sifa5aaa" {
		t.Errorf("posts %+v", p)
	}
	// Long content is cut to the robot's 4096 bytes (the fake refuses more).
	if err := cl.PostMarkdown(context.Background(), hook, strings.Repeat("长", 2000)); err != nil {
		t.Fatalf("long markdown: %v", err)
	}
	if p := f.Posts(); len(p) != 2 || len(p[1].Content) > 4096 || !strings.HasSuffix(p[1].Content, "…") {
		t.Errorf("long markdown posted as %d bytes", len(p[1].Content))
	}
	f.Down(1)
	err := cl.PostMarkdown(context.Background(), hook, "x")
	if !wecom.Retryable(err) || !errors.Is(err, wecom.ErrUnavailable) {
		t.Errorf("robot down: %v, want a retryable ErrUnavailable", err)
	}
	if err != nil && strings.Contains(err.Error(), "693a91f6") {
		t.Errorf("the error names the robot's key: %v", err)
	}
}

func newStore(t *testing.T) store.Store {
	t.Helper()
	st, err := store.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return st
}
