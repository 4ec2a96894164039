package people

import (
	"context"
	"slices"
	"testing"

	"github.com/jinnang/jinnang/portal/store"
)

// TestMoveDepartment: the members of 财务部 move to 综合部 (rosters,
// person records, counts, department list); a stale roster entry of
// someone already elsewhere is dropped, not moved; running it again
// changes nothing.
func TestMoveDepartment(t *testing.T) {
	st, err := store.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	d := New(st, nil)
	ctx := context.Background()
	if _, err := d.Backfill(ctx, func(func(Profile, error) bool) {}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.Counts(ctx); err != nil { // the counts record exists: each roster write keeps it
		t.Fatal(err)
	}
	for _, p := range [][3]string{{"dev:a", "甲", "财务部"}, {"dev:b", "乙", "财务部"}, {"dev:c", "丙", "综合部"}} {
		if err := d.Join(ctx, p[0], p[1], p[2]); err != nil {
			t.Fatal(err)
		}
	}
	// A stale entry: 乙 is listed under 财务部 but is in 技术部 now.
	if err := d.Join(ctx, "dev:b", "乙", "技术部"); err != nil {
		t.Fatal(err)
	}
	if err := d.upsert(ctx, rosterKey("财务部"), "财务部", func(r *roster) { r.Members["dev:b"] = Member{ID: "dev:b", Name: "乙", Department: "财务部"} }); err != nil {
		t.Fatal(err)
	}
	n, err := d.MoveDepartment(ctx, "财务部", "综合部")
	if err != nil || n != 1 {
		t.Fatalf("move: %d %v, want 1", n, err)
	}
	ids := func(dept string) []string {
		ms, err := d.Members(ctx, dept)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range ms {
			out = append(out, m.ID)
		}
		slices.Sort(out)
		return out
	}
	if got := ids("财务部"); len(got) != 0 {
		t.Errorf("财务部 after the move: %v", got)
	}
	if got := ids("综合部"); !slices.Equal(got, []string{"dev:a", "dev:c"}) {
		t.Errorf("综合部 after the move: %v", got)
	}
	if got := ids("技术部"); !slices.Equal(got, []string{"dev:b"}) {
		t.Errorf("技术部 after the move: %v", got)
	}
	if names, _ := d.Departments(ctx); slices.Contains(names, "财务部") {
		t.Errorf("department list: %v", names)
	}
	counts, _, err := d.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if counts["综合部"] != 2 || counts["财务部"] != 0 {
		t.Errorf("counts after the move: %v", counts)
	}
	if n, err := d.MoveDepartment(ctx, "财务部", "综合部"); err != nil || n != 0 {
		t.Errorf("second move: %d %v", n, err)
	}
}
