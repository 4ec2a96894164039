// Package meiliindex is the Meilisearch search backend. Meilisearch segments
// Chinese with its cmn tokenizer (jieba) and matches only word prefixes, so a
// word in the middle of a sentence would be missed; and a CJK n-gram field
// is re-segmented by that tokenizer into single characters, so any document
// holding both characters of 验真 anywhere would match. Every document
// therefore carries its CJK unigrams and bigrams encoded as opaque Latin
// tokens (one token per gram, no typos allowed on them), and the query is
// rewritten by package lang the same way: segmented, stop words dropped,
// each CJK word sent as its encoded bigrams, Latin words as typed (typo
// tolerance: 1 from 5 letters, 2 from 9). The matching strategy "last"
// returns partial matches of a long question after the full ones.
// Snippets are built from the body by lang, marking whole query words.
// Words written inside markup (<script>alert) are also indexed split, in
// their own field, whatever the server's separators. Searches go through
// /multi-search; a server that is down, times out or answers 5xx is
// index.ErrUnavailable.
package meiliindex

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/meilisearch/meilisearch-go"

	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/index/lang"
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
	attrReaders    = "readers"
	attrExpires    = "expires_day"
	// attrTitleGrams holds the encoded grams of title, tags and summary,
	// attrNGrams those of the body; attrPinyin the pinyin of title and tags.
	attrTitleGrams = "tgrams"
	attrNGrams     = "ngrams"
	attrPinyin     = "pinyin"
	// attrWords holds the words of text written as markup (<script>alert,
	// a=b), split where a tokenizer may not split them; see MarkupWords.
	attrWords = "words"
)

const (
	// firstPoll and maxPoll bound the intervals between task polls: a
	// small write is seen at once, a long one costs few requests.
	firstPoll = 10 * time.Millisecond
	maxPoll   = 500 * time.Millisecond
	// upsertChunk is the number of documents sent per request.
	upsertChunk = 500
	// snippetRunes is the width of a snippet.
	snippetRunes = 80
	// maxNGramRunes bounds the CJK text turned into n-grams per document,
	// so a long body cannot exceed Meilisearch's per-attribute word limit.
	maxNGramRunes = 20000
	// maxQueryRunes bounds the query text.
	maxQueryRunes = 200
)

// ErrTaskFailed is returned when Meilisearch finished a task without success.
var ErrTaskFailed = errors.New("meiliindex: task failed")

// Index is a Meilisearch-backed index.Index. It is safe for concurrent use.
type Index struct {
	client meilisearch.ServiceManager
	idx    meilisearch.IndexManager
	uid    string
	syn    atomic.Pointer[lang.Synonyms]
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
	// One retry on 502/503/504 (a restarting server), not the client's
	// three with 1+2+3 s of backoff: a page waits at most a second before
	// its 503, and the index deadline stays the bound.
	opts = append(opts, meilisearch.WithCustomRetries([]int{502, 503, 504}, 1))
	client := meilisearch.New(url, opts...)
	x := &Index{client: client, idx: client.Index(indexUID), uid: indexUID}
	if err := x.Ping(ctx); err != nil {
		client.Close()
		return nil, unavailable(err)
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
		return fmt.Errorf("meiliindex: get index %s: %w", x.uid, unavailable(err))
	}
	info, err := x.client.CreateIndex(ctx, &meilisearch.IndexConfig{Uid: x.uid, PrimaryKey: attrID})
	if err != nil {
		return fmt.Errorf("meiliindex: create index %s: %w", x.uid, unavailable(err))
	}
	err = x.wait(ctx, info, "create index")
	var tf *taskError
	if errors.As(err, &tf) && tf.code == meilisearch.APIErrCodeIndexAlreadyExists {
		return nil // another portal process created it first
	}
	return err
}

// Settings returns the index settings New applies (synonyms are set by
// SetSynonyms).
func Settings() *meilisearch.Settings {
	text := []string{attrTitle, attrSummary, attrBody, attrTags, attrDepartment, attrAuthor}
	return &meilisearch.Settings{
		// "sort" first: SortNewest is a strict date order; without a sort
		// parameter the rule does nothing and relevance decides.
		RankingRules: []string{"sort", "words", "typo", "proximity", "attribute", "exactness"},
		// Order matters for the attribute rule: title and tags over
		// summary over body.
		SearchableAttributes: []string{attrTitle, attrTags, attrTitleGrams, attrPinyin, attrSummary, attrBody, attrNGrams, attrWords, attrDepartment, attrAuthor},
		FilterableAttributes: []string{attrKind, attrDepartment, attrTags, attrAudience, attrReaders, attrExpires},
		SortableAttributes:   []string{attrDateTS},
		LocalizedAttributes: []*meilisearch.LocalizedAttributes{
			{Locales: []string{"cmn"}, AttributePatterns: text},
		},
		// <script>alert is three tokens, not one (HTML typed as text).
		SeparatorTokens: []string{"<", ">", "="},
		TypoTolerance: &meilisearch.TypoTolerance{
			Enabled:             true,
			MinWordSizeForTypos: meilisearch.MinWordSizeForTypos{OneTypo: 5, TwoTypos: 9},
			// Encoded grams and pinyin must match exactly.
			DisableOnAttributes: []string{attrTitleGrams, attrNGrams, attrPinyin},
			DisableOnWords:      []string{},
		},
	}
}

// applySettings updates the settings only when they differ from the
// server's: re-applying them makes Meilisearch re-extract every word.
func (x *Index) applySettings(ctx context.Context) error {
	want := Settings()
	cur, err := x.idx.GetSettings(ctx)
	if err != nil {
		return fmt.Errorf("meiliindex: get settings of %s: %w", x.uid, unavailable(err))
	}
	if SettingsMatch(cur, want) {
		return nil
	}
	info, err := x.idx.UpdateSettings(ctx, want)
	if err != nil {
		return fmt.Errorf("meiliindex: update settings of %s: %w", x.uid, unavailable(err))
	}
	return x.wait(ctx, info, "update settings")
}

// SettingsMatch reports whether the server's settings cur already hold
// every value of want (lists whose order does not matter compared as sets).
func SettingsMatch(cur, want *meilisearch.Settings) bool {
	if cur == nil {
		return false
	}
	set := func(a, b []string) bool {
		a, b = slices.Clone(a), slices.Clone(b)
		slices.Sort(a)
		slices.Sort(b)
		return slices.Equal(a, b)
	}
	if !slices.Equal(cur.RankingRules, want.RankingRules) ||
		!slices.Equal(cur.SearchableAttributes, want.SearchableAttributes) ||
		!set(cur.FilterableAttributes, want.FilterableAttributes) ||
		!set(cur.SortableAttributes, want.SortableAttributes) ||
		!set(cur.SeparatorTokens, want.SeparatorTokens) {
		return false
	}
	if len(cur.LocalizedAttributes) != len(want.LocalizedAttributes) {
		return false
	}
	for i, l := range want.LocalizedAttributes {
		c := cur.LocalizedAttributes[i]
		if c == nil || !set(c.Locales, l.Locales) || !set(c.AttributePatterns, l.AttributePatterns) {
			return false
		}
	}
	ct, wt := cur.TypoTolerance, want.TypoTolerance
	return ct != nil && ct.Enabled == wt.Enabled && ct.MinWordSizeForTypos == wt.MinWordSizeForTypos &&
		set(ct.DisableOnAttributes, wt.DisableOnAttributes) && set(ct.DisableOnWords, wt.DisableOnWords)
}

// SetSynonyms stores the synonym groups in Meilisearch's synonyms setting,
// in the encoded form queries use, when they differ from the server's.
func (x *Index) SetSynonyms(ctx context.Context, groups [][]string) error {
	syn := lang.NewSynonyms(groups)
	x.syn.Store(syn)
	want := SynonymsSetting(syn)
	cur, err := x.idx.GetSynonyms(ctx)
	if err != nil {
		return fmt.Errorf("meiliindex: get synonyms of %s: %w", x.uid, unavailable(err))
	}
	if cur != nil && synonymsEqual(*cur, want) {
		return nil
	}
	info, err := x.idx.UpdateSynonyms(ctx, &want)
	if err != nil {
		return fmt.Errorf("meiliindex: update synonyms of %s: %w", x.uid, unavailable(err))
	}
	return x.wait(ctx, info, "update synonyms")
}

// SynonymsSetting maps every term of syn, as the query sends it (CJK as
// encoded bigrams, Latin as written, hyphenated also as separate words), to
// the same forms of the other terms of its groups.
func SynonymsSetting(syn *lang.Synonyms) map[string][]string {
	out := map[string][]string{}
	for _, g := range syn.Groups() {
		var forms [][]string
		for _, t := range g {
			forms = append(forms, termForms(t))
		}
		for i, fs := range forms {
			for _, f := range fs {
				for j, others := range forms {
					if i == j {
						continue
					}
					for _, o := range others {
						if o != f && !slices.Contains(out[f], o) {
							out[f] = append(out[f], o)
						}
					}
				}
			}
		}
	}
	for k := range out {
		slices.Sort(out[k])
	}
	return out
}

func termForms(t string) []string {
	k := lang.Key(t)
	if strings.IndexFunc(k, lang.IsCJK) >= 0 {
		return []string{EncodeWord(k)}
	}
	forms := []string{k}
	if spaced := strings.Join(strings.FieldsFunc(lang.Normalize(t), func(r rune) bool { return r == '-' || r == ' ' || r == '.' }), " "); spaced != k {
		forms = append(forms, spaced)
	}
	return forms
}

func synonymsEqual(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range b {
		c := slices.Clone(a[k])
		slices.Sort(c)
		if !slices.Equal(c, v) {
			return false
		}
	}
	return true
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
	return x.waitAll(ctx, []*meilisearch.TaskInfo{info}, what)
}

// waitAll waits for tasks of this index enqueued in the given order. The
// index runs its tasks in order, so it polls only the last one (first at
// once, then at growing intervals up to maxPoll), and then reads the
// statuses of the earlier ones in one GET /tasks?uids=….
func (x *Index) waitAll(ctx context.Context, infos []*meilisearch.TaskInfo, what string) error {
	if len(infos) == 0 {
		return nil
	}
	last := infos[len(infos)-1].TaskUID
	interval := firstPoll
	for {
		task, err := x.client.GetTask(ctx, last)
		if err != nil {
			return fmt.Errorf("meiliindex: %s: wait for task %d: %w", what, last, unavailable(err))
		}
		if task.Status != meilisearch.TaskStatusEnqueued && task.Status != meilisearch.TaskStatusProcessing {
			if err := taskErr(task, what); err != nil {
				return err
			}
			break
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("meiliindex: %s: wait for task %d: %w", what, last, unavailable(ctx.Err()))
		case <-t.C:
		}
		interval = min(interval*2, maxPoll)
	}
	if len(infos) == 1 {
		return nil
	}
	uids := make([]int64, 0, len(infos)-1)
	for _, info := range infos[:len(infos)-1] {
		uids = append(uids, info.TaskUID)
	}
	res, err := x.client.GetTasks(ctx, &meilisearch.TasksQuery{UIDS: uids, Limit: int64(len(uids))})
	if err != nil {
		return fmt.Errorf("meiliindex: %s: statuses of tasks %v: %w", what, uids, unavailable(err))
	}
	if len(res.Results) != len(uids) {
		return fmt.Errorf("meiliindex: %s: %d statuses for tasks %v", what, len(res.Results), uids)
	}
	for i := range res.Results {
		if err := taskErr(&res.Results[i], what); err != nil {
			return err
		}
	}
	return nil
}

// taskErr is nil for a succeeded task, a *taskError otherwise.
func taskErr(task *meilisearch.Task, what string) error {
	if task.Status == meilisearch.TaskStatusSucceeded {
		return nil
	}
	return &taskError{what: what, uid: task.UID, status: task.Status, code: task.Error.Code, message: task.Error.Message}
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
	Readers    []string  `json:"readers"`
	ExpiresDay int       `json:"expires_day"`
	Expires    time.Time `json:"expires,omitzero"`
	TitleGrams string    `json:"tgrams,omitempty"`
	NGrams     string    `json:"ngrams,omitempty"`
	Pinyin     string    `json:"pinyin,omitempty"`
	Words      string    `json:"words,omitempty"`
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
	s.Readers = d.Readers
	if len(s.Readers) == 0 {
		s.Readers = []string{index.Everyone}
	}
	s.ExpiresDay, s.Expires = index.Day(d.Expires), d.Expires
	s.TitleGrams = NGrams(append([]string{s.Title, s.Summary}, s.Tags...)...)
	s.NGrams = NGrams(s.Body)
	s.Pinyin = strings.Join(lang.Pinyin(append([]string{s.Title}, s.Tags...)...), " ")
	s.Words = MarkupWords(s.Title, s.Summary, s.Body)
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
		Expires:    s.Expires,
	}
	if len(s.Readers) > 0 && !(len(s.Readers) == 1 && s.Readers[0] == index.Everyone) {
		d.Readers = s.Readers
	}
	if !s.Date.IsZero() {
		d.Date = s.Date
	}
	return d
}

// NGrams returns the CJK unigrams and bigrams of texts in text order, each
// encoded as one Latin token (EncodeGram) and separated by spaces; Latin
// words are left to Meilisearch's own tokenizer (they are in the other
// attributes). At most maxNGramRunes characters are read.
func NGrams(texts ...string) string {
	var b strings.Builder
	budget := maxNGramRunes
	for _, text := range texts {
		if budget <= 0 {
			break
		}
		t := lang.Normalize(text)
		if n := utf8.RuneCountInString(t); n > budget {
			t = truncateRunes(t, budget)
		}
		budget -= utf8.RuneCountInString(t)
		for _, g := range lang.Grams(t) {
			if strings.IndexFunc(g, lang.IsCJK) < 0 {
				continue
			}
			if e := EncodeGram(g); e != "" {
				if b.Len() > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(e)
			}
		}
	}
	return b.String()
}

// gramRuneLetters is how many letters EncodeGram spends on a character:
// 26⁴ covers every code point up to U+6F58F (all of CJK and beyond).
const gramRuneLetters = 4

// EncodeGram turns a CJK gram into one lowercase Latin token ("q" and four
// letters per character), which every tokenizer keeps whole; "" when a
// character is beyond what four letters encode.
func EncodeGram(g string) string {
	var b strings.Builder
	b.WriteByte('q')
	for _, r := range g {
		n := int(r)
		var buf [gramRuneLetters]byte
		for i := gramRuneLetters - 1; i >= 0; i-- {
			buf[i] = byte('a' + n%26)
			n /= 26
		}
		if n != 0 {
			return ""
		}
		b.Write(buf[:])
	}
	return b.String()
}

// EncodeWord is the query form of a CJK word: its bigrams (itself, for one
// or two characters) encoded and separated by spaces.
func EncodeWord(w string) string {
	var parts []string
	for _, g := range lang.WordGrams(w) {
		if e := EncodeGram(g); e != "" {
			parts = append(parts, e)
		}
	}
	return strings.Join(parts, " ")
}

// QueryText rewrites the words of a query for Meilisearch: the required
// words in order, each CJK word as its encoded bigrams and each Latin word
// as typed; stop words are left out.
func QueryText(words []lang.Word) string {
	var parts []string
	for _, w := range lang.Required(words) {
		if w.CJK {
			if e := EncodeWord(w.Text); e != "" {
				parts = append(parts, e)
			}
			continue
		}
		parts = append(parts, w.Text)
	}
	return strings.Join(parts, " ")
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
			return fmt.Errorf("meiliindex: upsert %d docs into %s: %w", len(chunk), x.uid, unavailable(err))
		}
		infos = append(infos, info)
	}
	return x.waitAll(ctx, infos, "upsert")
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
		return fmt.Errorf("meiliindex: delete %d docs from %s: %w", len(ids), x.uid, unavailable(err))
	}
	return x.wait(ctx, info, "delete")
}

// Reset deletes every document, keeping the index and its settings.
func (x *Index) Reset(ctx context.Context) error {
	info, err := x.idx.DeleteAllDocuments(ctx, nil)
	if err != nil {
		return fmt.Errorf("meiliindex: reset %s: %w", x.uid, unavailable(err))
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
	RankingScore float64 `json:"_rankingScore"`
}

// request builds the Meilisearch search request for q, whose text has
// been analysed into words. It returns how many leading hits of the answer
// to skip (see pageWindow).
func request(q index.Query, words []lang.Word) (*meilisearch.SearchRequest, int) {
	offset, limit := q.Page()
	page, perPage, skip := pageWindow(offset, limit)
	req := &meilisearch.SearchRequest{
		Query:       QueryText(words),
		Page:        page,
		HitsPerPage: &perPage,
		AttributesToRetrieve: []string{
			attrID, attrKind, attrTitle, attrSummary, attrBody, attrDepartment,
			attrTags, attrAuthor, attrAudience, attrDate, attrURL, attrReaders, "expires",
		},
		MatchingStrategy: meilisearch.Last,
		ShowRankingScore: true,
	}
	if f := Filter(q); f != "" {
		req.Filter = f
	}
	if q.EffectiveSort() == index.SortNewest {
		req.Sort = []string{attrDateTS + ":desc"}
	}
	if q.Facets {
		req.Facets = []string{attrKind, attrDepartment, attrTags}
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
	if len(q.Readers) > 0 {
		rs := []string{attrReaders + " = " + quote(index.Everyone)}
		for _, r := range q.Readers {
			rs = append(rs, attrReaders+" = "+quote(r))
		}
		parts = append(parts, "("+strings.Join(rs, " OR ")+")")
	}
	if !q.Now.IsZero() {
		parts = append(parts, fmt.Sprintf("%s >= %d", attrExpires, index.Day(q.Now)))
	}
	return strings.Join(parts, " AND ")
}

var quoteEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`)

// quote makes s a double-quoted filter value (Meilisearch ≥ 1.4 unescapes
// \\ and \").
func quote(s string) string {
	return `"` + quoteEscaper.Replace(s) + `"`
}

// Search runs q. Empty Text lists every document. It is one
// /multi-search round trip (see SearchMany).
func (x *Index) Search(ctx context.Context, q index.Query) (index.Result, error) {
	res, err := x.SearchMany(ctx, q)
	if err != nil {
		return index.Result{}, err
	}
	return res[0], nil
}

// SearchMany runs every query in one request to Meilisearch's
// /multi-search endpoint (each query answered as by Search, in order), so
// a page that needs several searches makes one round trip.
func (x *Index) SearchMany(ctx context.Context, qs ...index.Query) ([]index.Result, error) {
	out := make([]index.Result, len(qs))
	type pending struct {
		at    int
		words []lang.Word
		skip  int
	}
	var (
		reqs []*meilisearch.SearchRequest
		sent []pending
	)
	for i, q := range qs {
		text := truncateRunes(strings.TrimSpace(q.Text), maxQueryRunes)
		var words []lang.Word
		if text != "" {
			words = lang.Query(text, x.syn.Load())
			if len(lang.Required(words)) == 0 || QueryText(words) == "" {
				out[i] = index.Result{Hits: []index.Hit{}} // only punctuation
				continue
			}
		}
		req, skip := request(q, words)
		req.IndexUID = x.uid
		reqs = append(reqs, req)
		sent = append(sent, pending{at: i, words: words, skip: skip})
	}
	if len(reqs) == 0 {
		return out, nil
	}
	resp, err := x.client.MultiSearch(ctx, &meilisearch.MultiSearchRequest{Queries: reqs})
	if err != nil {
		return nil, fmt.Errorf("meiliindex: search %q in %s: %w", queryTexts(qs), x.uid, unavailable(err))
	}
	if len(resp.Results) != len(reqs) {
		return nil, fmt.Errorf("meiliindex: multi-search answered %d results for %d queries", len(resp.Results), len(reqs))
	}
	for j, p := range sent {
		// The client decodes hits as raw fields; re-read them as stored documents.
		raw, err := json.Marshal(resp.Results[j])
		if err != nil {
			return nil, fmt.Errorf("meiliindex: re-encode search result: %w", err)
		}
		var r searchResponse
		if err := json.Unmarshal(raw, &r); err != nil {
			return nil, fmt.Errorf("meiliindex: decode search response: %w", err)
		}
		out[p.at] = toResult(qs[p.at], p.words, r, p.skip)
	}
	return out, nil
}

func queryTexts(qs []index.Query) []string {
	out := make([]string, len(qs))
	for i, q := range qs {
		out[i] = q.Text
	}
	return out
}

func toResult(q index.Query, words []lang.Word, resp searchResponse, skip int) index.Result {
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
	for _, h := range hits {
		hit := index.Hit{Doc: h.toDoc(), Score: h.RankingScore, Coverage: 1}
		switch {
		case len(words) > 0:
			hit.Snippet, hit.Coverage = lang.Describe(words, snippetRunes, h.Body, h.Summary, h.Title, strings.Join(h.Tags, " "))
		case h.Summary != "":
			hit.Snippet = []index.Span{{Text: h.Summary}}
		}
		out.Hits = append(out.Hits, hit)
	}
	if q.EffectiveSort() == index.SortRelevance {
		index.RankPage(out.Hits)
	}
	if q.Facets {
		out.Facets = map[string][]index.FacetCount{
			"kind":       facetCounts(resp.FacetDistribution[attrKind]),
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

// Ping checks that the server is available.
func (x *Index) Ping(ctx context.Context) error {
	h, err := x.client.Health(ctx)
	if err != nil {
		return fmt.Errorf("meiliindex: health: %w", unavailable(err))
	}
	if h.Status != "available" {
		return fmt.Errorf("meiliindex: health: %w: server status %q", index.ErrUnavailable, h.Status)
	}
	return nil
}

// Close releases idle connections; the server keeps the index.
func (x *Index) Close() error {
	x.client.Close()
	return nil
}
