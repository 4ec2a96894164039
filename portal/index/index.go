// Package index is the search-index port. The index is derived data: everything
// in it can be rebuilt from the store. Two backends implement Index (bleve,
// meilisearch) and both pass the contract suite in package indextest.
package index

import (
	"context"
	"strings"
	"time"
)

// Doc is one searchable record: a wisdom pack, a department file, a story,
// a department intro or an announcement.
type Doc struct {
	ID         string    `json:"id"`   // unique, [A-Za-z0-9_-] only (Meilisearch rule)
	Kind       string    `json:"kind"` // "pack", "file", "story", "dept", "announce"
	Title      string    `json:"title"`
	Summary    string    `json:"summary"`
	Body       string    `json:"body"` // plain text, no markup
	Department string    `json:"department"`
	Tags       []string  `json:"tags"`
	Author     string    `json:"author"`
	Audience   []string  `json:"audience"`
	Date       time.Time `json:"date"`
	URL        string    `json:"url"` // where the page for this doc lives, e.g. /packs/slug
	// Readers limits who may find the doc (e.g. "dept:财务部"); empty means
	// everyone. Query.Readers selects.
	Readers []string `json:"readers,omitempty"`
	// Expires is the last day (a date) the doc is found when Query.Now is
	// set; zero means never.
	Expires time.Time `json:"expires,omitzero"`
}

// Everyone is the Readers value backends index for a doc without Readers.
const Everyone = "*"

// Sort orders results.
type Sort int

const (
	// SortRelevance orders by score; with empty Text it falls back to SortNewest.
	SortRelevance Sort = iota
	// SortNewest orders by Date, newest first.
	SortNewest
)

// Query asks the index. Empty Text matches every document (used for lists).
type Query struct {
	Text       string
	Kind       string // filter; empty = any
	Department string // filter; empty = any
	Tag        string // filter; empty = any
	Sort       Sort
	Offset     int
	Limit      int // 0 means 20
	// Facets asks for kind, department and tag facets: over every match
	// of a list (no Text); over the best FacetWindow matches of a text
	// query (Result.FacetSample tells when there were more).
	Facets bool
	// Readers, when set, selects the docs without Readers and those whose
	// Readers hold any of these values.
	Readers []string
	// Now, when set, leaves out docs whose Expires is before Now's date
	// (in Now's location).
	Now time.Time
}

// Day is the YYYYMMDD number of t's date in t's location; backends compare
// Expires with Query.Now by it (a zero time is the last day there is).
func Day(t time.Time) int {
	if t.IsZero() {
		return 99991231
	}
	return t.Year()*10000 + int(t.Month())*100 + t.Day()
}

// Span is a piece of a snippet; Hit spans are the matched terms to highlight.
type Span struct {
	Text string
	Hit  bool
}

// Hit is one result. Doc.Body is not filled in hits.
type Hit struct {
	Doc     Doc
	Score   float64
	Snippet []Span // a short excerpt around the match, or the summary
	// Coverage is the share (0–1) of the query's required words the doc
	// holds (a lone Chinese character weighs a quarter of a word); 1 for a
	// list without text. Below 1 is a partial match.
	Coverage float64
}

// FacetCount is one facet value with its number of matching documents.
type FacetCount struct {
	Value string
	Count int
}

// Result is a page of hits.
type Result struct {
	Hits   []Hit
	Total  int
	Facets map[string][]FacetCount // keys "kind", "department" and "tag", counts descending
	// FacetSample reports that the facets count the best FacetWindow
	// matches, not all Total of them.
	FacetSample bool
}

// FacetWindow is how many of the best matches of a text query the facets
// count at most: enough to narrow a search, and bounded so that a query
// matching most of a large archive (one common character) does not read
// per-document values of every match.
const FacetWindow = 200

// Index is the search port. Writes are visible to Search when they return
// (read-your-writes), so callers can redirect to a page that lists them.
type Index interface {
	Upsert(ctx context.Context, docs ...Doc) error
	Delete(ctx context.Context, ids ...string) error
	// Reset removes every document (used by reindex before a full rebuild).
	Reset(ctx context.Context) error
	Search(ctx context.Context, q Query) (Result, error)
	// SetSynonyms replaces the synonym groups queries expand with (each
	// group a list of interchangeable terms; nil for none).
	SetSynonyms(ctx context.Context, groups [][]string) error
	Ping(ctx context.Context) error
	Close() error
}

// SplitMarked turns a string where matches are wrapped in pre/post markers into
// spans. Backends ask their engine to mark hits with private markers and use
// this, so no engine-produced HTML ever reaches a page.
func SplitMarked(s, pre, post string) []Span {
	var out []Span
	for s != "" {
		i := strings.Index(s, pre)
		if i < 0 {
			out = append(out, Span{Text: s})
			break
		}
		if i > 0 {
			out = append(out, Span{Text: s[:i]})
		}
		s = s[i+len(pre):]
		j := strings.Index(s, post)
		if j < 0 {
			out = append(out, Span{Text: s, Hit: true})
			break
		}
		if j > 0 {
			out = append(out, Span{Text: s[:j], Hit: true})
		}
		s = s[j+len(post):]
	}
	return out
}
