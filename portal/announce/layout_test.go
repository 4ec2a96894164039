package announce

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/markdown"
	"github.com/jinnang/jinnang/portal/store"
)

// flatten moves every announcement back to the layout before buckets and
// drops the layout marker: a store as an older version left it.
func flatten(t *testing.T, st store.Store) int {
	t.Helper()
	ctx := context.Background()
	var keys []string
	for obj, err := range st.List(ctx, prefix) {
		if err != nil {
			t.Fatal(err)
		}
		if isKey(obj.Key) {
			keys = append(keys, obj.Key)
		}
	}
	for _, k := range keys {
		rc, _, err := st.Get(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		id, _ := keyID(k)
		if _, err := st.Put(ctx, flatKey(id), bytes.NewReader(b), store.PutOptions{ContentType: "application/json", Size: int64(len(b))}); err != nil {
			t.Fatal(err)
		}
		if err := st.Delete(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Delete(ctx, layoutKey); err != nil && !errors.Is(err, store.ErrNotFound) {
		t.Fatal(err)
	}
	return len(keys)
}

// TestLayoutMigration: a store with announcements under the flat keys of
// an older version is moved once to the bucketed layout by the first
// process that looks (two at once here); lists, pages and reads give what
// they gave before, nothing stays under a flat key, and a later process
// only checks the marker.
func TestLayoutMigration(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			ctx := context.Background()
			st := be.open(t)
			clock := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
			now := func() time.Time { clock = clock.Add(time.Minute); return clock }
			s := New(st, markdown.New(), now)
			for i := range 30 {
				in := Input{Title: fmt.Sprintf("通知 %d", i), Body: "正文", By: "dev:admin", Everyone: i%3 == 0, Pinned: i%7 == 0}
				if !in.Everyone {
					in.Targets = []string{"技术部"}
				}
				if _, err := s.Create(ctx, in); err != nil {
					t.Fatal(err)
				}
			}
			want, err := s.List(ctx, Query{Any: true})
			if err != nil {
				t.Fatal(err)
			}
			if n := flatten(t, st); n != 30 {
				t.Fatalf("flattened %d announcements, want 30", n)
			}

			// Two new processes meet the old store at once.
			a, b := New(st, markdown.New(), now), New(st, markdown.New(), now)
			var wg sync.WaitGroup
			got := make([]Result, 2)
			errs := make([]error, 2)
			for i, p := range []*Service{a, b} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					got[i], errs[i] = p.List(ctx, Query{Any: true})
				}()
			}
			wg.Wait()
			for i := range 2 {
				if errs[i] != nil {
					t.Fatal(errs[i])
				}
				if !slices.Equal(ids(got[i]), ids(want)) {
					t.Errorf("process %d lists %v after the migration, want %v", i, ids(got[i]), ids(want))
				}
			}
			flat, bucketed := 0, 0
			for obj, err := range st.List(ctx, prefix) {
				if err != nil {
					t.Fatal(err)
				}
				id, ok := keyID(obj.Key)
				switch {
				case ok && obj.Key == flatKey(id):
					flat++
				case isKey(obj.Key):
					bucketed++
				}
			}
			if flat != 0 || bucketed != 30 {
				t.Errorf("after the migration: %d flat keys, %d bucketed, want 0 and 30", flat, bucketed)
			}
			for _, x := range want.Items {
				g, err := b.Get(ctx, x.ID)
				if err != nil || g.Title != x.Title || g.Body != x.Body {
					t.Fatalf("Get %s after the migration: %+v, %v", x.ID, g, err)
				}
			}

			// A later process checks the marker once and lists as before.
			cs := store.Counting(st)
			c := New(cs, markdown.New(), now)
			page, err := c.List(ctx, Query{Everyone: true, Departments: []string{"技术部"}, Limit: 5})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids(page), ids(want)[:5]) {
				t.Errorf("page %v, want %v", ids(page), ids(want)[:5])
			}
			if n := cs.Counts(); n.Put != 0 || n.Delete != 0 {
				t.Errorf("a migrated store was written again: %+v", n)
			}
		})
	}
}

// walkRecorder is a store that records the keys its listings yield.
type walkRecorder struct {
	store.Store
	mu   sync.Mutex
	keys []string
}

func (w *walkRecorder) List(ctx context.Context, p string) iter.Seq2[store.Object, error] {
	return func(yield func(store.Object, error) bool) {
		for obj, err := range w.Store.List(ctx, p) {
			if err == nil {
				w.mu.Lock()
				w.keys = append(w.keys, obj.Key)
				w.mu.Unlock()
			}
			if !yield(obj, err) {
				return
			}
		}
	}
}

// TestPageReadsSmallDirectories: with 600 announcements on the disk store
// (one a second), the newest page reads only a few small directories. The
// disk store reads a whole directory for each level a listing enters, so
// the flat layout of an older version read all 600 names for any page.
func TestPageReadsSmallDirectories(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	disk, err := store.NewDisk(dir)
	if err != nil {
		t.Fatal(err)
	}
	w := &walkRecorder{Store: disk}
	clock := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	s := New(w, markdown.New(), func() time.Time { clock = clock.Add(time.Second); return clock })
	const n = 600
	for i := range n {
		if _, err := s.Create(ctx, Input{Title: fmt.Sprintf("通知 %d", i), Everyone: true, By: "dev:admin"}); err != nil {
			t.Fatal(err)
		}
	}
	// Any layout: no directory under announcements/ holds more than 100 names.
	err = filepath.WalkDir(filepath.Join(dir), func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		es, err := os.ReadDir(p)
		if err != nil {
			return err
		}
		if strings.Contains(p, "announcements") && len(es) > 100 {
			t.Errorf("%s holds %d names", p, len(es))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The newest page (after the first, which builds the pinned record from
	// a full listing): the names in the directories its listing entered.
	if _, err := s.listPage(ctx, Query{Everyone: true, Limit: 20, NoTotal: true}); err != nil {
		t.Fatal(err)
	}
	w.keys = nil
	page, err := s.listPage(ctx, Query{Everyone: true, Limit: 20, NoTotal: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 20 || page.Items[0].Title != fmt.Sprintf("通知 %d", n-1) {
		t.Fatalf("page: %d items, first %+v", len(page.Items), page.Items[0].Title)
	}
	entered := map[string]bool{}
	for _, k := range w.keys {
		for d := filepath.Dir(k); d != "." && strings.HasPrefix(d+"/", prefix); d = filepath.Dir(d) {
			entered[d] = true
		}
	}
	names := 0
	for d := range entered {
		es, err := os.ReadDir(filepath.Join(dir, "objects", d)) // digits need no escaping
		if err != nil {
			t.Fatal(err)
		}
		names += len(es)
	}
	if names > n/4 {
		t.Errorf("the newest page entered %d directories holding %d names (of %d announcements)", len(entered), names, n)
	} else {
		t.Logf("the newest page entered %d directories holding %d names", len(entered), names)
	}
}
