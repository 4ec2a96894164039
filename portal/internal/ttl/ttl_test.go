package ttl

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestCacheAgeAndGeneration(t *testing.T) {
	var c Cache[string, int]
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	if _, ok := c.Get("a", 0, t0, time.Second); ok {
		t.Fatal("empty cache hit")
	}
	c.Put("a", 1, 7, t0, 10)
	cases := []struct {
		name string
		gen  uint64
		now  time.Time
		hit  bool
	}{
		{"same time", 7, t0, true},
		{"within age", 7, t0.Add(999 * time.Millisecond), true},
		{"at max age", 7, t0.Add(time.Second), false},
		{"older", 7, t0.Add(time.Hour), false},
		{"a write since", 8, t0, false},
		{"clock set back", 7, t0.Add(-time.Millisecond), false},
	}
	for _, tc := range cases {
		v, ok := c.Get("a", tc.gen, tc.now, time.Second)
		if ok != tc.hit || ok && v != 1 {
			t.Errorf("%s: Get = %d, %v; want hit %v", tc.name, v, ok, tc.hit)
		}
	}
	if _, ok := c.Get("b", 7, t0, time.Second); ok {
		t.Error("other key hit")
	}
	c.Put("a", 2, 8, t0, 10) // a newer answer replaces the old one
	if v, ok := c.Get("a", 8, t0, time.Second); !ok || v != 2 {
		t.Errorf("after replacing: %d, %v", v, ok)
	}
}

func TestCacheMaxEntries(t *testing.T) {
	var c Cache[int, int]
	t0 := time.Now()
	for i := range 3 {
		c.Put(i, i, 0, t0, 3)
	}
	if c.Len() != 3 {
		t.Fatalf("Len = %d, want 3", c.Len())
	}
	c.Put(3, 3, 0, t0, 3) // full: starts again
	if c.Len() != 1 {
		t.Fatalf("Len after overflow = %d, want 1", c.Len())
	}
	if _, ok := c.Get(0, 0, t0, time.Second); ok {
		t.Error("an entry from before the reset is still served")
	}
	if v, ok := c.Get(3, 0, t0, time.Second); !ok || v != 3 {
		t.Errorf("the entry that reset the cache: %d, %v", v, ok)
	}
	c.Clear()
	if _, ok := c.Get(3, 0, t0, time.Second); ok || c.Len() != 0 {
		t.Error("Clear left an entry")
	}
	// One slot (home's newest packs): each new key replaces the last.
	var one Cache[string, int]
	one.Put("mon", 1, 0, t0, 1)
	one.Put("tue", 2, 0, t0, 1)
	if _, ok := one.Get("mon", 0, t0, time.Second); ok || one.Len() != 1 {
		t.Errorf("one-slot cache kept %d entries", one.Len())
	}
}

func TestCacheConcurrent(t *testing.T) {
	var c Cache[string, int]
	var wg sync.WaitGroup
	now := time.Now()
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				k := fmt.Sprint(i % 20)
				if v, ok := c.Get(k, uint64(g), now, time.Minute); ok && v != i%20 {
					t.Errorf("key %s holds %d", k, v)
				}
				c.Put(k, i%20, uint64(g), now, 16)
			}
		})
	}
	wg.Wait()
	if n := c.Len(); n > 16 {
		t.Errorf("Len = %d, more than the bound 16", n)
	}
}
