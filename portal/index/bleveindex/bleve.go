// Package bleveindex is the embedded search backend: a bleve index on disk
// (or in memory for tests) with CJK bigram analysis, so a Chinese word in
// the middle of a sentence is found.
package bleveindex

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/lang/cjk"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/registry"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/highlight"
	"github.com/blevesearch/bleve/v2/search/highlight/format/plain"
	simplefrag "github.com/blevesearch/bleve/v2/search/highlight/fragmenter/simple"
	simplehl "github.com/blevesearch/bleve/v2/search/highlight/highlighter/simple"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/jinnang/jinnang/portal/index"
)

// Field and analysis names used in the bleve mapping.
const (
	fieldTitle      = "title"
	fieldSummary    = "summary"
	fieldBody       = "body"
	fieldText       = "text" // every searchable text of a doc, for the all-terms requirement
	fieldKind       = "kind"
	fieldDepartment = "department"
	fieldTags       = "tags"
	fieldAudience   = "audience"
	fieldDate       = "date"
	fieldMeta       = "meta" // stored-only JSON of the Doc without Body

	// analyzerIndex emits CJK bigrams plus unigrams, so both a bigram query
	// and a single-character query find their terms.
	analyzerIndex = "jinnang_cjk_index"
	// analyzerQuery emits CJK bigrams only (a lone character stays a
	// unigram), so a query of n characters needs n-1 bigrams to match.
	analyzerQuery   = "jinnang_cjk_query"
	filterBigramUni = "jinnang_cjk_bigram_unigram"

	highlighterName = "jinnang_marked"
	fragmentRunes   = 80
	snippetEllipsis = "…"

	// maxQueryRunes bounds the query text, so a pasted page cannot turn
	// into thousands of term queries.
	maxQueryRunes = 200

	// resetBatch is how many IDs Reset deletes per batch.
	resetBatch = 1000
)

// Boosts: title over summary over body; an exact phrase scores double.
var fieldBoosts = []struct {
	field string
	boost float64
}{
	{fieldTitle, 6},
	{fieldSummary, 3},
	{fieldBody, 1},
}

func init() {
	// The highlighter marks hits with private markers and never escapes or
	// adds HTML; registered once for the process.
	err := registry.RegisterHighlighter(highlighterName, func(map[string]interface{}, *registry.Cache) (highlight.Highlighter, error) {
		return simplehl.NewHighlighter(
			simplefrag.NewFragmenter(fragmentRunes),
			plain.NewFragmentFormatter(index.HitPre, index.HitPost),
			snippetEllipsis,
		), nil
	})
	if err != nil {
		panic(fmt.Sprintf("bleveindex: register highlighter: %v", err))
	}
}

// Index is a bleve-backed index.Index. It is safe for concurrent use.
type Index struct {
	idx   bleve.Index
	query analysis.Analyzer
}

var _ index.Index = (*Index)(nil)

// Open opens the bleve index at path, creating it when it does not exist.
// An empty path gives an in-memory index (for tests).
func Open(path string) (*Index, error) {
	m, err := newMapping()
	if err != nil {
		return nil, err
	}
	var bi bleve.Index
	switch {
	case path == "":
		// scorch keeps segments in memory when it has no path; it is the
		// same engine as on disk (NewMemOnly would use upsidedown).
		bi, err = bleve.NewUsing("", m, scorch.Name, scorch.Name, nil)
		if err != nil {
			return nil, fmt.Errorf("bleveindex: create in-memory index: %w", err)
		}
	default:
		bi, err = bleve.Open(path)
		if errors.Is(err, bleve.ErrorIndexPathDoesNotExist) {
			bi, err = bleve.New(path, m)
			if err != nil {
				return nil, fmt.Errorf("bleveindex: create index at %s: %w", path, err)
			}
		} else if err != nil {
			return nil, fmt.Errorf("bleveindex: open index at %s: %w", path, err)
		}
	}
	qa := bi.Mapping().AnalyzerNamed(analyzerQuery)
	if qa == nil {
		err := fmt.Errorf("bleveindex: index at %q has no analyzer %s: rebuild it (delete the directory and run reindex)", path, analyzerQuery)
		if cerr := bi.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("bleveindex: close: %w", cerr))
		}
		return nil, err
	}
	return &Index{idx: bi, query: qa}, nil
}

func newMapping() (*mapping.IndexMappingImpl, error) {
	m := bleve.NewIndexMapping()
	if err := m.AddCustomTokenFilter(filterBigramUni, map[string]interface{}{
		"type":           cjk.BigramName,
		"output_unigram": true,
	}); err != nil {
		return nil, fmt.Errorf("bleveindex: mapping: %w", err)
	}
	for name, bigram := range map[string]string{analyzerIndex: filterBigramUni, analyzerQuery: cjk.BigramName} {
		if err := m.AddCustomAnalyzer(name, map[string]interface{}{
			"type":          custom.Name,
			"tokenizer":     unicode.Name,
			"token_filters": []interface{}{cjk.WidthName, lowercase.Name, bigram},
		}); err != nil {
			return nil, fmt.Errorf("bleveindex: mapping analyzer %s: %w", name, err)
		}
	}
	m.DefaultAnalyzer = analyzerIndex
	m.IndexDynamic = false
	m.StoreDynamic = false
	m.DocValuesDynamic = false

	text := func(store bool) *mapping.FieldMapping {
		f := mapping.NewTextFieldMapping()
		f.Analyzer = analyzerIndex
		f.Store = store
		f.IncludeTermVectors = store // positions for phrases and highlights
		f.IncludeInAll = false
		f.DocValues = false
		return f
	}
	kw := func() *mapping.FieldMapping {
		f := mapping.NewKeywordFieldMapping()
		f.Analyzer = keyword.Name
		f.Store = false
		f.IncludeTermVectors = false
		f.IncludeInAll = false
		return f
	}
	date := mapping.NewDateTimeFieldMapping()
	date.Store = false
	date.IncludeInAll = false
	meta := mapping.NewTextFieldMapping()
	meta.Index = false
	meta.Store = true
	meta.IncludeTermVectors = false
	meta.IncludeInAll = false
	meta.DocValues = false

	dm := mapping.NewDocumentStaticMapping()
	dm.AddFieldMappingsAt(fieldTitle, text(true))
	dm.AddFieldMappingsAt(fieldSummary, text(true))
	dm.AddFieldMappingsAt(fieldBody, text(true))
	dm.AddFieldMappingsAt(fieldText, text(false))
	dm.AddFieldMappingsAt(fieldKind, kw())
	dm.AddFieldMappingsAt(fieldDepartment, kw())
	dm.AddFieldMappingsAt(fieldTags, kw())
	dm.AddFieldMappingsAt(fieldAudience, kw())
	dm.AddFieldMappingsAt(fieldDate, date)
	dm.AddFieldMappingsAt(fieldMeta, meta)
	m.DefaultMapping = dm
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("bleveindex: mapping: %w", err)
	}
	return m, nil
}

// document is what bleve indexes for one Doc.
func document(d index.Doc) (map[string]interface{}, error) {
	d.Title = index.StripMarkers(d.Title)
	d.Summary = index.StripMarkers(d.Summary)
	body := index.StripMarkers(d.Body)
	d.Body = ""
	meta, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("bleveindex: encode doc %s: %w", d.ID, err)
	}
	all := []string{d.Title, d.Summary, body, d.Department, d.Author}
	all = append(all, d.Tags...)
	doc := map[string]interface{}{
		fieldTitle:   d.Title,
		fieldSummary: d.Summary,
		fieldBody:    body,
		fieldText:    strings.Join(all, "\n"),
		fieldKind:    d.Kind,
		fieldMeta:    string(meta),
	}
	if d.Department != "" {
		doc[fieldDepartment] = d.Department
	}
	if len(d.Tags) > 0 {
		doc[fieldTags] = d.Tags
	}
	if len(d.Audience) > 0 {
		doc[fieldAudience] = d.Audience
	}
	if !d.Date.IsZero() {
		doc[fieldDate] = d.Date.UTC()
	}
	return doc, nil
}

// Upsert indexes docs in one batch, replacing documents with the same ID.
func (x *Index) Upsert(ctx context.Context, docs ...index.Doc) error {
	if len(docs) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("bleveindex: upsert: %w", err)
	}
	b := x.idx.NewBatch()
	for _, d := range docs {
		if err := index.CheckID(d.ID); err != nil {
			return fmt.Errorf("bleveindex: upsert: %w", err)
		}
		doc, err := document(d)
		if err != nil {
			return err
		}
		if err := b.Index(d.ID, doc); err != nil {
			return fmt.Errorf("bleveindex: upsert %s: %w", d.ID, err)
		}
	}
	if err := x.idx.Batch(b); err != nil {
		return fmt.Errorf("bleveindex: upsert batch of %d: %w", len(docs), err)
	}
	return nil
}

// Delete removes the documents with the given IDs; unknown IDs are ignored.
func (x *Index) Delete(ctx context.Context, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("bleveindex: delete: %w", err)
	}
	b := x.idx.NewBatch()
	for _, id := range ids {
		if err := index.CheckID(id); err != nil {
			return fmt.Errorf("bleveindex: delete: %w", err)
		}
		b.Delete(id)
	}
	if err := x.idx.Batch(b); err != nil {
		return fmt.Errorf("bleveindex: delete %d docs: %w", len(ids), err)
	}
	return nil
}

// Reset deletes every document.
func (x *Index) Reset(ctx context.Context) error {
	for {
		req := bleve.NewSearchRequestOptions(bleve.NewMatchAllQuery(), resetBatch, 0, false)
		req.Score = "none"
		res, err := x.idx.SearchInContext(ctx, req)
		if err != nil {
			return fmt.Errorf("bleveindex: reset: list docs: %w", err)
		}
		if len(res.Hits) == 0 {
			return nil
		}
		b := x.idx.NewBatch()
		for _, h := range res.Hits {
			b.Delete(h.ID)
		}
		if err := x.idx.Batch(b); err != nil {
			return fmt.Errorf("bleveindex: reset: delete %d docs: %w", len(res.Hits), err)
		}
	}
}

// Search runs q. Empty Text matches every document.
func (x *Index) Search(ctx context.Context, q index.Query) (index.Result, error) {
	offset, limit := q.Page()
	bq := query.NewBooleanQuery(nil, nil, nil)
	text := truncateRunes(strings.TrimSpace(q.Text), maxQueryRunes)
	if text == "" {
		bq.AddMust(bleve.NewMatchAllQuery())
	} else {
		terms := x.queryTerms(text)
		if len(terms) == 0 {
			// Only punctuation or spaces: nothing can match.
			return index.Result{Hits: []index.Hit{}}, nil
		}
		for _, t := range terms {
			tq := bleve.NewTermQuery(t)
			tq.SetField(fieldText)
			tq.SetBoost(0.5)
			bq.AddMust(tq)
		}
		for _, fb := range fieldBoosts {
			mq := bleve.NewMatchQuery(text)
			mq.SetField(fb.field)
			mq.Analyzer = analyzerQuery
			mq.SetBoost(fb.boost)
			bq.AddShould(mq)
			if len(terms) > 1 {
				// Terms in order and adjacent (the whole of "报销单", not
				// 报销 here and 销单 there) score extra.
				pq := bleve.NewMatchPhraseQuery(text)
				pq.SetField(fb.field)
				pq.Analyzer = analyzerQuery
				pq.SetBoost(2 * fb.boost)
				bq.AddShould(pq)
			}
		}
	}
	if f := filterQuery(q); f != nil {
		bq.AddFilter(f)
	}

	req := bleve.NewSearchRequestOptions(bq, limit, offset, false)
	req.Fields = []string{fieldMeta, fieldSummary}
	if text != "" {
		req.Highlight = bleve.NewHighlightWithStyle(highlighterName)
		req.Highlight.Fields = []string{fieldBody, fieldSummary}
	}
	if q.EffectiveSort() == index.SortNewest {
		req.SortBy([]string{"-" + fieldDate, "_id"})
	} else {
		req.SortBy([]string{"-_score", "-" + fieldDate, "_id"})
	}
	if q.Facets {
		req.AddFacet(fieldDepartment, bleve.NewFacetRequest(fieldDepartment, 50))
		req.AddFacet(fieldTags, bleve.NewFacetRequest(fieldTags, 100))
	}

	res, err := x.idx.SearchInContext(ctx, req)
	if err != nil {
		return index.Result{}, fmt.Errorf("bleveindex: search %q: %w", q.Text, err)
	}
	out := index.Result{Total: int(res.Total), Hits: make([]index.Hit, 0, len(res.Hits))}
	for _, h := range res.Hits {
		raw, ok := h.Fields[fieldMeta].(string)
		if !ok {
			return index.Result{}, fmt.Errorf("bleveindex: search: hit %s has no stored meta", h.ID)
		}
		var d index.Doc
		if err := json.Unmarshal([]byte(raw), &d); err != nil {
			return index.Result{}, fmt.Errorf("bleveindex: search: decode hit %s: %w", h.ID, err)
		}
		d.Body = ""
		out.Hits = append(out.Hits, index.Hit{
			Doc:     d,
			Score:   h.Score,
			Snippet: snippet(h.Fragments, d.Summary, strings.Fields(text)),
		})
	}
	if q.Facets {
		out.Facets = map[string][]index.FacetCount{
			"department": facetCounts(res.Facets[fieldDepartment]),
			"tag":        facetCounts(res.Facets[fieldTags]),
		}
	}
	return out, nil
}

// queryTerms analyses text like the query analyzer and returns the distinct
// terms: CJK bigrams (a lone character as itself) and lowercased words.
func (x *Index) queryTerms(text string) []string {
	seen := map[string]bool{}
	var out []string
	for _, tok := range x.query.Analyze([]byte(text)) {
		t := string(tok.Term)
		if t == "" || seen[t] {
			continue
		}
		seen[t] = true
		out = append(out, t)
	}
	return out
}

func truncateRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

func filterQuery(q index.Query) query.Query {
	var fs []query.Query
	add := func(field, value string) {
		if value == "" {
			return
		}
		tq := bleve.NewTermQuery(value)
		tq.SetField(field)
		fs = append(fs, tq)
	}
	add(fieldKind, q.Kind)
	add(fieldDepartment, q.Department)
	add(fieldTags, q.Tag)
	if len(fs) == 0 {
		return nil
	}
	return bleve.NewConjunctionQuery(fs...)
}

// snippet picks the best marked fragment: body first, then summary; with no
// hit in either it falls back to the plain summary. Whole query words are
// marked on top of bleve's bigram marks.
func snippet(frags map[string][]string, summary string, words []string) []index.Span {
	for _, f := range []string{fieldBody, fieldSummary} {
		for _, frag := range frags[f] {
			spans := index.SplitMarked(frag, index.HitPre, index.HitPost)
			for _, s := range spans {
				if s.Hit {
					return index.MarkWords(spans, words)
				}
			}
		}
	}
	if summary == "" {
		return nil
	}
	return []index.Span{{Text: summary}}
}

func facetCounts(fr *search.FacetResult) []index.FacetCount {
	out := []index.FacetCount{}
	if fr == nil || fr.Terms == nil {
		return out
	}
	for _, t := range fr.Terms.Terms() {
		out = append(out, index.FacetCount{Value: t.Term, Count: t.Count})
	}
	index.SortFacets(out)
	return out
}

// Ping checks that the index answers.
func (x *Index) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("bleveindex: ping: %w", err)
	}
	if _, err := x.idx.DocCount(); err != nil {
		return fmt.Errorf("bleveindex: ping: %w", err)
	}
	return nil
}

// Close closes the index; it must not be used afterwards.
func (x *Index) Close() error {
	if err := x.idx.Close(); err != nil {
		return fmt.Errorf("bleveindex: close: %w", err)
	}
	return nil
}
