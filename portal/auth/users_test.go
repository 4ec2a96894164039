package auth

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/calls"
	"github.com/jinnang/jinnang/portal/store"
)

func TestUsersTouch(t *testing.T) {
	ctx := t.Context()
	clock := newFakeClock()
	st := newDisk(t)
	u := NewUsers(st, clock.Now)

	if _, err := u.Get(ctx, zhang.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get before Touch = %v, want ErrNotFound", err)
	}
	if err := u.SetLang(ctx, zhang.ID, "en"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("SetLang before Touch = %v, want ErrNotFound", err)
	}
	first := clock.Now()
	p, err := u.Touch(ctx, zhang)
	if err != nil {
		t.Fatal(err)
	}
	if p.ID != zhang.ID || p.Name != "张伟" || p.Department != "财务部" || !p.FirstSeen.Equal(first) || !p.LastSeen.Equal(first) {
		t.Errorf("first Touch = %+v", p)
	}
	if err := u.SetLang(ctx, zhang.ID, "en"); err != nil {
		t.Fatal(err)
	}
	if err := u.SetLang(ctx, zhang.ID, "fr"); err == nil {
		t.Error("SetLang(fr) succeeded")
	}

	clock.Advance(24 * time.Hour)
	moved := zhang
	moved.Department = "技术部"
	if _, err := u.Touch(ctx, moved); err != nil {
		t.Fatal(err)
	}
	p, err = u.Get(ctx, zhang.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !p.FirstSeen.Equal(first) || !p.LastSeen.Equal(clock.Now()) || p.Department != "技术部" || p.Lang != "en" {
		t.Errorf("second Touch = %+v: want FirstSeen and Lang kept, LastSeen and department updated", p)
	}

	// Keys are hashed: no name or id in the store.
	for obj, err := range st.List(ctx, "") {
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(obj.Key, "ZhangWei") || !strings.HasPrefix(obj.Key, usersPrefix) {
			t.Errorf("key %s", obj.Key)
		}
	}
	if _, err := u.Touch(ctx, User{}); err == nil {
		t.Error("Touch of a user without ID succeeded")
	}
}

func TestUsersTouchConcurrent(t *testing.T) {
	ctx := t.Context()
	u := NewUsers(newDisk(t), newFakeClock().Now)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			_, err := u.Touch(ctx, zhang)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func TestUsersPosts(t *testing.T) {
	ctx := t.Context()
	clock := newFakeClock()
	u := NewUsers(newDisk(t), clock.Now)
	t0 := clock.Now()

	if posts, err := u.Posts(ctx, zhang.ID); err != nil || len(posts) != 0 {
		t.Fatalf("Posts of a new user = %v, %v", posts, err)
	}
	add := func(p Post) {
		t.Helper()
		if err := u.AddPost(ctx, zhang.ID, p); err != nil {
			t.Fatal(err)
		}
	}
	add(Post{Kind: "pack", Ref: "expense-claims", Title: "报销"})
	clock.Advance(time.Hour)
	add(Post{Kind: "pack", Ref: "onboarding", Title: "入职"})
	add(Post{Kind: "pack", Ref: "archive", Title: "归档", At: t0.Add(-time.Hour)})
	clock.Advance(time.Hour)
	// Idempotent: the same (kind, ref) again keeps its time, updates the title.
	add(Post{Kind: "pack", Ref: "expense-claims", Title: "报销指南"})
	add(Post{Kind: "pack", Ref: "expense-claims", Title: "报销指南"})

	posts, err := u.Posts(ctx, zhang.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range posts {
		got = append(got, p.Ref+"="+p.Title)
	}
	want := "onboarding=入职 expense-claims=报销指南 archive=归档"
	if strings.Join(got, " ") != want {
		t.Errorf("Posts = %v, want %s", got, want)
	}
	if !posts[1].At.Equal(t0) {
		t.Errorf("re-added post At = %v, want the first time %v", posts[1].At, t0)
	}
	// Another user's posts are separate.
	if other, err := u.Posts(ctx, "wecom:LiNa"); err != nil || len(other) != 0 {
		t.Errorf("Posts of another user = %v, %v", other, err)
	}

	for _, bad := range []Post{
		{Kind: "", Ref: "x"}, {Kind: "pack", Ref: ""}, {Kind: "pack", Ref: "../x"},
		{Kind: "pa-ck", Ref: "x"}, {Kind: "pack", Ref: "a/b"}, {Kind: "Pack", Ref: "x"},
	} {
		if err := u.AddPost(ctx, zhang.ID, bad); !errors.Is(err, ErrInvalidPost) {
			t.Errorf("AddPost(%+v) = %v, want ErrInvalidPost", bad, err)
		}
	}
}

// TestConcurrentSignInsMerge: a burst of sign-ins of one person, here as
// from several processes (separate Users over one store), all succeed.
func TestConcurrentSignInsMerge(t *testing.T) {
	ctx := t.Context()
	// A store with MinIO's round trip: the read-to-write window is wide.
	st := store.Wrap(newDisk(t), func(ctx context.Context, c *calls.Call, next calls.Next) error {
		time.Sleep(3 * time.Millisecond)
		return next(ctx)
	})
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		u := NewUsers(st, nil) // one per "process": no shared in-process lock
		if i%2 == 0 {
			u = sharedUsers(st)
		}
		wg.Go(func() {
			if _, err := u.Touch(ctx, zhang); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent sign-in failed: %v", err)
	}
}

var (
	shared     *Users
	sharedOnce sync.Once
)

func sharedUsers(st store.Store) *Users {
	sharedOnce.Do(func() { shared = NewUsers(st, nil) })
	return shared
}

// TestTouchRebuildsCorruptProfile: an unreadable profile does not lock its
// person out; signing in writes a fresh one.
func TestTouchRebuildsCorruptProfile(t *testing.T) {
	ctx := t.Context()
	st := newDisk(t)
	u := NewUsers(st, nil)
	if _, err := u.Touch(ctx, zhang); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Put(ctx, profileKey(zhang.ID), strings.NewReader("{not json"), store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := u.Get(ctx, zhang.ID); !errors.Is(err, errCorrupt) {
		t.Fatalf("Get of a corrupt profile: %v", err)
	}
	p, err := u.Touch(ctx, zhang)
	if err != nil || p.Name != "张伟" {
		t.Fatalf("Touch over a corrupt profile: %+v, %v", p, err)
	}
	if p, err := u.Get(ctx, zhang.ID); err != nil || p.Department != "财务部" {
		t.Errorf("rebuilt profile: %+v, %v", p, err)
	}
}
