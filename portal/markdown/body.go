package markdown

import (
	"bytes"
	"fmt"
	"html/template"

	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
)

// RenderBody renders Markdown without front matter (an announcement, a
// comment) to sanitized HTML, with the same pipeline and policy as Parse.
// name is used in errors only. A source over MaxSourceSize wraps
// ErrTooLarge; a pathological one wraps ErrTooComplex.
func (r *Renderer) RenderBody(name string, src []byte) (template.HTML, error) {
	if len(src) > MaxSourceSize {
		return "", fmt.Errorf("%s: %w (%d bytes, limit %d)", name, ErrTooLarge, len(src), MaxSourceSize)
	}
	src = normalize(src)
	if err := checkComplexity(name, src, 1); err != nil {
		return "", err
	}
	pc := parser.NewContext(parser.WithIDs(newHeadingIDs()))
	root := r.md.Parser().Parse(text.NewReader(src), parser.WithContext(pc))
	var buf bytes.Buffer
	if err := r.md.Renderer().Render(&buf, src, root); err != nil {
		return "", fmt.Errorf("%s: render markdown: %w", name, err)
	}
	return template.HTML(wrapTables(r.policy.SanitizeReader(&buf).String())), nil //nolint:gosec // sanitized by bluemonday
}
