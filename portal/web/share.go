package web

import (
	"html"
	"net/url"
	"regexp"
	"strings"

	"github.com/jinnang/jinnang/portal/packs"
)

// shareMeta is what chat apps read to show a link as a card: og:title,
// og:description (also <meta name="description">), og:type and, when the
// portal knows its public base URL, og:url. The layout escapes every value.
type shareMeta struct {
	Title       string
	Description string
	Type        string // og:type
	URL         string // absolute; "" without a configured base URL
	Image       string // og:image, the card's PNG (absolute with a base URL)
}

// shareDescMax is how many characters of the text describe a page that has
// no summary.
const shareDescMax = 80

var (
	blockRE = regexp.MustCompile(`(?i)</?(p|h[1-6]|li|ul|ol|br|tr|td|th|div|blockquote|pre)\b[^>]*>`)
	tagRE   = regexp.MustCompile(`<[^>]*>`)
	spaceRE = regexp.MustCompile(`\s+`)
)

// plainExcerpt is the first shareDescMax characters of sanitized HTML as
// plain text: blocks are separated by a space, inline tags vanish (no stray
// spaces inside Chinese sentences).
func plainExcerpt(h string) string {
	t := strings.TrimSpace(spaceRE.ReplaceAllString(html.UnescapeString(tagRE.ReplaceAllString(blockRE.ReplaceAllString(h, " "), "")), " "))
	if r := []rune(t); len(r) > shareDescMax {
		t = strings.TrimSpace(string(r[:shareDescMax])) + "…"
	}
	return t
}

// packShare is the share card of a pack page.
func (s *server) packShare(p *packs.Pack) *shareMeta {
	m := &shareMeta{Title: p.Meta.Title, Description: strings.TrimSpace(p.Meta.Summary), Type: "article"}
	if m.Description == "" {
		m.Description = plainExcerpt(string(p.HTML))
	}
	if s.baseURL != "" {
		m.URL = s.baseURL + "/packs/" + url.PathEscape(p.Slug)
	}
	m.Image = s.publicCardURL(p)
	return m
}
