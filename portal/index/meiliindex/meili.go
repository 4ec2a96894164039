// Package meiliindex is the Meilisearch search backend. Meilisearch segments
// Chinese with its cmn tokenizer but matches only word prefixes, so every
// document also carries an n-gram field of its CJK text: a word in the
// middle of a sentence is then a word of that field.
package meiliindex

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/meilisearch/meilisearch-go"

	"github.com/jinnang/jinnang/portal/index"
)

// Attribute names of the stored Meilisearch document.
const (
	attrID         = "id"
	attrKind       = "kind"
	attrTitle      = "title"
	attrSummary    = "summary"
	attrBody       = "body"
	attrDepartment = "department"
	attrTags       = "tags"
	attrAuthor     = "author"
	attrAudience   = "audience"
	attrDate       = "date"
	attrDateTS     = "date_ts"
	attrURL        = "url"
	attrNGrams     = "ngrams"
)

const (
	pollInterval = 20 * time.Millisecond
	// upsertChunk is the number of documents sent per request.
	upsertChunk = 500
	// cropWords is the snippet length Meilisearch crops body to.
	cropWords = 40
	// snippetRunes is the width of a locally built snippet.
	snippetRunes = 80
	ellipsis     = "…"
	// maxNGramRunes bounds the CJK text turned into n-grams per document,
	// so a long body cannot exceed Meilisearch's per-attribute word limit.
	maxNGramRunes = 20000
)

// ErrTaskFailed is returned when Meilisearch finished a task without success.
var ErrTaskFailed = errors.New("meiliindex: task failed")

// Index is a Meilisearch-backed index.Index. It is safe for concurrent use.
type Index struct {
	client meilisearch.ServiceManager
	idx    meilisearch.IndexManager
	uid    string
}

var _ index.Index = (*Index)(nil)

// New connects to the Meilisearch server at url with the API key (empty for
// none), creates the index indexUID (primary key "id") when missing, and
// applies the settings, waiting until they are in effect.
func New(ctx context.Context, url, key, indexUID string) (*Index, error) {
	if url == "" {
		return nil, errors.New("meiliindex: empty server URL")
	}
	if err := index.CheckID(indexUID); err != nil {
		return nil, fmt.Errorf("meiliindex: index uid: %w", err)
	}
	var opts []meilisearch.Option
	if key != "" {
		opts = append(opts, meilisearch.WithAPIKey(key))
	}
	client := meilisearch.New(url, opts...)
	x := &Index{client: client, idx: client.Index(indexUID), uid: indexUID}
	if err := x.Ping(ctx); err != nil {
		client.Close()
		return nil, err
	}
	if err := x.ensureIndex(ctx); err != nil {
		client.Close()
		return nil, err
	}
	if err := x.applySettings(ctx); err != nil {
		client.Close()
		return nil, err
	}
	return x, nil
}

// UID returns the Meilisearch index UID.
func (x *Index) UID() string { return x.uid }

func (x *Index) ensureIndex(ctx context.Context) error {
	_, err := x.client.GetIndex(ctx, x.uid)
	if err == nil {
		return nil
	}
	if !hasCode(err, meilisearch.APIErrCodeIndexNotFound) {
		return fmt.Errorf("meiliindex: get index %s: %w", x.uid, err)
	}
	info, err := x.client.CreateIndex(ctx, &meilisearch.IndexConfig{Uid: x.uid, PrimaryKey: attrID})
	if err != nil {
		return fmt.Errorf("meiliindex: create index %s: %w", x.uid, err)
	}
	err = x.wait(ctx, info, "create index")
	var tf *taskError
	if errors.As(err, &tf) && tf.code == meilisearch.APIErrCodeIndexAlreadyExists {
		return nil // another portal process created it first
	}
	return err
}

// Settings returns the index settings New applies.
func Settings() *meilisearch.Settings {
	text := []string{attrTitle, attrSummary, attrBody, attrTags, attrDepartment, attrAuthor, attrNGrams}
	return &meilisearch.Settings{
		// "sort" first: SortNewest is a strict date order; without a sort
		// parameter the rule does nothing and relevance decides.
		RankingRules: []string{"sort", "words", "typo", "proximity", "attribute", "exactness"},
		// Order matters for the attribute rule: title over summary over body.
		SearchableAttributes: text,
		FilterableAttributes: []string{attrKind, attrDepartment, attrTags, attrAudience},
		SortableAttributes:   []string{attrDateTS},
		LocalizedAttributes: []*meilisearch.LocalizedAttributes{
			{Locales: []string{"cmn"}, AttributePatterns: text},
		},
	}
}

func (x *Index) applySettings(ctx context.Context) error {
	info, err := x.idx.UpdateSettings(ctx, Settings())
	if err != nil {
		return fmt.Errorf("meiliindex: update settings of %s: %w", x.uid, err)
	}
	return x.wait(ctx, info, "update settings")
}

// taskError is a failed or canceled task; it unwraps to ErrTaskFailed.
type taskError struct {
	what    string
	uid     int64
	status  meilisearch.TaskStatus
	code    meilisearch.APIErrCode
	message string
}

func (e *taskError) Error() string {
	return fmt.Sprintf("meiliindex: %s: task %d %s: %s (%s)", e.what, e.uid, e.status, e.message, e.code)
}

func (e *taskError) Unwrap() error { return ErrTaskFailed }

// wait blocks until the task is done, so writes are visible to Search when
// the write method returns.
func (x *Index) wait(ctx context.Context, info *meilisearch.TaskInfo, what string) error {
	task, err := x.client.WaitForTask(ctx, info.TaskUID, pollInterval)
	if err != nil {
		return fmt.Errorf("meiliindex: %s: wait for task %d: %w", what, info.TaskUID, err)
	}
	if task.Status != meilisearch.TaskStatusSucceeded {
		return &taskError{what: what, uid: info.TaskUID, status: task.Status, code: task.Error.Code, message: task.Error.Message}
	}
	return nil
}

func hasCode(err error, code meilisearch.APIErrCode) bool {
	var me *meilisearch.Error
	return errors.As(err, &me) && me.HasCode(code)
}

// storedDoc is the document as Meilisearch stores it.
type storedDoc struct {
	ID         string    `json:"id"`
	Kind       string    `json:"kind"`
	Title      string    `json:"title"`
	Summary    string    `json:"summary"`
	Body       string    `json:"body"`
	Department string    `json:"department"`
	Tags       []string  `json:"tags"`
	Author     string    `json:"author"`
	Audience   []string  `json:"audience"`
	Date       time.Time `json:"date"`
	DateTS     int64     `json:"date_ts"` // unix seconds, for sorting
	URL        string    `json:"url"`
	NGrams     string    `json:"ngrams,omitempty"`
}

// toStored maps a Doc to its stored form: text cleaned of highlight
// markers, the date as unix seconds, and the n-gram field.
func toStored(d index.Doc) storedDoc {
	s := storedDoc{
		ID:         d.ID,
		Kind:       d.Kind,
		Title:      index.StripMarkers(d.Title),
		Summary:    index.StripMarkers(d.Summary),
		Body:       index.StripMarkers(d.Body),
		Department: d.Department,
		Tags:       d.Tags,
		Author:     d.Author,
		Audience:   d.Audience,
		Date:       d.Date.UTC(),
		URL:        d.URL,
	}
	if !d.Date.IsZero() {
		s.DateTS = d.Date.Unix()
	}
	s.NGrams = NGrams(s.Title, s.Summary, s.Body)
	return s
}

// toDoc maps a stored document back to a Doc without Body.
func (s storedDoc) toDoc() index.Doc {
	d := index.Doc{
		ID:         s.ID,
		Kind:       s.Kind,
		Title:      s.Title,
		Summary:    s.Summary,
		Department: s.Department,
		Tags:       s.Tags,
		Author:     s.Author,
		Audience:   s.Audience,
		URL:        s.URL,
	}
	if !s.Date.IsZero() {
		d.Date = s.Date
	}
	return d
}

// NGrams returns the CJK bigrams and trigrams of texts, each distinct one
// once, separated by spaces; a lone CJK character between non-CJK text is
// kept as itself. Latin words are left to Meilisearch's own tokenizer.
func NGrams(texts ...string) string {
	seen := map[string]bool{}
	var b strings.Builder
	emit := func(g string) {
		if seen[g] {
			return
		}
		seen[g] = true
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(g)
	}
	budget := maxNGramRunes
	for _, text := range texts {
		var run []rune
		flush := func() {
			switch {
			case len(run) == 1:
				emit(string(run))
			case len(run) > 1:
				for i := 0; i+1 < len(run); i++ {
					emit(string(run[i : i+2]))
					if i+2 < len(run) {
						emit(string(run[i : i+3]))
					}
				}
			}
			run = run[:0]
		}
		for _, r := range text {
			if budget == 0 {
				break
			}
			budget--
			if isCJK(r) {
				run = append(run, r)
				continue
			}
			flush()
		}
		flush()
	}
	return b.String()
}

func isCJK(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul)
}

// Upsert adds or replaces docs and waits until Search sees them.
func (x *Index) Upsert(ctx context.Context, docs ...index.Doc) error {
	if len(docs) == 0 {
		return nil
	}
	stored := make([]storedDoc, 0, len(docs))
	for _, d := range docs {
		if err := index.CheckID(d.ID); err != nil {
			return fmt.Errorf("meiliindex: upsert: %w", err)
		}
		stored = append(stored, toStored(d))
	}
	pk := attrID
	var infos []*meilisearch.TaskInfo
	for start := 0; start < len(stored); start += upsertChunk {
		chunk := stored[start:min(start+upsertChunk, len(stored))]
		info, err := x.idx.AddDocuments(ctx, chunk, &meilisearch.DocumentOptions{PrimaryKey: &pk})
		if err != nil {
			return fmt.Errorf("meiliindex: upsert %d docs into %s: %w", len(chunk), x.uid, err)
		}
		infos = append(infos, info)
	}
	// Tasks of one index run in order; wait for each to learn its status.
	for _, info := range infos {
		if err := x.wait(ctx, info, "upsert"); err != nil {
			return err
		}
	}
	return nil
}

// Delete removes the documents with the given IDs; unknown IDs are ignored.
func (x *Index) Delete(ctx context.Context, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	for _, id := range ids {
		if err := index.CheckID(id); err != nil {
			return fmt.Errorf("meiliindex: delete: %w", err)
		}
	}
	info, err := x.idx.DeleteDocuments(ctx, ids, nil)
	if err != nil {
		return fmt.Errorf("meiliindex: delete %d docs from %s: %w", len(ids), x.uid, err)
	}
	return x.wait(ctx, info, "delete")
}

// Reset deletes every document, keeping the index and its settings.
func (x *Index) Reset(ctx context.Context) error {
	info, err := x.idx.DeleteAllDocuments(ctx, nil)
	if err != nil {
		return fmt.Errorf("meiliindex: reset %s: %w", x.uid, err)
	}
	return x.wait(ctx, info, "reset")
}

// searchResponse is the part of Meilisearch's answer the backend reads.
type searchResponse struct {
	Hits               []searchHit               `json:"hits"`
	TotalHits          int                       `json:"totalHits"`
	EstimatedTotalHits int                       `json:"estimatedTotalHits"`
	FacetDistribution  map[string]map[string]int `json:"facetDistribution"`
}

type searchHit struct {
	storedDoc
	Formatted struct {
		Body    string `json:"body"`
		Summary string `json:"summary"`
	} `json:"_formatted"`
	RankingScore float64 `json:"_rankingScore"`
}

// request builds the Meilisearch search request for q. It returns how
// many leading hits of the answer to skip (see pageWindow).
func request(q index.Query) (*meilisearch.SearchRequest, int) {
	offset, limit := q.Page()
	page, perPage, skip := pageWindow(offset, limit)
	text := strings.TrimSpace(q.Text)
	req := &meilisearch.SearchRequest{
		Query:       text,
		Page:        page,
		HitsPerPage: &perPage,
		AttributesToRetrieve: []string{
			attrID, attrKind, attrTitle, attrSummary, attrBody, attrDepartment,
			attrTags, attrAuthor, attrAudience, attrDate, attrURL,
		},
		MatchingStrategy: meilisearch.All,
		ShowRankingScore: true,
	}
	if text != "" {
		req.AttributesToCrop = []string{attrBody}
		req.CropLength = cropWords
		req.CropMarker = ellipsis
		req.AttributesToHighlight = []string{attrBody, attrSummary}
		req.HighlightPreTag = index.HitPre
		req.HighlightPostTag = index.HitPost
	}
	if f := Filter(q); f != "" {
		req.Filter = f
	}
	if q.EffectiveSort() == index.SortNewest {
		req.Sort = []string{attrDateTS + ":desc"}
	}
	if q.Facets {
		req.Facets = []string{attrDepartment, attrTags}
	}
	return req, skip
}

// pageWindow maps an offset/limit window to Meilisearch's page mode, which
// reports an exact totalHits (offset/limit mode only estimates it). An
// offset that is not a multiple of limit is served from a first page of
// offset+limit hits, of which the first skip are dropped.
func pageWindow(offset, limit int) (page, perPage int64, skip int) {
	if offset%limit == 0 {
		return int64(offset/limit + 1), int64(limit), 0
	}
	return 1, int64(offset + limit), offset
}

// Filter returns the Meilisearch filter expression for the Kind,
// Department and Tag of q, with values quoted; "" when q has none.
func Filter(q index.Query) string {
	var parts []string
	add := func(attr, value string) {
		if value != "" {
			parts = append(parts, attr+" = "+quote(value))
		}
	}
	add(attrKind, q.Kind)
	add(attrDepartment, q.Department)
	add(attrTags, q.Tag)
	return strings.Join(parts, " AND ")
}

var quoteEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`)

// quote makes s a double-quoted filter value (Meilisearch ≥ 1.4 unescapes
// \\ and \").
func quote(s string) string {
	return `"` + quoteEscaper.Replace(s) + `"`
}

// Search runs q. Empty Text lists every document.
func (x *Index) Search(ctx context.Context, q index.Query) (index.Result, error) {
	req, skip := request(q)
	raw, err := x.idx.SearchRaw(ctx, req.Query, req)
	if err != nil {
		return index.Result{}, fmt.Errorf("meiliindex: search %q in %s: %w", q.Text, x.uid, err)
	}
	var resp searchResponse
	if err := json.Unmarshal(*raw, &resp); err != nil {
		return index.Result{}, fmt.Errorf("meiliindex: decode search response: %w", err)
	}
	return toResult(q, resp, skip), nil
}

func toResult(q index.Query, resp searchResponse, skip int) index.Result {
	hits := resp.Hits
	if skip >= len(hits) {
		hits = nil
	} else {
		hits = hits[skip:]
	}
	out := index.Result{Total: resp.TotalHits, Hits: make([]index.Hit, 0, len(hits))}
	if out.Total == 0 && resp.EstimatedTotalHits > 0 {
		out.Total = resp.EstimatedTotalHits
	}
	text := strings.TrimSpace(q.Text)
	for _, h := range hits {
		out.Hits = append(out.Hits, index.Hit{
			Doc:     h.toDoc(),
			Score:   h.RankingScore,
			Snippet: snippet(text, h),
		})
	}
	if q.Facets {
		out.Facets = map[string][]index.FacetCount{
			"department": facetCounts(resp.FacetDistribution[attrDepartment]),
			"tag":        facetCounts(resp.FacetDistribution[attrTags]),
		}
	}
	return out
}

func facetCounts(m map[string]int) []index.FacetCount {
	out := make([]index.FacetCount, 0, len(m))
	for v, n := range m {
		if n > 0 {
			out = append(out, index.FacetCount{Value: v, Count: n})
		}
	}
	index.SortFacets(out)
	return out
}

// snippet picks, in order: the cropped body with Meilisearch's marks; a
// window of the body around the query words (when the match came from the
// n-gram field, Meilisearch marks nothing); the marked summary; the plain
// summary.
func snippet(text string, h searchHit) []index.Span {
	if text != "" {
		if spans := index.SplitMarked(h.Formatted.Body, index.HitPre, index.HitPost); anyHit(spans) {
			return index.MarkWords(spans, strings.Fields(text))
		}
		if spans := MarkWindow(h.Body, strings.Fields(text), snippetRunes); anyHit(spans) {
			return spans
		}
		if spans := index.SplitMarked(h.Formatted.Summary, index.HitPre, index.HitPost); anyHit(spans) {
			return index.MarkWords(spans, strings.Fields(text))
		}
	}
	if h.Summary == "" {
		return nil
	}
	return []index.Span{{Text: h.Summary}}
}

func anyHit(spans []index.Span) bool {
	for _, s := range spans {
		if s.Hit {
			return true
		}
	}
	return false
}

// MarkWindow returns a window of about width runes of text around the first
// occurrence of any of words (matched case-insensitively), with every
// occurrence inside it marked as a hit. It returns nil when no word occurs.
func MarkWindow(text string, words []string, width int) []index.Span {
	text = strings.ToValidUTF8(text, "\uFFFD")
	lower := foldSameWidth(text)
	var needles []string
	for _, w := range words {
		if w = foldSameWidth(w); w != "" {
			needles = append(needles, w)
		}
	}
	find := func(from int) (start, end int) {
		start, end = -1, -1
		for _, n := range needles {
			i := strings.Index(lower[from:], n)
			if i >= 0 && (start < 0 || from+i < start || from+i == start && from+i+len(n) > end) {
				start, end = from+i, from+i+len(n)
			}
		}
		return start, end
	}
	first, firstEnd := find(0)
	if first < 0 {
		return nil
	}
	// Centre the window on the first match, on rune boundaries.
	side := max((width-utf8.RuneCountInString(text[first:firstEnd]))/2, 0)
	lo := first
	for n := 0; n < side && lo > 0; n++ {
		_, size := utf8.DecodeLastRuneInString(text[:lo])
		lo -= size
	}
	hi := firstEnd
	for n := 0; n < side && hi < len(text); n++ {
		_, size := utf8.DecodeRuneInString(text[hi:])
		hi += size
	}
	var spans []index.Span
	if lo > 0 {
		spans = append(spans, index.Span{Text: ellipsis})
	}
	pos := lo
	for pos < hi {
		s, e := find(pos)
		if s < 0 || e > hi {
			break
		}
		if s > pos {
			spans = append(spans, index.Span{Text: text[pos:s]})
		}
		spans = append(spans, index.Span{Text: text[s:e], Hit: true})
		pos = e
	}
	if pos < hi {
		spans = append(spans, index.Span{Text: text[pos:hi]})
	}
	if hi < len(text) {
		spans = append(spans, index.Span{Text: ellipsis})
	}
	return mergePlain(spans)
}

// foldSameWidth lowercases s rune by rune, keeping a rune whose lower case
// has another UTF-8 length, so byte offsets in the result are offsets in s.
func foldSameWidth(s string) string {
	return strings.Map(func(r rune) rune {
		l := unicode.ToLower(r)
		if utf8.RuneLen(l) != utf8.RuneLen(r) {
			return r
		}
		return l
	}, s)
}

// mergePlain joins adjacent non-hit spans.
func mergePlain(spans []index.Span) []index.Span {
	out := spans[:0]
	for _, s := range spans {
		if n := len(out); n > 0 && !s.Hit && !out[n-1].Hit {
			out[n-1].Text += s.Text
			continue
		}
		out = append(out, s)
	}
	return out
}

// Ping checks that the server is available.
func (x *Index) Ping(ctx context.Context) error {
	h, err := x.client.Health(ctx)
	if err != nil {
		return fmt.Errorf("meiliindex: health: %w", err)
	}
	if h.Status != "available" {
		return fmt.Errorf("meiliindex: health: server status %q", h.Status)
	}
	return nil
}

// Close releases idle connections; the server keeps the index.
func (x *Index) Close() error {
	x.client.Close()
	return nil
}
