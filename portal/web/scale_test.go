package web

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/announce"
	"github.com/jinnang/jinnang/portal/audit"
	"github.com/jinnang/jinnang/portal/auth"
	"github.com/jinnang/jinnang/portal/files"
	"github.com/jinnang/jinnang/portal/people"
	"github.com/jinnang/jinnang/portal/points"
	"github.com/jinnang/jinnang/portal/polls"
	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/stories"
	"github.com/jinnang/jinnang/portal/suggest"
)

var moreHref = regexp.MustCompile(`<a rel="next" href="([^"]+)">`)

// nextLink returns the page's 更多 (older) link, or "".
func nextLink(body string) string {
	m := moreHref.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

func TestAuditPagesFiltersAndNames(t *testing.T) {
	ts := newTestServer(t, nil)
	ctx := context.Background()
	log := ts.opts.Auth.Audit
	// 40 entries over 40 hours back from testNow: story.comment by 陈晨 on
	// even hours, pack.save by an actor without a name on odd ones.
	for i := range 40 {
		e := audit.Entry{At: testNow.Add(-time.Duration(i) * time.Hour), Actor: employee.ID, ActorName: employee.Name, Action: "story.comment", Target: fmt.Sprintf("n%02d", i)}
		if i%2 == 1 {
			e.Actor, e.ActorName, e.Action = "dev:old", "", "pack.save"
		}
		if err := log.Record(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	tok := ts.signIn(admin)
	get := func(path string) string {
		t.Helper()
		rec := ts.send(tok, http.MethodGet, path, nil, nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: %d", path, rec.Code)
		}
		return rec.Body.String()
	}
	// Walk every page: 40 entries (admin's own sign-in is not recorded by
	// signIn) in pages of auditLimit, newest first, each once.
	seen, pages := []string{}, 0
	for path := "/admin/audit"; path != ""; pages++ {
		body := get(path)
		for _, m := range regexp.MustCompile(`<td>(n\d\d)</td>`).FindAllStringSubmatch(body, -1) {
			seen = append(seen, m[1])
		}
		path = nextLink(body)
		if pages > 10 {
			t.Fatal("no end to the pages")
		}
	}
	if pages != 3 || len(seen) != 40 || seen[0] != "n00" || seen[39] != "n39" {
		t.Fatalf("pages %d, seen %d: %v", pages, len(seen), seen)
	}
	for i := 1; i < len(seen); i++ {
		if seen[i] <= seen[i-1] {
			t.Fatalf("not newest first: %v", seen)
		}
	}
	body := get("/admin/audit")
	for _, want := range []string{`>陈晨</a>`, `title="dev:chenchen"`, `>dev:old</a>`, `name="kind"`, `<option value="story">`, `name="person"`, `type="date"`, "更早的记录"} {
		if !strings.Contains(body, want) {
			t.Errorf("first page lacks %q", want)
		}
	}
	// Kind filter: only story.* entries, and the link keeps the filter.
	body = get("/admin/audit?kind=story")
	if strings.Contains(body, "pack.save") || !strings.Contains(body, `title="story.comment">评论故事`) || !strings.Contains(body, `<option value="story" selected>`) {
		t.Error("kind filter not applied")
	}
	if l := nextLink(body); !strings.Contains(l, "kind=story") {
		t.Errorf("older link drops the filter: %q", l)
	}
	// Person filter.
	body = get("/admin/audit?person=dev:old")
	if strings.Contains(body, "story.comment") || !strings.Contains(body, "pack.save") {
		t.Error("person filter not applied")
	}
	// Date: that day and older. testNow is 2025-06-01 00:00 UTC: entry n00
	// is on 06-01, the others on 05-31 and 05-30.
	body = get("/admin/audit?date=2025-05-31")
	if strings.Contains(body, "<td>n00</td>") || !strings.Contains(body, "<td>n01</td>") {
		t.Error("date filter not applied")
	}
	body = get("/admin/audit?date=2025-05-30")
	if strings.Contains(body, "<td>n24</td>") || !strings.Contains(body, "<td>n25</td>") {
		t.Error("date filter (second day) not applied")
	}
	// A bad date is said next to the field; a bad cursor starts afresh.
	if body = get("/admin/audit?date=31.5.2025"); !strings.Contains(body, `aria-invalid="true"`) || !strings.Contains(body, "<td>n00</td>") {
		t.Error("bad date not reported")
	}
	if body = get("/admin/audit?before=nonsense"); !strings.Contains(body, "<td>n00</td>") {
		t.Error("bad cursor")
	}
	if body = get("/admin/audit?kind=story&person=nobody"); !strings.Contains(body, "没有符合条件的记录") {
		t.Error("no empty-filter message")
	}
}

// testStoreWrap, when set, wraps the store of the next newTestServer.
var testStoreWrap func(store.Store) store.Store

// maxKeysListed bounds the keys a view of these pages may list.
var maxKeysListed = map[string]int64{"/": 50, "/announcements": 50, "/suggest": 50}

// maxOpsPerView is the bound of store operations one page view may cost,
// whatever the size of the company's history.
const maxOpsPerView = 20

// TestStoreOpsPerPageView builds a company with the services' own create
// functions, at a size where listing a history costs more than the bound
// (300 audit entries, 60 comments on a story, 60 people, 40 votes, 40
// suggestions), and counts the store operations of one view of each page
// through store.Counting. Pages in bounded must stay within maxOpsPerView;
// the others are measured and logged (see the report of issue 10).
func TestStoreOpsPerPageView(t *testing.T) {
	var cs *store.CountingStore
	testStoreWrap = func(st store.Store) store.Store { cs = store.Counting(st); return cs }
	defer func() { testStoreWrap = nil }()
	ts := newTestServer(t, nil)
	ctx := context.Background()

	// The audit log runs on the wall clock (the test server gives it none).
	now := time.Now()
	for i := range 300 {
		e := audit.Entry{At: now.Add(-time.Duration(i) * 47 * time.Minute), Actor: employee.ID, ActorName: employee.Name, Action: "pack.save", Target: fmt.Sprintf("pack:p%03d", i)}
		if err := ts.opts.Auth.Audit.Record(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	st := ts.postStory(employee, "很多评论的故事")
	sv := ts.storiesOf()
	for i := range 60 {
		u := auth.User{ID: fmt.Sprintf("dev:p%02d", i), Name: fmt.Sprintf("同事%02d", i), Department: "销售部"}
		if _, err := ts.opts.Auth.Users.Touch(ctx, u); err != nil {
			t.Fatal(err)
		}
		if _, err := sv.AddComment(ctx, st.ID, stories.Author{ID: u.ID, Name: u.Name}, fmt.Sprintf("评论%02d", i)); err != nil {
			t.Fatal(err)
		}
		if i < 25 { // 26 people on the month's leaderboard: two pages
			ts.postStory(u, fmt.Sprintf("同事%02d的故事", i))
		}
	}
	// The feed's first page: ten stories, each liked and commented on by
	// several people (the old feed read a LIST of likes, a like marker, the
	// comment digest and the record per card: 41 operations).
	for i := range 12 {
		fs := ts.postStory(employee, fmt.Sprintf("动态%02d #团建", i))
		for j := range 3 {
			u := fmt.Sprintf("dev:p%02d", j)
			if _, err := sv.Like(ctx, fs.ID, u); err != nil {
				t.Fatal(err)
			}
			if _, err := sv.AddComment(ctx, fs.ID, stories.Author{ID: u, Name: u}, "赞"); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := sv.Like(ctx, fs.ID, admin.ID); err != nil {
			t.Fatal(err)
		}
	}
	// 20 departments in the complete people directory (the poll results'
	// "not yet voted" counts read one roster per department: 26 operations).
	dir := people.New(ts.store, nil)
	if _, err := dir.Backfill(ctx, func(func(people.Profile, error) bool) {}); err != nil {
		t.Fatal(err)
	}
	for i := range 60 {
		if err := dir.Join(ctx, fmt.Sprintf("dev:p%02d", i), fmt.Sprintf("同事%02d", i), fmt.Sprintf("部门%02d", i%20)); err != nil {
			t.Fatal(err)
		}
	}
	// 25 files: more than a page of the file library (a record read per card).
	for i := range 25 {
		if _, err := ts.files.Upload(ctx, files.UploadInput{Department: "财务部", Title: fmt.Sprintf("表格%02d", i), Name: fmt.Sprintf("f%02d.txt", i),
			Body: strings.NewReader("说明"), By: financeEd.ID}); err != nil {
			t.Fatal(err)
		}
	}
	pl := ts.opts.Polls.(*polls.Service)
	poll, err := pl.Create(ctx, polls.Poll{Title: "团建去哪", Mode: polls.Anonymous, Deadline: testNow.Add(time.Hour),
		Owner: admin.ID, OwnerDept: "人力资源部", Questions: []polls.Question{{Text: "去哪", Kind: polls.Single, Options: []string{"山", "海"}}}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 40 {
		u := auth.User{ID: fmt.Sprintf("dev:p%02d", i), Name: fmt.Sprintf("同事%02d", i), Department: "销售部"}
		if err := pl.Vote(ctx, poll, u, []polls.Answer{{Choices: []int{i % 2}}}); err != nil {
			t.Fatal(err)
		}
	}
	sg := ts.opts.Suggest.(*suggest.Service)
	box, err := sg.CreateBox(ctx, "食堂", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 80 { // more than a page listing a month of markers would read
		if _, _, err := sg.Submit(ctx, box.ID, "", fmt.Sprintf("建议%02d", i)); err != nil {
			t.Fatal(err)
		}
	}
	// 80 announcements, a third for everyone, one pinned: home and a page of
	// /announcements walk only the newest keys (old code listed all 80).
	an := ts.opts.Announcements.(*announce.Service)
	for i := range 80 {
		in := announce.Input{Title: fmt.Sprintf("通知%02d", i), Body: "正文", By: admin.ID, ByName: admin.Name, Everyone: i%3 == 0, Pinned: i == 5}
		if !in.Everyone {
			in.Targets = []string{[]string{"销售部", "财务部"}[i%2]}
		}
		if _, err := an.Create(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	first, err := sv.CommentsPage(ctx, st.ID, "", 0)
	if err != nil || first.Next == "" || len(first.Comments) != stories.CommentsPerPage {
		t.Fatalf("first comment page: %d comments, next %q, %v", len(first.Comments), first.Next, err)
	}
	tok := ts.signIn(admin)
	pages := []struct {
		path    string
		bounded bool
	}{
		{"/admin/audit", true},
		{"/stories/" + st.ID, true},
		{"/stories/" + st.ID + "?before=" + first.Next, true},
		{"/leaderboard", true}, // viewed with its cache dropped (the once-a-minute cost)
		{"/leaderboard?from=20", true},
		{"/polls", false},
		{"/polls/" + poll.ID + "/results", true}, // 20 departments (old code: 26)
		{"/stories", true},                       // ten cards liked and commented on (old code: 41)
		{"/stories?page=2", true},
		{"/stories/tag/团建", true},
		{"/files", true}, // a record per card (old page of 20: 21)
		{"/files?page=2", true},
		{"/suggest", true},
		{"/announcements", true},
		{"/announcements?page=2", true},
		{"/", true},
		{"/me", true},
	}
	body := ts.send(tok, http.MethodGet, "/stories/"+st.ID, nil, nil).Body.String()
	// (The test clock stands still: the comments share a time, so their
	// order is their IDs'; the stories package tests the order itself.)
	if n := strings.Count(body, `<li class="comment"`); n != stories.CommentsPerPage || !strings.Contains(body, "更多评论") || !strings.Contains(body, "共 60 条") {
		t.Errorf("the story page shows %d comments (want %d) or lacks the 更多 link or the total", n, stories.CommentsPerPage)
	}
	board := ts.send(tok, http.MethodGet, "/leaderboard", nil, nil).Body.String()
	if n := strings.Count(board, "<tr><td>"); n != 20 || !strings.Contains(board, "更多（第 21 名起）") || !strings.Contains(board, "from=20") {
		t.Errorf("leaderboard first page: %d rows (want 20) or no 更多 link to rank 21", n)
	}
	rest := ts.send(tok, http.MethodGet, "/leaderboard?from=20", nil, nil).Body.String()
	if n := strings.Count(rest, "<tr><td>"); n != 6 || strings.Contains(rest, "更多（") || !strings.Contains(rest, "回到前列") {
		t.Errorf("leaderboard second page: %d rows (want 6), a 更多 link or no link back to the top", n)
	}
	// The feed shows the digests' counts and the viewer's own likes.
	// (The campaign's twelve stories, all liked by admin; three comments each.)
	feed := ts.send(tok, http.MethodGet, "/stories/tag/团建", nil, nil).Body.String()
	if n := strings.Count(feed, `aria-pressed="true"`); n != storiesPerPage {
		t.Errorf("the feed shows %d cards liked by the viewer, want %d", n, storiesPerPage)
	}
	if n := strings.Count(feed, `aria-pressed="false"`); n != 0 {
		t.Errorf("the feed shows %d cards not liked by the viewer, want 0", n)
	}
	// The file library: 25 files in pages of filesPerPage, each once, with
	// a plain 下一页 link.
	seenFiles := map[string]bool{}
	for path, n := "/files", 0; path != ""; n++ {
		body := ts.send(tok, http.MethodGet, path, nil, nil).Body.String()
		for _, m := range regexp.MustCompile(`表格\d\d`).FindAllString(body, -1) {
			seenFiles[m] = true
		}
		path = nextLink(body)
		if n > 3 {
			t.Fatal("no end to the file pages")
		}
	}
	if len(seenFiles) != 25 {
		t.Errorf("the file pages show %d of 25 files", len(seenFiles))
	}
	for _, p := range pages {
		ts.send(tok, http.MethodGet, p.path, nil, nil) // warm caches (sessions, rendered Markdown)
		if strings.HasPrefix(p.path, "/leaderboard") {
			ts.opts.Points.(*points.Service).Invalidate()
		}
		cs.Reset()
		rec := ts.send(tok, http.MethodGet, p.path, nil, nil)
		c := cs.Counts()
		if rec.Code != http.StatusOK {
			t.Errorf("GET %s: %d", p.path, rec.Code)
			continue
		}
		t.Logf("%-40s %4d store ops (get %d, stat %d, list %d listing %d keys)", p.path, c.Ops(), c.Get, c.Stat, c.List, c.Listed)
		if p.bounded && c.Ops() > maxOpsPerView {
			t.Errorf("GET %s: %d store operations, want ≤ %d: %+v", p.path, c.Ops(), maxOpsPerView, c)
		}
		// The pages that walk newest-first keys stop when they are full
		// (a LIST op counts pages of 1,000 keys, so bound the keys too).
		if lim, ok := maxKeysListed[strings.SplitN(p.path, "?", 2)[0]]; ok && c.Listed > lim {
			t.Errorf("GET %s: listed %d keys, want ≤ %d", p.path, c.Listed, lim)
		}
	}
}
