package web

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jinnang/jinnang/portal/index"
)

// searchResultTTL bounds how long the search page shows what the index
// answered for the same question asked the same way (text, filters, page,
// who may see what, the day), without asking again: a page typed as you go
// or paged back asks the same thing within seconds. Like home's newest
// packs (homePacksTTL), any write through this process drops every answer at
// once; a change made through another process or an import shows within
// the TTL.
const searchResultTTL = 2 * time.Second

// searchResultsMax bounds the cached answers (each is a page of hits and
// the facets, a few kB); when full the cache starts again.
const searchResultsMax = 256

// searchResults caches index answers for the search page. It is safe for
// concurrent use.
type searchResults struct {
	mu      sync.Mutex
	entries map[string]searchEntry
}

type searchEntry struct {
	at     time.Time
	writes uint64
	res    index.Result
}

// searchKey names a query: everything the index is asked.
func searchKey(q index.Query) string {
	day := 0
	if !q.Now.IsZero() {
		day = index.Day(q.Now)
	}
	return strings.Join([]string{q.Text, q.Kind, q.Department, q.Tag, strings.Join(q.Readers, "\x01"),
		strconv.Itoa(q.Offset), strconv.Itoa(q.Limit), strconv.Itoa(int(q.Sort)), strconv.FormatBool(q.Facets), strconv.Itoa(day)}, "\x00")
}

// cachedSearch answers q from what search answered less than
// searchResultTTL ago with no write in between, or from search. The
// result's slices and maps are shared: callers only read them.
func (s *server) cachedSearch(ctx context.Context, q index.Query, search func(context.Context, index.Query) (index.Result, error)) (index.Result, error) {
	key := searchKey(q)
	now := time.Now()
	writes := s.writes.Load()
	sr := &s.searchResults
	sr.mu.Lock()
	e, ok := sr.entries[key]
	sr.mu.Unlock()
	if ok && e.writes == writes && now.Sub(e.at) < searchResultTTL && !now.Before(e.at) {
		return e.res, nil
	}
	res, err := search(ctx, q)
	if err != nil {
		return res, err
	}
	sr.mu.Lock()
	if sr.entries == nil || len(sr.entries) >= searchResultsMax {
		sr.entries = map[string]searchEntry{}
	}
	sr.entries[key] = searchEntry{at: now, writes: writes, res: res}
	sr.mu.Unlock()
	return res, nil
}

// searchPageKey is the render key of a search page: the page is a function
// of its view (which holds the user, the CSRF token and every hit).
func searchPageKey(v searchView) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}
