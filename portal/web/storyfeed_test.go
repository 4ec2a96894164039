package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/stories"
)

// TestFeedCardsLikeMoments: every feed card carries an initials avatar, a
// relative time, the like and comment counts, a like button that works as a
// plain form (back to the card) and with HTMX (the bar swapped), a comment
// link and a link over the whole card to the story.
func TestFeedCardsLikeMoments(t *testing.T) {
	ts := newTestServer(t, nil)
	st := ts.postStory(stranger, "周五下午茶")
	ctx := context.Background()
	if _, err := ts.storiesOf().AddComment(ctx, st.ID, stories.Author{ID: financeEd.ID, Name: financeEd.Name}, "好"); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.storiesOf().Like(ctx, st.ID, financeEd.ID); err != nil {
		t.Fatal(err)
	}
	body := ts.send(ts.token, http.MethodGet, "/stories", nil, nil).Body.String()
	for _, want := range []string{
		`<svg class="avatar"`, `>路人</text>`, // the two characters of a Chinese name
		`>刚刚</time></a>`, `1 赞`, `1 评论`,
		`<a class="card-link" href="/stories/` + st.ID + `">`,
		`href="/stories/` + st.ID + `#comments"`,
		`action="/stories/` + st.ID + `/like"`, `name="from" value="feed"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("feed lacks %q", want)
		}
	}
	form := url.Values{csrfField: {ts.csrf(ts.token)}, "from": {"feed"}}
	rec := ts.send(ts.token, http.MethodPost, "/stories/"+st.ID+"/like", nil, form)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/stories#s-"+st.ID {
		t.Errorf("like from the feed without JS: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	rec = ts.send(ts.token, http.MethodPost, "/stories/"+st.ID+"/unlike", map[string]string{"HX-Request": "true"}, form)
	frag := rec.Body.String()
	if rec.Code != 200 || strings.Contains(frag, "<html") || !strings.Contains(frag, `id="bar-`+st.ID+`"`) || !strings.Contains(frag, "1 赞") || !strings.Contains(frag, `aria-pressed="false"`) {
		t.Errorf("HTMX unlike from the feed: %d\n%s", rec.Code, frag)
	}
	en := ts.send(ts.token, http.MethodGet, "/stories", english, nil).Body.String()
	if !strings.Contains(en, ">just now</time>") || !strings.Contains(en, "1 comments") {
		t.Errorf("English feed lacks the relative time or counts")
	}
}

func TestRelTime(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	now := time.Date(2026, 5, 20, 10, 0, 0, 0, loc)
	for _, tc := range []struct {
		ago    time.Duration
		zh, en string
	}{
		{10 * time.Second, "刚刚", "just now"},
		{3 * time.Minute, "3分钟前", "3 min ago"},
		{2 * time.Hour, "2小时前", "2 h ago"},
		{11 * time.Hour, "昨天", "yesterday"}, // 23:00 the day before
		{3 * 24 * time.Hour, "3天前", "3 days ago"},
		{30 * 24 * time.Hour, "4月20日", "20/4"},
		{400 * 24 * time.Hour, "2025-04-15", "2025-04-15"},
	} {
		at := now.Add(-tc.ago)
		if got := relTime(LangZh, at, now); got != tc.zh {
			t.Errorf("%v ago: %q, want %q", tc.ago, got, tc.zh)
		}
		if got := relTime(LangEn, at, now); got != tc.en {
			t.Errorf("%v ago (en): %q, want %q", tc.ago, got, tc.en)
		}
	}
}

func TestAvatarOf(t *testing.T) {
	for _, tc := range []struct{ id, name, want string }{
		{"a", "王小明", "小明"}, {"b", "王敏", "王敏"}, {"c", "Li Na", "LN"}, {"d", "alice", "A"}, {"e", "", "E"},
	} {
		if got := avatarOf(tc.id, tc.name).Initials; got != tc.want {
			t.Errorf("avatarOf(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
	if avatarOf("dev:x", "甲").Color != avatarOf("dev:x", "乙").Color {
		t.Error("the colour follows the person's id, not the name")
	}
}
