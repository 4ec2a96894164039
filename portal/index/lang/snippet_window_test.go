package lang

import (
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/internal/gen"
)

// windowWholeText is window as it was: marks kept for every byte of text.
func windowWholeText(text string, ms []match, width int) []index.Span {
	hit := make([]bool, len(text))
	first, firstEnd := len(text), len(text)
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
	for n := utf8.RuneCountInString(text[lo:hi]); n < width && hi < len(text); n++ {
		_, size := utf8.DecodeRuneInString(text[hi:])
		hi += size
	}
	for hi < len(text) && hit[hi] {
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

// TestSnippetWindowSameAsWholeText checks that the snippet (window over
// the snippet's bytes only, and matching in the unfolded text when the
// query needs no fold) is the same as marking the whole folded text, over
// generated packs, the queries people type and texts with upper-case
// letters, long marked runs and overlapping words.
func TestSnippetWindowSameAsWholeText(t *testing.T) {
	syn := NewSynonyms([][]string{{"报销", "报账"}, {"年假", "年休假"}, {"vpn", "远程接入"}})
	queries := append(append([]string{}, gen.SearchQueries...), "流程 报账", "年休假 申请", "vpn wifi", "OA系统", "VPN 报销", "报销报销", "销报")
	var texts []string
	for _, p := range gen.Corpus(11, 40) {
		texts = append(texts, string(p.Markdown()))
	}
	texts = append(texts,
		strings.Repeat("报销", 200)+"尾巴",
		strings.Repeat("甲", 300)+strings.Repeat("报销年假", 100),
		"在OA系统里报销，VPN 由IT开通。ÄÖ Σ 报销报销报销"+strings.Repeat("乙", 100),
		"报", "", "VPN 报销 vpn 报销", "报销报销报销报销报销报销报销报销报销报销报销报销报销报销报销报销报销报销报销报销报销报销报销报销")
	checked, unfolded := 0, 0
	for _, q := range queries {
		words := Query(q, syn)
		if !needsFold(words) {
			unfolded++
		}
		for _, text := range texts {
			for _, width := range []int{1, 10, 80} {
				near, foundNear := matchesNear(text, words, width)
				ref, foundRef := matchesIn(foldSameWidth(text), words, width)
				if !reflect.DeepEqual(foundNear, foundRef) || !reflect.DeepEqual(near, ref) {
					t.Fatalf("%q in %.40q: unfolded %v %v, folded %v %v", q, text, near, foundNear, ref, foundRef)
				}
				if len(near) == 0 {
					continue
				}
				if got, want := window(text, near, width), windowWholeText(text, near, width); !reflect.DeepEqual(got, want) {
					t.Fatalf("%q width %d in %.40q:\ngot  %v\nwant %v", q, width, text, got, want)
				}
				checked++
			}
		}
	}
	if checked < 100 || unfolded < 10 {
		t.Fatalf("only %d snippets compared, %d queries without a fold", checked, unfolded)
	}
}

// TestFoldKeepsCJK checks what needsFold relies on: folding never
// changes a CJK rune (it only folds below U+2E80) nor turns a rune into
// one, nor into an ASCII non-letter.
func TestFoldKeepsCJK(t *testing.T) {
	for r := rune(0); r < 0x2E80; r++ {
		l := unicode.ToLower(r)
		if l == r || utf8.RuneLen(l) != utf8.RuneLen(r) {
			continue // folding keeps r
		}
		if IsCJK(l) || l < utf8.RuneSelf && !('a' <= l && l <= 'z') {
			t.Fatalf("%U folds to %U", r, l)
		}
	}
}
