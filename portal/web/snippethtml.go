package web

import (
	"html/template"
	"strings"

	"github.com/jinnang/jinnang/portal/index"
)

// htmlText escapes text for HTML text the way html/template escapes a
// string there (its htmlEscaper), so a snippet built here is byte for byte
// what {{range}}{{.Text}}{{end}} wrote.
var htmlText = strings.NewReplacer(
	"\x00", "\uFFFD",
	`"`, "&#34;",
	"&", "&amp;",
	"'", "&#39;",
	"+", "&#43;",
	"<", "&lt;",
	">", "&gt;",
)

// snippetHTML renders a hit's snippet: its spans escaped, the matched ones
// in <mark>. One call per hit instead of a range with an if and an escaper
// per span: the results page's snippets were a large share of its
// template actions (each a reflective call).
func snippetHTML(spans []index.Span) template.HTML {
	n := 0
	for _, s := range spans {
		n += len(s.Text) + len("<mark></mark>")
	}
	var b strings.Builder
	b.Grow(n)
	for _, s := range spans {
		if s.Hit {
			b.WriteString("<mark>")
		}
		_, _ = htmlText.WriteString(&b, s.Text)
		if s.Hit {
			b.WriteString("</mark>")
		}
	}
	return template.HTML(b.String()) // #nosec G203 -- every span is escaped above
}
