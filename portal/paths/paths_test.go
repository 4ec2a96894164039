package paths

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/store"
)

func newService(t *testing.T, now *time.Time) (*Service, store.Store) {
	t.Helper()
	st, err := store.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(st, bytes.Repeat([]byte("k"), 32), func() time.Time { return *now })
	if err != nil {
		t.Fatal(err)
	}
	return s, st
}

func TestPathTargetingAndProgress(t *testing.T) {
	now := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	s, st := newService(t, &now)
	ctx := context.Background()
	steps := []Step{{Kind: KindPack, Ref: "your-first-week", Title: "第一周"}, {Kind: KindFile, Ref: "abcdefghijklmnop", Title: "报销单"}}
	if _, err := s.Create(ctx, Path{Title: "", Steps: steps}); !errors.Is(err, ErrInvalid) {
		t.Errorf("no title: %v", err)
	}
	if _, err := s.Create(ctx, Path{Title: "重复", Steps: append(steps, steps[0])}); !errors.Is(err, ErrInvalid) {
		t.Errorf("a repeated step: %v", err)
	}
	fin, err := s.Create(ctx, Path{Title: "财务新人", Departments: []string{"财务部"}, Audience: AudienceNewHire, Steps: steps, By: "dev:wangmin"})
	if err != nil {
		t.Fatal(err)
	}
	all, err := s.Create(ctx, Path{Title: "入职第一周", Steps: steps[:1]})
	if err != nil {
		t.Fatal(err)
	}
	newcomer := Person{ID: "dev:new", Name: "新人", Department: "财务部", Joined: now.AddDate(0, 0, -10)}
	veteran := Person{ID: "dev:old", Name: "老人", Department: "财务部", Joined: now.AddDate(-3, 0, 0)}
	sales := Person{ID: "dev:s", Name: "销售", Department: "销售部", Joined: now}
	for _, tc := range []struct {
		p    Person
		want int
	}{{newcomer, 2}, {veteran, 1}, {sales, 1}} {
		got, err := s.For(ctx, tc.p)
		if err != nil || len(got) != tc.want {
			t.Errorf("%s: %d paths (%v), want %d", tc.p.Name, len(got), err, tc.want)
		}
	}
	// Readers of one step at once: one mark each, every reader counted.
	var wg sync.WaitGroup
	for _, p := range []Person{newcomer, {ID: "dev:n2", Name: "新人二", Department: "财务部", Joined: now}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.MarkRead(ctx, p, steps[0].Key()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	created, err := s.MarkRead(ctx, newcomer, steps[0].Key())
	if err != nil || created {
		t.Errorf("second read: created %v, %v", created, err)
	}
	done, err := s.Done(ctx, newcomer.ID, fin)
	if err != nil || !done[0] || done[1] {
		t.Errorf("done %v %v", done, err)
	}
	readers, err := s.Readers(ctx, fin.ID)
	if err != nil || len(readers) != 2 || fin.Count(readers[newcomer.ID]) != 1 {
		t.Errorf("readers of 财务新人: %v %+v", err, readers)
	}
	if r, _ := s.Readers(ctx, all.ID); len(r) != 2 {
		t.Errorf("the same step counts on the other path too: %+v", r)
	}
	// Marks are named by a keyed hash: no user id or slug in any key.
	for obj, err := range st.List(ctx, "reads/") {
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains([]byte(obj.Key), []byte("dev")) || bytes.Contains([]byte(obj.Key), []byte("week")) {
			t.Errorf("a mark key names its reader or step: %s", obj.Key)
		}
	}
	upd := *fin
	upd.Steps = steps[:1]
	if _, err := s.Update(ctx, upd, "stale"); !errors.Is(err, store.ErrPrecondition) {
		t.Errorf("stale update: %v", err)
	}
	if _, err := s.Update(ctx, upd, fin.ETag); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, fin.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, fin.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted path: %v", err)
	}
}
