package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/auth"
	"github.com/jinnang/jinnang/portal/files"
	"github.com/jinnang/jinnang/portal/people"
	"github.com/jinnang/jinnang/portal/polls"
	"github.com/jinnang/jinnang/portal/reports"
	"github.com/jinnang/jinnang/portal/store"
)

// TestAdminMergeMovesTheRest: merging 财务部 into 综合部 also moves the
// polls (audience, owning department, the vote's department and the
// tally's count), the 一线上报 report and its listing, the group robot,
// people's profiles and the directory roster; a merge cut short after the
// polls step (the polls moved, nothing else) is finished by posting the
// merge, without counting the vote twice.
func TestAdminMergeMovesTheRest(t *testing.T) {
	rst, err := store.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	rs := reports.New(rst, nil)
	ts, _ := newNotifyServer(t, func(o *Options) { realPacks(o); o.Reports = rs })
	ctx := context.Background()
	for _, d := range []files.Department{{Name: "财务部"}, {Name: "综合部"}} {
		if err := ts.files.SaveDepartment(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	ps := ts.opts.Polls.(*polls.Service)
	p, err := ps.Create(ctx, polls.Poll{Title: "年会去哪", Questions: []polls.Question{{Text: "地点", Kind: polls.Single, Options: []string{"海边", "山里"}}},
		Departments: []string{"技术部", "财务部"}, OwnerDept: "财务部", Deadline: testNow.Add(7 * 24 * time.Hour), Mode: polls.Anonymous, Owner: financeEd.ID})
	if err != nil {
		t.Fatal(err)
	}
	if err := ps.Vote(ctx, p, financeEd, []polls.Answer{{Choices: []int{0}}}); err != nil {
		t.Fatal(err)
	}
	r, err := rs.Create(ctx, reports.Person{ID: employee.ID, Name: employee.Name, Department: employee.Department}, "财务部", "发票机坏了", "")
	if err != nil {
		t.Fatal(err)
	}
	hook := "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=finance"
	nf := ts.opts.Notify.(interface {
		SetGroupHook(ctx context.Context, dept, webhook string) error
	})
	if err := nf.SetGroupHook(ctx, "财务部", hook); err != nil {
		t.Fatal(err)
	}
	dir := ts.opts.People.(*people.Directory)
	if err := dir.Join(ctx, financeEd.ID, financeEd.Name, "财务部"); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.opts.Auth.Users.Touch(ctx, financeEd); err != nil {
		t.Fatal(err)
	}

	// Cut short after the polls: run that step alone first.
	if n, err := ps.MoveDepartment(ctx, "财务部", "综合部"); err != nil || n != 1 {
		t.Fatalf("polls step: %d %v", n, err)
	}
	if rec := ts.postForm(ts.signIn(admin), "/admin/departments/"+url.PathEscape("财务部")+"/merge", url.Values{"into": {"综合部"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("merge: %d\n%s", rec.Code, rec.Body.String())
	}

	got, err := ps.Get(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Departments, []string{"技术部", "综合部"}) || got.OwnerDept != "综合部" {
		t.Errorf("poll after merge: audience %v, owner %q", got.Departments, got.OwnerDept)
	}
	res, err := ps.Results(ctx, got)
	if err != nil {
		t.Fatal(err)
	}
	voted := map[string]int{}
	for _, d := range res.Depts {
		voted[d.Department] = d.Voted
	}
	if voted["综合部"] != 1 || voted["财务部"] != 0 || res.Votes != 1 {
		t.Errorf("poll counts after merge: %v, %d votes", voted, res.Votes)
	}
	if err := ps.RebuildTally(ctx, got); err != nil { // the votes agree with the tally
		t.Fatal(err)
	}
	if res, _ = ps.Results(ctx, got); len(res.Depts) != 2 || res.Depts[1].Department != "综合部" || res.Depts[1].Voted != 1 {
		t.Errorf("poll counts rebuilt from the votes: %+v", res.Depts)
	}

	if rr, err := rs.Get(ctx, r.ID); err != nil || rr.Department != "综合部" || rr.From != employee.Department {
		t.Errorf("report after merge: %+v %v", rr, err)
	}
	for dept, want := range map[string]int{"财务部": 0, "综合部": 1} {
		if l, err := rs.ForDepartment(ctx, dept); err != nil || len(l) != want {
			t.Errorf("reports addressed to %s: %d %v, want %d", dept, len(l), err, want)
		}
	}

	hooks, err := ts.opts.Notify.GroupHooks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(hooks) != 1 || hooks[0].Department != "综合部" || hooks[0].URL != hook {
		t.Errorf("group robots after merge: %+v", hooks)
	}

	if prof, err := ts.opts.Auth.Users.Get(ctx, financeEd.ID); err != nil || prof.Department != "综合部" {
		t.Errorf("profile after merge: %+v %v", prof, err)
	}
	if ms, _ := dir.Members(ctx, "财务部"); len(ms) != 0 {
		t.Errorf("财务部 still has members: %v", ms)
	}
	if ms, _ := dir.Members(ctx, "综合部"); len(ms) != 1 || ms[0].ID != financeEd.ID {
		t.Errorf("综合部 members: %v", ms)
	}
	if names, _ := dir.Departments(ctx); slices.Contains(names, "财务部") {
		t.Errorf("directory departments after merge: %v", names)
	}
	tok := ts.signIn(auth.User{ID: financeEd.ID, Name: financeEd.Name, Department: "综合部"})
	if me := ts.send(tok, http.MethodGet, "/me", nil, nil).Body.String(); !strings.Contains(me, "综合部") {
		t.Error("/me does not show the merged department")
	}
}

// TestAdminMergeRemapsWeCom: a merge points the WeCom departments that
// mapped to the merged department at the target (else the next sync would
// bring it back); before the first sync there is nothing to remap and the
// merge goes through.
func TestAdminMergeRemapsWeCom(t *testing.T) {
	wa := &fakeWeComAdmin{mapping: map[int]string{}}
	ts, _ := newNotifyServer(t, func(o *Options) { o.WeComAdmin = wa })
	ctx := context.Background()
	for _, d := range []string{"华东区", "综合部", "临时组"} {
		if err := ts.files.SaveDepartment(ctx, files.Department{Name: d}); err != nil {
			t.Fatal(err)
		}
	}
	tok := ts.signIn(admin)
	if rec := ts.postForm(tok, "/admin/departments/"+url.PathEscape("临时组")+"/merge", url.Values{"into": {"综合部"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("merge before any sync: %d", rec.Code)
	}
	if _, err := wa.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if rec := ts.postForm(tok, "/admin/departments/"+url.PathEscape("华东区")+"/merge", url.Values{"into": {"综合部"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("merge: %d", rec.Code)
	}
	if got := wa.mapping; len(got) != 1 || got[4] != "综合部" {
		t.Errorf("WeCom mapping after the merge: %v, want 4 → 综合部 only", got)
	}
}
