package bleveindex

import (
	"container/list"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/jinnang/jinnang/portal/index"
)

// windowCacheSize is how many text queries' best matches and facets the
// index keeps. An entry holds at most a few hundred ids and scores and the
// facet counts (a few KB), so the cache stays within a few MB.
const windowCacheSize = 512

// window is what the first two steps of searchSampled find for a text
// query with facets: the best matches by score (ids only), how many match
// in all, and the facets of the best index.FacetWindow of them. The page's
// stored fields and snippets are read afresh for every request.
type window struct {
	best   []scored
	total  int
	facets map[string][]index.FacetCount
	sample bool
}

type scored struct {
	id    string
	score float64
}

// windowCache keeps the windows of recent text queries, each tagged with
// the index generation it was read at. Every write (Upsert, Delete, Reset,
// SetSynonyms) moves the generation on, so an entry is only ever served
// for the index it was read from. The embedded index is locked to one
// process (ErrLocked), so no other process can change it behind this
// cache's back.
type windowCache struct {
	mu      sync.Mutex
	gen     uint64
	max     int
	order   *list.List // front is the most recently used; values are *windowEntry
	entries map[string]*list.Element
}

type windowEntry struct {
	key string
	gen uint64
	w   window
}

func newWindowCache(max int) *windowCache {
	return &windowCache{max: max, order: list.New(), entries: map[string]*list.Element{}}
}

// generation is the current generation: read it before searching, and
// store what the search found under it.
func (c *windowCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// invalidate moves the generation on and drops every entry; writers call
// it once their change is visible to searches.
func (c *windowCache) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.order.Init()
	clear(c.entries)
}

// get returns the window stored for key at generation gen that holds at
// least n best matches (or every match there is).
func (c *windowCache) get(key string, gen uint64, n int) (window, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[key]
	if !ok {
		return window{}, false
	}
	e := el.Value.(*windowEntry)
	if e.gen != gen || gen != c.gen || (len(e.w.best) < n && len(e.w.best) < e.w.total) {
		return window{}, false
	}
	c.order.MoveToFront(el)
	return e.w, true
}

// put stores w for key as read at generation gen; it is dropped when the
// index has moved on since.
func (c *windowCache) put(key string, gen uint64, w window) {
	if c.max <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if el, ok := c.entries[key]; ok {
		el.Value = &windowEntry{key: key, gen: gen, w: w}
		c.order.MoveToFront(el)
		return
	}
	c.entries[key] = c.order.PushFront(&windowEntry{key: key, gen: gen, w: w})
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.entries, last.Value.(*windowEntry).key)
	}
}

// windowKey is everything that decides a text query's window: the text,
// the filters, who asks (Readers, in any order), the day expiry is judged
// by, the sort, and whether only titles, tags and summaries are searched.
func windowKey(q index.Query, text string, headOnly bool) string {
	readers := slices.Clone(q.Readers)
	slices.Sort(readers)
	day := 0
	if !q.Now.IsZero() {
		day = index.Day(q.Now)
	}
	return strings.Join([]string{
		text, q.Kind, q.Department, q.Tag, strings.Join(readers, "\x01"),
		strconv.Itoa(day), strconv.Itoa(int(q.EffectiveSort())), strconv.FormatBool(headOnly),
	}, "\x00")
}
