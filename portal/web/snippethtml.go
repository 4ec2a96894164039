package web

import (
	"html/template"
	"strconv"
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

// writeHref writes u for a quoted href attribute as html/template does for
// href="{{.}}": a URL with a scheme other than http, https or mailto
// becomes #ZgotmplZ; bytes a URL may not hold are percent-encoded (valid
// escapes kept); the result is attribute-escaped.
func writeHref(b *strings.Builder, u string) {
	if scheme, _, ok := strings.Cut(u, ":"); ok && !strings.Contains(scheme, "/") &&
		!strings.EqualFold(scheme, "http") && !strings.EqualFold(scheme, "https") && !strings.EqualFold(scheme, "mailto") {
		b.WriteString("#ZgotmplZ")
		return
	}
	const hex = "0123456789abcdef"
	isHex := func(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }
	var n strings.Builder
	for i := 0; i < len(u); i++ {
		c := u[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', strings.IndexByte("-._~!#$&*+,/:;=?@[]", c) >= 0:
			n.WriteByte(c)
		case c == '%' && i+2 < len(u) && isHex(u[i+1]) && isHex(u[i+2]):
			n.WriteByte(c)
		default:
			n.WriteByte('%')
			n.WriteByte(hex[c>>4])
			n.WriteByte(hex[c&15])
		}
	}
	_, _ = htmlText.WriteString(b, n.String())
}

// tagChipsHTML renders the tag chips of a facet list in one template call
// (a chip was five reflective calls: its two ifs, the href's filter,
// normalizer and escaper, the value and the count), byte for byte what
// the range it replaces wrote.
func tagChipsHTML(links []facetLink) template.HTML {
	var b strings.Builder
	b.Grow(len(links) * 160)
	b.WriteString(`<ul class="chips">`)
	for _, l := range links {
		b.WriteString(`<li><a class="chip`)
		if l.Active {
			b.WriteString(` on`)
		}
		b.WriteString(`" href="`)
		writeHref(&b, l.URL)
		b.WriteString(`"`)
		if l.Active {
			b.WriteString(` aria-current="true"`)
		}
		b.WriteString(`>#`)
		_, _ = htmlText.WriteString(&b, l.Value)
		b.WriteString(` <span class="n">`)
		b.WriteString(strconv.Itoa(l.Count))
		b.WriteString(`</span></a></li>`)
	}
	b.WriteString(`</ul>`)
	return template.HTML(b.String()) // #nosec G203 -- every value is escaped above
}
