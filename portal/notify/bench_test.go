package notify_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/notify"
)

// benchEnv is a person with n personal notifications (beyond the kept 200
// they are pruned) and b broadcasts for their department.
func benchEnv(b *testing.B, n, broadcasts int) *env {
	b.Helper()
	e := newEnv(b)
	_ = e.svc.SetPrefs(ctx, chen.ID, map[notify.Kind]notify.Channel{notify.KindStoryComment: notify.ChannelPortal})
	for i := range n {
		c := comment(chen.ID, wang.ID, "王敏")
		c.Body = fmt.Sprintf("评论 %d", i)
		if err := e.svc.Emit(ctx, c); err != nil {
			b.Fatal(err)
		}
	}
	for i := range broadcasts {
		if err := e.svc.Broadcast(ctx, notify.Note{Kind: notify.KindAnnouncement, Departments: []string{"销售部"}, Ref: fmt.Sprint("a", i),
			Title: "公告", URL: "/announcements"}); err != nil {
			b.Fatal(err)
		}
	}
	// Page through once (prunes the inbox to its cap), then measure a
	// service whose clock moves past the badge cache on every call.
	for cursor, first := "", true; first || cursor != ""; first = false {
		p, err := e.svc.List(ctx, chen, cursor, 50)
		if err != nil {
			b.Fatal(err)
		}
		cursor = p.Next
	}
	now := e.now
	e.svc = notify.New(e.st, notify.Options{Now: func() time.Time { now = now.Add(time.Minute); return now }})
	return e
}

// BenchmarkNotificationsPage: the first page of 消息 for a newcomer and for
// someone with years of history costs about the same (bounded listing).
func BenchmarkNotificationsPage(b *testing.B) {
	for _, size := range []struct{ personal, broadcasts int }{{10, 5}, {250, 300}} {
		b.Run(fmt.Sprintf("personal=%d/broadcasts=%d", size.personal, size.broadcasts), func(b *testing.B) {
			e := benchEnv(b, size.personal, size.broadcasts)
			b.ResetTimer()
			for b.Loop() {
				if _, err := e.svc.List(ctx, chen, "", 20); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkUnreadBadge is the per-page cost of the badge.
func BenchmarkUnreadBadge(b *testing.B) {
	for _, size := range []struct{ personal, broadcasts int }{{10, 5}, {250, 300}} {
		b.Run(fmt.Sprintf("personal=%d/broadcasts=%d", size.personal, size.broadcasts), func(b *testing.B) {
			e := benchEnv(b, size.personal, size.broadcasts)
			b.ResetTimer()
			for b.Loop() {
				if _, err := e.svc.Unread(ctx, chen); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
