package web

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/announce"
	"github.com/jinnang/jinnang/portal/files"
	"github.com/jinnang/jinnang/portal/polls"
	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/stories"
	"github.com/jinnang/jinnang/portal/suggest"
)

// corrupt overwrites the first object under prefix whose key ends in suffix
// with bytes that are not JSON, and returns its key.
func corrupt(t *testing.T, st store.Store, prefix, suffix string) string {
	t.Helper()
	for o, err := range st.List(context.Background(), prefix) {
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(o.Key, suffix) {
			if _, err := st.Put(context.Background(), o.Key, strings.NewReader("{\"id\": tr"), store.PutOptions{}); err != nil {
				t.Fatal(err)
			}
			return o.Key
		}
	}
	t.Fatalf("no object under %s ending in %s", prefix, suffix)
	return ""
}

// TestCorruptRecords: one corrupt record of each kind neither breaks the
// pages that list it nor locks anyone out; each is reported on the admin
// health page, and a fixed record leaves the report.
func TestCorruptRecords(t *testing.T) {
	logs := &syncBuf{}
	ts := newTestServer(t, func(o *Options) { o.Logger = slog.New(slog.NewTextHandler(logs, nil)) })
	ts2, st := ts, ts.store
	defer func() {
		if t.Failed() {
			t.Log(logs.String())
		}
	}()
	ctx := context.Background()
	fsvc := ts.opts.Files.(*files.Service)
	for _, d := range []string{"技术部", "财务部"} {
		if _, err := fsvc.CreateDepartment(ctx, files.Department{Name: d, Intro: d + "的介绍"}); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]string{} // kind → corrupted key
	want["department"] = corrupt(t, st, "departments/", ".json")

	good := ts.postStory(employee, "好故事 #年会")
	bad := ts.postStory(employee, "坏故事")
	want["story"] = corrupt(t, st, "stories/"+bad.ID+"/", "story.json")
	sv := ts.opts.Stories.(*stories.Service)
	for _, text := range []string{"第一条评论", "第二条评论"} {
		if _, err := sv.AddComment(ctx, good.ID, stories.Author{ID: admin.ID, Name: admin.Name}, text); err != nil {
			t.Fatal(err)
		}
	}
	want["comment"] = corrupt(t, st, "stories/"+good.ID+"/comments/", ".json")
	// The story page reads the comment digest (derived); drop it so the
	// page rebuilds it from the comments and meets the corrupt one.
	if err := st.Delete(ctx, "stories/"+good.ID+"/comments.json"); err != nil {
		t.Fatal(err)
	}

	ts.announceAs(financeEd, announce.Input{Title: "好公告", Targets: []string{"财务部"}})
	ts.announceAs(financeEd, announce.Input{Title: "坏公告", Targets: []string{"财务部"}})
	want["announcement"] = corrupt(t, st, "announcements/", ".json")

	pl := ts.opts.Polls.(*polls.Service)
	for _, title := range []string{"团建", "年会"} {
		if _, err := pl.Create(ctx, polls.Poll{Title: title, Mode: polls.Anonymous, Deadline: testNow.Add(time.Hour),
			Owner: admin.ID, OwnerDept: "人力资源部", Questions: []polls.Question{{Text: "去哪", Kind: polls.Single, Options: []string{"山", "海"}}}}); err != nil {
			t.Fatal(err)
		}
	}
	want["poll"] = corrupt(t, st, "polls/", "poll.json")

	sg := ts.opts.Suggest.(*suggest.Service)
	box, err := sg.CreateBox(ctx, "食堂", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sg.CreateBox(ctx, "环境", "", nil); err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{"饭菜太咸", "空调太冷"} {
		if _, _, err := sg.Submit(ctx, box.ID, "", body); err != nil {
			t.Fatal(err)
		}
	}
	want["suggestion"] = corrupt(t, st, "suggest/items/", ".json")
	want["box"] = corrupt(t, st, "suggest/boxes/", ".json")

	// The admin's profile: signing in must rebuild it, not lock them out.
	if _, err := ts.opts.Auth.Users.Touch(ctx, admin); err != nil {
		t.Fatal(err)
	}
	want["profile"] = corrupt(t, st, "users/", ".json")

	tok, rec := devSignIn(t, ts, "", "zhangwei", "/")
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("sign-in with a corrupt profile: %d", rec.Code)
	}
	for _, p := range []string{"/departments", "/departments/技术部", "/departments/财务部", "/polls/new", "/polls", "/stories",
		"/stories/" + good.ID, "/announcements", "/suggest", "/suggest/boxes", "/me", "/"} {
		if rec := ts2.send(tok, http.MethodGet, p, nil, nil); rec.Code != http.StatusOK {
			t.Errorf("GET %s with corrupt records: %d\n%.400s", p, rec.Code, rec.Body.String())
		}
	}
	if rec := ts2.send(tok, http.MethodGet, "/stories/"+good.ID, nil, nil); !strings.Contains(rec.Body.String(), "评论") {
		t.Error("the story page lost its good comment")
	}
	rec = ts2.send(tok, http.MethodGet, "/admin/health", nil, nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("/admin/health: %d", rec.Code)
	}
	page := rec.Body.String()
	for kind, key := range want {
		if kind == "profile" {
			continue // rebuilt at sign-in: no longer bad
		}
		if !strings.Contains(page, key) {
			t.Errorf("the health page does not list the corrupt %s %s", kind, key)
		}
	}
	if strings.Contains(page, want["profile"]) {
		t.Error("the rebuilt profile is still listed as bad")
	}
	// A fixed record leaves the report.
	if err := st.Delete(ctx, want["story"]); err != nil {
		t.Fatal(err)
	}
	if page := ts2.send(tok, http.MethodGet, "/admin/health", nil, nil).Body.String(); strings.Contains(page, want["story"]) {
		t.Error("a removed record is still reported")
	}
	if rec := ts2.send(ts2.token, http.MethodGet, "/admin/health", nil, nil); rec.Code != http.StatusForbidden {
		t.Errorf("/admin/health for an employee: %d", rec.Code)
	}
}
