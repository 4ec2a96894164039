package lang

import (
	"reflect"
	"strings"
	"testing"

	"github.com/jinnang/jinnang/portal/internal/gen"
)

// TestMatchesNearSameSnippet checks that the snippet and the words found
// are the same whether every occurrence is listed (matches) or only those
// near the first match (matchesNear), over generated packs and the queries
// people type, and over texts where marked words run on past the window.
func TestMatchesNearSameSnippet(t *testing.T) {
	syn := NewSynonyms([][]string{{"报销", "报账"}, {"年假", "年休假"}})
	queries := append(append([]string{}, gen.SearchQueries...), "流程 报账", "年休假 申请", "vpn wifi")
	var texts []string
	for _, p := range gen.Corpus(7, 40) {
		texts = append(texts, string(p.Markdown()))
	}
	texts = append(texts,
		strings.Repeat("报销", 200)+"尾巴",
		strings.Repeat("甲", 300)+strings.Repeat("报销年假", 100),
		"报", "", "VPN 报销 vpn 报销")
	checked := 0
	for _, q := range queries {
		words := Query(q, syn)
		for _, text := range texts {
			for _, width := range []int{1, 10, 80} {
				all, foundAll := matches(text, words)
				near, foundNear := matchesNear(text, words, width)
				if !reflect.DeepEqual(foundAll, foundNear) {
					t.Fatalf("%q in %.40q: found %v, near %v", q, text, foundAll, foundNear)
				}
				if len(all) == 0 {
					if len(near) != 0 {
						t.Fatalf("%q: near lists %v with no match", q, near)
					}
					continue
				}
				if got, want := window(text, near, width), window(text, all, width); !reflect.DeepEqual(got, want) {
					t.Fatalf("%q width %d in %.40q:\nnear %v\nall  %v", q, width, text, got, want)
				}
				checked++
			}
		}
	}
	if checked < 100 {
		t.Fatalf("only %d snippets compared", checked)
	}
}
