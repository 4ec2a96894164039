package polls

import (
	"context"
	"fmt"
	"maps"
	"testing"

	"github.com/jinnang/jinnang/portal/auth"
	"github.com/jinnang/jinnang/portal/people"
	"github.com/jinnang/jinnang/portal/store"
)

func TestProfileMembersFromTheDirectoryOnceComplete(t *testing.T) {
	disk, err := store.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cs := store.Counting(disk)
	ctx := context.Background()
	users, dir := auth.NewUsers(cs, nil), people.New(cs, nil)
	want := map[string]int{}
	for i := range 90 {
		u := auth.User{ID: fmt.Sprintf("dev:u%02d", i), Name: "某人", Department: []string{"财务部", "技术部", "销售部"}[i%3]}
		if _, err := users.Touch(ctx, u); err != nil {
			t.Fatal(err)
		}
		if err := dir.Join(ctx, u.ID, u.Name, u.Department); err != nil {
			t.Fatal(err)
		}
		want[u.Department]++
	}
	members := ProfileMembers(cs)
	// Before the directory is marked complete: the profiles (one read each).
	cs.Reset()
	got, err := members(ctx)
	if err != nil || !maps.Equal(got, want) {
		t.Fatalf("from profiles: %v %v", got, err)
	}
	if ops := cs.Counts().Ops(); ops < 90 {
		t.Errorf("profiles path read only %d objects", ops)
	}
	if _, err := dir.Backfill(ctx, func(func(people.Profile, error) bool) {}); err != nil {
		t.Fatal(err)
	}
	cs.Reset()
	if got, err = members(ctx); err != nil || !maps.Equal(got, want) {
		t.Fatalf("from the directory: %v %v", got, err)
	}
	if ops := cs.Counts().Ops(); ops != 7 {
		t.Errorf("directory path, first: %d store ops, want 7 (marker, counts, names, 3 rosters, counts written)", ops)
	}
	// Then the counts record alone, kept by the roster writes: a move, a
	// newcomer in a new department, a leaver.
	for _, j := range []struct{ id, dept string }{{"dev:u00", "技术部"}, {"dev:new", "行政部"}} {
		if err := dir.Join(ctx, j.id, "某人", j.dept); err != nil {
			t.Fatal(err)
		}
	}
	if err := dir.Leave(ctx, "dev:u01"); err != nil {
		t.Fatal(err)
	}
	want["财务部"]--
	want["技术部"]++
	want["行政部"] = 1
	want["技术部"]--
	for range 2 {
		cs.Reset()
		if got, err = members(ctx); err != nil || !maps.Equal(got, want) {
			t.Fatalf("after moves: %v, want %v (%v)", got, want, err)
		}
		if ops := cs.Counts().Ops(); ops != 2 {
			t.Errorf("directory path: %d store ops, want 2 (marker, counts)", ops)
		}
		// A rebuild from the rosters agrees.
		if err := dir.RebuildCounts(ctx); err != nil {
			t.Fatal(err)
		}
	}
}
