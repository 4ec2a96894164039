package web

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/auth"
	"github.com/jinnang/jinnang/portal/images"
	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/points"
	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/stories"
)

// newTestStories builds the stories and points services of the test server.
func newTestStories(st store.Store, ix index.Index) (Stories, Points) {
	svc := stories.New(st, ix, slog.New(slog.NewTextHandler(io.Discard, nil)), stories.Options{Now: func() time.Time { return testNow }})
	pts := points.New(nil, func() time.Time { return testNow }, points.PostsSource(st, points.KindPack), svc.PointsSource())
	pts.UseStore(st)
	svc.SetPoints(pts)
	return svc, pts
}

// storiesOf returns the test server's stories service.
func (ts *testServer) storiesOf() *stories.Service {
	ts.t.Helper()
	svc, ok := ts.opts.Stories.(*stories.Service)
	if !ok {
		ts.t.Fatal("test server has no stories service")
	}
	return svc
}

var stranger = auth.User{ID: "dev:stranger", Name: "路人", Department: "销售部"}

// postStory creates a story by u with one small photo.
func (ts *testServer) postStory(u auth.User, text string) *stories.Story {
	ts.t.Helper()
	res, err := images.Process(bytes.NewReader(pngBytes(ts.t)), images.DefaultLimits())
	if err != nil {
		ts.t.Fatal(err)
	}
	st, err := ts.storiesOf().Create(context.Background(), stories.NewStory{
		Author: stories.Author{ID: u.ID, Name: u.Name, Department: u.Department}, Text: text, Images: []images.Result{*res},
	})
	if err != nil {
		ts.t.Fatal(err)
	}
	return st
}

// prepareStoryRow fills the story placeholders of a role-table path:
// {story} and {comment} belong to a stranger, {mystory} and {mycomment} to
// the requesting user (to the stranger when anonymous).
func prepareStoryRow(t *testing.T, ts *testServer, path string, u *auth.User) string {
	t.Helper()
	me := stranger
	if u != nil {
		me = *u
	}
	ctx := context.Background()
	if strings.Contains(path, "{story}") {
		st := ts.postStory(stranger, "团建照片 #团建")
		path = strings.ReplaceAll(path, "{story}", st.ID)
		for ph, by := range map[string]auth.User{"{comment}": stranger, "{mycomment}": me} {
			if strings.Contains(path, ph) {
				c, err := ts.storiesOf().AddComment(ctx, st.ID, stories.Author{ID: by.ID, Name: by.Name}, "不错")
				if err != nil {
					t.Fatal(err)
				}
				path = strings.ReplaceAll(path, ph, c.ID)
			}
		}
	}
	if strings.Contains(path, "{mystory}") {
		path = strings.ReplaceAll(path, "{mystory}", ts.postStory(me, "我的故事").ID)
	}
	return path
}

// storyForm is a multipart story form: CSRF, text, then photos.
func storyForm(t *testing.T, csrf, text string, photos map[string][]byte, order []string) (io.Reader, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, kv := range [][2]string{{csrfField, csrf}, {"text", text}} {
		if err := mw.WriteField(kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range order {
		w, err := mw.CreateFormFile("images", name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(photos[name]); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return &b, mw.FormDataContentType()
}

func (ts *testServer) postStoryForm(tok, text string, photos map[string][]byte, order []string) *httptest.ResponseRecorder {
	ts.t.Helper()
	body, ctype := storyForm(ts.t, ts.csrf(tok), text, photos, order)
	req := httptest.NewRequest(http.MethodPost, "/stories", body)
	req.Header.Set("Content-Type", ctype)
	req.AddCookie(&http.Cookie{Name: sessionCookiePlain, Value: tok})
	rec := httptest.NewRecorder()
	ts.ServeHTTP(rec, req)
	return rec
}

func TestStoryPostFeedAndPhotos(t *testing.T) {
	ts := newTestServer(t, nil)
	gps, err := os.ReadFile("../images/testdata/gps-exif.jpg")
	if err != nil {
		t.Fatal(err)
	}
	const xss = `年会真热闹 #年会 <img src=x onerror="window.__xss=1">`
	rec := ts.postStoryForm(ts.token, xss, map[string][]byte{"IMG_0001.JPG": gps, "b.png": pngBytes(t)}, []string{"IMG_0001.JPG", "b.png"})
	if rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/stories/") {
		t.Fatalf("post: %d %q\n%s", rec.Code, rec.Header().Get("Location"), rec.Body.String())
	}
	page := rec.Header().Get("Location")
	id := strings.TrimPrefix(page, "/stories/")

	for _, path := range []string{"/stories", "/stories/tag/" + url.PathEscape("年会"), page} {
		rec = ts.send(ts.token, http.MethodGet, path, nil, nil)
		body := rec.Body.String()
		if rec.Code != 200 || !strings.Contains(body, page+"/thumb/1") || !strings.Contains(body, page+"/img/2") {
			t.Fatalf("%s: %d, no thumbnails linking to the viewer\n%s", path, rec.Code, body)
		}
		if strings.Contains(body, `<img src=x`) || strings.Contains(body, `onerror="window`) || !strings.Contains(body, "&lt;img src=x onerror=") {
			t.Errorf("%s: story text not escaped", path)
		}
		if !strings.Contains(body, `href="/stories/tag/%E5%B9%B4%E4%BC%9A"`) {
			t.Errorf("%s: campaign tag is not a link", path)
		}
	}
	// HTMX asks for feed items only.
	rec = ts.send(ts.token, http.MethodGet, "/stories?page=1", map[string]string{"HX-Request": "true"}, nil)
	if rec.Code != 200 || strings.Contains(rec.Body.String(), "<html") || !strings.Contains(rec.Body.String(), `class="story-item"`) {
		t.Errorf("HTMX feed: %d\n%s", rec.Code, rec.Body.String())
	}
	// Photos: JPEG, long cache, nosniff, no EXIF; the viewer page works without JS.
	for _, p := range []string{page + "/photo/1", page + "/thumb/1", page + "/photo/2"} {
		rec = ts.send(ts.token, http.MethodGet, p, nil, nil)
		h := rec.Header()
		if rec.Code != 200 || h.Get("Content-Type") != "image/jpeg" || h.Get("X-Content-Type-Options") != "nosniff" ||
			!strings.Contains(h.Get("Cache-Control"), "immutable") || h.Get("Content-Encoding") != "" {
			t.Fatalf("%s: %d %v", p, rec.Code, h)
		}
		if b := rec.Body.Bytes(); bytes.Contains(b, []byte("Exif")) || bytes.Contains(b, []byte("JinnangCam")) || !bytes.HasPrefix(b, []byte{0xFF, 0xD8}) {
			t.Errorf("%s: served bytes keep metadata or are not JPEG", p)
		}
		etag := h.Get("ETag")
		if rec := ts.send(ts.token, http.MethodGet, p, map[string]string{"If-None-Match": etag}, nil); rec.Code != http.StatusNotModified {
			t.Errorf("%s with If-None-Match: %d", p, rec.Code)
		}
	}
	rec = ts.send(ts.token, http.MethodGet, page+"/img/1", nil, nil)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `src="`+page+`/photo/1"`) || !strings.Contains(rec.Body.String(), `href="`+page+`/img/2"`) {
		t.Errorf("viewer: %d\n%s", rec.Code, rec.Body.String())
	}
	for _, p := range []string{page + "/img/3", page + "/photo/0", page + "/thumb/x", "/stories/nosuchstoryxxxxx"} {
		if rec := ts.send(ts.token, http.MethodGet, p, nil, nil); rec.Code != 404 {
			t.Errorf("%s: %d, want 404", p, rec.Code)
		}
	}
	// My posts and the audit log know it.
	posts, err := ts.opts.Auth.Users.Posts(context.Background(), employee.ID)
	if err != nil || len(posts) != 1 || posts[0].Kind != "story" || posts[0].Ref != id {
		t.Errorf("my posts: %v %v", posts, err)
	}
	if acts := auditActions(t, ts); len(acts) == 0 || acts[0] != "story.create dev:chenchen story:"+id {
		t.Errorf("audit: %v", acts)
	}
}

func TestStoryFormErrors(t *testing.T) {
	ts := newTestServer(t, nil)
	jpg, err := os.ReadFile("../images/testdata/gps-exif.jpg")
	if err != nil {
		t.Fatal(err)
	}
	ten := map[string][]byte{}
	var order []string
	for i := range 10 {
		name := string(rune('a'+i)) + ".png"
		ten[name] = pngBytes(t)
		order = append(order, name)
	}
	polyglot := append(append([]byte{}, jpg...), "<html><script>alert(1)</script></html>"...)
	cases := []struct {
		name   string
		text   string
		photos map[string][]byte
		order  []string
		status int
		want   string
	}{
		{"text too long", strings.Repeat("长", 501), nil, nil, 422, "最多 500 字"},
		{"nothing", "  ", nil, nil, 422, "请写点什么"},
		{"ten photos", "十张", ten, order, 422, "最多只能发 9 张图片"},
		{"polyglot", "夹带", map[string][]byte{"evil.jpg": polyglot}, []string{"evil.jpg"}, 422, "“evil.jpg”里夹带了网页"},
		{"not an image", "文本", map[string][]byte{"a.txt": []byte("just text")}, []string{"a.txt"}, 415, "“a.txt”不是支持的图片"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := ts.postStoryForm(ts.token, tc.text, tc.photos, tc.order)
			body := rec.Body.String()
			if rec.Code != tc.status || !strings.Contains(body, tc.want) || !strings.Contains(body, `class="field-error"`) {
				t.Fatalf("%d, want %d with %q\n%s", rec.Code, tc.status, tc.want, body)
			}
			if strings.TrimSpace(tc.text) != "" && !strings.Contains(body, tc.text) {
				t.Errorf("the text was not kept")
			}
		})
	}
	if p, err := ts.storiesOf().Feed(context.Background(), "", 0, 10); err != nil || p.Total != 0 {
		t.Errorf("refused posts left stories: %d %v", p.Total, err)
	}
	// Photos before the CSRF token are refused before they are read.
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	w, _ := mw.CreateFormFile("images", "a.png")
	_, _ = w.Write(pngBytes(t))
	_ = mw.WriteField(csrfField, ts.csrf(ts.token))
	_ = mw.Close()
	req := httptest.NewRequest(http.MethodPost, "/stories", &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.AddCookie(&http.Cookie{Name: sessionCookiePlain, Value: ts.token})
	rec := httptest.NewRecorder()
	ts.ServeHTTP(rec, req)
	if rec.Code != http.StatusForbidden {
		t.Errorf("photo before token: %d, want 403", rec.Code)
	}
}

func TestStoryLikesCommentsAndXSS(t *testing.T) {
	ts := newTestServer(t, nil)
	st := ts.postStory(stranger, "周五下午茶")
	page := "/stories/" + st.ID
	form := func(v url.Values) url.Values { v.Set(csrfField, ts.csrf(ts.token)); return v }
	for range 2 {
		if rec := ts.send(ts.token, http.MethodPost, page+"/like", nil, form(url.Values{})); rec.Code != http.StatusSeeOther {
			t.Fatalf("like: %d", rec.Code)
		}
	}
	rec := ts.send(ts.token, http.MethodPost, page+"/like", map[string]string{"HX-Request": "true"}, form(url.Values{}))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "1 人赞") || !strings.Contains(rec.Body.String(), "取消赞") || strings.Contains(rec.Body.String(), "<html") {
		t.Fatalf("HTMX like box: %d\n%s", rec.Code, rec.Body.String())
	}
	const payload = `<script>window.__xss=1</script><a href="javascript:alert(1)">x</a>`
	if rec := ts.send(ts.token, http.MethodPost, page+"/comments", nil, form(url.Values{"text": {payload}})); rec.Code != http.StatusSeeOther {
		t.Fatalf("comment: %d\n%s", rec.Code, rec.Body.String())
	}
	rec = ts.send(ts.token, http.MethodGet, page, nil, nil)
	body := rec.Body.String()
	if strings.Contains(body, "<script>window") || strings.Contains(body, `href="javascript:`) || !strings.Contains(body, "&lt;script&gt;window.__xss=1&lt;/script&gt;") {
		t.Errorf("comment not escaped:\n%s", body)
	}
	// An empty or overlong comment is shown next to the field, text kept.
	long := strings.Repeat("评", stories.MaxComment+1)
	rec = ts.send(ts.token, http.MethodPost, page+"/comments", nil, form(url.Values{"text": {long}}))
	if rec.Code != 422 || !strings.Contains(rec.Body.String(), long) || !strings.Contains(rec.Body.String(), "comment-error") {
		t.Errorf("long comment: %d", rec.Code)
	}
	// Someone else cannot delete my comment; I can.
	cs, err := ts.storiesOf().Comments(context.Background(), st.ID)
	if err != nil || len(cs) != 1 {
		t.Fatalf("comments: %v %v", cs, err)
	}
	other := ts.signIn(financeEd)
	if rec := ts.send(other, http.MethodPost, page+"/comments/"+cs[0].ID+"/delete", nil, url.Values{csrfField: {ts.csrf(other)}}); rec.Code != 403 {
		t.Errorf("someone else deletes my comment: %d", rec.Code)
	}
	if rec := ts.send(ts.token, http.MethodPost, page+"/comments/"+cs[0].ID+"/delete", nil, form(url.Values{})); rec.Code != http.StatusSeeOther {
		t.Errorf("delete own comment: %d", rec.Code)
	}
}

func TestStoryReportAutoHideAndModeration(t *testing.T) {
	ts := newTestServer(t, nil)
	st := ts.postStory(employee, "可疑广告 #团建")
	page := "/stories/" + st.ID
	report := func(u auth.User, reason string) *httptest.ResponseRecorder {
		tok := ts.signIn(u)
		return ts.send(tok, http.MethodPost, page+"/report", nil, url.Values{csrfField: {ts.csrf(tok)}, "reason": {reason}})
	}
	if rec := report(financeEd, ""); rec.Code != 422 || !strings.Contains(rec.Body.String(), "请选择举报原因") {
		t.Fatalf("report without reason: %d", rec.Code)
	}
	for _, u := range []auth.User{financeEd, financeEd, techEd} { // a repeat counts once
		if rec := report(u, "spam"); rec.Code != http.StatusSeeOther {
			t.Fatalf("report: %d", rec.Code)
		}
	}
	if got, _ := ts.storiesOf().Get(context.Background(), st.ID); !got.Visible() {
		t.Fatal("hidden after two distinct reports")
	}
	if rec := report(admin, "offensive"); rec.Code != http.StatusSeeOther {
		t.Fatalf("third report: %d", rec.Code)
	}
	// Hidden: gone from the feed and for readers; the author and moderators still see it.
	rec := ts.send(ts.signIn(financeEd), http.MethodGet, "/stories", nil, nil)
	if strings.Contains(rec.Body.String(), page) {
		t.Error("auto-hidden story still in the feed")
	}
	if rec := ts.send(ts.signIn(financeEd), http.MethodGet, page, nil, nil); rec.Code != 404 {
		t.Errorf("reader opens hidden story: %d", rec.Code)
	}
	if rec := ts.send(ts.signIn(financeEd), http.MethodGet, page+"/thumb/1", nil, nil); rec.Code != 404 {
		t.Errorf("reader loads photo of hidden story: %d", rec.Code)
	}
	if rec := ts.send(ts.token, http.MethodGet, page, nil, nil); rec.Code != 200 || !strings.Contains(rec.Body.String(), "已被隐藏") {
		t.Errorf("author opens hidden story: %d", rec.Code)
	}
	mod := ts.signIn(moderator)
	rec = ts.send(mod, http.MethodGet, "/moderation", nil, nil)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), page+"/moderate") || !strings.Contains(rec.Body.String(), "3 次举报") {
		t.Fatalf("queue: %d\n%s", rec.Code, rec.Body.String())
	}
	moderate := func(act, note string) *httptest.ResponseRecorder {
		return ts.send(mod, http.MethodPost, page+"/moderate", nil, url.Values{csrfField: {ts.csrf(mod)}, "action": {act}, "note": {note}})
	}
	if rec := moderate("warn", ""); rec.Code != 422 {
		t.Errorf("warn without note: %d", rec.Code)
	}
	if rec := moderate("restore", ""); rec.Code != http.StatusSeeOther {
		t.Fatalf("restore: %d", rec.Code)
	}
	if rec := ts.send(ts.signIn(financeEd), http.MethodGet, "/stories", nil, nil); !strings.Contains(rec.Body.String(), page) {
		t.Error("restored story not back in the feed")
	}
	if rec := moderate("warn", "请勿发广告"); rec.Code != http.StatusSeeOther {
		t.Fatalf("warn: %d", rec.Code)
	}
	if rec := ts.send(ts.token, http.MethodGet, "/me", nil, nil); !strings.Contains(rec.Body.String(), "请勿发广告") {
		t.Error("the author's profile does not show the warning")
	}
	if rec := moderate("delete", "广告"); rec.Code != http.StatusSeeOther {
		t.Fatalf("delete: %d", rec.Code)
	}
	acts := strings.Join(auditActions(t, ts), "\n")
	for _, want := range []string{"story.autohide system story:" + st.ID, "story.restore dev:lina story:" + st.ID,
		"story.warn dev:lina story:" + st.ID, "story.delete dev:lina story:" + st.ID, "story.report dev:wangmin story:" + st.ID} {
		if !strings.Contains(acts, want) {
			t.Errorf("audit lacks %q:\n%s", want, acts)
		}
	}
}

func TestLeaderboardBadgesAndHome(t *testing.T) {
	ts := newTestServer(t, nil)
	for range 2 {
		ts.postStory(financeEd, "故事")
	}
	rec := ts.send(ts.token, http.MethodGet, "/leaderboard", nil, nil)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "王敏") || !strings.Contains(rec.Body.String(), "<td>6</td>") {
		t.Fatalf("leaderboard: %d\n%s", rec.Code, rec.Body.String())
	}
	rec = ts.send(ts.signIn(financeEd), http.MethodGet, "/me", nil, nil)
	if !strings.Contains(rec.Body.String(), "新人") || !strings.Contains(rec.Body.String(), "月度之星") {
		t.Errorf("badges on /me:\n%s", rec.Body.String())
	}
	rec = ts.send(ts.token, http.MethodGet, "/", nil, nil)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "今日故事") {
		t.Errorf("home lacks the story of the day: %d", rec.Code)
	}
	if rec := ts.send(ts.token, http.MethodGet, "/rules", english, nil); rec.Code != 200 || !strings.Contains(rec.Body.String(), "Community rules") {
		t.Errorf("rules in English: %d", rec.Code)
	}
}
