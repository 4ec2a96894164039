package points

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"
)

// TestTallyBoardMatchesRecomputedBoard: the board from the stored tally
// (built from the sources, then kept by Record) ranks exactly as the old
// recompute-everything board, and a view reads a bounded number of objects
// whatever the history holds.
func TestTallyBoardMatchesRecomputedBoard(t *testing.T) {
	ctx := context.Background()
	for _, n := range []int{20, 200} {
		st := scaleUsers(t, n, 2)
		clock := may
		now := func() time.Time { return clock }
		old := New(nil, now, PostsSource(st, KindPack))
		s := New(nil, now, PostsSource(st, KindPack))
		s.UseStore(st)
		want, err := old.Board(ctx, may)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Board(ctx, may) // builds the tally once
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("n=%d: tally board differs:\n got %+v\nwant %+v", n, got.Entries[:3], want.Entries[:3])
		}
		// A second process (a fresh Service over the same store) with the
		// cache expired: TallyShards reads and the built marker.
		other := New(nil, now, PostsSource(st, KindPack))
		other.UseStore(st)
		st.Reset()
		if _, err := other.Board(ctx, may); err != nil {
			t.Fatal(err)
		}
		if ops := st.Counts().Ops(); ops > TallyShards+1 {
			t.Errorf("n=%d: board from the tally took %d store ops, want ≤ %d", n, ops, TallyShards+1)
		}
		st.Reset()
		b, err := other.Badges(ctx, "dev:u0001")
		if err != nil {
			t.Fatal(err)
		}
		wantB, _ := old.Badges(ctx, "dev:u0001")
		if !reflect.DeepEqual(b, wantB) {
			t.Errorf("n=%d: badges %v, want %v", n, b, wantB)
		}
		if ops := st.Counts().Ops(); ops > 1 {
			t.Errorf("n=%d: badges with the month cached took %d store ops, want 1", n, ops)
		}
	}
}

// TestRecordKeepsTallyAcrossProcesses: contributions recorded by one
// process (concurrently, so the conditional merges retry) show in another
// process's board once its cache expires; recording twice counts once;
// removing takes the points away; a re-recorded ref keeps its first month;
// RebuildTally returns to the truth.
func TestRecordKeepsTallyAcrossProcesses(t *testing.T) {
	ctx := context.Background()
	st := scaleUsers(t, 0, 0)
	clock := may
	now := func() time.Time { return clock }
	var truth []Contribution
	var mu sync.Mutex
	src := func(context.Context) ([]Contribution, error) {
		mu.Lock()
		defer mu.Unlock()
		return append([]Contribution(nil), truth...), nil
	}
	a, b := New(nil, now, src), New(nil, now, src)
	a.UseStore(st)
	b.UseStore(st)
	if _, err := b.Board(ctx, may); err != nil { // builds the (empty) tally, caches it
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			user := fmt.Sprintf("u:%d", i%3)
			c := Contribution{UserID: user, Name: user, Kind: KindStory, At: may}
			ref := fmt.Sprintf("story-%d", i)
			for range 2 { // twice: counted once
				if err := a.Record(ctx, ref, c, true); err != nil {
					t.Error(err)
				}
			}
			mu.Lock()
			truth = append(truth, Contribution{UserID: user, Name: user, Kind: KindStory, At: may, Ref: ref})
			mu.Unlock()
		}()
	}
	wg.Wait()
	board := func(s *Service) map[string]int {
		t.Helper()
		bd, err := s.Board(ctx, may)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]int{}
		for _, e := range bd.Entries {
			m[e.UserID] = e.Points
		}
		return m
	}
	if got := board(b); len(got) != 0 {
		t.Errorf("within its cache lifetime the other process still shows the old board, got %v", got)
	}
	clock = clock.Add(CacheFor)
	want := map[string]int{"u:0": 12, "u:1": 12, "u:2": 12}
	if got := board(b); !reflect.DeepEqual(got, want) {
		t.Errorf("after the cache expired: %v, want %v", got, want)
	}
	// b keeps the decoded shards: with its cache expired and nothing
	// changed it only asks for their ETags; a shard changed by a is read
	// again.
	clock = clock.Add(CacheFor)
	st.Reset()
	ranked := b.tally.ranked
	if got := board(b); !reflect.DeepEqual(got, want) {
		t.Errorf("unchanged shards: %v, want %v", got, want)
	}
	if c := st.Counts(); c.Get != 0 || c.Stat > TallyShards {
		t.Errorf("board over unchanged shards: %d gets, %d stats; want 0 and ≤ %d", c.Get, c.Stat, TallyShards)
	}
	b.Invalidate() // the cache dropped as well: the shards still match
	if got := board(b); !reflect.DeepEqual(got, want) {
		t.Errorf("unchanged shards after Invalidate: %v, want %v", got, want)
	}
	if n := b.tally.ranked - ranked; n != 0 {
		t.Errorf("the month was ranked %d times again over unchanged shards, want 0", n)
	}
	if err := a.Record(ctx, "story-extra", Contribution{UserID: "u:2", Name: "u:2", Kind: KindStory, At: may}, true); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(CacheFor)
	if got := board(b); got["u:2"] != 15 {
		t.Errorf("a shard changed elsewhere: u:2 has %d, want 15", got["u:2"])
	}
	if n := b.tally.ranked - ranked; n != 1 {
		t.Errorf("a changed shard: ranked %d times, want 1", n)
	}
	if err := a.Record(ctx, "story-extra", Contribution{UserID: "u:2", Kind: KindStory, At: may}, false); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(CacheFor)
	if got := board(b); !reflect.DeepEqual(got, want) {
		t.Errorf("after the extra story went: %v, want %v", got, want)
	}
	// An edit re-records with a later time: the story stays in May.
	if err := a.Record(ctx, "story-0", Contribution{UserID: "u:0", Name: "u:0", Kind: KindStory, At: may.AddDate(0, 1, 0)}, true); err != nil {
		t.Fatal(err)
	}
	if got := board(a); got["u:0"] != 12 {
		t.Errorf("re-recorded story moved months: u:0 has %d in May, want 12", got["u:0"])
	}
	if err := a.Record(ctx, "story-0", Contribution{UserID: "u:0", Kind: KindStory, At: may}, false); err != nil {
		t.Fatal(err)
	}
	if got := board(a); got["u:0"] != 9 {
		t.Errorf("after removing a story u:0 has %d, want 9", got["u:0"])
	}
	// The truth says otherwise (story-0 still counts and u:9 has one in
	// June): the rebuild makes the tally agree.
	mu.Lock()
	truth = append(truth, Contribution{UserID: "u:9", Name: "九", Kind: KindPack, At: may.AddDate(0, 1, 0), Ref: "pack-x"})
	mu.Unlock()
	if n, err := a.RebuildTally(ctx); err != nil || n != 13 {
		t.Fatalf("RebuildTally = %d, %v; want 13", n, err)
	}
	if got := board(a); !reflect.DeepEqual(got, want) {
		t.Errorf("after rebuild: %v, want %v", got, want)
	}
	june, err := a.Board(ctx, may.AddDate(0, 1, 0))
	if err != nil || len(june.Entries) != 1 || june.Entries[0].Name != "九" || june.Entries[0].Points != 10 {
		t.Errorf("June board after rebuild: %+v, %v", june, err)
	}
	badges, err := a.Badges(ctx, "u:1")
	if err != nil || !reflect.DeepEqual(badges, []string{BadgeNewcomer, BadgeStar}) {
		t.Errorf("badges of u:1 = %v, %v; want newcomer and star (4 stories, tied first in May)", badges, err)
	}
}

// TestConcurrentFirstViewsBuildTheTallyOnce: views that find no tally wait
// for one build instead of each rebuilding it.
func TestConcurrentFirstViewsBuildTheTallyOnce(t *testing.T) {
	ctx := context.Background()
	st := scaleUsers(t, 3, 1)
	var mu sync.Mutex
	calls := 0
	src := PostsSource(st, KindPack)
	counted := func(ctx context.Context) ([]Contribution, error) {
		mu.Lock()
		calls++
		mu.Unlock()
		return src(ctx)
	}
	s := New(nil, func() time.Time { return may }, counted)
	s.UseStore(st)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if b, err := s.Board(ctx, may); err != nil || len(b.Entries) != 3 {
				t.Errorf("board: %+v, %v", b, err)
			}
		})
	}
	wg.Wait()
	if calls != 1 {
		t.Errorf("4 concurrent first views read the sources %d times, want 1", calls)
	}
}
