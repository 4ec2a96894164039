package reports

import (
	"context"
	"strings"
	"testing"

	"github.com/jinnang/jinnang/portal/store"
)

// TestMoveDepartment: reports to 财务部, open and resolved, are addressed
// to 综合部 and listed there; a report half-moved (marker under both) is
// finished; the reporter's From stays; a second run moves nothing.
func TestMoveDepartment(t *testing.T) {
	st, err := store.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s := New(st, nil)
	ctx := context.Background()
	me := Person{ID: "dev:chenchen", Name: "陈晨", Department: "销售部"}
	open, err := s.Create(ctx, me, "财务部", "发票机坏了", "")
	if err != nil {
		t.Fatal(err)
	}
	done, err := s.Create(ctx, me, "财务部", "报销慢", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetStatus(ctx, done.ID, StatusResolved); err != nil {
		t.Fatal(err)
	}
	other, err := s.Create(ctx, me, "技术部", "网络慢", "")
	if err != nil {
		t.Fatal(err)
	}
	// Half-moved: its marker under 综合部 already, the report not yet.
	if _, err := st.Put(ctx, deptPrefix("综合部")+open.ID, strings.NewReader(""), store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.MoveDepartment(ctx, "财务部", "综合部"); err != nil || n != 2 {
		t.Fatalf("move: %d %v", n, err)
	}
	for _, id := range []string{open.ID, done.ID} {
		r, err := s.Get(ctx, id)
		if err != nil || r.Department != "综合部" || r.From != "销售部" {
			t.Errorf("report %s after the move: %+v %v", id, r, err)
		}
	}
	if r, _ := s.Get(ctx, other.ID); r.Department != "技术部" {
		t.Errorf("a report to 技术部 moved: %q", r.Department)
	}
	for dept, want := range map[string]int{"财务部": 0, "综合部": 2, "技术部": 1} {
		if l, err := s.ForDepartment(ctx, dept); err != nil || len(l) != want {
			t.Errorf("%s lists %d reports (%v), want %d", dept, len(l), err, want)
		}
	}
	if n, err := s.MoveDepartment(ctx, "财务部", "综合部"); err != nil || n != 0 {
		t.Errorf("second move: %d %v", n, err)
	}
}
