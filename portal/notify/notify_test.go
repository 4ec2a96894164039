package notify_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/notify"
	"github.com/jinnang/jinnang/portal/store"
)

// pusher records what the service queues for WeCom.
type pusher struct {
	mu       sync.Mutex
	users    []string // userID + " " + card title
	cards    []notify.Card
	audience []string // "everyone" or departments, then "except:" list
	groups   []string // department + " " + markdown
}

func (p *pusher) PushUser(_ context.Context, userID string, c notify.Card, key string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.users = append(p.users, userID+" "+c.Title)
	p.cards = append(p.cards, c)
	return nil
}

func (p *pusher) PushAudience(_ context.Context, everyone bool, depts, except []string, c notify.Card, key string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	to := strings.Join(depts, ",")
	if everyone {
		to = "everyone"
	}
	ex := slices.Clone(except)
	slices.Sort(ex)
	p.audience = append(p.audience, to+" except:"+strings.Join(ex, ","))
	p.cards = append(p.cards, c)
	return nil
}

func (p *pusher) PostGroup(_ context.Context, dept, webhook, md, key string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.groups = append(p.groups, dept+" "+md)
	return nil
}

type env struct {
	svc  *notify.Service
	push *pusher
	st   store.Store
	now  time.Time
}

func newEnv(t testing.TB) *env {
	t.Helper()
	st, err := store.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	e := &env{push: &pusher{}, st: st, now: time.Date(2025, 6, 3, 9, 0, 0, 0, time.UTC)}
	e.svc = notify.New(st, notify.Options{Pusher: e.push, Groups: e.push, BaseURL: "https://jinnang.example.com",
		Now: func() time.Time { e.now = e.now.Add(time.Second); return e.now },
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		CheckHook: func(u string) error {
			if !strings.HasPrefix(u, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=") {
				return errors.New("not a robot")
			}
			return nil
		}})
	return e
}

var (
	chen  = notify.Reader{ID: "wecom:ChenChen", Department: "销售部"}
	wang  = notify.Reader{ID: "wecom:WangMin", Department: "财务部"}
	zhang = notify.Reader{ID: "wecom:ZhangWei", Department: "人力资源部"}
	ctx   = context.Background()
)

func comment(to, actorID, actor string) notify.Note {
	return notify.Note{Kind: notify.KindStoryComment, To: to, ActorID: actorID, Actor: actor, Ref: "story1",
		Title: "周末团建的照片", Body: "拍得真好！", URL: "/stories/story1#comments"}
}

func (e *env) list(t *testing.T, r notify.Reader) []notify.Note {
	t.Helper()
	p, err := e.svc.List(ctx, r, "", 50)
	if err != nil {
		t.Fatal(err)
	}
	return p.Notes
}

func (e *env) unread(t *testing.T, r notify.Reader) int {
	t.Helper()
	n, err := e.svc.Unread(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestEmitListOpen(t *testing.T) {
	e := newEnv(t)
	if err := e.svc.Emit(ctx, comment(chen.ID, wang.ID, "王敏")); err != nil {
		t.Fatal(err)
	}
	// Commenting on one's own story notifies nobody.
	if err := e.svc.Emit(ctx, comment(chen.ID, chen.ID, "陈晨")); err != nil {
		t.Fatal(err)
	}
	notes := e.list(t, chen)
	if len(notes) != 1 || !notes[0].Unread || notes[0].Actor != "王敏" || notes[0].Body != "拍得真好！" {
		t.Fatalf("inbox %+v", notes)
	}
	if n := e.unread(t, chen); n != 1 {
		t.Errorf("unread %d, want 1", n)
	}
	if len(e.list(t, wang)) != 0 {
		t.Error("王敏 sees 陈晨's notification")
	}
	// Comments default to WeCom push: a card with an absolute link.
	if len(e.push.users) != 1 || e.push.users[0] != "wecom:ChenChen 王敏 评论了你的故事" ||
		e.push.cards[0].URL != "https://jinnang.example.com/stories/story1#comments" || !strings.Contains(e.push.cards[0].Description, "拍得真好") {
		t.Errorf("pushed %v %+v", e.push.users, e.push.cards)
	}
	n, err := e.svc.Open(ctx, chen, notes[0].ID)
	if err != nil || n.URL != "/stories/story1#comments" {
		t.Fatalf("open: %+v %v", n, err)
	}
	if n := e.unread(t, chen); n != 0 {
		t.Errorf("unread after opening: %d", n)
	}
	if notes := e.list(t, chen); notes[0].Unread {
		t.Error("still unread after opening")
	}
	if _, err := e.svc.Open(ctx, wang, notes[0].ID); !errors.Is(err, notify.ErrNotFound) {
		t.Errorf("someone else opening it: %v, want ErrNotFound", err)
	}
	if _, err := e.svc.Open(ctx, chen, "../../x"); !errors.Is(err, notify.ErrNotFound) {
		t.Errorf("a malformed id: %v", err)
	}
}

func TestChannelChoices(t *testing.T) {
	e := newEnv(t)
	prefs, err := e.svc.Prefs(ctx, chen.ID)
	if err != nil {
		t.Fatal(err)
	}
	def := map[notify.Kind]notify.Channel{}
	for _, p := range prefs {
		def[p.Kind] = p.Channel
	}
	if def[notify.KindStoryComment] != notify.ChannelWeCom || def[notify.KindStoryLike] != notify.ChannelPortal || len(def) != len(notify.Kinds()) {
		t.Errorf("defaults %v", def)
	}
	if err := e.svc.SetPrefs(ctx, chen.ID, map[notify.Kind]notify.Channel{notify.KindStoryComment: notify.ChannelOff}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.SetPrefs(ctx, chen.ID, map[notify.Kind]notify.Channel{notify.KindStoryComment: "fax"}); !errors.Is(err, notify.ErrInvalid) {
		t.Errorf("unknown channel: %v", err)
	}
	if err := e.svc.SetPrefs(ctx, chen.ID, map[notify.Kind]notify.Channel{"story.teleport": notify.ChannelOff}); !errors.Is(err, notify.ErrInvalid) {
		t.Errorf("unknown kind: %v", err)
	}
	_ = e.svc.Emit(ctx, comment(chen.ID, wang.ID, "王敏"))
	if len(e.list(t, chen)) != 0 || len(e.push.users) != 0 {
		t.Error("a kind turned off still notified")
	}
	if err := e.svc.SetPrefs(ctx, chen.ID, map[notify.Kind]notify.Channel{notify.KindStoryComment: notify.ChannelPortal}); err != nil {
		t.Fatal(err)
	}
	_ = e.svc.Emit(ctx, comment(chen.ID, wang.ID, "王敏"))
	if len(e.list(t, chen)) != 1 || len(e.push.users) != 0 {
		t.Errorf("portal only: %d notes, pushed %v", len(e.list(t, chen)), e.push.users)
	}

	// Without a WeCom channel, WeCom choices behave as portal only.
	bare := notify.New(e.st, notify.Options{})
	if err := bare.Emit(ctx, comment(wang.ID, chen.ID, "陈晨")); err != nil {
		t.Fatal(err)
	}
	if p, _ := bare.List(ctx, wang, "", 10); len(p.Notes) != 1 {
		t.Error("no inbox record without WeCom")
	}
}

func TestLikesBatched(t *testing.T) {
	e := newEnv(t)
	if err := e.svc.SetPrefs(ctx, chen.ID, map[notify.Kind]notify.Channel{notify.KindStoryLike: notify.ChannelWeCom}); err != nil {
		t.Fatal(err)
	}
	like := func(actorID, actor string) {
		t.Helper()
		if err := e.svc.Emit(ctx, notify.Note{Kind: notify.KindStoryLike, To: chen.ID, ActorID: actorID, Actor: actor,
			Ref: "story1", Title: "周末团建的照片", URL: "/stories/story1"}); err != nil {
			t.Fatal(err)
		}
	}
	for i, name := range []string{"王敏", "刘洋", "李娜", "张伟", "赵磊"} {
		like(fmt.Sprintf("wecom:u%d", i), name)
	}
	notes := e.list(t, chen)
	if len(notes) != 1 || notes[0].Count != 5 || !slices.Equal(notes[0].Actors, []string{"王敏", "刘洋", "李娜"}) {
		t.Fatalf("likes %+v, want one notification for 5 likes", notes)
	}
	if len(e.push.users) != 1 {
		t.Errorf("%d pushes for a batch of likes, want 1", len(e.push.users))
	}
	// Once read, the next like starts a new batch.
	if _, err := e.svc.Open(ctx, chen, notes[0].ID); err != nil {
		t.Fatal(err)
	}
	like("wecom:u9", "孙丽")
	notes = e.list(t, chen)
	if len(notes) != 2 || !notes[0].Unread || notes[0].Count != 1 || notes[0].Actors[0] != "孙丽" || notes[1].Count != 5 {
		t.Errorf("after reading: %+v", notes)
	}
	// Likes of another story are their own batch.
	_ = e.svc.Emit(ctx, notify.Note{Kind: notify.KindStoryLike, To: chen.ID, ActorID: "wecom:u1", Actor: "刘洋", Ref: "story2", Title: "年会", URL: "/stories/story2"})
	if n := len(e.list(t, chen)); n != 3 {
		t.Errorf("%d notes, want 3", n)
	}
}

func TestBroadcastAudience(t *testing.T) {
	e := newEnv(t)
	hook := "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7aaa-4bc4-97a0-0ec2sifa5aaa"
	if err := e.svc.SetGroupHook(ctx, "销售部", hook); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.SetGroupHook(ctx, "财务部", hook+"b"); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.SetGroupHook(ctx, "行政部", "https://evil.example.com/x"); !errors.Is(err, notify.ErrInvalid) {
		t.Errorf("a webhook elsewhere: %v", err)
	}
	// 王敏 (财务部) does not want announcements pushed; the audience push leaves her out.
	if err := e.svc.SetPrefs(ctx, wang.ID, map[notify.Kind]notify.Channel{notify.KindAnnouncement: notify.ChannelPortal}); err != nil {
		t.Fatal(err)
	}
	ann := notify.Note{Kind: notify.KindAnnouncement, Departments: []string{"销售部"}, Ref: "a1", ActorID: zhang.ID, Actor: "张伟",
		Title: "六月销售冲刺", Body: "本月目标 **120%**", URL: "/departments/销售部#a-a1"}
	if err := e.svc.Broadcast(ctx, ann); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Broadcast(ctx, ann); err != nil { // a retried hook: once per item
		t.Fatal(err)
	}
	if notes := e.list(t, chen); len(notes) != 1 || notes[0].Title != "六月销售冲刺" || !notes[0].Unread {
		t.Fatalf("陈晨 (销售部): %+v", notes)
	}
	if len(e.list(t, wang)) != 0 || len(e.list(t, zhang)) != 0 {
		t.Error("people outside 销售部 (or the author) see the announcement")
	}
	if !slices.Equal(e.push.audience, []string{"销售部 except:wecom:WangMin,wecom:ZhangWei"}) {
		t.Errorf("audience pushes %v", e.push.audience)
	}
	if len(e.push.groups) != 1 || !strings.HasPrefix(e.push.groups[0], "销售部 **新公告：六月销售冲刺**") ||
		!strings.Contains(e.push.groups[0], "[查看详情](https://jinnang.example.com/departments/销售部#a-a1)") ||
		strings.Contains(e.push.groups[0], "**120%**") {
		t.Errorf("group posts %q", e.push.groups)
	}
	all := notify.Note{Kind: notify.KindPoll, Everyone: true, Ref: "p1", ActorID: zhang.ID, Actor: "张伟", Title: "食堂满意度调查", URL: "/polls/p1"}
	if err := e.svc.Broadcast(ctx, all); err != nil {
		t.Fatal(err)
	}
	if n := e.unread(t, wang); n != 1 {
		t.Errorf("王敏 unread %d, want the poll", n)
	}
	if notes := e.list(t, chen); len(notes) != 2 || notes[0].Kind != notify.KindPoll {
		t.Errorf("陈晨: %+v", notes)
	}
	if len(e.push.groups) != 1 {
		t.Error("polls went to the group robots")
	}
	// Turning polls off hides them on the page too.
	_ = e.svc.SetPrefs(ctx, chen.ID, map[notify.Kind]notify.Channel{notify.KindPoll: notify.ChannelOff})
	if notes := e.list(t, chen); len(notes) != 1 {
		t.Errorf("polls off: %+v", notes)
	}
	// Opening a broadcast marks it read for the reader only.
	notes := e.list(t, wang)
	if _, err := e.svc.Open(ctx, wang, notes[0].ID); err != nil {
		t.Fatal(err)
	}
	if e.unread(t, wang) != 0 || e.unread(t, zhang) != 0 {
		t.Error("unread after opening")
	}
	if _, err := e.svc.Open(ctx, notify.Reader{ID: "x", Department: "技术部"}, e.list(t, chen)[0].ID); !errors.Is(err, notify.ErrNotFound) {
		t.Errorf("outside the audience: %v", err)
	}
}

// TestBoundedInbox: years of notifications; a page reads a bounded number
// of keys and the inbox is pruned to its cap.
func TestBoundedInbox(t *testing.T) {
	e := newEnv(t)
	_ = e.svc.SetPrefs(ctx, chen.ID, map[notify.Kind]notify.Channel{notify.KindStoryComment: notify.ChannelPortal})
	for i := range 260 {
		n := comment(chen.ID, wang.ID, "王敏")
		n.Body = fmt.Sprintf("评论 %d", i)
		if err := e.svc.Emit(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	var bodies []string
	for range 2 { // paging to the end prunes the inbox down to its cap
		bodies = nil
		cursor := ""
		for range 20 {
			p, err := e.svc.List(ctx, chen, cursor, 30)
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range p.Notes {
				bodies = append(bodies, n.Body)
			}
			if cursor = p.Next; cursor == "" {
				break
			}
		}
	}
	if len(bodies) != 200 || bodies[0] != "评论 259" || bodies[199] != "评论 60" {
		t.Fatalf("listed %d, first %q, last %q; want the newest 200", len(bodies), bodies[0], bodies[len(bodies)-1])
	}
	keys := 0
	for _, err := range e.st.List(ctx, "notify/inbox/") {
		if err != nil {
			t.Fatal(err)
		}
		keys++
	}
	if keys != 200 {
		t.Errorf("%d inbox records kept, want 200", keys)
	}
	if n := e.unread(t, chen); n != 100 {
		t.Errorf("badge count %d, want 100 (shown as 99+)", n)
	}
	if err := e.svc.MarkAllRead(ctx, chen); err != nil {
		t.Fatal(err)
	}
	if n := e.unread(t, chen); n != 0 {
		t.Errorf("after mark all read: %d", n)
	}
	_ = e.svc.Emit(ctx, comment(chen.ID, wang.ID, "王敏"))
	if n := e.unread(t, chen); n != 1 {
		t.Errorf("a new one after mark all read: %d", n)
	}
}
