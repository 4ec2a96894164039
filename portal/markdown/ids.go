package markdown

import (
	"strconv"
	"unicode"
	"unicode/utf8"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
)

// headingIDs is a parser.IDs that, unlike goldmark's default, keeps non-ASCII
// letters and digits, so "## 报销流程" gets id="报销流程" rather than "heading".
// ASCII letters are lowercased, runs of spaces, '-' and '_' become one '-',
// everything else (punctuation, symbols, markup) is dropped. A repeated id
// gets the suffix -1, -2, … . One value is used by one parse only.
type headingIDs struct {
	used map[string]bool
}

var _ parser.IDs = (*headingIDs)(nil)

func newHeadingIDs() *headingIDs {
	return &headingIDs{used: map[string]bool{}}
}

// Generate implements parser.IDs.
func (s *headingIDs) Generate(value []byte, kind ast.NodeKind) []byte {
	base := slugify(value)
	if base == "" {
		if kind == ast.KindHeading {
			base = "heading"
		} else {
			base = "id"
		}
	}
	id := base
	for i := 1; s.used[id]; i++ {
		id = base + "-" + strconv.Itoa(i)
	}
	s.used[id] = true
	return []byte(id)
}

// Put implements parser.IDs.
func (s *headingIDs) Put(value []byte) {
	s.used[string(value)] = true
}

// slugify turns heading text into an id as described on headingIDs.
func slugify(value []byte) string {
	out := make([]byte, 0, len(value))
	pendingDash := false
	for len(value) > 0 {
		r, size := utf8.DecodeRune(value)
		value = value[size:]
		switch {
		case r == utf8.RuneError && size <= 1:
			// invalid UTF-8: drop
		case r < utf8.RuneSelf && ('a' <= r && r <= 'z' || '0' <= r && r <= '9'):
			out = appendPending(out, &pendingDash)
			out = append(out, byte(r))
		case 'A' <= r && r <= 'Z':
			out = appendPending(out, &pendingDash)
			out = append(out, byte(r-'A'+'a'))
		case r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)):
			out = appendPending(out, &pendingDash)
			out = utf8.AppendRune(out, r)
		case unicode.IsSpace(r) || r == '-' || r == '_':
			pendingDash = len(out) > 0
		}
	}
	return string(out)
}

// appendPending writes the '-' that a run of separators left behind, so
// separators collapse and never lead or trail.
func appendPending(out []byte, pending *bool) []byte {
	if *pending {
		*pending = false
		return append(out, '-')
	}
	return out
}
