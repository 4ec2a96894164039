// Package bleveindex is the embedded search backend: a bleve index on disk
// (or in memory for tests). Text is analysed by package lang before bleve
// sees it — segmented words for titles, summaries and tags, CJK unigrams and
// bigrams for every text, English stems, pinyin of titles and tags — and
// indexed with a whitespace tokenizer, so the query side asks for exactly
// the terms lang produces.
//
// Matching is OR over the query's required words (stop words only score),
// ranked by coverage — the summed BM25 scores of the matched words times
// the share of the words matched — with title, tag and summary boosts. So a question typed without spaces (年假怎么算) finds
// its pack, and a long question still returns the best partial matches.
package bleveindex

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/whitespace"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	bindex "github.com/blevesearch/bleve_index_api"
	bolt "go.etcd.io/bbolt"

	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/index/lang"
)

// Field names of the bleve document. Text fields hold terms lang made,
// separated by spaces.
const (
	fTitleWords   = "tw" // lang.Words of the title
	fTitleGrams   = "tg" // lang.Grams of the title
	fTitleExact   = "tk" // the normalized title, one keyword
	fSummaryWords = "sw"
	fSummaryGrams = "sg"
	fTagWords     = "kw"
	fTagGrams     = "kg"
	fBody         = "bg" // lang.BodyTerms of the body
	fOther        = "og" // grams of department and author
	fPinyin       = "py" // lang.Pinyin of title and tags
	fKind         = "kind"
	fDepartment   = "department"
	fTags         = "tags"
	fReaders      = "readers"
	fExpires      = "expires" // index.Day of Expires
	fDate         = "date"
	fMeta         = "meta" // stored-only JSON of the Doc without Body
	fText         = "text" // stored-only body (bounded), for snippets

	analyzerTerms = "jinnang_terms" // whitespace: the terms are made by lang

	// restricted is the readers term of a doc with Readers (beside them),
	// so that hiddenQuery finds the few docs that are not for everyone.
	restricted = "\x00restricted"

	// mappingVersion names the analysis; an index made by another version
	// is rebuilt (the portal reindexes an empty index at start-up).
	mappingVersion = "jinnang-3"
	versionKey     = "jinnang_mapping"

	// snippetRunes is the width of a snippet; storedBodyRunes bounds the
	// body kept for snippets.
	snippetRunes    = 80
	storedBodyRunes = 6000

	// maxQueryRunes bounds the query text, so a pasted page cannot turn
	// into thousands of term queries.
	maxQueryRunes = 200

	// resetBatch is how many IDs Reset deletes per batch.
	resetBatch = 1000
)

// Boosts of a query word by field.
const (
	boostTitleWord   = 8
	boostTitleGram   = 5
	boostTitleExact  = 12
	boostTagWord     = 7
	boostTagGram     = 4
	boostSummaryWord = 3
	boostSummaryGram = 2
	boostBody        = 1
	boostOther       = 1
	boostPinyin      = 5
	boostFuzzy       = 0.3 // of the exact boost
	boostSynonym     = 0.8 // of the word's boost
	boostStop        = 0.1
	// boostPhraseTitle and boostPhraseBody reward a run of Chinese whose
	// bigrams all occur (see textQuery); runs longer than maxPhraseRunes
	// are questions, not phrases.
	boostPhraseTitle = 4
	boostPhraseBody  = 2
	maxPhraseRunes   = 8
)

// Index is a bleve-backed index.Index. It is safe for concurrent use.
type Index struct {
	idx bleve.Index
	syn atomic.Pointer[lang.Synonyms]
	// slots bounds the searches that run at once (made on first use):
	// each holds its candidates, stored fields and snippets in memory, so
	// twenty at once on two cores cost memory and gain nothing; the rest
	// wait their turn (or their context's end).
	slotsOnce sync.Once
	slots     chan struct{}
	// windows caches the best matches and facets of recent text queries
	// (see windowCache); every write invalidates it.
	windows *windowCache
	// facets keeps the facet values of documents read before (see
	// facetCache); a write forgets the documents it touches.
	facets *facetCache
}

// searchSlots is how many searches run at once: two per CPU keeps the
// cores busy while one waits for the disk.
func searchSlots() int { return max(2, 2*runtime.GOMAXPROCS(0)) }

// acquire takes a search slot, or fails when ctx ends first.
func (x *Index) acquire(ctx context.Context) (release func(), err error) {
	x.slotsOnce.Do(func() { x.slots = make(chan struct{}, searchSlots()) })
	select {
	case x.slots <- struct{}{}:
		return func() { <-x.slots }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

var _ index.Index = (*Index)(nil)

// Open opens the bleve index at path, creating it when it does not exist
// and recreating it (empty) when it was made by an older version of the
// analysis. An empty path gives an in-memory index (for tests).
func Open(path string) (*Index, error) {
	return openIndex(path)
}

// ErrLocked means another process has the index directory open: the
// embedded index serves one portal process only.
var ErrLocked = errors.New("bleveindex: the index is in use by another process")

// lockWait is how long Open waits for another process's file lock on the
// index before it gives up (bolt would otherwise wait forever).
const lockWait = 2 * time.Second

func lockConfig() map[string]any { return map[string]any{"bolt_timeout": lockWait.String()} }

// lockedErr turns bolt's lock timeout into ErrLocked with what to do about it.
func lockedErr(path string, err error) error {
	if errors.Is(err, bolt.ErrTimeout) {
		return fmt.Errorf("%w: %s is locked by another portal process (the embedded bleve index serves one process; "+
			"stop the other process, give each its own -data-dir, or run several processes on Meilisearch with JINNANG_MEILI_URL)", ErrLocked, path)
	}
	return err
}

func openIndex(path string) (*Index, error) {
	go lang.Warm() // load the segmenter's dictionary while the rest starts
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
		bi, err = bleve.OpenUsing(path, lockConfig())
		if err == nil && !current(bi) {
			if cerr := bi.Close(); cerr != nil {
				return nil, fmt.Errorf("bleveindex: close outdated index at %s: %w", path, cerr)
			}
			if err := os.RemoveAll(path); err != nil {
				return nil, fmt.Errorf("bleveindex: remove outdated index at %s: %w", path, err)
			}
			err = bleve.ErrorIndexPathDoesNotExist
		}
		if errors.Is(err, bleve.ErrorIndexPathDoesNotExist) {
			bi, err = bleve.NewUsing(path, m, scorch.Name, scorch.Name, lockConfig())
			if err != nil {
				return nil, lockedErr(path, fmt.Errorf("bleveindex: create index at %s: %w", path, err))
			}
		} else if err != nil {
			if e := lockedErr(path, err); errors.Is(e, ErrLocked) {
				return nil, e
			}
			return nil, fmt.Errorf("bleveindex: open index at %s: %w", path, err)
		}
	}
	if err := bi.SetInternal([]byte(versionKey), []byte(mappingVersion)); err != nil {
		return nil, errors.Join(fmt.Errorf("bleveindex: mark version: %w", err), bi.Close())
	}
	size := windowCacheSize
	if os.Getenv("JINNANG_BLEVE_CACHE") == "0" {
		size = 0 // for measuring the uncached path end to end
	}
	return &Index{idx: bi, windows: newWindowCache(size), facets: newFacetCache(facetCacheSize)}, nil
}

func current(bi bleve.Index) bool {
	v, err := bi.GetInternal([]byte(versionKey))
	return err == nil && string(v) == mappingVersion
}

func newMapping() (*mapping.IndexMappingImpl, error) {
	m := bleve.NewIndexMapping()
	if err := m.AddCustomAnalyzer(analyzerTerms, map[string]interface{}{
		"type":      custom.Name,
		"tokenizer": whitespace.Name,
	}); err != nil {
		return nil, fmt.Errorf("bleveindex: mapping analyzer: %w", err)
	}
	m.DefaultAnalyzer = analyzerTerms
	m.ScoringModel = bindex.BM25Scoring
	m.IndexDynamic = false
	m.StoreDynamic = false
	m.DocValuesDynamic = false

	text := func() *mapping.FieldMapping {
		f := mapping.NewTextFieldMapping()
		f.Analyzer = analyzerTerms
		f.Store = false
		f.IncludeTermVectors = false
		f.IncludeInAll = false
		f.DocValues = false
		return f
	}
	kw := func(docValues bool) *mapping.FieldMapping {
		f := mapping.NewKeywordFieldMapping()
		f.Analyzer = keyword.Name
		f.Store = false
		f.IncludeTermVectors = false
		f.IncludeInAll = false
		f.DocValues = docValues // facets read them
		return f
	}
	stored := func() *mapping.FieldMapping {
		f := mapping.NewTextFieldMapping()
		f.Index = false
		f.Store = true
		f.IncludeTermVectors = false
		f.IncludeInAll = false
		f.DocValues = false
		return f
	}
	num := mapping.NewNumericFieldMapping()
	num.Store = false
	num.IncludeInAll = false
	num.DocValues = false
	date := mapping.NewDateTimeFieldMapping()
	date.Store = false
	date.IncludeInAll = false // DocValues stay: SortNewest reads them

	dm := mapping.NewDocumentStaticMapping()
	for _, f := range []string{fTitleWords, fTitleGrams, fSummaryWords, fSummaryGrams, fTagWords, fTagGrams, fBody, fOther, fPinyin} {
		dm.AddFieldMappingsAt(f, text())
	}
	dm.AddFieldMappingsAt(fTitleExact, kw(false))
	dm.AddFieldMappingsAt(fKind, kw(true))
	dm.AddFieldMappingsAt(fDepartment, kw(true))
	dm.AddFieldMappingsAt(fTags, kw(true))
	dm.AddFieldMappingsAt(fReaders, kw(false))
	dm.AddFieldMappingsAt(fExpires, num)
	dm.AddFieldMappingsAt(fDate, date)
	dm.AddFieldMappingsAt(fMeta, stored())
	dm.AddFieldMappingsAt(fText, stored())
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
	title, summary := lang.Normalize(d.Title), lang.Normalize(d.Summary)
	tags := lang.Normalize(strings.Join(d.Tags, "\n"))
	terms := func(ts []string) string { return strings.Join(ts, " ") }
	doc := map[string]interface{}{
		fTitleWords:   terms(lang.Words(title)),
		fTitleGrams:   terms(lang.Grams(title)),
		fTitleExact:   strings.TrimSpace(title),
		fSummaryWords: terms(lang.Words(summary)),
		fSummaryGrams: terms(lang.Grams(summary)),
		fTagWords:     terms(lang.Words(tags)),
		fTagGrams:     terms(lang.Grams(tags)),
		fBody:         terms(lang.BodyTerms(lang.Normalize(body))),
		fOther:        terms(lang.Grams(lang.Normalize(d.Department + " " + d.Author))),
		fPinyin:       terms(lang.Pinyin(append([]string{d.Title}, d.Tags...)...)),
		fKind:         d.Kind,
		fExpires:      float64(index.Day(d.Expires)),
		fMeta:         string(meta),
		fText:         truncateRunes(body, storedBodyRunes),
	}
	if d.Department != "" {
		doc[fDepartment] = d.Department
	}
	if len(d.Tags) > 0 {
		doc[fTags] = d.Tags
	}
	readers := []string{index.Everyone}
	if len(d.Readers) > 0 && !slices.Contains(d.Readers, index.Everyone) {
		readers = append([]string{restricted}, d.Readers...)
	}
	doc[fReaders] = readers
	if !d.Date.IsZero() {
		doc[fDate] = d.Date.UTC()
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
	for _, d := range docs {
		if err := index.CheckID(d.ID); err != nil {
			return fmt.Errorf("bleveindex: upsert: %w", err)
		}
	}
	fields, err := documents(docs)
	if err != nil {
		return err
	}
	b := x.idx.NewBatch()
	for i, d := range docs {
		if err := b.Index(d.ID, fields[i]); err != nil {
			return fmt.Errorf("bleveindex: upsert %s: %w", d.ID, err)
		}
	}
	defer x.windows.invalidate() // also after a failed batch: part of it may be in
	defer x.facets.forget(ids(docs))
	if err := x.idx.Batch(b); err != nil {
		return fmt.Errorf("bleveindex: upsert batch of %d: %w", len(docs), err)
	}
	return nil
}

// ids is the IDs of docs.
func ids(docs []index.Doc) []string {
	out := make([]string, len(docs))
	for i, d := range docs {
		out[i] = d.ID
	}
	return out
}

// parallelDocs is the batch size from which Upsert segments documents on
// several goroutines (an editor's one-pack save stays on the caller's).
const parallelDocs = 16

// documents is document of each of docs, in order. Segmenting the text is
// most of an import's indexing time, so a large batch is spread over
// GOMAXPROCS goroutines.
func documents(docs []index.Doc) ([]map[string]interface{}, error) {
	out := make([]map[string]interface{}, len(docs))
	workers := min(runtime.GOMAXPROCS(0), len(docs)/parallelDocs)
	if workers <= 1 {
		for i, d := range docs {
			doc, err := document(d)
			if err != nil {
				return nil, err
			}
			out[i] = doc
		}
		return out, nil
	}
	errs := make([]error, len(docs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(docs) {
					return
				}
				out[i], errs[i] = document(docs[i])
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
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
	defer x.windows.invalidate()
	defer x.facets.forget(slices.Clone(ids))
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
		err = x.idx.Batch(b)
		x.windows.invalidate()
		x.facets.forget(nil)
		if err != nil {
			return fmt.Errorf("bleveindex: reset: delete %d docs: %w", len(res.Hits), err)
		}
	}
}

// SetSynonyms replaces the synonym groups; queries use them from now on
// (synonyms are expanded at query time, so the index needs no rebuild).
func (x *Index) SetSynonyms(_ context.Context, groups [][]string) error {
	x.syn.Store(lang.NewSynonyms(groups))
	x.windows.invalidate()
	return nil
}

// Search runs q. Empty Text matches every document.
func (x *Index) Search(ctx context.Context, q index.Query) (index.Result, error) {
	release, err := x.acquire(ctx)
	if err != nil {
		return index.Result{}, fmt.Errorf("bleveindex: search %q: %w", q.Text, err)
	}
	defer release()
	offset, limit := q.Page()
	text := truncateRunes(strings.TrimSpace(q.Text), maxQueryRunes)
	var words []lang.Word
	if text != "" {
		words = lang.Query(text, x.syn.Load())
	}
	// A query of single characters (typing has just begun) matches the
	// body of nearly every document of a large archive: it looks in titles,
	// tags and summaries first, and in bodies only when they hold nothing.
	short := text != "" && singleChars(words)
	out, err := x.search(ctx, q, text, words, offset, limit, short)
	if err == nil && short && out.Total == 0 {
		out, err = x.search(ctx, q, text, words, offset, limit, false)
	}
	if err != nil {
		return index.Result{}, fmt.Errorf("bleveindex: search %q: %w", q.Text, err)
	}
	if q.EffectiveSort() == index.SortRelevance {
		index.RankPage(out.Hits)
	}
	return out, nil
}

// singleChars reports whether every required word is one CJK character.
func singleChars(words []lang.Word) bool {
	req := lang.Required(words)
	for _, w := range req {
		if !w.CJK || utf8.RuneCountInString(w.Text) != 1 {
			return false
		}
	}
	return len(req) > 0
}

func (x *Index) search(ctx context.Context, q index.Query, text string, words []lang.Word, offset, limit int, headOnly bool) (index.Result, error) {
	bq := query.NewBooleanQuery(nil, nil, nil)
	filter := filterQuery(q)
	if text == "" {
		// A list: its filters select (a kind's or a department's posting
		// list leads), where match-all filtered stepped through every
		// document of the index (the 15 files of /files walked 100,000
		// stories and packs at L).
		if filter != nil {
			bq.AddMust(filter)
			filter = nil
		} else {
			bq.AddMust(bleve.NewMatchAllQuery())
		}
	} else {
		tq := textQuery(text, words, headOnly)
		if tq == nil {
			// Only punctuation or spaces: nothing can match.
			return index.Result{Hits: []index.Hit{}}, nil
		}
		bq.AddMust(tq)
	}
	if filter != nil {
		bq.AddFilter(filter)
	}
	if hidden := hiddenQuery(q); len(hidden) > 0 {
		bq.AddMustNot(hidden...)
	}
	sortBy := []string{"-_score"} // score only: ties need no per-document values
	if q.EffectiveSort() == index.SortNewest {
		sortBy = []string{"-" + fDate, "_id"}
	}
	fields := []string{fMeta}
	if text != "" {
		fields = append(fields, fText)
	}
	if text != "" && q.Facets {
		return x.searchSampled(ctx, bq, sortBy, fields, offset, limit, words, windowKey(q, text, headOnly))
	}
	if text == "" && !q.Facets && q.EffectiveSort() == index.SortNewest {
		return x.searchNewest(ctx, bq, sortBy, fields, offset, limit)
	}
	return x.searchPage(ctx, bq, sortBy, fields, offset, limit, q.Facets, words)
}

// searchPage is one bleve search for a page of hits (and, for a list,
// facets over every match).
func (x *Index) searchPage(ctx context.Context, q query.Query, sortBy, fields []string, offset, limit int, facets bool, words []lang.Word) (index.Result, error) {
	req := bleve.NewSearchRequestOptions(q, limit, offset, false)
	req.Fields = fields
	req.SortBy(sortBy)
	if facets {
		addFacets(req)
	}
	res, err := x.idx.SearchInContext(ctx, req)
	if err != nil {
		return index.Result{}, err
	}
	out := index.Result{Total: int(res.Total), Hits: make([]index.Hit, 0, len(res.Hits))}
	for _, h := range res.Hits {
		hit, err := toHit(h.ID, h.Score, h.Fields, words)
		if err != nil {
			return index.Result{}, err
		}
		out.Hits = append(out.Hits, hit)
	}
	if facets {
		out.Facets = facetMap(res.Facets)
	}
	return out, nil
}

// searchSampled answers a text query with facets in three steps, so that
// no step reads per-document values of every match: the best matches by
// score alone (ids only); facets over the first FacetWindow of them; the
// stored fields of the page's hits. The first two steps' window is cached
// under key until the index changes (paging, a question asked again, the
// same prefix typed again).
func (x *Index) searchSampled(ctx context.Context, q query.Query, sortBy, fields []string, offset, limit int, words []lang.Word, key string) (index.Result, error) {
	w, err := x.window(ctx, q, sortBy, offset+limit, key)
	if err != nil {
		return index.Result{}, err
	}
	// The facets are the cache's: each result gets its own copy.
	facets := make(map[string][]index.FacetCount, len(w.facets))
	for k, v := range w.facets {
		facets[k] = slices.Clone(v)
	}
	out := index.Result{Total: w.total, Hits: []index.Hit{}, Facets: facets, FacetSample: w.sample}
	if offset >= len(w.best) {
		return out, nil
	}
	page := w.best[offset:min(len(w.best), offset+limit)]
	ids := make([]string, len(page))
	for i, h := range page {
		ids[i] = h.id
	}
	stored, err := x.storedFields(ctx, ids, fields)
	if err != nil {
		return index.Result{}, err
	}
	for _, h := range page {
		f, ok := stored[h.id]
		if !ok {
			continue // deleted between the steps
		}
		hit, err := toHit(h.id, h.score, f, words)
		if err != nil {
			return index.Result{}, err
		}
		out.Hits = append(out.Hits, hit)
	}
	return out, nil
}

// window is the best max(FacetWindow, n) matches of q and the facets of
// the first FacetWindow of them, from the cache when the index has not
// changed since they were read.
func (x *Index) window(ctx context.Context, q query.Query, sortBy []string, n int, key string) (window, error) {
	gen := x.windows.generation()
	if w, ok := x.windows.get(key, gen, n); ok {
		return w, nil
	}
	req := bleve.NewSearchRequestOptions(q, max(index.FacetWindow, n), 0, false)
	req.SortBy(sortBy)
	best, err := x.idx.SearchInContext(ctx, req)
	if err != nil {
		return window{}, err
	}
	w := window{total: int(best.Total), sample: best.Total > uint64(index.FacetWindow), best: make([]scored, len(best.Hits))}
	for i, h := range best.Hits {
		w.best[i] = scored{h.ID, h.Score}
	}
	ids := make([]string, 0, min(len(best.Hits), index.FacetWindow))
	for _, h := range best.Hits[:min(len(best.Hits), index.FacetWindow)] {
		ids = append(ids, h.ID)
	}
	w.facets = facetMap(nil)
	if len(ids) > 0 {
		if w.facets, err = x.facetsOf(ids); err != nil {
			return window{}, err
		}
	}
	x.windows.put(key, gen, w)
	return w, nil
}

func addFacets(req *bleve.SearchRequest) {
	req.AddFacet(fKind, bleve.NewFacetRequest(fKind, facetKinds))
	req.AddFacet(fDepartment, bleve.NewFacetRequest(fDepartment, facetDepartments))
	req.AddFacet(fTags, bleve.NewFacetRequest(fTags, facetTags))
}

func facetMap(fr search.FacetResults) map[string][]index.FacetCount {
	return map[string][]index.FacetCount{
		"kind":       facetCounts(fr[fKind]),
		"department": facetCounts(fr[fDepartment]),
		"tag":        facetCounts(fr[fTags]),
	}
}

// toHit decodes a hit's stored fields; with query words it gets a snippet
// and its coverage, without them the summary.
func toHit(id string, score float64, fields map[string]interface{}, words []lang.Word) (index.Hit, error) {
	raw, ok := fields[fMeta].(string)
	if !ok {
		return index.Hit{}, fmt.Errorf("hit %s has no stored meta", id)
	}
	var d index.Doc
	if err := json.Unmarshal([]byte(raw), &d); err != nil {
		return index.Hit{}, fmt.Errorf("decode hit %s: %w", id, err)
	}
	body, _ := fields[fText].(string)
	d.Body = ""
	hit := index.Hit{Doc: d, Score: score, Coverage: 1}
	if len(words) > 0 {
		hit.Snippet, hit.Coverage = lang.Describe(words, snippetRunes, body, d.Summary, d.Title, strings.Join(d.Tags, " "))
	} else if d.Summary != "" {
		hit.Snippet = []index.Span{{Text: d.Summary}}
	}
	return hit, nil
}

// textQuery is the query for the words of text: at least one required word
// matches. The disjunction over the words scores the sum of the matched
// words' scores times the share of words matched (bleve's coord), so a
// document covering more of the query ranks first; title and tag matches
// score higher; stop words in titles and summaries add a little. nil when
// text has no words.
func textQuery(text string, words []lang.Word, headOnly bool) query.Query {
	// A lone character among other words (算 of 年假怎么算) matches most
	// of a large archive: it only adds to the score of what the words match.
	var strong, weak, stops []query.Query
	for _, w := range words {
		switch {
		case w.Stop:
			stops = append(stops, stopQuery(w))
		case w.CJK && utf8.RuneCountInString(w.Text) == 1 && len(w.Alts) == 0:
			weak = append(weak, wordQuery(w, headOnly))
		default:
			strong = append(strong, wordQuery(w, headOnly))
		}
	}
	if len(strong) == 0 {
		strong, weak = weak, nil
	}
	if len(strong) == 0 {
		return nil
	}
	any := query.NewDisjunctionQuery(strong)
	bq := query.NewBooleanQuery([]query.Query{any}, nil, nil)
	bq.AddShould(term(fTitleExact, lang.Normalize(text), boostTitleExact))
	// A run of Chinese typed in one go (值班表, cut into 值班 and 表) scores
	// more where all of its bigrams occur: nearly always the run itself.
	for _, p := range lang.Pieces(lang.Normalize(text)) {
		if n := utf8.RuneCountInString(p.Text); p.CJK && n >= 3 && n <= maxPhraseRunes {
			grams := lang.WordGrams(p.Text)
			bq.AddShould(allTerms(fTitleGrams, grams, boostPhraseTitle), allTerms(fBody, grams, boostPhraseBody))
		}
	}
	bq.AddShould(weak...)
	bq.AddShould(stops...)
	return bq
}

func term(field, t string, boost float64) query.Query {
	q := query.NewTermQuery(t)
	q.SetField(field)
	q.SetBoost(boost)
	return q
}

// allTerms matches a document whose field holds every one of ts (see
// stickyConjunction for why it is not a plain conjunction).
func allTerms(field string, ts []string, boost float64) query.Query {
	if len(ts) == 1 {
		return term(field, ts[0], boost)
	}
	qs := make([]query.Query, len(ts))
	for i, t := range ts {
		qs[i] = term(field, t, 1)
	}
	c := query.NewConjunctionQuery(qs)
	c.SetBoost(boost)
	return stickyConjunction{c}
}

// wordQuery matches one required word, its synonyms and (for a Latin
// word) its stem, typos and pinyin, in every field with its boost.
func wordQuery(w lang.Word, headOnly bool) query.Query {
	var qs []query.Query
	for i, form := range append([]string{w.Text}, w.Alts...) {
		scale := 1.0
		if i > 0 {
			scale = boostSynonym
		}
		if strings.IndexFunc(form, lang.IsCJK) >= 0 {
			qs = append(qs, cjkQueries(form, scale, headOnly)...)
		} else {
			qs = append(qs, latinQueries(form, scale)...)
		}
	}
	return query.NewDisjunctionQuery(qs)
}

func cjkQueries(w string, scale float64, headOnly bool) []query.Query {
	// A synonym may hold Latin and CJK parts (社保 公积金): all its grams.
	grams := lang.Grams(w)
	if len([]rune(w)) == 1 {
		qs := []query.Query{
			term(fTitleGrams, w, boostTitleGram*scale),
			term(fTagGrams, w, boostTagGram*scale),
			term(fSummaryGrams, w, boostSummaryGram*scale),
			term(fOther, w, boostOther*scale),
		}
		if !headOnly {
			qs = append(qs, term(fBody, w, boostBody*scale))
		}
		return qs
	}
	var bigrams []string
	for _, g := range grams {
		if len([]rune(g)) == 2 || strings.IndexFunc(g, lang.IsCJK) < 0 {
			bigrams = append(bigrams, g)
		}
	}
	if len(bigrams) == 0 {
		bigrams = grams
	}
	return []query.Query{
		term(fTitleWords, w, boostTitleWord*scale),
		term(fTagWords, w, boostTagWord*scale),
		term(fSummaryWords, w, boostSummaryWord*scale),
		allTerms(fTitleGrams, bigrams, boostTitleGram*scale),
		allTerms(fTagGrams, bigrams, boostTagGram*scale),
		allTerms(fSummaryGrams, bigrams, boostSummaryGram*scale),
		allTerms(fBody, bigrams, boostBody*scale),
		allTerms(fOther, bigrams, boostOther*scale),
	}
}

func latinQueries(w string, scale float64) []query.Query {
	stem := lang.Stem(w)
	qs := []query.Query{
		term(fTitleWords, stem, boostTitleWord*scale),
		term(fTagWords, stem, boostTagWord*scale),
		term(fSummaryWords, stem, boostSummaryWord*scale),
		term(fBody, stem, boostBody*scale),
		term(fTitleGrams, w, boostTitleGram*scale),
		term(fTagGrams, w, boostTagGram*scale),
		term(fOther, w, boostOther*scale),
		term(fPinyin, w, boostPinyin*scale),
	}
	if w != stem {
		qs = append(qs, term(fBody, w, boostBody*scale))
	}
	if k := lang.Fuzziness(w); k > 0 {
		fields := []struct {
			f string
			b float64
		}{{fTitleWords, boostTitleWord}, {fTagWords, boostTagWord}, {fSummaryWords, boostSummaryWord}, {fBody, boostBody}}
		for _, fb := range fields {
			fq := query.NewFuzzyQuery(stem)
			fq.SetField(fb.f)
			fq.SetFuzziness(k)
			fq.SetBoost(fb.b * scale * boostFuzzy)
			qs = append(qs, fq)
			// A swap of two letters is one typo, but two edits.
			for _, t := range lang.Transpositions(stem) {
				qs = append(qs, term(fb.f, t, fb.b*scale*boostFuzzy))
			}
		}
	}
	return qs
}

// stopQuery lets a stop word add a little to the score where a title or
// summary holds it. Not in bodies: nearly every body holds 了 or 怎么, so
// the clause was advanced through most of the archive for every candidate
// (发票丢了怎么报销 at 20,000 packs: 8.1-9.5 -> 5.3-5.5 cpu-ms) and moved
// no query's top 3 (one of 25 reordered places 4-10).
func stopQuery(w lang.Word) query.Query {
	return query.NewDisjunctionQuery([]query.Query{
		term(fTitleGrams, w.Text, boostStop),
		term(fSummaryGrams, w.Text, boostStop),
	})
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

// filterQuery is the conjunction of the kind, department and tag filters
// (nil for none).
func filterQuery(q index.Query) query.Query {
	var fs []query.Query
	add := func(field, value string) {
		if value == "" {
			return
		}
		fs = append(fs, term(field, value, 1))
	}
	add(fKind, q.Kind)
	add(fDepartment, q.Department)
	add(fTags, q.Tag)
	if len(fs) == 0 {
		return nil
	}
	return query.NewConjunctionQuery(fs)
}

// hiddenQuery matches what q.Readers and q.Now leave out: the docs with
// Readers none of which is the asker's, and those expired before Now's
// date. Both are a few announcements of a large archive, so leaving them
// out (must not) costs a step over a short list per match, where selecting
// what is visible walked the long lists of everything.
func hiddenQuery(q index.Query) []query.Query {
	var hidden []query.Query
	if len(q.Readers) > 0 {
		mine := make([]query.Query, len(q.Readers))
		for i, r := range q.Readers {
			mine[i] = term(fReaders, r, 1)
		}
		hidden = append(hidden, query.NewBooleanQuery([]query.Query{term(fReaders, restricted, 1)}, nil, mine))
	}
	if !q.Now.IsZero() {
		day := float64(index.Day(q.Now))
		exclusive := false
		nq := query.NewNumericRangeInclusiveQuery(nil, &day, nil, &exclusive)
		nq.SetField(fExpires)
		hidden = append(hidden, nq)
	}
	return hidden
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
