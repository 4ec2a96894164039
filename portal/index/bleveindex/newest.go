package bleveindex

import (
	"context"
	"encoding/json"
	"math"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/jinnang/jinnang/portal/index"
)

// newestSmall is the list size up to which a newest-first page sorts every
// match: reading a few thousand date doc values costs less than the extra
// counting searches of a threshold. A variable so a test can force
// thresholds.
var newestSmall = 3000

// newestCounts bounds the counting searches one page spends looking for its
// threshold; past it the page sorts the smallest span found that holds it
// (still the right page, only a larger sort).
const newestCounts = 72

// newestSlack is how many documents beyond offset+limit a span may hold and
// still be sorted: finding a tighter threshold costs more counting searches
// than sorting a few hundred dates more.
func newestSlack(need int) int { return need + 256 }

// The earliest and latest dates a threshold can take: the range bleve's
// date queries accept (it stores dates as nanoseconds since 1970 in an
// int64). A page that needs documents dated before the floor takes the
// full sort.
var (
	newestFloor = query.MinRFC3339CompatibleTime
	newestCeil  = query.MaxRFC3339CompatibleTime
)

// newestHints remembers, per index, list and depth, the last threshold
// found, and per list its match count, with the index generation they
// were counted at (see windowCache). At the same generation both are
// exact and the page needs no count; after a write the threshold is only
// where the search starts (counted once, and when the list has not moved
// much its span is sorted at once), so the page never depends on it.
var newestHints = struct {
	sync.Mutex
	m map[newestHintKey]newestHint
}{m: map[newestHintKey]newestHint{}}

type newestHint struct {
	n   int64 // the threshold, or for need 0 the list's match count
	gen uint64
}

type newestHintKey struct {
	x    *Index
	list string
	need int
}

const newestHintsMax = 1024

// newestPage answers a list page sorted newest first (no text) without
// reading the date of every match: bleve's sort visits the doc values of
// each matching document, so page 20 of 50,000 stories read 50,000 dates
// (75 ms at L) where it needs the newest 200. It finds a date threshold T
// such that the matches dated T or later number at least offset+limit
// (and not many more), by counting searches that read no doc values, and
// sorts only those: every document dated T or later ranks above every one
// dated earlier (dates are the first sort key, ties go by id among equals,
// and the undated sort last), so the page is the one the full sort gives.
// The threshold comes from the data itself, not from the clock: spans
// grow back from the last threshold (or from now) until one holds the
// page, then the bracket narrows to the nanosecond, so a list written
// within one second is cut as finely as one written over years. Lists
// that are small, or pages that reach the undated, take the full sort. ok
// is false when the full sort is due.
func (x *Index) newestPage(ctx context.Context, bq query.Query, sortBy, fields []string, offset, limit int) (res *bleve.SearchResult, total int, ok bool, err error) {
	// bq is a list's query (its filters lead, see search), so a span's
	// conjunction is led by whichever of the filters and the date range
	// selects fewer documents.
	count := func(q query.Query) (int, error) {
		req := bleve.NewSearchRequestOptions(q, 0, 0, false)
		req.Score = "none"
		r, err := x.idx.SearchInContext(ctx, req)
		if err != nil {
			return 0, err
		}
		return int(r.Total), nil
	}
	gen := x.windows.generation()
	key := newestHintKey{x: x}
	if raw, err := json.Marshal(bq); err == nil {
		key.list = string(raw)
	}
	if h, ok := hint(key); ok && h.gen == gen {
		total = int(h.n)
	} else {
		if total, err = count(bq); err != nil {
			return nil, 0, false, err
		}
		remember(key, newestHint{n: int64(total), gen: gen})
	}
	need := offset + limit
	if err != nil || total <= newestSmall || need > total {
		return nil, total, false, err
	}
	within := func(t int64) query.Query {
		inclusive := true
		dr := query.NewDateRangeInclusiveQuery(time.Unix(0, t).UTC(), time.Time{}, &inclusive, nil)
		dr.SetField(fDate)
		return query.NewConjunctionQuery([]query.Query{bq, dr})
	}
	counts := 0
	since := func(t int64) (int, error) {
		counts++
		return count(within(t))
	}
	key.need = need
	var t int64
	if h, ok := hint(key); ok && h.gen == gen {
		t = h.n // counted at this generation: it holds the page
	} else {
		found := false
		if t, found, err = newestThreshold(since, need, newestSlack(need), h.n, &counts); err != nil || !found {
			return nil, total, false, err
		}
		remember(key, newestHint{n: t, gen: gen})
	}
	req := bleve.NewSearchRequestOptions(within(t), limit, offset, false)
	req.Score = "none"
	req.Fields = fields
	req.SortBy(sortBy)
	res, err = x.idx.SearchInContext(ctx, req)
	if err != nil {
		return nil, total, false, err
	}
	return res, total, true, nil
}

// newestThreshold finds, with since(t) counting the matches dated t or
// later, a t where need <= since(t), as close to need as the counting
// budget allows and at most slack when it can. start is where the search
// begins (a hint, or 0 for now). found is false when no date holds need
// matches (the page reaches the undated).
func newestThreshold(since func(int64) (int, error), need, slack int, start int64, counts *int) (t int64, found bool, err error) {
	floor, ceil := newestFloor.UnixNano(), newestCeil.UnixNano()
	if start == 0 {
		start = time.Now().UnixNano()
	}
	n, err := since(start)
	if err != nil {
		return 0, false, err
	}
	if n >= need && n <= slack {
		return start, true, nil
	}
	// A bracket: lo holds the page (nLo >= need), hi does not (nHi < need).
	var lo, hi int64
	var nLo, nHi int
	if n >= need {
		lo, nLo = start, n
		hi, nHi = ceil, 0
		// Spans forward from the start until one no longer holds the page.
		for step := int64(time.Second); *counts < newestCounts/2; step *= 16 {
			t := satAdd(start, step)
			if t >= ceil {
				break
			}
			m, err := since(t)
			if err != nil {
				return 0, false, err
			}
			if m < need {
				hi, nHi = t, m
				break
			}
			lo, nLo = t, m
			if m <= slack {
				return t, true, nil
			}
		}
	} else {
		hi, nHi = start, n
		lo = floor
		// Spans back from the start until one holds the page.
		for step := int64(time.Second); ; step *= 16 {
			t := satAdd(start, -step)
			if t <= floor || step > math.MaxInt64/16 {
				m, err := since(floor)
				if err != nil {
					return 0, false, err
				}
				if m < need {
					return 0, false, nil // only the undated complete it
				}
				lo, nLo = floor, m
				break
			}
			m, err := since(t)
			if err != nil {
				return 0, false, err
			}
			if m >= need {
				lo, nLo = t, m
				break
			}
			hi, nHi = t, m
		}
	}
	// Narrow the bracket: a guess from the counts at both ends (as if the
	// matches were spread evenly between them, which finds a steady
	// list's threshold in a step or two), kept off the ends; once a guess
	// falls short (the matches cluster low in the bracket) the bracket is
	// halved three times before the next guess, so it reaches a single
	// nanosecond within the budget wherever the matches cluster.
	target := (need + slack) / 2
	for halve := 0; nLo > slack && hi-lo > 1 && *counts < newestCounts; {
		w := hi - lo
		t := lo + w/2
		guess := halve == 0 && nLo > nHi
		if guess {
			f := float64(target-nHi) / float64(nLo-nHi)
			f = min(max(f, 1.0/64), 1.0/2)
			t = hi - int64(f*float64(w))
		} else {
			halve--
		}
		t = min(max(t, lo+1), hi-1)
		m, err := since(t)
		if err != nil {
			return 0, false, err
		}
		if m >= need {
			lo, nLo = t, m
		} else {
			hi, nHi = t, m
			if guess {
				halve = 3
			}
		}
	}
	return lo, true, nil
}

// satAdd is a+b clamped to the int64 range.
func satAdd(a, b int64) int64 {
	s := a + b
	if b > 0 && s < a {
		return math.MaxInt64
	}
	if b < 0 && s > a {
		return math.MinInt64
	}
	return s
}

func hint(k newestHintKey) (newestHint, bool) {
	if k.list == "" {
		return newestHint{}, false
	}
	newestHints.Lock()
	defer newestHints.Unlock()
	h, ok := newestHints.m[k]
	return h, ok
}

func remember(k newestHintKey, h newestHint) {
	if k.list == "" {
		return
	}
	newestHints.Lock()
	defer newestHints.Unlock()
	if len(newestHints.m) >= newestHintsMax {
		clear(newestHints.m)
	}
	newestHints.m[k] = h
}

// searchNewest is a newest-first list page: from a date threshold when one
// holds it (newestPage), else one full sort.
func (x *Index) searchNewest(ctx context.Context, bq query.Query, sortBy, fields []string, offset, limit int) (index.Result, error) {
	res, total, ok, err := x.newestPage(ctx, bq, sortBy, fields, offset, limit)
	if err != nil {
		return index.Result{}, err
	}
	if !ok {
		return x.searchPage(ctx, bq, sortBy, fields, offset, limit, false, nil)
	}
	out := index.Result{Total: total, Hits: make([]index.Hit, 0, len(res.Hits))}
	for _, h := range res.Hits {
		hit, err := toHit(h.ID, h.Score, h.Fields, nil)
		if err != nil {
			return index.Result{}, err
		}
		out.Hits = append(out.Hits, hit)
	}
	return out, nil
}
