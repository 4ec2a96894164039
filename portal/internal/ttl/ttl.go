// Package ttl is a small in-process cache of recent answers: an entry is
// served while it is younger than a maximum age and no write happened
// since it was computed (the caller's write counter, its generation, is
// unchanged); when the cache is full it starts again. It serves the pages
// that reuse an index answer for a few seconds (home's newest packs, the
// search page's answers, the announcements' counts).
package ttl

import (
	"sync"
	"time"
)

// Cache maps keys to recent values. The zero value is empty and ready for
// use; it is safe for concurrent use. Values are shared between callers:
// they only read them.
type Cache[K comparable, V any] struct {
	mu sync.Mutex
	m  map[K]entry[V]
}

type entry[V any] struct {
	v   V
	at  time.Time
	gen uint64
}

// Get returns the value stored under key when it was stored with
// generation gen and at most maxAge before now (now not before it: a
// clock set back does not keep an entry forever).
func (c *Cache[K, V]) Get(key K, gen uint64, now time.Time, maxAge time.Duration) (V, bool) {
	c.mu.Lock()
	e, ok := c.m[key]
	c.mu.Unlock()
	if !ok || e.gen != gen || now.Sub(e.at) >= maxAge || now.Before(e.at) {
		var zero V
		return zero, false
	}
	return e.v, true
}

// Put stores v under key, computed at time at under generation gen (read
// before the computation started, so a write during it makes the entry
// stale). When the cache already holds maxEntries entries or more it is
// emptied first.
func (c *Cache[K, V]) Put(key K, v V, gen uint64, at time.Time, maxEntries int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxEntries {
		c.m = make(map[K]entry[V])
	}
	c.m[key] = entry[V]{v: v, at: at, gen: gen}
}

// Clear drops every entry.
func (c *Cache[K, V]) Clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m = nil
}

// Len is the number of entries held (fresh or not).
func (c *Cache[K, V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
