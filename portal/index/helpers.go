package index

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// HitPre and HitPost are private-use code points that backends ask their
// engine to put around matched terms; SplitMarked turns them into spans.
// Document text is cleaned of them with StripMarkers before indexing, so a
// document can never fake a highlight.
const (
	HitPre  = "\uE000"
	HitPost = "\uE001"
)

// DefaultLimit is the page size used when Query.Limit is 0, and MaxLimit the
// largest page a backend returns.
const (
	DefaultLimit = 20
	MaxLimit     = 1000
)

// ErrInvalidID is returned by Upsert and Delete for an ID that is empty,
// longer than 511 bytes, or holds a character outside [A-Za-z0-9_-].
var ErrInvalidID = errors.New("index: invalid document id")

var markerStripper = strings.NewReplacer(HitPre, "", HitPost, "")

// StripMarkers removes HitPre and HitPost from s.
func StripMarkers(s string) string {
	if !strings.Contains(s, HitPre) && !strings.Contains(s, HitPost) {
		return s
	}
	return markerStripper.Replace(s)
}

// CheckID reports whether id is a valid document ID (the Meilisearch rule,
// applied by every backend so they accept the same documents).
func CheckID(id string) error {
	if id == "" || len(id) > 511 {
		return fmt.Errorf("%w: %q", ErrInvalidID, id)
	}
	for _, r := range id {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_'
		if !ok {
			return fmt.Errorf("%w: %q", ErrInvalidID, id)
		}
	}
	return nil
}

// Page returns the normalised window of q: a non-negative offset and a limit
// in 1..MaxLimit (DefaultLimit when Limit is 0 or negative).
func (q Query) Page() (offset, limit int) {
	offset, limit = q.Offset, q.Limit
	if offset < 0 {
		offset = 0
	}
	if limit <= 0 {
		limit = DefaultLimit
	}
	if limit > MaxLimit {
		limit = MaxLimit
	}
	return offset, limit
}

// EffectiveSort returns the order a backend must apply: SortRelevance with
// empty Text falls back to SortNewest.
func (q Query) EffectiveSort() Sort {
	if q.Sort == SortRelevance && strings.TrimSpace(q.Text) == "" {
		return SortNewest
	}
	return q.Sort
}

// RankPage orders a page of relevance hits: more of the query's words
// first (Coverage, which the engine's score only approximates: a synonym or
// a single character may weigh more there than the whole phrase typed),
// then by score, then newest, then by id. It reorders within the page only,
// so pages never overlap.
func RankPage(hits []Hit) {
	slices.SortStableFunc(hits, func(a, b Hit) int {
		if c := cmp.Compare(b.Coverage, a.Coverage); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		if c := b.Doc.Date.Compare(a.Doc.Date); c != 0 {
			return c
		}
		return strings.Compare(a.Doc.ID, b.Doc.ID)
	})
}

// SortFacets orders facet counts by count descending, then value ascending.
func SortFacets(fc []FacetCount) {
	slices.SortFunc(fc, func(a, b FacetCount) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return strings.Compare(a.Value, b.Value)
	})
}

// MarkWords adds hit marks for every occurrence of each query word to spans
// and merges touching hits. Engines that index overlapping n-grams (CJK
// bigrams) mark only some of the grams of a word — 工作日 comes back as
// [工作]日 — so the snippet highlights whole words the reader typed.
// Matching folds ASCII case only, which keeps byte offsets stable.
func MarkWords(spans []Span, words []string) []Span {
	var b strings.Builder
	for _, s := range spans {
		b.WriteString(s.Text)
	}
	text := b.String()
	hit := make([]bool, len(text))
	pos := 0
	for _, s := range spans {
		if s.Hit {
			for i := pos; i < pos+len(s.Text); i++ {
				hit[i] = true
			}
		}
		pos += len(s.Text)
	}
	folded := asciiLower(text)
	for _, w := range words {
		w = asciiLower(w)
		if w == "" {
			continue
		}
		for from := 0; from < len(folded); {
			i := strings.Index(folded[from:], w)
			if i < 0 {
				break
			}
			for j := from + i; j < from+i+len(w); j++ {
				hit[j] = true
			}
			from += i + len(w)
		}
	}
	var out []Span
	for start := 0; start < len(text); {
		end := start
		for end < len(text) && hit[end] == hit[start] {
			end++
		}
		out = append(out, Span{Text: text[start:end], Hit: hit[start]})
		start = end
	}
	return out
}

func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, s)
}

// Prune deletes the documents of kind whose IDs are not in live: the index
// half of a rebuild from the store, which leaves other kinds alone.
func Prune(ctx context.Context, ix Index, kind string, live map[string]bool) error {
	var stale []string
	for offset := 0; ; offset += MaxLimit {
		res, err := ix.Search(ctx, Query{Kind: kind, Sort: SortNewest, Offset: offset, Limit: MaxLimit})
		if err != nil {
			return err
		}
		for _, h := range res.Hits {
			if !live[h.Doc.ID] {
				stale = append(stale, h.Doc.ID)
			}
		}
		if len(res.Hits) < MaxLimit || offset+len(res.Hits) >= res.Total {
			break
		}
	}
	if len(stale) == 0 {
		return nil
	}
	return ix.Delete(ctx, stale...)
}

// rebuildBatch is how many documents Rebuild sends to the index at a time.
const rebuildBatch = 250

type loaded struct {
	doc Doc
	ok  bool
	err error
}

// loadAll loads ids on GOMAXPROCS goroutines (reading the store and parsing
// are most of a rebuild), each result in its id's place.
func loadAll(ctx context.Context, ids []string, load func(ctx context.Context, id string) (Doc, bool, error)) []loaded {
	out := make([]loaded, len(ids))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(ids)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(ids) {
					return
				}
				out[i].doc, out[i].ok, out[i].err = load(ctx, ids[i])
			}
		}()
	}
	wg.Wait()
	return out
}

// Rebuild brings the documents of one kind in line with the store: ids are
// the records the store holds, docID names each one's document, and load
// returns it (ok false: the record exists but must not be searchable, such as
// a hidden story); it is called from GOMAXPROCS goroutines at once.
// Documents are upserted in batches; then documents of kind that loaded as
// not-ok, or whose record is gone, are deleted. A record that
// fails to load keeps its current entry, and its error is returned (joined)
// once the others are done. It returns how many documents it indexed.
// progress counts a record once its batch is in the index, so the last
// report (total of total) means the index holds them all.
func Rebuild(ctx context.Context, ix Index, kind string, ids []string, docID func(id string) string,
	load func(ctx context.Context, id string) (doc Doc, ok bool, err error),
	progress func(done, total int)) (int, error) {
	var errs []error
	live := make(map[string]bool, len(ids))
	batch := make([]Doc, 0, rebuildBatch)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := ix.Upsert(ctx, batch...)
		batch = batch[:0]
		if err != nil {
			return fmt.Errorf("index batch: %w", err)
		}
		return nil
	}
	n := 0
	for start := 0; start < len(ids); start += rebuildBatch {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		chunk := ids[start:min(start+rebuildBatch, len(ids))]
		for i, l := range loadAll(ctx, chunk, load) {
			id := chunk[i]
			switch {
			case l.err != nil:
				errs = append(errs, l.err)
				live[docID(id)] = true // keep the entry we have
			case l.ok:
				live[docID(id)] = true
				batch = append(batch, l.doc)
				n++
			}
		}
		if start+len(chunk) < len(ids) {
			if err := flush(); err != nil {
				return 0, err
			}
			if progress != nil {
				progress(start+len(chunk), len(ids))
			}
		}
	}
	if err := flush(); err != nil {
		return 0, err
	}
	if progress != nil {
		progress(len(ids), len(ids))
	}
	if err := Prune(ctx, ix, kind, live); err != nil {
		return n, fmt.Errorf("prune %s entries: %w", kind, err)
	}
	return n, errors.Join(errs...)
}
