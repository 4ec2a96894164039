package points

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/auth"
	"github.com/jinnang/jinnang/portal/store"
)

// scaleUsers stores n profiles with posts packs each, on a counting disk store.
func scaleUsers(tb testing.TB, n, posts int) *store.CountingStore {
	tb.Helper()
	disk, err := store.NewDisk(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	st := store.Counting(disk)
	ctx := context.Background()
	users := auth.NewUsers(st, func() time.Time { return may })
	for i := range n {
		id := fmt.Sprintf("dev:u%04d", i)
		if _, err := users.Touch(ctx, auth.User{ID: id, Name: fmt.Sprintf("员工%d", i)}); err != nil {
			tb.Fatal(err)
		}
		for j := range posts {
			if err := users.AddPost(ctx, id, auth.Post{Kind: KindPack, Ref: fmt.Sprintf("p%d-%d", i, j), At: may}); err != nil {
				tb.Fatal(err)
			}
		}
	}
	return st
}

// BenchmarkExpiredView reports the store operations and the time of a
// /leaderboard (Board) and a /me (Badges) view when the cache has expired.
func BenchmarkExpiredView(b *testing.B) {
	for _, n := range []int{30, 300} {
		st := scaleUsers(b, n, 2)
		for _, page := range []string{"board", "badges"} {
			b.Run(fmt.Sprintf("%s/people=%d", page, n), func(b *testing.B) {
				clock := may
				s := New(nil, func() time.Time { return clock }, PostsSource(st, KindPack))
				ctx := context.Background()
				if _, err := s.Board(ctx, may); err != nil {
					b.Fatal(err)
				}
				st.Reset()
				for b.Loop() {
					clock = clock.Add(CacheFor)
					var err error
					if page == "board" {
						_, err = s.Board(ctx, may)
					} else {
						_, err = s.Badges(ctx, "dev:u0001")
					}
					if err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(st.Counts().Ops())/float64(b.N), "ops/view")
			})
		}
	}
}

// TestSlowRecomputeRunsOncePerView: a recompute longer than CacheFor (as
// at scale) leaves a fresh cache, and /me (Badges) reads the store once,
// not twice; the store operations of a view do not double.
func TestSlowRecomputeRunsOncePerView(t *testing.T) {
	st := scaleUsers(t, 40, 2)
	var mu sync.Mutex
	clock := may
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	posts := PostsSource(st, KindPack)
	slow := func(ctx context.Context) ([]Contribution, error) {
		mu.Lock()
		clock = clock.Add(2 * CacheFor) // the recompute takes two minutes
		mu.Unlock()
		return posts(ctx)
	}
	s := New(nil, now, slow)
	ctx := context.Background()
	st.Reset()
	badges, err := s.Badges(ctx, "dev:u0001")
	if err != nil || len(badges) == 0 {
		t.Fatalf("badges %v %v", badges, err)
	}
	one := st.Counts().Ops() // profiles and posts: 1 LIST page + 40×3 reads
	if one != 121 {
		t.Errorf("one recompute took %d operations; want 121", one)
	}
	if _, err := s.Board(ctx, may); err != nil {
		t.Fatal(err)
	}
	if ops := st.Counts().Ops(); ops != one {
		t.Errorf("a board right after a slow recompute took %d more operations; want the cache", ops-one)
	}
}

// TestConcurrentExpiredViewsShareOneRecompute: requests that find the cache
// expired while a recompute runs wait for it rather than starting their own.
func TestConcurrentExpiredViewsShareOneRecompute(t *testing.T) {
	var calls atomic.Int32
	gate := make(chan struct{})
	src := func(context.Context) ([]Contribution, error) {
		calls.Add(1)
		<-gate
		return []Contribution{{UserID: "u:a", Kind: KindStory, At: may}}, nil
	}
	s := New(nil, func() time.Time { return may }, src)
	ctx := context.Background()
	var wg sync.WaitGroup
	boards := make([]*Board, 5)
	for i := range boards {
		wg.Add(1)
		go func() {
			defer wg.Done()
			boards[i], _ = s.Board(ctx, may)
		}()
	}
	for calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // let the others reach the wait
	close(gate)
	wg.Wait()
	if n := calls.Load(); n != 1 {
		t.Errorf("%d recomputes for 5 concurrent views; want 1", n)
	}
	for i, b := range boards {
		if b == nil || len(b.Entries) != 1 {
			t.Errorf("view %d: %+v", i, b)
		}
	}
}
