package wecom_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/wecom"
	"github.com/jinnang/jinnang/portal/wecom/wecomtest"
)

func TestDirectorySync(t *testing.T) {
	c := newClock()
	f := newFake(t, c)
	st := newStore(t)
	var left []wecom.Person
	dir := wecom.NewDirectory(st, newClient(t, f, c), wecom.DirectoryOptions{Now: c.Now, Log: quiet,
		OnLeft: func(_ context.Context, p wecom.Person) error { left = append(left, p); return nil }})
	ctx := context.Background()

	if _, err := dir.Members(ctx); !errors.Is(err, wecom.ErrNotSynced) {
		t.Fatalf("before the first sync: %v, want ErrNotSynced", err)
	}
	res, err := dir.Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Departments != 4 || res.People != 4 || res.Joined != 4 || res.Limited {
		t.Errorf("first sync %+v", res)
	}
	// One user/list per department: the departments page through the company.
	if n := f.Calls("/cgi-bin/user/list"); n != 4 {
		t.Errorf("user/list called %d times, want once per department", n)
	}
	p, ok, err := dir.Lookup(ctx, "SunLi")
	if err != nil || !ok || p.Name != "孙丽" || p.Department != "销售部" || !slices.Equal(p.Departments, []int{2, 3}) || p.Status != wecom.StatusInactive {
		t.Errorf("SunLi: %+v %v %v", p, ok, err)
	}
	// Members count everyone, also people who never signed in (and the
	// not-yet-activated 孙丽).
	m, err := dir.Members(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if m["销售部"] != 2 || m["财务部"] != 1 || m["华东区"] != 1 {
		t.Errorf("members %v", m)
	}
	ids, missing, err := dir.Parties(ctx, []string{"销售部", "行政部"})
	if err != nil || !slices.Equal(ids, []string{"3"}) || !slices.Equal(missing, []string{"行政部"}) {
		t.Errorf("parties %v missing %v %v", ids, missing, err)
	}
	users, err := dir.UsersIn(ctx, []string{"3"})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(users)
	if !slices.Equal(users, []string{"ChenChen", "SunLi", "ZhaoLei"}) { // 华东区 is under 销售部
		t.Errorf("users in party 3: %v", users)
	}

	// An admin maps the WeCom department 华东区 to the portal's 销售部.
	if err := dir.SetMapping(ctx, 4, "销售部"); err != nil {
		t.Fatal(err)
	}
	m, _ = dir.Members(ctx)
	if m["销售部"] != 3 || m["华东区"] != 0 {
		t.Errorf("members after mapping %v", m)
	}
	if ids, _, _ := dir.Parties(ctx, []string{"销售部"}); !slices.Equal(ids, []string{"3", "4"}) {
		t.Errorf("parties after mapping %v", ids)
	}

	// 赵磊 leaves the company, 陈晨's account shows 退出企业, 周杰 joins.
	c.Add(24 * time.Hour)
	f.SetDirectory(testDepts, []wecomtest.Member{
		{UserID: "WangMin", Name: "王敏", Departments: []int{2}, Status: 1},
		{UserID: "ChenChen", Name: "陈晨", Departments: []int{3}, Status: 5},
		{UserID: "SunLi", Name: "孙丽", Departments: []int{3, 2}, Status: 1},
		{UserID: "ZhouJie", Name: "周杰", Departments: []int{3}, Status: 1},
	})
	res, err = dir.Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(res.Left)
	if !slices.Equal(res.Left, []string{"赵磊", "陈晨"}) || res.Joined != 1 || res.People != 3 {
		t.Errorf("second sync %+v", res)
	}
	if len(left) != 2 || !slices.ContainsFunc(left, func(p wecom.Person) bool { return p.UserID == "ZhaoLei" && p.Department == "销售部" }) {
		t.Errorf("OnLeft told %+v", left)
	}
	zl, ok, _ := dir.Lookup(ctx, "ZhaoLei")
	if !ok || zl.Active() || !zl.LeftAt.Equal(c.Now()) {
		t.Errorf("赵磊 after leaving: %+v", zl)
	}
	// A third sync does not report them again.
	left = nil
	if res, _ := dir.Sync(ctx); len(res.Left) != 0 || len(left) != 0 {
		t.Errorf("left reported twice: %+v %v", res, left)
	}
	last, err := dir.LastSync(ctx)
	if err != nil || !last.OK || last.People != 3 {
		t.Errorf("last sync %+v %v", last, err)
	}
}

// TestDirectoryShrinkGuard: the app's visible range is narrowed by mistake
// and WeCom suddenly lists a handful of people; nobody is marked as left.
func TestDirectoryShrinkGuard(t *testing.T) {
	c := newClock()
	f := newFake(t, c)
	var many []wecomtest.Member
	for i := range 40 {
		many = append(many, wecomtest.Member{UserID: fmt.Sprintf("u%02d", i), Name: fmt.Sprintf("员工%d", i), Departments: []int{3}, Status: 1})
	}
	f.SetDirectory(testDepts, many)
	dir := wecom.NewDirectory(newStore(t), newClient(t, f, c), wecom.DirectoryOptions{Now: c.Now, Log: quiet})
	ctx := context.Background()
	if _, err := dir.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	f.SetDirectory(testDepts, many[:5])
	if _, err := dir.Sync(ctx); !errors.Is(err, wecom.ErrShrunk) {
		t.Fatalf("sync after the shrink: %v, want ErrShrunk", err)
	}
	if m, _ := dir.Members(ctx); m["销售部"] != 40 {
		t.Errorf("members after the refused sync: %v", m)
	}
	if last, _ := dir.LastSync(ctx); last.OK || last.Error == "" {
		t.Errorf("last sync %+v should record the refusal", last)
	}
}

// TestDirectoryWithoutDetailPermission: an app that may not call user/list
// falls back to user/simplelist (names and departments, no status).
func TestDirectoryWithoutDetailPermission(t *testing.T) {
	c := newClock()
	f := newFake(t, c)
	f.DenyDetail(true)
	dir := wecom.NewDirectory(newStore(t), newClient(t, f, c), wecom.DirectoryOptions{Now: c.Now, Log: quiet})
	res, err := dir.Sync(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !res.Limited || res.People != 4 {
		t.Errorf("%+v, want a limited sync of 4 people", res)
	}
	p, ok, _ := dir.Lookup(context.Background(), "ChenChen")
	if !ok || p.Name != "陈晨" || p.Department != "销售部" || !p.Active() {
		t.Errorf("ChenChen: %+v", p)
	}
}
