package lang

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// MaxWords bounds the words of one query that take part in matching; the
// rest of a pasted paragraph is ignored.
const MaxWords = 12

// Word is one word of a query.
type Word struct {
	Text string   // normalized: a CJK word, or a Latin word (hyphens removed)
	CJK  bool     // Chinese (or other CJK) text
	Stop bool     // a question or function word: scores, need not match
	Alts []string // synonyms, normalized (without Text)
}

// Stem is the English stem of a Latin word ("" for CJK).
func (w Word) Stem() string {
	if w.CJK {
		return ""
	}
	return Stem(w.Text)
}

// Fuzziness is the typo tolerance of the word (0 for CJK).
func (w Word) Fuzziness() int {
	if w.CJK {
		return 0
	}
	return Fuzziness(w.Text)
}

// Query splits what a person typed into words. Chinese runs are segmented;
// neighbouring single characters that are not stop words are joined again
// (an unknown word such as 验真 must match as a whole, not as 验 and 真); a
// synonym written inside a run (社保公积金) is kept as one word. When every
// word is a stop word, none is treated as one.
func Query(text string, syn *Synonyms) []Word {
	t := Normalize(text)
	var out []Word
	add := func(w Word) {
		if w.Text == "" || slices.ContainsFunc(out, func(o Word) bool { return o.Text == w.Text }) {
			return
		}
		w.Alts = syn.Alts(w.Text)
		out = append(out, w)
	}
	for _, p := range Pieces(t) {
		if !p.CJK {
			k := Key(p.Text)
			add(Word{Text: k, Stop: IsStop(k)})
			continue
		}
		for _, w := range segmentRun(p.Text, syn) {
			add(Word{Text: w, CJK: true, Stop: IsStop(w)})
		}
	}
	allStop := true
	for _, w := range out {
		allStop = allStop && w.Stop
	}
	if allStop {
		for i := range out {
			out[i].Stop = false
		}
	}
	n, kept := 0, out[:0]
	for _, w := range out {
		if !w.Stop {
			if n++; n > MaxWords {
				continue
			}
		}
		kept = append(kept, w)
	}
	out = kept
	return out
}

// segmentRun cuts a CJK run into words: the segmenter's words, where
// neighbouring words that spell a synonym term (社保+公积金) are joined into
// it, then neighbouring single characters joined again. A synonym never
// splits a word (工资 is not taken out of 工资卡).
func segmentRun(run string, syn *Synonyms) []string {
	cuts := cut(run)
	var toks []string
	for i := 0; i < len(cuts); i++ {
		joined := false
		for j := min(len(cuts), i+6); j >= i+2 && syn != nil; j-- {
			if t := strings.Join(cuts[i:j], ""); len(syn.byKey[t]) > 0 {
				toks = append(toks, "\x00"+t) // marked: never joined
				i = j - 1
				joined = true
				break
			}
		}
		if !joined {
			toks = append(toks, cuts[i])
		}
	}
	var out []string
	var single strings.Builder
	flush := func() {
		if single.Len() > 0 {
			out = append(out, single.String())
			single.Reset()
		}
	}
	for _, tok := range toks {
		if term, ok := strings.CutPrefix(tok, "\x00"); ok {
			flush()
			out = append(out, term)
			continue
		}
		if utf8.RuneCountInString(tok) == 1 && !IsStop(tok) {
			single.WriteString(tok)
			continue
		}
		flush()
		out = append(out, tok)
	}
	flush()
	return out
}

// Required returns the words that are not stop words.
func Required(words []Word) []Word {
	var out []Word
	for _, w := range words {
		if !w.Stop {
			out = append(out, w)
		}
	}
	return out
}
