package web

import (
	"context"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/internal/ttl"
)

// searchResultTTL bounds how long the search page shows what the index
// answered for the same question asked the same way (text, filters, page,
// who may see what, the day), without asking again: a page typed as you go
// or paged back asks the same thing within seconds. Like home's newest
// packs (homePacksTTL), any write through this process drops every answer at
// once; a change made through another process or an import shows within
// the TTL.
const searchResultTTL = 2 * time.Second

// searchCacheOff turns the answer cache off with JINNANG_BLEVE_CACHE=0,
// which also turns off the index's window cache: for measuring what a
// first-time search costs end to end (BenchmarkCorpusHTTP).
var searchCacheOff = os.Getenv("JINNANG_BLEVE_CACHE") == "0"

// searchResultsMax bounds the cached answers (each is a page of hits and
// the facets, a few kB); when full the cache starts again.
const searchResultsMax = 256

// searchResults caches index answers for the search page. It is safe for
// concurrent use.
type searchResults struct {
	answers ttl.Cache[string, searchEntry] // by searchKey, stamped with server.writes
	serial  atomic.Uint64                  // of the last answer from the index
}

type searchEntry struct {
	serial uint64 // names this answer in render keys
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
// result's slices and maps are shared: callers only read them. The serial
// names the answer: the same serial is the same result.
func (s *server) cachedSearch(ctx context.Context, q index.Query, search func(context.Context, index.Query) (index.Result, error)) (index.Result, uint64, error) {
	key := searchKey(q)
	now := time.Now()
	writes := s.writes.Load()
	sr := &s.searchResults
	if e, ok := sr.answers.Get(key, writes, now, searchResultTTL); ok && !searchCacheOff {
		return e.res, e.serial, nil
	}
	res, err := search(ctx, q)
	if err != nil {
		return res, 0, err
	}
	serial := sr.serial.Add(1)
	sr.answers.Put(key, searchEntry{serial: serial, res: res}, writes, now, searchResultsMax)
	return res, serial, nil
}

// searchPageKey is the render key of a search page. The page is a function
// of its view; the hits, facets and pager in it are a function of the
// index answer (named by its serial) and the query parameters, so only the
// rest of the view is encoded: the shared page data (user, CSRF token,
// unread count), the links for editors and the departments to ask (read
// from the store when nothing matched). Encoding every hit was a fifth of
// a repeated search's CPU.
func searchPageKey(v searchView, serial uint64) (string, error) {
	rest := struct {
		Base                           base
		Truncated                      bool
		Dept, Tag, Kind                string
		Page                           int
		Ask                            []index.Hit
		MissesURL, SynonymsURL, Browse string
		Serial                         uint64
	}{v.base, v.Truncated, v.Dept, v.Tag, v.Kind, v.Pager.Page, v.Ask, v.MissesURL, v.SynonymsURL, v.BrowseURL, serial}
	b, err := json.Marshal(rest)
	return string(b), err
}
