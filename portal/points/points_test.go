package points

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/auth"
	"github.com/jinnang/jinnang/portal/store"
)

var may = time.Date(2026, 5, 15, 12, 0, 0, 0, time.UTC)

func fixed(cs ...Contribution) Source {
	return func(context.Context) ([]Contribution, error) { return cs, nil }
}

func TestBoardAndBadges(t *testing.T) {
	var cs []Contribution
	add := func(user, name, kind string, n int, at time.Time) {
		for range n {
			cs = append(cs, Contribution{UserID: user, Name: name, Kind: kind, At: at})
		}
	}
	add("u:a", "甲", KindPack, 5, may)                   // 50
	add("u:b", "乙", KindStory, 10, may)                 // 30
	add("u:c", "丙", KindStory, 1, may)                  // 3
	add("u:d", "丁", KindSuggestion, 1, may)             // 5
	add("u:e", "戊", KindStory, 1, may)                  // 3 (ties 丙)
	add("u:c", "丙", KindPack, 3, may.AddDate(0, -1, 0)) // April
	add("u:x", "某", "file", 9, may)                     // no weight: ignored
	s := New(nil, func() time.Time { return may }, fixed(cs...))
	ctx := context.Background()
	b, err := s.Board(ctx, may)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range b.Entries {
		got = append(got, fmt.Sprintf("%d %s %d", e.Rank, e.Name, e.Points))
	}
	if want := "[1 甲 50 2 乙 30 3 丁 5 4 丙 3 4 戊 3]"; fmt.Sprint(got) != want {
		t.Errorf("board %v, want %s", got, want)
	}
	april, _ := s.Board(ctx, may.AddDate(0, -1, 0))
	if len(april.Entries) != 1 || april.Entries[0].Points != 30 || april.Entries[0].Counts[KindPack] != 3 {
		t.Errorf("april %+v", april.Entries)
	}
	for user, want := range map[string]string{
		"u:a": "[newcomer packs star]", "u:b": "[newcomer stories star]", "u:c": "[newcomer]", "u:d": "[newcomer star]", "u:z": "[]",
	} {
		bs, err := s.Badges(ctx, user)
		if err != nil || fmt.Sprint(bs) != want {
			t.Errorf("badges of %s: %v %v, want %s", user, bs, err, want)
		}
	}
}

func TestCacheAndRebuild(t *testing.T) {
	now := may
	calls := 0
	var cs []Contribution
	src := func(context.Context) ([]Contribution, error) { calls++; return cs, nil }
	s := New(nil, func() time.Time { return now }, src)
	ctx := context.Background()
	if _, err := s.Board(ctx, may); err != nil {
		t.Fatal(err)
	}
	cs = append(cs, Contribution{UserID: "u:a", Kind: KindStory, At: may})
	if b, _ := s.Board(ctx, may); len(b.Entries) != 0 || calls != 1 {
		t.Errorf("within a minute the cache answers: %d entries, %d calls", len(b.Entries), calls)
	}
	now = now.Add(CacheFor)
	if b, _ := s.Board(ctx, may); len(b.Entries) != 1 || b.Entries[0].Name != "u:a" || calls != 2 {
		t.Errorf("after a minute: %+v, %d calls", b.Entries, calls)
	}
	s.AddSource(func(context.Context) ([]Contribution, error) { return nil, errors.New("boom") })
	if _, err := s.Board(ctx, may); err == nil {
		t.Error("a failing source is not reported")
	}
}

func TestPostsSourceReadsUsersPosts(t *testing.T) {
	st, err := store.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	users := auth.NewUsers(st, func() time.Time { return may })
	if _, err := users.Touch(ctx, auth.User{ID: "dev:wangmin", Name: "王敏"}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []auth.Post{{Kind: "pack", Ref: "a"}, {Kind: "pack", Ref: "b"}, {Kind: "file", Ref: "c"}} {
		if err := users.AddPost(ctx, "dev:wangmin", p); err != nil {
			t.Fatal(err)
		}
	}
	cs, err := PostsSource(st, KindPack)(ctx)
	if err != nil || len(cs) != 2 || cs[0].UserID != "dev:wangmin" || cs[0].Name != "王敏" || cs[0].Kind != KindPack || !cs[0].At.Equal(may) {
		t.Fatalf("contributions %+v %v", cs, err)
	}
	b, err := New(nil, func() time.Time { return may }, PostsSource(st, KindPack)).Board(ctx, may)
	if err != nil || len(b.Entries) != 1 || b.Entries[0].Points != 20 {
		t.Errorf("board %+v %v", b, err)
	}
}
