package polls

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/auth"
	"github.com/jinnang/jinnang/portal/store"
)

func TestListPagesFromTheCatalogueWithoutListingVotes(t *testing.T) {
	disk, err := store.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cs := store.Counting(disk)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s, err := New(cs, bytes.Repeat([]byte{4}, 32), nil, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	owner := auth.User{ID: "dev:owner", Department: "人力资源部"}
	// 30 polls: even ones open (deadline i hours ahead), odd ones closed.
	for i := range 30 {
		d := now.Add(time.Duration(i+1) * time.Hour)
		if i%2 == 1 {
			d = now.Add(-time.Duration(i+1) * time.Hour)
		}
		p, err := s.Create(ctx, Poll{Title: fmt.Sprintf("投票%02d", i), Mode: Anonymous, Deadline: d, Owner: owner.ID, OwnerDept: owner.Department,
			Questions: []Question{{Text: "去哪", Kind: Single, Options: []string{"山", "海"}}}})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 || i == 2 { // open polls with votes under polls/
			for j := range 50 {
				if err := s.Vote(ctx, p, auth.User{ID: fmt.Sprintf("dev:v%02d", j), Department: "销售部"}, []Answer{{Choices: []int{0}}}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	viewer := &auth.User{ID: "dev:v00", Department: "销售部"}
	// The first list of a store builds the catalogue once (it cannot know
	// the polls were all made with markers); later lists only read it.
	if _, _, err := s.ListPage(ctx, viewer, 0); err != nil {
		t.Fatal(err)
	}
	var titles []string
	from, pages := 0, 0
	for {
		cs.Reset()
		list, next, err := s.ListPage(ctx, viewer, from)
		if err != nil {
			t.Fatal(err)
		}
		if c := cs.Counts(); c.Listed > 40 || c.Ops() > ListPage+3 {
			t.Errorf("page %d: %+v", pages, c)
		}
		for _, p := range list {
			titles = append(titles, p.Title)
		}
		pages++
		if from = next; from == 0 || pages > 5 {
			break
		}
	}
	if pages != 2 || len(titles) != 30 {
		t.Fatalf("%d pages, %d polls: %v", pages, len(titles), titles)
	}
	// Open first, soonest deadline first; then closed, latest first.
	if titles[0] != "投票00" || titles[14] != "投票28" || titles[15] != "投票01" || titles[29] != "投票29" {
		t.Errorf("order: %v", titles)
	}
	// A store from before the catalogue: built on the first list.
	for obj, err := range disk.List(ctx, catalogPrefix) {
		if err != nil {
			t.Fatal(err)
		}
		if err := disk.Delete(ctx, obj.Key); err != nil {
			t.Fatal(err)
		}
	}
	if err := disk.Delete(ctx, catalogBuilt); err != nil {
		t.Fatal(err)
	}
	s2, err := New(cs, bytes.Repeat([]byte{4}, 32), nil, func() time.Time { return now }) // a new process
	if err != nil {
		t.Fatal(err)
	}
	if list, _, err := s2.ListPage(ctx, viewer, 0); err != nil || len(list) != ListPage || list[0].Title != "投票00" {
		t.Errorf("after losing the catalogue: %d %v", len(list), err)
	}
}

// TestCatalogueListingReusedAcrossViews: a process reuses its listing of
// the catalogue for catalogTTL (a page then reads only its polls); a poll
// created through it shows at once, one created through another process
// once the listing is older than catalogTTL.
func TestCatalogueListingReusedAcrossViews(t *testing.T) {
	disk, err := store.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cs := store.Counting(disk)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	a, err := New(cs, bytes.Repeat([]byte{4}, 32), nil, clock)
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(cs, bytes.Repeat([]byte{4}, 32), nil, clock) // another process
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	owner := auth.User{ID: "dev:owner", Department: "人力资源部"}
	create := func(s *Service, i int) {
		t.Helper()
		if _, err := s.Create(ctx, Poll{Title: fmt.Sprintf("投票%02d", i), Mode: Anonymous, Deadline: now.Add(time.Duration(i+1) * time.Hour),
			Owner: owner.ID, OwnerDept: owner.Department, Questions: []Question{{Text: "去哪", Kind: Single, Options: []string{"山", "海"}}}}); err != nil {
			t.Fatal(err)
		}
	}
	count := func() int {
		t.Helper()
		list, _, err := a.ListPage(ctx, &owner, 0)
		if err != nil {
			t.Fatal(err)
		}
		return len(list)
	}
	for i := range 3 {
		create(a, i)
	}
	if n := count(); n != 3 {
		t.Fatalf("%d polls, want 3", n)
	}
	cs.Reset()
	if n := count(); n != 3 {
		t.Fatalf("%d polls, want 3", n)
	}
	if c := cs.Counts(); c.List != 0 || c.Stat != 0 || c.Get != 3 {
		t.Errorf("a list within catalogTTL: %+v, want 3 gets and no list or stat", c)
	}
	create(a, 3)
	if n := count(); n != 4 {
		t.Errorf("a poll created here: %d polls, want 4 at once", n)
	}
	create(b, 4)
	if n := count(); n != 4 {
		t.Errorf("within catalogTTL: %d polls, want the listing's 4", n)
	}
	a.cat.mu.Lock()
	a.cat.at = a.cat.at.Add(-catalogTTL)
	a.cat.mu.Unlock()
	if n := count(); n != 5 {
		t.Errorf("after catalogTTL: %d polls, want 5 (one from the other process)", n)
	}
}
