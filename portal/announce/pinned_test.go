package announce

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/index/bleveindex"
	"github.com/jinnang/jinnang/portal/markdown"
	"github.com/jinnang/jinnang/portal/store"
)

func ids(r Result) []string {
	out := []string{}
	for _, a := range r.Items {
		out = append(out, a.ID)
	}
	return out
}

// TestListPageAgreesWithFullList checks the bounded page (pinned record,
// keys walked until the page is full, total from the index) against the
// full listing, for every page of several queries, after pins and unpins
// through another process, deletes and a lost record; and that a page
// makes a bounded number of store operations.
func TestListPageAgreesWithFullList(t *testing.T) {
	ctx := context.Background()
	disk, err := store.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cs := store.Counting(disk)
	ix, err := bleveindex.Open("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ix.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	clock := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	s := New(cs, markdown.New(), now)
	s.UseIndex(ix, log)
	other := New(cs, markdown.New(), now) // a second portal process
	other.UseIndex(ix, log)

	depts := []string{"财务部", "技术部", "人力资源部"}
	r := rand.New(rand.NewPCG(1, 2))
	var made []*Announcement
	for i := range 70 {
		in := Input{Title: fmt.Sprintf("通知 %d", i), Body: "正文", By: "dev:admin", Pinned: r.IntN(9) == 0}
		switch r.IntN(3) {
		case 0:
			in.Everyone = true
		case 1:
			in.Targets = []string{depts[r.IntN(3)]}
		default:
			in.Targets = []string{depts[r.IntN(3)], depts[r.IntN(3)]}
		}
		if r.IntN(6) == 0 {
			in.Expires = clock.AddDate(0, 0, r.IntN(3))
		}
		svc := s
		if i%2 == 1 {
			svc = other
		}
		a, err := svc.Create(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		made = append(made, a)
		clock = clock.Add(time.Minute)
	}
	queries := map[string]Query{
		"admin":            {Any: true},
		"财务部+everyone":     {Everyone: true, Departments: []string{"财务部"}},
		"everyone":         {Everyone: true},
		"技术部+人力 editor":    {Everyone: true, Departments: []string{"技术部", "人力资源部"}},
		"admin, later":     {Any: true, Now: clock.AddDate(0, 0, 1)},
		"财务部, two days on": {Everyone: true, Departments: []string{"财务部"}, Now: clock.AddDate(0, 0, 2)},
	}
	agree := func(when string) {
		t.Helper()
		for name, q := range queries {
			if q.Now.IsZero() {
				q.Now = clock
			}
			full, err := s.listAll(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, limit := range []int{3, 20} {
				for off := 0; off <= len(full.Items)+limit; off += limit {
					q.Offset, q.Limit = off, limit
					for _, svc := range []*Service{s, other} {
						got, err := svc.List(ctx, q)
						if err != nil {
							t.Fatalf("%s: %s offset %d: %v", when, name, off, err)
						}
						lo, hi := min(off, len(full.Items)), min(off+limit, len(full.Items))
						// The total is the index's count, which the process
						// that did not write reuses for countTTL.
						stale := svc == s && when != "after creates"
						if want := ids(Result{Items: full.Items[lo:hi]}); !slices.Equal(ids(got), want) || (got.Total != full.Total && !stale) {
							t.Fatalf("%s: %s offset %d limit %d = %q (total %d), want %q (total %d)", when, name, off, limit, ids(got), got.Total, want, full.Total)
						}
					}
				}
			}
		}
	}
	agree("after creates")

	// Pin and unpin through the other process, delete a pinned one.
	var pinned, plain []*Announcement
	for _, a := range made {
		if a.Pinned {
			pinned = append(pinned, a)
		} else {
			plain = append(plain, a)
		}
	}
	if len(pinned) < 2 || len(plain) < 2 {
		t.Fatalf("seed gave %d pinned, %d plain", len(pinned), len(plain))
	}
	edit := func(a *Announcement, pin bool) {
		t.Helper()
		cur, err := other.Get(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		in := Input{Title: cur.Title, Body: cur.Body, Everyone: cur.Everyone, Targets: cur.Targets, Expires: cur.Expires, Pinned: pin, By: "dev:admin"}
		if _, err := other.Update(ctx, a.ID, in, cur.ETag); err != nil {
			t.Fatal(err)
		}
	}
	edit(plain[0], true)
	edit(pinned[0], false)
	if err := other.Delete(ctx, pinned[1].ID); err != nil {
		t.Fatal(err)
	}
	agree("after pin, unpin and delete elsewhere")

	// A lost record is rebuilt on the next page.
	if err := cs.Delete(ctx, pinnedKey); err != nil {
		t.Fatal(err)
	}
	edit(plain[1], true) // while it is missing
	agree("after the record was lost")
	// Past countTTL the other process's total is right again.
	s.counts.Clear() // as if every count were older than countTTL
	full, err := s.listAll(ctx, Query{Any: true, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.List(ctx, Query{Any: true, Now: clock, Limit: 3}); err != nil || got.Total != full.Total {
		t.Errorf("after countTTL: total %d, want %d (%v)", got.Total, full.Total, err)
	}

	// A warm page: the pinned record, the pinned ones, one LIST page, the
	// records not yet cached (none), however many announcements there are.
	q := queries["财务部+everyone"]
	q.Now, q.Limit = clock, 3
	if _, err := s.List(ctx, q); err != nil {
		t.Fatal(err)
	}
	p, _, err := s.readPinned(ctx)
	if err != nil {
		t.Fatal(err)
	}
	before := cs.Counts()
	if _, err := s.List(ctx, q); err != nil {
		t.Fatal(err)
	}
	if ops, bound := cs.Counts().Sub(before).Ops(), int64(2+len(p.IDs)); ops > bound {
		t.Errorf("a warm page of 3 made %d store operations, want at most %d", ops, bound)
	}
}
