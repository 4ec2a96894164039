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
	lower := foldSameWidth(text)
	found = make([]bool, len(words))
	type latin struct {
		i     int
		forms []string
	}
	var latins []latin
	for i, w := range words {
		if w.Stop {
			continue
		}
		var forms []string
		for _, f := range append([]string{w.Text}, w.Alts...) {
			if strings.IndexFunc(f, IsCJK) >= 0 {
				for from := 0; ; {
					j := strings.Index(lower[from:], f)
					if j < 0 {
						break
					}
					ms = append(ms, match{from + j, from + j + len(f)})
					found[i] = true
					from += j + len(f)
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
		for _, p := range Pieces(lower) {
			if p.CJK {
				continue
			}
			k := Key(p.Text)
			for _, l := range latins {
				for _, f := range l.forms {
					if latinMatch(k, f) {
						ms = append(ms, match{p.Start, p.Start + len(p.Text)})
						found[l.i] = true
						break
					}
				}
			}
		}
	}
	return ms, found
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
	body = strings.ToValidUTF8(index.StripMarkers(body), "\uFFFD")
	ms, found := matches(body, words)
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
func window(text string, ms []match, width int) []index.Span {
	hit := make([]bool, len(text))
	first := len(text)
	firstEnd := len(text)
	for _, m := range ms {
		for i := m.start; i < m.end; i++ {
			hit[i] = true
		}
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
	for hi < len(text) && hit[hi] { // never cut a marked word
		_, size := utf8.DecodeRuneInString(text[hi:])
		hi += size
	}
	var spans []index.Span
	if lo > 0 {
		spans = append(spans, index.Span{Text: ellipsis})
	}
	for start := lo; start < hi; {
		end := start
		for end < hi && hit[end] == hit[start] {
			end++
		}
		spans = append(spans, index.Span{Text: text[start:end], Hit: hit[start]})
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
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b = append(b, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r < 0x2E80 {
			if l := unicode.ToLower(r); utf8.RuneLen(l) == size {
				b = utf8.AppendRune(b, l)
				i += size
				continue
			}
		}
		b = append(b, s[i:i+size]...)
		i += size
	}
	return string(b)
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
