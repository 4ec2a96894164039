// Package lang is the query and document understanding both search backends
// share, so bleve and Meilisearch meet the same expectations: Chinese word
// segmentation (gse, with an embedded dictionary) beside CJK unigrams and
// bigrams for mid-word matches, question and function words that do not
// have to match, English stemming and typo tolerance, synonyms, and pinyin
// (full and initials) for titles and tags.
//
// The segmenter's dictionary (about 68,000 words of gse's simplified-Chinese
// dictionary plus the workplace words in dict_work.txt) is loaded once per
// process, on first use or by Warm at start-up: about a second and 25 MB.
package lang

import (
	_ "embed"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/go-ego/gse"
	"golang.org/x/text/width"
)

//go:embed dict_zh.txt
var dictZh string

//go:embed dict_work.txt
var dictWork string

// workFreq is the frequency given to the workplace words, high enough that
// the segmenter prefers them to splitting them.
const workFreq = "5000"

var seg struct {
	once sync.Once
	s    *gse.Segmenter
	mu   sync.Mutex // gse's Cut is not documented as safe for concurrent use
}

// Warm loads the segmenter's dictionary now (in the background at start-up)
// rather than on the first search.
func Warm() { segmenter() }

func segmenter() *gse.Segmenter {
	seg.once.Do(func() {
		s := &gse.Segmenter{SkipLog: true}
		var b strings.Builder
		b.Grow(len(dictZh) + len(dictWork)*2)
		b.WriteString(dictZh)
		for _, line := range strings.Split(dictWork, "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "#") {
				continue
			}
			for _, w := range strings.Fields(line) {
				b.WriteString(w + " " + workFreq + "\n")
			}
		}
		// LoadDictStr fails only on an empty dictionary, which the
		// embedded one is not.
		if err := s.LoadDictStr(b.String()); err != nil {
			panic("lang: load dictionary: " + err.Error())
		}
		seg.s = s
	})
	return seg.s
}

// cut segments one run of CJK text into words (precise mode, no HMM, so
// unknown words come out as single characters that MergeSingles rejoins).
func cut(run string) []string {
	s := segmenter()
	seg.mu.Lock()
	defer seg.mu.Unlock()
	return s.Cut(run, false)
}

// cutSearch is cut in search mode: also the shorter dictionary words inside
// a long one (会议 and 会议室), for the index.
func cutSearch(run string) []string {
	s := segmenter()
	seg.mu.Lock()
	defer seg.mu.Unlock()
	return s.CutSearch(run, false)
}

// IsCJK reports whether r is a Han, kana or Hangul character.
func IsCJK(r rune) bool {
	return r >= 0x2E80 && unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul)
}

func isWordRune(r rune) bool {
	return r < 0x2E80 && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

// Normalize folds full-width forms to their narrow ones and lowercases, so
// ＶＰＮ, VPN and vpn are one word.
func Normalize(s string) string {
	return strings.ToLower(width.Fold.String(s))
}

// Piece is a run of text of one script.
type Piece struct {
	Text  string
	CJK   bool
	Start int // byte offset in the normalized text
}

// Pieces splits normalized text into CJK runs and Latin words (letters and
// digits; a hyphen or dot between two of them stays inside the word, so
// wi-fi and 1.5 are one piece). Everything else separates.
func Pieces(text string) []Piece {
	var out []Piece
	start, cjk := -1, false
	flush := func(end int) {
		if start >= 0 {
			out = append(out, Piece{Text: text[start:end], CJK: cjk, Start: start})
		}
		start = -1
	}
	for i, r := range text {
		switch {
		case IsCJK(r):
			if start >= 0 && !cjk {
				flush(i)
			}
			if start < 0 {
				start, cjk = i, true
			}
		case isWordRune(r):
			if start >= 0 && cjk {
				flush(i)
			}
			if start < 0 {
				start, cjk = i, false
			}
		case (r == '-' || r == '.' || r == '\'') && start >= 0 && !cjk && nextIsWord(text[i+1:]):
			// inside a Latin word
		default:
			flush(i)
		}
	}
	flush(len(text))
	return out
}

func nextIsWord(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return isWordRune(r)
}

// latinForms returns the index forms of a Latin piece: the word with
// hyphens and dots removed (wi-fi → wifi) and, for a joined word, its parts.
func latinForms(p string) []string {
	if !strings.ContainsAny(p, "-.'") {
		return []string{p}
	}
	joined := keyJoiner.Replace(p)
	out := []string{joined}
	for _, part := range strings.FieldsFunc(p, func(r rune) bool { return r == '-' || r == '.' || r == '\'' }) {
		if part != joined {
			out = append(out, part)
		}
	}
	return out
}

// Grams returns the CJK unigrams and bigrams of normalized text, and its
// Latin words unstemmed (joined and parts), in text order: the terms that
// find a word in the middle of a sentence.
func Grams(text string) []string {
	var out []string
	for _, p := range Pieces(text) {
		if !p.CJK {
			out = append(out, latinForms(p.Text)...)
			continue
		}
		rs := []rune(p.Text)
		for i := range rs {
			out = append(out, string(rs[i]))
			if i+1 < len(rs) {
				out = append(out, string(rs[i:i+2]))
			}
		}
	}
	return out
}

// WordGrams returns the bigrams of a CJK word (itself when it has one or
// two characters): all of them present means the word may be present.
func WordGrams(w string) []string {
	rs := []rune(w)
	if len(rs) <= 2 {
		return []string{w}
	}
	out := make([]string, 0, len(rs)-1)
	for i := 0; i+1 < len(rs); i++ {
		out = append(out, string(rs[i:i+2]))
	}
	return out
}

// BodyTerms returns the terms of a long text (a body) for the index: its
// Grams, plus the stem of each Latin word that differs from the word. It
// does not run the segmenter, which would cost milliseconds per page of
// text: a body is matched by grams, titles, summaries and tags by words too.
func BodyTerms(text string) []string {
	out := Grams(text)
	for _, p := range Pieces(text) {
		if p.CJK {
			continue
		}
		for _, f := range latinForms(p.Text) {
			if s := Stem(f); s != f {
				out = append(out, s)
			}
		}
	}
	return out
}

// Words returns the words of normalized text for the index: dictionary
// words of two or more characters from the segmenter in search mode, and
// Latin words stemmed (joined and parts). Stop words are left out: they
// still score through Grams. Use it for short texts (titles, summaries,
// tags).
func Words(text string) []string {
	var out []string
	for _, p := range Pieces(text) {
		if !p.CJK {
			for _, f := range latinForms(p.Text) {
				if !IsStop(f) {
					out = append(out, Stem(f))
				}
			}
			continue
		}
		for _, w := range cutSearch(p.Text) {
			if utf8.RuneCountInString(w) >= 2 && !IsStop(w) {
				out = append(out, w)
			}
		}
	}
	return out
}
