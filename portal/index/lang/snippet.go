package lang

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/jinnang/jinnang/portal/index"
)

// ellipsis marks text cut off a snippet.
const ellipsis = "…"

// match is a byte range of a text that a query word matches.
type match struct{ start, end int }

// matches finds where the words (and their synonyms) occur in text: CJK
// words as substrings, Latin words as whole words whose stem is the
// word's, or within its typo tolerance. Stop words are not marked. Offsets
// are into text itself (folding keeps byte lengths).
func matches(text string, words []Word) (ms []match, found []bool) {
	return matchesNear(text, words, -1)
}

// matchesNear is matches for a snippet of width runes: found is the same,
// but of the CJK occurrences only those a snippet around the first match
// can show are listed (width < 0: all of them). Reading a long body for a
// snippet then costs one substring search per word, not one per
// occurrence.
func matchesNear(text string, words []Word, width int) (ms []match, found []bool) {
	lower := text
	if needsFold(words) {
		lower = foldSameWidth(text)
	}
	return matchesIn(lower, words, width)
}

// needsFold reports whether finding words needs the folded text: a Latin
// word does, and so does a form with a rune that folding changes or
// makes. A form of CJK (IsCJK runes, which foldSameWidth neither changes
// nor produces) and ASCII non-letters occurs at the same
// offsets in the text as in its fold, so a query of Chinese words does not
// copy a body that holds an upper-case letter.
func needsFold(words []Word) bool {
	for _, w := range words {
		if w.Stop {
			continue
		}
		for _, f := range append([]string{w.Text}, w.Alts...) {
			if strings.IndexFunc(f, IsCJK) < 0 {
				return true // a Latin form: latinWords reads the fold
			}
			for _, r := range f {
				if !IsCJK(r) && (r >= utf8.RuneSelf || 'A' <= r && r <= 'Z' || 'a' <= r && r <= 'z') {
					return true
				}
			}
		}
	}
	return false
}

// matchesIn is matchesNear over lower, the text folded by foldSameWidth
// (or the text itself when needsFold says the fold changes nothing the
// words can match).
func matchesIn(lower string, words []Word, width int) (ms []match, found []bool) {
	found = make([]bool, len(words))
	type latin struct {
		i     int
		forms []string
	}
	type cjk struct {
		form string
		at   int // the next occurrence to list
	}
	var latins []latin
	var cjks []cjk
	for i, w := range words {
		if w.Stop {
			continue
		}
		var forms []string
		for _, f := range append([]string{w.Text}, w.Alts...) {
			if strings.IndexFunc(f, IsCJK) >= 0 {
				if j := strings.Index(lower, f); j >= 0 {
					cjks = append(cjks, cjk{f, j})
					found[i] = true
				}
				continue
			}
			forms = append(forms, f)
		}
		if len(forms) > 0 {
			latins = append(latins, latin{i, forms})
		}
	}
	if len(latins) > 0 {
		latinWords(lower, func(start, end int) {
			k := Key(lower[start:end])
			for _, l := range latins {
				for _, f := range l.forms {
					if latinMatch(k, f) {
						ms = append(ms, match{start, end})
						found[l.i] = true
						break
					}
				}
			}
		})
	}
	// list adds the CJK occurrences that start at or before limit.
	list := func(limit int) {
		for k := range cjks {
			c := &cjks[k]
			for c.at >= 0 && c.at <= limit {
				ms = append(ms, match{c.at, c.at + len(c.form)})
				from := c.at + len(c.form)
				if j := strings.Index(lower[from:], c.form); j >= 0 {
					c.at = from + j
				} else {
					c.at = -1
				}
			}
		}
	}
	if width < 0 || len(cjks) == 0 {
		list(len(lower))
		return ms, found
	}
	// A snippet starts at the first match and ends within width runes
	// (4 bytes at most each) of its end, then runs on to the end of a
	// marked word: list what starts there, and what touches that.
	first, longest := len(lower), 0
	for _, m := range ms {
		first = min(first, m.start)
	}
	for _, c := range cjks {
		first, longest = min(first, c.at), max(longest, len(c.form))
	}
	limit := first + longest + 4*width
	for {
		list(limit)
		end := limit
		for _, m := range ms {
			end = max(end, m.end)
		}
		if end == limit {
			return ms, found
		}
		limit = end
	}
}

// latinMatch reports whether the text word t matches the query word q:
// equal, the same stem, or within q's typo tolerance (a transposition is
// one typo).
func latinMatch(t, q string) bool {
	if t == q || Stem(t) == Stem(q) {
		return true
	}
	f := Fuzziness(q)
	return f > 0 && withinDistance(t, q, f)
}

// withinDistance reports whether the Damerau–Levenshtein (optimal string
// alignment) distance of a and b is at most k.
func withinDistance(a, b string, k int) bool {
	ra, rb := []rune(a), []rune(b)
	if d := len(ra) - len(rb); d > k || -d > k {
		return false
	}
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		best := cur[0]
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
			best = min(best, cur[j])
		}
		if best > k {
			return false
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)] <= k
}

// Coverage is the share of the query's required words that occur in any
// of texts (1 when the query has none); a lone Chinese character weighs a
// quarter of a word.
func Coverage(words []Word, texts ...string) float64 {
	hit := make([]bool, len(words))
	for _, t := range texts {
		_, found := matches(t, words)
		for i, f := range found {
			hit[i] = hit[i] || f
		}
	}
	return coverage(words, hit)
}

// Describe is Snippet and Coverage at once for a hit: the snippet of body
// (else of summary; else the plain summary) and the coverage of the query
// over body, summary and others (title, tags), reading the body once.
func Describe(words []Word, width int, body, summary string, others ...string) ([]index.Span, float64) {
	body = index.StripMarkers(body)
	if !utf8.ValidString(body) {
		body = strings.ToValidUTF8(body, "\uFFFD")
	}
	ms, found := matchesNear(body, words, width)
	hit := slices.Clone(found)
	for _, t := range append(others, summary) {
		_, f := matches(t, words)
		for i := range f {
			hit[i] = hit[i] || f[i]
		}
	}
	// A Latin word that is not in the text may be the pinyin of the title
	// or a tag (baoxiao): that is a match too.
	var py []string
	for i, w := range words {
		if hit[i] || w.Stop || w.CJK {
			continue
		}
		if py == nil {
			py = append(Pinyin(others...), "")
		}
		hit[i] = slices.Contains(py, w.Text)
	}
	cov := coverage(words, hit)
	if len(ms) > 0 {
		return window(body, ms, width), cov
	}
	if s := Snippet(summary, words, width); s != nil {
		return s, cov
	}
	if summary == "" {
		return nil, cov
	}
	return []index.Span{{Text: summary}}, cov
}

// singleWeight is how much a lone Chinese character (算 of 年假怎么算)
// counts toward coverage against a word: it occurs nearly everywhere.
const singleWeight = 0.25

// coverage is the weighted share of the required words that hit marks.
func coverage(words []Word, hit []bool) float64 {
	var req, n float64
	for i, w := range words {
		if w.Stop {
			continue
		}
		weight := 1.0
		if w.CJK && utf8.RuneCountInString(w.Text) == 1 {
			weight = singleWeight
		}
		req += weight
		if hit[i] {
			n += weight
		}
	}
	if req == 0 {
		return 1
	}
	return n / req
}

// Snippet returns a window of about width runes of text around the first
// place the query words occur, with every occurrence marked as a hit, the
// whole word the reader typed (never a single character of it). It returns
// nil when no word occurs.
func Snippet(text string, words []Word, width int) []index.Span {
	text = strings.ToValidUTF8(index.StripMarkers(text), "\uFFFD")
	ms, _ := matches(text, words)
	if len(ms) == 0 {
		return nil
	}
	return window(text, ms, width)
}

// window is the snippet of text around the first of ms, every one marked.
// The marks are kept for the snippet's bytes only, not for the whole text
// (a 6,000-rune body).
func window(text string, ms []match, width int) []index.Span {
	first := len(text)
	firstEnd := len(text)
	for _, m := range ms {
		if m.start < first {
			first, firstEnd = m.start, m.end
		}
	}
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
	// Give the window the width the left side did not use.
	for n := utf8.RuneCountInString(text[lo:hi]); n < width && hi < len(text); n++ {
		_, size := utf8.DecodeRuneInString(text[hi:])
		hi += size
	}
	// Never cut a marked word: run on to the end of every match that
	// covers hi (matches start and end on rune boundaries).
	for moved := true; moved && hi < len(text); {
		moved = false
		for _, m := range ms {
			if m.start <= hi && hi < m.end {
				hi, moved = m.end, true
			}
		}
	}
	hit := make([]bool, hi-lo) // hit[i] marks text[lo+i]
	for _, m := range ms {
		for i := max(m.start, lo); i < min(m.end, hi); i++ {
			hit[i-lo] = true
		}
	}
	at := func(i int) bool { return hit[i-lo] }
	var spans []index.Span
	if lo > 0 {
		spans = append(spans, index.Span{Text: ellipsis})
	}
	for start := lo; start < hi; {
		end := start
		for end < hi && at(end) == at(start) {
			end++
		}
		spans = append(spans, index.Span{Text: text[start:end], Hit: at(start)})
		start = end
	}
	if hi < len(text) {
		spans = append(spans, index.Span{Text: ellipsis})
	}
	return mergePlain(spans)
}

// foldSameWidth lowercases s, keeping a rune whose lower case has another
// UTF-8 length, so byte offsets in the result are offsets in s. CJK text
// is copied as it is.
func foldSameWidth(s string) string {
	var b []byte // nil until the first rune that changes
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				if b == nil {
					b = append(make([]byte, 0, len(s)), s[:i]...)
				}
				b = append(b, c+'a'-'A')
			} else if b != nil {
				b = append(b, c)
			}
			i++
			continue
		}
		size := cjkSize(s, i)
		if size == 0 {
			var r rune
			r, size = utf8.DecodeRuneInString(s[i:])
			if r < 0x2E80 {
				if l := unicode.ToLower(r); l != r && utf8.RuneLen(l) == size {
					if b == nil {
						b = append(make([]byte, 0, len(s)), s[:i]...)
					}
					b = utf8.AppendRune(b, l)
					i += size
					continue
				}
			}
		}
		if b != nil {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	if b == nil {
		return s
	}
	return string(b)
}

// cjkSize is 3 when s[i:] starts with a well-formed three-byte sequence of
// a rune at or above U+3000 (lead byte 0xE3–0xEF: CJK, kana, Hangul, CJK
// punctuation, full-width forms), which neither folding nor a Latin word
// ever changes or takes in; else 0 (decode the rune).
func cjkSize(s string, i int) int {
	if c := s[i]; c >= 0xE3 && c <= 0xEF && i+2 < len(s) && s[i+1]&0xC0 == 0x80 && s[i+2]&0xC0 == 0x80 {
		return 3
	}
	return 0
}

// latinWords calls fn with the byte range of every Latin word of text, as
// the non-CJK pieces of Pieces, without building the pieces: a rune at or
// above U+2E80 is never part of one, so CJK text is skipped three bytes at
// a time.
func latinWords(text string, fn func(start, end int)) {
	start := -1
	for i := 0; i < len(text); {
		var r rune
		size := 1
		switch c := text[i]; {
		case c < utf8.RuneSelf:
			r = rune(c)
		case cjkSize(text, i) == 3:
			r, size = 0x3000, 3
		default:
			r, size = utf8.DecodeRuneInString(text[i:])
		}
		switch {
		case isWordRune(r):
			if start < 0 {
				start = i
			}
		case (r == '-' || r == '.' || r == '\'') && start >= 0 && nextIsWord(text[i+size:]):
			// inside a Latin word
		default:
			if start >= 0 {
				fn(start, i)
				start = -1
			}
		}
		i += size
	}
	if start >= 0 {
		fn(start, len(text))
	}
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
