package auth

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/store"
)

func TestGrantsApplyAndAnnounceAll(t *testing.T) {
	set := GrantSet{Moderators: []string{"dev:a"}, Editors: map[string][]string{"销售部": {"dev:a"}, "财务部": {"dev:b"}}, AnnounceAll: []string{"财务部"}}
	u := set.Apply(User{ID: "dev:a", EditorOf: []string{"技术部"}})
	if !u.Moderator || !slices.Equal(u.EditorOf, []string{"技术部", "销售部"}) {
		t.Errorf("dev:a: %+v", u)
	}
	b := set.Apply(User{ID: "dev:b"})
	if b.Moderator || !set.MayAnnounceAll(&b) || set.MayAnnounceAll(&u) {
		t.Errorf("财务部 editor may announce to everyone, 销售部 editor not: %+v %+v", b, u)
	}
	if !set.MayAnnounceAll(&User{ID: "dev:x", Admin: true}) || set.MayAnnounceAll(nil) {
		t.Error("admins always, nobody never")
	}
}

func TestGrantsConcurrentUpdatesKeepBoth(t *testing.T) {
	st, err := store.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// Two portal processes: two Grants over one store.
	g1, g2 := NewGrants(st), NewGrants(st)
	ids := []string{"dev:a", "dev:b", "dev:c", "dev:d", "dev:e", "dev:f"}
	var wg sync.WaitGroup
	errs := make([]error, len(ids))
	for i, id := range ids {
		g := g1
		if i%2 == 1 {
			g = g2
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = g.Update(ctx, func(s *GrantSet) error { s.Moderators = append(s.Moderators, id); return nil })
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("update %d: %v", i, err)
		}
	}
	fresh := NewGrants(st)
	set, err := fresh.Load(ctx)
	if err != nil || !slices.Equal(set.Moderators, ids) {
		t.Errorf("after concurrent updates: %v %v", set.Moderators, err)
	}
}

func TestGrantsCacheAcrossProcesses(t *testing.T) {
	st, err := store.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	clock := newFakeClock()
	g1, g2 := NewGrants(st), NewGrants(st)
	g2.clock = clock.Now
	if set, err := g2.Load(ctx); err != nil || len(set.Moderators) != 0 {
		t.Fatalf("empty: %+v %v", set, err)
	}
	if err := g1.Update(ctx, func(s *GrantSet) error { s.Moderators = []string{"dev:a"}; return nil }); err != nil {
		t.Fatal(err)
	}
	if set, _ := g1.Load(ctx); !slices.Equal(set.Moderators, []string{"dev:a"}) {
		t.Errorf("the writing process sees its change at once: %v", set.Moderators)
	}
	clock.Advance(GrantsTTL + time.Millisecond)
	if set, _ := g2.Load(ctx); !slices.Equal(set.Moderators, []string{"dev:a"}) {
		t.Errorf("another process after GrantsTTL: %v", set.Moderators)
	}
}

func TestCheckGrant(t *testing.T) {
	for _, id := range []string{"wecom:LiNa", "dev:a", "oidc:1234"} {
		if CheckGrantID(id) != nil {
			t.Errorf("%q refused", id)
		}
	}
	for _, id := range []string{"", "LiNa", "x:LiNa", "wecom:", "wecom:a b"} {
		if CheckGrantID(id) == nil {
			t.Errorf("%q accepted", id)
		}
	}
	if CheckGrantDepartment(" 财务部") == nil || CheckGrantDepartment("财务部") != nil {
		t.Error("department check")
	}
}
