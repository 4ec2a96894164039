package web

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/jinnang/jinnang/portal/auth"
)

var tabRE = regexp.MustCompile(`(?s)<nav class="tabs"[^>]*>(.*?)</nav>`)

// tabBar is the bottom tab bar of a page ("" when there is none).
func tabBar(body string) string {
	if m := tabRE.FindStringSubmatch(body); m != nil {
		return m[1]
	}
	return ""
}

// TestTabBar: five destinations at the bottom, the current one marked, the
// old sideways strip gone; pages outside the five mark the tab they belong to.
func TestTabBar(t *testing.T) {
	ts := newTestServer(t, nil)
	for _, tc := range []struct{ path, current string }{
		{"/", "/"}, {"/packs", "/"}, {"/departments", "/"}, {"/search", "/search"}, {"/files", "/search"},
		{"/stories", "/stories"}, {"/leaderboard", "/stories"},
		{"/announcements", "/announcements"}, {"/me", "/me"}, {"/more", "/me"}, {"/polls", "/me"},
	} {
		rec := do(ts, http.MethodGet, tc.path, nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: %d", tc.path, rec.Code)
		}
		body := rec.Body.String()
		bar := tabBar(body)
		if n := strings.Count(bar, "<a "); n != 5 {
			t.Fatalf("%s: tab bar has %d links, want 5:\n%s", tc.path, n, bar)
		}
		for _, want := range []string{`href="/"`, `href="/search"`, `href="/stories"`, `href="/announcements"`, `href="/me"`, ">首页<", ">搜索<", ">故事<", ">公告<", ">我的<"} {
			if !strings.Contains(bar, want) {
				t.Errorf("%s: tab bar lacks %s", tc.path, want)
			}
		}
		if strings.Count(bar, `aria-current="page"`) != 1 || !strings.Contains(bar, `<a href="`+tc.current+`"`) ||
			!regexp.MustCompile(`href="`+regexp.QuoteMeta(tc.current)+`"( class="[^"]*")? aria-current="page"`).MatchString(bar) {
			t.Errorf("%s: want exactly the %s tab marked current:\n%s", tc.path, tc.current, bar)
		}
		if strings.Contains(body, `<nav class="nav"`) {
			t.Errorf("%s: the old top strip is still there", tc.path)
		}
	}
	// English second language.
	bar := tabBar(ts.send(ts.token, http.MethodGet, "/", english, nil).Body.String())
	for _, want := range []string{">Home<", ">Search<", ">Stories<", ">Notices<", ">Me<"} {
		if !strings.Contains(bar, want) {
			t.Errorf("English tab bar lacks %s:\n%s", want, bar)
		}
	}
	// The sign-in page (no session) has no tab bar.
	if bar := tabBar(ts.send("", http.MethodGet, "/login", nil, nil).Body.String()); bar != "" {
		t.Errorf("signed-out page has a tab bar: %s", bar)
	}
}

// TestMorePage lists only what the person may use, and 我的 links to it.
func TestMorePage(t *testing.T) {
	ts := newTestServer(t, nil)
	for _, tc := range []struct {
		name       string
		user       auth.User
		want, deny []string
	}{
		{"employee", auth.User{ID: "dev:e", Name: "员工", Department: "销售部"},
			[]string{`href="/polls"`, `href="/files"`, `href="/packs"`, `href="/departments"`, "投票", "资料下载"},
			[]string{`href="/suggest"`, `href="/moderation"`, `href="/admin/audit"`, `href="/admin/departments"`}},
		{"moderator", auth.User{ID: "dev:m", Name: "审核员", Moderator: true},
			[]string{`href="/moderation"`, "审核"}, []string{`href="/admin/audit"`, `href="/suggest"`}},
		{"admin", auth.User{ID: "dev:a", Name: "管理员", Admin: true},
			[]string{`href="/moderation"`, `href="/admin/audit"`, `href="/admin/departments"`, `href="/suggest"`, "意见箱", "管理"}, nil},
	} {
		tok := ts.signIn(tc.user)
		body := ts.send(tok, http.MethodGet, "/more", nil, nil).Body.String()
		main := body[strings.Index(body, `<main`):strings.Index(body, `</main>`)]
		for _, w := range tc.want {
			if !strings.Contains(main, w) {
				t.Errorf("%s: 更多 lacks %s", tc.name, w)
			}
		}
		for _, w := range tc.deny {
			if strings.Contains(main, w) {
				t.Errorf("%s: 更多 offers %s", tc.name, w)
			}
		}
		if me := ts.send(tok, http.MethodGet, "/me", nil, nil).Body.String(); !strings.Contains(me, `href="/more"`) {
			t.Errorf("%s: 我的 does not link to 更多", tc.name)
		}
	}
	en := ts.send(ts.token, http.MethodGet, "/more", english, nil).Body.String()
	if !strings.Contains(en, "<h1>More</h1>") || !strings.Contains(en, ">Polls<") {
		t.Errorf("English 更多 page is not English")
	}
}

// TestTabBarMessages: with notifications on, the fourth tab is 消息 (with
// the unread badge) and 公告 moves to 更多.
func TestTabBarMessages(t *testing.T) {
	ts, _ := newNotifyServer(t, nil)
	body := do(ts, http.MethodGet, "/notifications", nil).Body.String()
	bar := tabBar(body)
	if !strings.Contains(bar, `<a href="/notifications" class="nav-notify" aria-current="page">`) || !strings.Contains(bar, ">消息<") || strings.Contains(bar, `href="/announcements"`) {
		t.Errorf("tab bar with notifications:\n%s", bar)
	}
	if bar := tabBar(do(ts, http.MethodGet, "/announcements", nil).Body.String()); !strings.Contains(bar, `class="nav-notify" aria-current="page"`) {
		t.Errorf("/announcements does not mark 消息:\n%s", bar)
	}
	if more := do(ts, http.MethodGet, "/more", nil).Body.String(); !strings.Contains(more, `href="/announcements"`) {
		t.Error("更多 lacks 公告 when 消息 holds the tab")
	}
}
