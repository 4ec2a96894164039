package wecom_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/wecom"
	"github.com/jinnang/jinnang/portal/wecom/wecomtest"
)

type outboxEnv struct {
	fake     *wecomtest.Server
	clock    *clock
	st       store.Store
	box      *wecom.Outbox
	mu       sync.Mutex
	problems []wecom.Problem
}

func newOutboxEnv(t *testing.T, digest string) *outboxEnv {
	t.Helper()
	e := &outboxEnv{clock: newClock(), st: newStore(t)}
	e.fake = newFake(t, e.clock)
	e.box = e.outbox(t, digest)
	return e
}

// outbox is another Outbox over the same store (another portal process).
func (e *outboxEnv) outbox(t *testing.T, digest string) *wecom.Outbox {
	return wecom.NewOutbox(e.st, newClient(t, e.fake, e.clock), wecom.OutboxOptions{
		Now: e.clock.Now, Log: quiet, DigestURL: digest,
		Report: func(_ context.Context, p wecom.Problem) {
			e.mu.Lock()
			e.problems = append(e.problems, p)
			e.mu.Unlock()
		},
	})
}

func (e *outboxEnv) deliver(t *testing.T) wecom.Delivery {
	t.Helper()
	d, err := e.box.Deliver(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func (e *outboxEnv) pending(t *testing.T) int {
	t.Helper()
	s, err := e.box.Status(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	return s.Pending
}

// TestOutboxRetriesThroughAnOutage: WeCom is down; the message waits in the
// store with growing delays, and goes out once WeCom is back. Nothing is lost
// and nothing is sent twice.
func TestOutboxRetriesThroughAnOutage(t *testing.T) {
	e := newOutboxEnv(t, "")
	ctx := context.Background()
	if err := e.box.Enqueue(ctx, "announcement:1:party", wecom.Message{ToParties: []string{"3"}, Card: card("六月报销截止提醒")}); err != nil {
		t.Fatal(err)
	}
	if err := e.box.Enqueue(ctx, "announcement:1:party", wecom.Message{ToParties: []string{"3"}, Card: card("六月报销截止提醒")}); err != nil {
		t.Fatal(err)
	}
	if n := e.pending(t); n != 1 {
		t.Fatalf("%d pending after enqueueing one key twice, want 1", n)
	}
	e.fake.Down(-1)
	if d := e.deliver(t); d.Retried != 1 || d.Sent != 0 {
		t.Fatalf("first attempt while down: %+v", d)
	}
	var delays []time.Duration
	last := e.clock.Now()
	for attempt := 2; attempt <= 5; attempt++ {
		// Not due again yet: nothing happens.
		e.clock.Add(time.Second)
		if d := e.deliver(t); d != (wecom.Delivery{}) {
			t.Fatalf("attempt %d came before its time: %+v", attempt, d)
		}
		// Step forward until it is due, then it is tried (and fails) again.
		for e.deliverDue(t) == 0 {
			e.clock.Add(5 * time.Second)
		}
		delays = append(delays, e.clock.Now().Sub(last))
		last = e.clock.Now()
	}
	for i := 1; i < len(delays); i++ {
		if delays[i] <= delays[i-1] {
			t.Errorf("backoff did not grow: %v", delays)
		}
	}
	if n := len(e.fake.Sends()); n != 0 {
		t.Fatalf("%d sends while WeCom was down", n)
	}
	e.fake.Up()
	e.clock.Add(2 * time.Hour)
	if d := e.deliver(t); d.Sent != 1 {
		t.Fatalf("after the outage: %+v", d)
	}
	sends := e.fake.Sends()
	if len(sends) != 1 || sends[0].ToParty != "3" || sends[0].Title != "六月报销截止提醒" {
		t.Fatalf("sends %+v", sends)
	}
	if n := e.pending(t); n != 0 {
		t.Errorf("%d still pending", n)
	}
	e.clock.Add(2 * time.Hour)
	if d := e.deliver(t); d.Sent != 0 {
		t.Errorf("sent again: %+v", d)
	}
}

// deliverDue runs a round and reports how many entries it tried.
func (e *outboxEnv) deliverDue(t *testing.T) int {
	d := e.deliver(t)
	return d.Sent + d.Retried + d.Failed
}

func TestOutboxRateLimitDefers(t *testing.T) {
	e := newOutboxEnv(t, "")
	ctx := context.Background()
	if err := e.box.Enqueue(ctx, "k1", wecom.Message{ToUsers: []string{"ChenChen"}, Card: card("一")}); err != nil {
		t.Fatal(err)
	}
	e.fake.RateLimit(1)
	if d := e.deliver(t); d.Deferred != 1 || d.Sent != 0 {
		t.Fatalf("45009: %+v, want deferred", d)
	}
	if d := e.deliver(t); d.Sent != 0 {
		t.Fatalf("sent within the minute: %+v", d)
	}
	e.clock.Add(time.Minute)
	if d := e.deliver(t); d.Sent != 1 {
		t.Fatalf("after a minute: %+v", d)
	}
}

// TestOutboxPerMemberBudget: 40 messages for one member; WeCom drops what is
// beyond 30 a minute, so the outbox holds the rest back until the minute
// has passed.
func TestOutboxPerMemberBudget(t *testing.T) {
	e := newOutboxEnv(t, "")
	ctx := context.Background()
	for i := range 40 {
		if err := e.box.Enqueue(ctx, fmt.Sprintf("k%02d", i), wecom.Message{ToUsers: []string{"ChenChen"}, Card: card(fmt.Sprintf("消息 %d", i))}); err != nil {
			t.Fatal(err)
		}
		e.clock.Add(time.Millisecond)
	}
	d := e.deliver(t)
	if d.Sent != wecom.DefaultPerMinute || d.Deferred != 40-wecom.DefaultPerMinute {
		t.Fatalf("first round %+v, want %d sent and the rest deferred", d, wecom.DefaultPerMinute)
	}
	e.clock.Add(30 * time.Second)
	if d := e.deliver(t); d.Sent != 0 {
		t.Fatalf("sent within the minute: %+v", d)
	}
	e.clock.Add(31 * time.Second)
	if d := e.deliver(t); d.Sent != 10 {
		t.Fatalf("next minute: %+v", d)
	}
	// The messages went out in the order they were queued.
	var titles []string
	for _, s := range e.fake.Sends() {
		titles = append(titles, s.Title)
	}
	for i, ti := range titles {
		if ti != fmt.Sprintf("消息 %d", i) {
			t.Fatalf("order %v", titles)
		}
	}
}

func TestOutboxDigest(t *testing.T) {
	e := newOutboxEnv(t, "https://jinnang.example.com/notifications")
	ctx := context.Background()
	for i := range 4 {
		if err := e.box.Enqueue(ctx, fmt.Sprintf("k%d", i), wecom.Message{ToUsers: []string{"ChenChen"}, Card: card(fmt.Sprintf("评论 %d", i))}); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.box.Enqueue(ctx, "other", wecom.Message{ToUsers: []string{"WangMin"}, Card: card("王敏的消息")}); err != nil {
		t.Fatal(err)
	}
	d := e.deliver(t)
	if d.Sent != 2 || d.Digested != 4 {
		t.Fatalf("%+v, want one digest for 陈晨 and one card for 王敏", d)
	}
	sends := e.fake.Sends()
	i := slices.IndexFunc(sends, func(s wecomtest.Sent) bool { return s.ToUser == "ChenChen" })
	if i < 0 || sends[i].Title != "你有 4 条新消息" || sends[i].URL != "https://jinnang.example.com/notifications" {
		t.Fatalf("digest %+v", sends)
	}
	for n := range 4 {
		if !strings.Contains(sends[i].Description, fmt.Sprintf("评论 %d", n)) {
			t.Errorf("digest lacks 评论 %d: %s", n, sends[i].Description)
		}
	}
	if e.pending(t) != 0 {
		t.Error("entries left behind")
	}
}

func TestOutboxReportsInvalidRecipients(t *testing.T) {
	e := newOutboxEnv(t, "")
	ctx := context.Background()
	if err := e.box.Enqueue(ctx, "a", wecom.Message{ToUsers: []string{"ChenChen", "LeftLongAgo"}, ToParties: []string{"77"}, Card: card("部分无效")}); err != nil {
		t.Fatal(err)
	}
	if err := e.box.Enqueue(ctx, "b", wecom.Message{ToUsers: []string{"Ghost"}, Card: card("全部无效")}); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(time.Second)
	d := e.deliver(t)
	if d.Sent != 1 || d.Failed != 1 {
		t.Fatalf("%+v, want one sent (partly invalid) and one failed (81013)", d)
	}
	kinds := map[string][]string{}
	for _, p := range e.problems {
		kinds[p.Kind] = append(kinds[p.Kind], p.IDs...)
	}
	if !slices.Contains(kinds[wecom.ProblemInvalidUser], "leftlongago") || !slices.Contains(kinds[wecom.ProblemInvalidUser], "ghost") ||
		!slices.Contains(kinds[wecom.ProblemInvalidParty], "77") {
		t.Errorf("reported %+v", e.problems)
	}
	s, err := e.box.Status(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Problems) != len(e.problems) || s.Problems[0].At.Before(s.Problems[len(s.Problems)-1].At) {
		t.Errorf("stored problems %+v (want newest first, as reported)", s.Problems)
	}
}

// TestOutboxTwoProcesses: two outboxes over one store deliver at the same
// time; every message reaches WeCom exactly once.
func TestOutboxTwoProcesses(t *testing.T) {
	e := newOutboxEnv(t, "")
	other := e.outbox(t, "")
	ctx := context.Background()
	for i := range 20 {
		if err := e.box.Enqueue(ctx, fmt.Sprintf("k%d", i), wecom.Message{ToParties: []string{"3"}, Card: card(fmt.Sprintf("公告 %d", i))}); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for _, b := range []*wecom.Outbox{e.box, other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := b.Deliver(ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	seen := map[string]int{}
	for _, s := range e.fake.Sends() {
		seen[s.Title]++
	}
	if len(seen) != 20 {
		t.Errorf("%d distinct messages sent, want 20", len(seen))
	}
	for title, n := range seen {
		if n != 1 {
			t.Errorf("%s sent %d times", title, n)
		}
	}
}
