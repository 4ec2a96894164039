package markdown

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// MaxSourceSize is the largest pack Parse accepts, in bytes. goldmark has
// inputs that take time quadratic in their size, so the bound is kept well
// below what would stall a request.
const MaxSourceSize = 256 << 10

// ErrTooLarge is returned (wrapped) by Parse for a source over MaxSourceSize.
var ErrTooLarge = errors.New("markdown: source too large")

// Renderer parses wisdom packs into sanitized Documents. Build it once with
// New; it is safe for concurrent use.
type Renderer struct {
	md     goldmark.Markdown
	policy *bluemonday.Policy
}

// New builds the goldmark pipeline (GFM, footnotes, Chinese-friendly heading
// ids, no raw HTML) and the sanitizing policy.
func New() *Renderer {
	md := goldmark.New(
		goldmark.WithExtensions(
			extension.Linkify,
			extension.NewTable(extension.WithTableCellAlignMethod(extension.TableCellAlignAttribute)),
			extension.Strikethrough,
			extension.TaskList,
			extension.Footnote,
			// A line break inside a Chinese paragraph must not become a space.
			extension.NewCJK(extension.WithEastAsianLineBreaks(extension.EastAsianLineBreaksCSS3Draft)),
		),
		goldmark.WithParserOptions(
			parser.WithASTTransformers(
				util.Prioritized(headingIDTransformer{}, 100),
				util.Prioritized(linkRelTransformer{}, 101),
				util.Prioritized(imageTransformer{}, 102),
			),
		),
		// Deliberately no html.WithUnsafe: goldmark omits raw HTML and
		// dangerous URLs, and the policy below sanitizes whatever remains.
	)
	return &Renderer{md: md, policy: newPolicy()}
}

// Parse splits src into front matter and body, renders the body to sanitized
// HTML and extracts its table of contents (h2–h4) and plain text. name is
// used in errors only. Errors: front matter problems are *FrontMatterError
// values carrying the file line; a source over MaxSourceSize wraps
// ErrTooLarge; a pathological body wraps ErrTooComplex.
func (r *Renderer) Parse(name string, src []byte) (Document, error) {
	return r.parse(name, src, Options{})
}

func (r *Renderer) parse(name string, src []byte, opts Options) (Document, error) {
	if len(src) > MaxSourceSize {
		return Document{}, fmt.Errorf("%s: %w (%d bytes, limit %d)", name, ErrTooLarge, len(src), MaxSourceSize)
	}
	src = normalize(src)
	header, body, err := splitFrontMatter(name, src)
	if err != nil {
		return Document{}, err
	}
	meta, err := decodeFrontMatter(name, header)
	if err != nil {
		return Document{}, err
	}
	// The body starts after the two --- lines and the header's lines.
	if err := checkComplexity(name, body, 3+bytes.Count(header, []byte("\n"))); err != nil {
		return Document{}, err
	}

	pc := parser.NewContext(parser.WithIDs(newHeadingIDs()))
	pc.Set(optionsKey, opts)
	root := r.md.Parser().Parse(text.NewReader(body), parser.WithContext(pc))
	external, _ := pc.Get(externalKey).([]string)

	var buf bytes.Buffer
	if err := r.md.Renderer().Render(&buf, body, root); err != nil {
		return Document{}, fmt.Errorf("%s: render markdown: %w", name, err)
	}
	safe := r.policy.SanitizeReader(&buf)

	return Document{
		Meta: meta,
		HTML: template.HTML(wrapTables(safe.String())), //nolint:gosec // sanitized by bluemonday
		TOC:  tableOfContents(root, body),
		Text: plainText(root, body),

		ExternalImages: external,
	}, nil
}

// normalize drops a UTF-8 BOM, replaces invalid UTF-8 (goldmark's East Asian
// line-break code can panic on it) and NUL with U+FFFD, and turns CRLF into LF.
func normalize(src []byte) []byte {
	src = bytes.TrimPrefix(src, []byte("\uFEFF"))
	if !utf8.Valid(src) {
		src = bytes.ToValidUTF8(src, []byte("\uFFFD"))
	}
	if bytes.IndexByte(src, 0) >= 0 {
		src = bytes.ReplaceAll(src, []byte{0}, []byte("\uFFFD"))
	}
	if bytes.Contains(src, []byte("\r\n")) {
		src = bytes.ReplaceAll(src, []byte("\r\n"), []byte("\n"))
	}
	return src
}

// tableOfContents lists the h2–h4 headings in document order.
func tableOfContents(root ast.Node, source []byte) []Heading {
	var toc []Heading
	for c := root.FirstChild(); c != nil; c = c.NextSibling() {
		h, ok := c.(*ast.Heading)
		if !ok || h.Level < 2 || h.Level > 4 {
			continue
		}
		id, _ := h.AttributeString("id")
		idBytes, _ := id.([]byte)
		toc = append(toc, Heading{Level: h.Level, ID: string(idBytes), Text: inlineText(h, source)})
	}
	return toc
}

// headingIDTransformer gives every heading an id made from its plain text
// (not its Markdown source, so links and emphasis do not leak into the id),
// using the parse context's IDs for uniqueness.
type headingIDTransformer struct{}

// Transform implements parser.ASTTransformer.
func (headingIDTransformer) Transform(doc *ast.Document, reader text.Reader, pc parser.Context) {
	source := reader.Source()
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		h, ok := n.(*ast.Heading)
		if !ok {
			return ast.WalkContinue, nil
		}
		if _, has := h.AttributeString("id"); !has {
			h.SetAttributeString("id", pc.IDs().Generate([]byte(inlineText(h, source)), ast.KindHeading))
		}
		return ast.WalkSkipChildren, nil
	})
}

// relExternal is the rel value put on every link that leaves the page.
const relExternal = "nofollow noopener"

// linkRelTransformer marks user links rel="nofollow noopener"; same-page
// anchors (#…) are left alone.
type linkRelTransformer struct{}

// Transform implements parser.ASTTransformer.
func (linkRelTransformer) Transform(doc *ast.Document, reader text.Reader, _ parser.Context) {
	source := reader.Source()
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch l := n.(type) {
		case *ast.Link:
			if !bytes.HasPrefix(l.Destination, []byte("#")) {
				l.SetAttributeString("rel", []byte(relExternal))
			}
		case *ast.AutoLink:
			if !bytes.HasPrefix(l.URL(source), []byte("#")) {
				l.SetAttributeString("rel", []byte(relExternal))
			}
		}
		return ast.WalkContinue, nil
	})
}

// newPolicy is the UGC policy plus exactly what our goldmark output needs.
func newPolicy() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()

	// Links: http, https, mailto and relative (including #anchors) only;
	// UGCPolicy already requires parseable URLs. Images use the same list,
	// so data: URLs never load.
	p.AllowURLSchemes("http", "https", "mailto")
	p.AllowRelativeURLs(true)
	p.RequireParseableURLs(true)
	p.RequireNoFollowOnLinks(false)
	p.RequireNoFollowOnFullyQualifiedLinks(true) // safety net under linkRelTransformer
	p.AllowAttrs("rel").Matching(regexp.MustCompile(`^` + relExternal + `$`)).OnElements("a")

	// Heading ids from headingIDs (letters and digits of any script, '-').
	p.AllowAttrs("id").Matching(regexp.MustCompile(`^[\p{L}\p{N}\p{Mn}-]+$`)).
		OnElements("h1", "h2", "h3", "h4", "h5", "h6")

	// Table alignment (TableCellAlignAttribute).
	p.AllowAttrs("align").Matching(regexp.MustCompile(`^(left|center|right)$`)).OnElements("th", "td")

	// Task lists: <input checked="" disabled="" type="checkbox">.
	p.AllowElements("input")
	p.AllowAttrs("type").Matching(regexp.MustCompile(`^checkbox$`)).OnElements("input")
	p.AllowAttrs("checked", "disabled").Matching(regexp.MustCompile(`^(|checked|disabled)$`)).OnElements("input")

	// Footnotes.
	p.AllowAttrs("id").Matching(regexp.MustCompile(`^fnref\d*:\d+$`)).OnElements("sup")
	p.AllowAttrs("id").Matching(regexp.MustCompile(`^fn:\d+$`)).OnElements("li")
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^footnote-(ref|backref)$`)).OnElements("a")
	p.AllowAttrs("role").Matching(regexp.MustCompile(`^doc-(noteref|backlink)$`)).OnElements("a")
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^footnotes$`)).OnElements("div")
	p.AllowAttrs("role").Matching(regexp.MustCompile(`^doc-endnotes$`)).OnElements("div")

	// Fenced code languages.
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^language-[\p{L}\p{N}_.+#-]+$`)).OnElements("code")

	return p
}

// inlineText is the plain text of an inline container such as a heading.
func inlineText(n ast.Node, source []byte) string {
	var t textWriter
	t.inlines(n, source)
	return strings.TrimSpace(t.String())
}

// wrapTables puts every table of sanitized HTML in its own scroll box, so a
// wide table scrolls sideways on a phone instead of widening the page. It runs
// after sanitizing: text can not hold a literal "<table>" (it is escaped).
func wrapTables(html string) string {
	if !strings.Contains(html, "<table>") {
		return html
	}
	html = strings.ReplaceAll(html, "<table>", `<div class="table-scroll"><table>`)
	return strings.ReplaceAll(html, "</table>", "</table></div>")
}
