package files

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jinnang/jinnang/portal/store"
)

// TestMoveDepartment: the files of from move to to, to takes from's intro
// and QR image when it has none, from's record is gone, and running the
// move again (as after an interruption) changes nothing more.
func TestMoveDepartment(t *testing.T) {
	ctx := context.Background()
	s, _ := newService(t, diskStore(t))
	if err := s.SaveDepartment(ctx, Department{Name: "财务部", Intro: "报销找我们。"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetDepartmentQR(ctx, "财务部", bytes.NewReader(pngOf(t))); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveDepartment(ctx, Department{Name: "综合部"}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, d := range []string{"财务部", "财务部", "技术部"} {
		f, err := s.Upload(ctx, UploadInput{Department: d, Title: "t", Name: "a.txt", Body: strings.NewReader("x"), By: "dev:a"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, f.ID)
	}
	if _, err := s.MoveDepartment(ctx, "财务部", "财务部"); !errors.Is(err, ErrDeptName) {
		t.Errorf("move into itself: %v", err)
	}
	n, err := s.MoveDepartment(ctx, "财务部", "综合部")
	if err != nil || n != 2 {
		t.Fatalf("MoveDepartment = %d, %v; want 2", n, err)
	}
	for i, want := range []string{"综合部", "综合部", "技术部"} {
		if f, err := s.Get(ctx, ids[i]); err != nil || f.Department != want {
			t.Errorf("file %d: %v %v, want %s", i, f, err, want)
		}
	}
	d, err := s.Department(ctx, "综合部")
	if err != nil || d.Intro != "报销找我们。" || !d.HasQR {
		t.Errorf("综合部 = %+v %v", d, err)
	}
	if _, err := s.Department(ctx, "财务部"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("财务部 after the move: %v", err)
	}
	if n, err := s.MoveDepartment(ctx, "财务部", "综合部"); err != nil || n != 0 {
		t.Errorf("second move = %d, %v", n, err)
	}
}
