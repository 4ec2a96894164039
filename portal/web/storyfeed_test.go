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

// TestDeleteConfirmAndUndo: deleting a story or a comment goes through a
// confirmation page (a plain form), lands on a page with 撤销, and 撤销 brings
// it back.
func TestDeleteConfirmAndUndo(t *testing.T) {
	ts := newTestServer(t, nil)
	me := ts.signIn(financeEd)
	st := ts.postStory(financeEd, "要删的故事")
	page := "/stories/" + st.ID
	if body := ts.send(me, http.MethodGet, page, nil, nil).Body.String(); !strings.Contains(body, `href="`+page+`/delete"`) {
		t.Fatal("story page has no link to the delete confirmation")
	}
	rec := ts.send(me, http.MethodGet, page+"/delete", nil, nil)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "确定删除这条故事吗？") || !strings.Contains(rec.Body.String(), `action="`+page+`/delete"`) {
		t.Fatalf("confirm page: %d\n%s", rec.Code, rec.Body.String())
	}
	if rec := ts.send(ts.token, http.MethodGet, page+"/delete", nil, nil); rec.Code != 403 {
		t.Errorf("someone else's confirm page: %d", rec.Code)
	}
	form := url.Values{csrfField: {ts.csrf(me)}}
	rec = ts.send(me, http.MethodPost, page+"/delete", nil, form)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != page+"/deleted" {
		t.Fatalf("delete: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	rec = ts.send(me, http.MethodGet, page+"/deleted", nil, nil)
	if !strings.Contains(rec.Body.String(), "撤销") || !strings.Contains(rec.Body.String(), `action="`+page+`/restore"`) {
		t.Fatalf("undo page: %d\n%s", rec.Code, rec.Body.String())
	}
	if strings.Contains(ts.send(me, http.MethodGet, "/stories", nil, nil).Body.String(), "要删的故事") {
		t.Error("deleted story still in the feed")
	}
	if rec := ts.send(ts.token, http.MethodPost, page+"/restore", nil, url.Values{csrfField: {ts.csrf(ts.token)}}); rec.Code == http.StatusSeeOther {
		t.Error("someone else undid my delete")
	}
	rec = ts.send(me, http.MethodPost, page+"/restore", nil, form)
	if rec.Code != http.StatusSeeOther || !strings.Contains(ts.send(me, http.MethodGet, "/stories", nil, nil).Body.String(), "要删的故事") {
		t.Fatalf("undo: %d; story not back in the feed", rec.Code)
	}

	c, err := ts.storiesOf().AddComment(context.Background(), st.ID, stories.Author{ID: financeEd.ID, Name: financeEd.Name}, "要删的评论")
	if err != nil {
		t.Fatal(err)
	}
	cpage := page + "/comments/" + c.ID
	if rec := ts.send(me, http.MethodGet, cpage+"/delete", nil, nil); rec.Code != 200 || !strings.Contains(rec.Body.String(), "要删的评论") {
		t.Fatalf("comment confirm page: %d", rec.Code)
	}
	rec = ts.send(me, http.MethodPost, cpage+"/delete", nil, form)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != cpage+"/deleted" {
		t.Fatalf("delete comment: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	if strings.Contains(ts.send(me, http.MethodGet, page, nil, nil).Body.String(), "要删的评论") {
		t.Error("deleted comment still shown")
	}
	if rec := ts.send(me, http.MethodPost, cpage+"/restore", nil, form); rec.Code != http.StatusSeeOther {
		t.Fatalf("undo comment: %d", rec.Code)
	}
	if !strings.Contains(ts.send(me, http.MethodGet, page, nil, nil).Body.String(), "要删的评论") {
		t.Error("restored comment not shown")
	}
}
