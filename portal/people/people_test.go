package people

import (
	"context"
	"sync"
	"testing"

	"github.com/jinnang/jinnang/portal/store"
)

func TestJoinMoveLeave(t *testing.T) {
	st, err := store.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	d := New(st, nil)
	ctx := context.Background()
	var wg sync.WaitGroup
	for _, p := range [][3]string{{"dev:a", "甲", "财务部"}, {"dev:b", "乙", "财务部"}, {"dev:c", "丙", "技术部"}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := d.Join(ctx, p[0], p[1], p[2]); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	names := func(dept string) string {
		ms, err := d.Members(ctx, dept)
		if err != nil {
			t.Fatal(err)
		}
		s := ""
		for _, m := range ms {
			s += m.Name
		}
		return s
	}
	if got := names("财务部"); got != "乙甲" && got != "甲乙" {
		t.Errorf("财务部: %q", got)
	}
	if err := d.Join(ctx, "dev:b", "乙", "技术部"); err != nil {
		t.Fatal(err)
	}
	if names("财务部") != "甲" || len(names("技术部")) != len("乙丙") {
		t.Errorf("after a move: %q / %q", names("财务部"), names("技术部"))
	}
	if ds, _ := d.Departments(ctx); len(ds) != 2 {
		t.Errorf("departments %q", ds)
	}
	if err := d.Leave(ctx, "dev:a"); err != nil {
		t.Fatal(err)
	}
	if names("财务部") != "" {
		t.Errorf("after leaving: %q", names("财务部"))
	}
}

func TestBackfillOnce(t *testing.T) {
	st, err := store.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	d := New(st, nil)
	ctx := context.Background()
	src := func(ps ...Profile) func(func(Profile, error) bool) {
		return func(yield func(Profile, error) bool) {
			for _, p := range ps {
				if !yield(p, nil) {
					return
				}
			}
		}
	}
	if n, err := d.Backfill(ctx, src(Profile{"dev:a", "甲", "财务部"}, Profile{"dev:b", "乙", "销售部"})); n != 2 || err != nil {
		t.Fatalf("backfill: %d %v", n, err)
	}
	if n, _ := d.Backfill(ctx, src(Profile{"dev:c", "丙", "财务部"})); n != 0 {
		t.Errorf("second backfill: %d", n)
	}
	if ms, _ := d.Members(ctx, "销售部"); len(ms) != 1 || ms[0].Name != "乙" {
		t.Errorf("members %+v", ms)
	}
}
