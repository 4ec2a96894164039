package meiliindex

import (
	"strings"
	"unicode"
)

// markupChars are the characters of HTML and code typed as text that
// Meilisearch's tokenizer may keep inside a word (<script>alert is one
// token on a real server, whatever separatorTokens says), so a search for
// alert would miss it.
const markupChars = "<>=/\"'`&;(){}[]"

// maxWordsRunes bounds the text MarkupWords reads per document.
const maxWordsRunes = 20000

// MarkupWords returns the Latin words and numbers of the space-separated
// pieces of texts that hold markup characters (<script>alert('x') gives
// "script alert x"), separated by spaces; "" when no piece does. The raw
// text stays in its own attribute for retrieval and snippets; this field
// only makes its words findable whatever the server's separators.
func MarkupWords(texts ...string) string {
	var b strings.Builder
	budget := maxWordsRunes
	for _, text := range texts {
		for _, piece := range strings.Fields(text) {
			if budget <= 0 {
				return b.String()
			}
			budget -= len(piece)
			if !strings.ContainsAny(piece, markupChars) {
				continue
			}
			for _, w := range strings.FieldsFunc(piece, func(r rune) bool {
				return !(r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)))
			}) {
				if b.Len() > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(strings.ToLower(w))
			}
		}
	}
	return b.String()
}
