package suggest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/store"
)

func TestInboxPagesNewestFirstWithBoundedReads(t *testing.T) {
	disk, err := store.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cs := store.Counting(disk)
	day := time.Date(2026, 1, 20, 12, 0, 0, 0, time.UTC)
	s, err := New(cs, []byte(strings.Repeat("k", 32)), Options{Clock: func() time.Time { return day }, KDF: KDF{Time: 1, Memory: 1024, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	box, err := s.CreateBox(ctx, "食堂", "", []string{"饭菜"})
	if err != nil {
		t.Fatal(err)
	}
	// 40 suggestions, one a day back from 2026-01-20 over two months; every
	// fourth in the category 饭菜.
	const n = 40
	start := day
	for i := range n {
		day = start.AddDate(0, 0, -i)
		cat := ""
		if i%4 == 0 {
			cat = "饭菜"
		}
		if _, _, err := s.Submit(ctx, box.ID, cat, fmt.Sprintf("建议%02d", i)); err != nil {
			t.Fatal(err)
		}
	}
	day = start
	var seen []string
	next, pages := "", 0
	for {
		cs.Reset()
		res, err := s.Inbox(ctx, Filter{}, next)
		if err != nil {
			t.Fatal(err)
		}
		if ops := cs.Counts().Ops(); ops > InboxPage+6 {
			t.Errorf("page %d: %d store ops", pages, ops)
		}
		for _, sg := range res.Items {
			seen = append(seen, sg.Body)
		}
		pages++
		if next = res.Next; next == "" || pages > 10 {
			break
		}
	}
	if len(seen) != n || seen[0] != "建议00" || seen[n-1] != "建议39" {
		t.Fatalf("%d pages, seen %d: %v", pages, len(seen), seen)
	}
	for i := 1; i < n; i++ {
		if seen[i] <= seen[i-1] {
			t.Fatalf("not newest first: %v", seen)
		}
	}
	res, err := s.Inbox(ctx, Filter{Category: "饭菜"}, "")
	if err != nil || len(res.Items) != 10 || res.Items[0].Body != "建议00" || res.Items[9].Body != "建议36" {
		t.Errorf("filtered: %d %v", len(res.Items), err)
	}
	// A store from before the markers: they are rebuilt on the first call.
	for obj, err := range disk.List(ctx, daysPrefix) {
		if err != nil {
			t.Fatal(err)
		}
		if err := disk.Delete(ctx, obj.Key); err != nil {
			t.Fatal(err)
		}
	}
	if res, err := s.Inbox(ctx, Filter{}, ""); err != nil || len(res.Items) != InboxPage || res.Items[0].Body != "建议00" {
		t.Errorf("after losing the markers: %d %v", len(res.Items), err)
	}
	// A store from before the newest-first markers: a new process rebuilds
	// them on its first call, and pages are newest first again.
	for _, p := range []string{newestPrefix, newestDone} {
		for obj, err := range disk.List(ctx, p) {
			if err != nil {
				t.Fatal(err)
			}
			if err := disk.Delete(ctx, obj.Key); err != nil {
				t.Fatal(err)
			}
		}
	}
	s2, err := New(cs, []byte(strings.Repeat("k", 32)), Options{Clock: func() time.Time { return day }, KDF: KDF{Time: 1, Memory: 1024, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := s2.Inbox(ctx, Filter{}, ""); err != nil || len(res.Items) != InboxPage || res.Items[0].Body != "建议00" || res.Items[InboxPage-1].Body != "建议14" {
		t.Errorf("after losing the newest-first markers: %d %v", len(res.Items), err)
	}
	// A busy day does not make a page cost more: 300 more suggestions today.
	for i := range 300 {
		if _, _, err := s.Submit(ctx, box.ID, "", fmt.Sprintf("今天%03d", i)); err != nil {
			t.Fatal(err)
		}
	}
	cs.Reset()
	if res, err := s.Inbox(ctx, Filter{}, ""); err != nil || len(res.Items) != InboxPage {
		t.Fatalf("busy day: %d %v", len(res.Items), err)
	} else if c := cs.Counts(); c.Ops() > InboxPage+6 || c.Listed > 2*InboxPage+4 {
		t.Errorf("busy day: %d store ops, %d keys listed", c.Ops(), c.Listed)
	}
	if _, err := s.Inbox(ctx, Filter{}, "../etc"); err == nil {
		t.Error("bad cursor accepted")
	}
}
