package audit

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/store"
)

// pagedLog is a log of 30 days × 40 entries; every fifth entry is an
// "auth.login" by dev:b, the rest "pack.save" by dev:a.
func pagedLog(t *testing.T) (*Log, *store.CountingStore, []string) {
	t.Helper()
	disk, err := store.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cs := store.Counting(disk)
	first := time.Date(2026, 3, 20, 8, 0, 0, 0, time.UTC) // across a month boundary
	last := first
	l := New(cs, func() time.Time { return last })
	var targets []string
	for d := range 30 {
		for i := range 40 {
			at := first.AddDate(0, 0, d).Add(time.Duration(i) * time.Minute)
			e := Entry{At: at, Actor: "dev:a", Action: "pack.save", Target: fmt.Sprintf("d%02d-%02d", d, i)}
			if i%5 == 0 {
				e.Actor, e.Action = "dev:b", "auth.login"
			}
			if err := l.Record(t.Context(), e); err != nil {
				t.Fatal(err)
			}
			targets = append(targets, e.Target)
			last = at
		}
	}
	slices.Reverse(targets)
	return l, cs, targets
}

func TestPageBoundedAndContinuous(t *testing.T) {
	ctx := t.Context()
	l, cs, want := pagedLog(t)

	cs.Reset()
	p, err := l.Page(ctx, Query{})
	if err != nil {
		t.Fatal(err)
	}
	if ops := cs.Counts().Ops(); ops > 60 {
		t.Errorf("first page took %d store operations, want ≤ 60 (%+v)", ops, cs.Counts())
	}
	t.Logf("first page: %+v, %d ops", cs.Counts(), cs.Counts().Ops())
	if len(p.Entries) != MaxPage || p.Next == "" || p.Capped {
		t.Fatalf("first page: %d entries, next %q, capped %v", len(p.Entries), p.Next, p.Capped)
	}

	// Following Next from page to page gives exactly the whole log, newest first.
	var got []string
	pages := 0
	for q := (Query{}); ; pages++ {
		cs.Reset()
		p, err := l.Page(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if ops := cs.Counts().Ops(); ops > 60 {
			t.Errorf("page %d took %d store operations", pages, ops)
		}
		for _, e := range p.Entries {
			got = append(got, e.Target)
		}
		if p.Next == "" {
			break
		}
		if pages > 100 {
			t.Fatal("paging does not end")
		}
		q.Before = p.Next
	}
	if !slices.Equal(got, want) {
		t.Errorf("concatenated pages (%d entries) differ from the newest-first log (%d entries)", len(got), len(want))
	}
	if pages+1 != (len(want)+MaxPage-1)/MaxPage {
		t.Errorf("%d pages for %d entries", pages+1, len(want))
	}
	// The old walk listed every key of the log.
	cs.Reset()
	if _, err := l.List(ctx, MaxPage); err != nil {
		t.Fatal(err)
	}
	if c := cs.Counts(); c.Listed >= int64(len(want)) {
		t.Errorf("List(%d) listed %d keys", MaxPage, c.Listed)
	}
}

func TestPageFilters(t *testing.T) {
	ctx := t.Context()
	l, _, _ := pagedLog(t)
	var logins []Entry
	for q := (Query{Action: "auth.login"}); ; {
		p, err := l.Page(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		logins = append(logins, p.Entries...)
		if p.Next == "" {
			break
		}
		q.Before = p.Next
	}
	if len(logins) != 30*8 {
		t.Errorf("%d logins, want %d", len(logins), 30*8)
	}
	for _, e := range logins {
		if e.Action != "auth.login" || e.Actor != "dev:b" {
			t.Fatalf("kind filter returned %+v", e)
		}
	}
	p, err := l.Page(ctx, Query{Actor: "dev:a", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Entries) != 10 {
		t.Fatalf("actor page: %d entries", len(p.Entries))
	}
	for _, e := range p.Entries {
		if e.Actor != "dev:a" {
			t.Errorf("actor filter returned %+v", e)
		}
	}
	// A filter nothing matches stops at the scan cap and says so.
	p, err = l.Page(ctx, Query{Action: "no.such"})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Entries) != 0 || !p.Capped && p.Next != "" {
		t.Errorf("unmatched filter: %d entries, capped %v, next %q", len(p.Entries), p.Capped, p.Next)
	}
	for _, bad := range []string{"x", "2026/13/01/", "2026/03/20/nope.json", "../../etc"} {
		if _, err := l.Page(ctx, Query{Before: bad}); err == nil {
			t.Errorf("cursor %q accepted", bad)
		}
	}
	// A day cursor lists from the end of the day before it.
	p, err = l.Page(ctx, Query{Before: "2026/03/21/", Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Entries) != 1 || p.Entries[0].Target != "d00-39" {
		t.Errorf("day cursor: %+v", p.Entries)
	}
}
