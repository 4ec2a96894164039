package reports

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jinnang/jinnang/portal/store"
)

func TestReports(t *testing.T) {
	st, err := store.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s := New(st, nil)
	ctx := context.Background()
	me := Person{ID: "dev:chenchen", Name: "陈晨", Department: "销售部"}
	if _, err := s.Create(ctx, me, "财务部", "  ", ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("empty report without a video: %v", err)
	}
	if _, err := s.Create(ctx, me, "财务部", strings.Repeat("字", MaxText+1), ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("long report: %v", err)
	}
	r, err := s.Create(ctx, me, "财务部", "", "aaaaaaaaaaaaaaaa")
	if err != nil || r.Status != StatusReceived {
		t.Fatalf("video-only report: %+v %v", r, err)
	}
	if _, err := s.Create(ctx, me, "技术部", "网络慢", ""); err != nil {
		t.Fatal(err)
	}
	fin, _ := s.ForDepartment(ctx, "财务部")
	tech, _ := s.ForDepartment(ctx, "技术部")
	mine, _ := s.Mine(ctx, me.ID)
	if len(fin) != 1 || fin[0].ID != r.ID || len(tech) != 1 || len(mine) != 2 {
		t.Errorf("lists: 财务部 %d, 技术部 %d, mine %d", len(fin), len(tech), len(mine))
	}
	if _, err := s.SetStatus(ctx, r.ID, "lost"); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown status: %v", err)
	}
	if r, err = s.SetStatus(ctx, r.ID, StatusResolved); err != nil || r.Status != StatusResolved {
		t.Fatal(r, err)
	}
	if r, err = s.Reply(ctx, r.ID, Person{ID: "dev:wangmin", Name: "王敏"}, true, "已处理"); err != nil || len(r.Thread) != 1 || !r.Thread[0].Manager {
		t.Fatal(r, err)
	}
	if _, err := s.Get(ctx, "../x"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("bad id: %v", err)
	}
}
