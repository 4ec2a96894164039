package markdown

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/yuin/goldmark/ast"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/util"
)

// plainText is the text of a parsed body for the search index: no markup,
// one line per paragraph, heading, table row or code line; code text is kept
// without its fences; raw HTML is dropped.
func plainText(root ast.Node, source []byte) string {
	var t textWriter
	t.block(root, source)
	return strings.ToValidUTF8(strings.TrimSpace(t.String()), "\uFFFD")
}

// textWriter accumulates plain text.
type textWriter struct {
	buf []byte
}

func (t *textWriter) write(p []byte)   { t.buf = append(t.buf, p...) }
func (t *textWriter) writeByte(c byte) { t.buf = append(t.buf, c) }
func (t *textWriter) String() string   { return string(t.buf) }
func (t *textWriter) lastRune() rune   { r, _ := utf8.DecodeLastRune(t.buf); return r }

// endLine ends the current line, dropping its trailing blanks, unless it
// is empty.
func (t *textWriter) endLine() {
	t.buf = bytes.TrimRight(t.buf, " \t")
	if len(t.buf) > 0 && t.buf[len(t.buf)-1] != '\n' {
		t.buf = append(t.buf, '\n')
	}
}

func (t *textWriter) block(n ast.Node, source []byte) {
	switch n := n.(type) {
	case *ast.HTMLBlock, *ast.ThematicBreak:
		return
	case *ast.FencedCodeBlock, *ast.CodeBlock:
		t.endLine()
		lines := n.Lines()
		for i := 0; i < lines.Len(); i++ {
			seg := lines.At(i)
			t.write(seg.Value(source))
		}
		t.endLine()
		return
	case *east.TableHeader, *east.TableRow:
		t.endLine()
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			if c != n.FirstChild() {
				t.writeByte('\t')
			}
			t.inlines(c, source)
		}
		t.endLine()
		return
	}
	if fc := n.FirstChild(); fc != nil && fc.Type() == ast.TypeInline {
		t.endLine()
		t.inlines(n, source)
		t.endLine()
		return
	}
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		t.block(c, source)
	}
}

// inlines writes the text of n's inline children.
func (t *textWriter) inlines(n ast.Node, source []byte) {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *ast.Text:
			v := c.Value(source)
			if c.IsRaw() {
				t.write(v)
			} else {
				t.write(util.ResolveEntityNames(util.ResolveNumericReferences(util.UnescapePunctuations(v))))
			}
			switch {
			case c.HardLineBreak():
				t.writeByte('\n')
			case c.SoftLineBreak():
				t.softBreak(c, source)
			}
		case *ast.String:
			t.write(c.Value)
		case *ast.AutoLink:
			t.write(c.Label(source))
		case *ast.RawHTML, *east.FootnoteLink, *east.FootnoteBacklink, *east.TaskCheckBox:
			// markup only
		default: // emphasis, links, images (alt text), code spans, strikethrough
			t.inlines(c, source)
		}
	}
}

// softBreak joins the lines of a paragraph: nothing between two East Asian
// characters (as the CJK renderer does), a space otherwise.
func (t *textWriter) softBreak(n *ast.Text, source []byte) {
	before := t.lastRune()
	after := firstRune(n.NextSibling(), source)
	if isEastAsian(before) && isEastAsian(after) {
		return
	}
	t.writeByte(' ')
}

// isEastAsian reports whether r belongs to a script written without spaces.
func isEastAsian(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana) ||
		unicode.Is(unicode.P, r) && r >= 0x3000
}

// firstRune is the first character of the text of n (descending into
// emphasis, links and the like), or 0.
func firstRune(n ast.Node, source []byte) rune {
	for ; n != nil; n = n.FirstChild() {
		switch n := n.(type) {
		case *ast.Text:
			r, _ := utf8.DecodeRune(n.Value(source))
			return r
		case *ast.String:
			r, _ := utf8.DecodeRune(n.Value)
			return r
		}
	}
	return 0
}
