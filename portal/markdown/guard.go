package markdown

import (
	"bytes"
	"errors"
	"fmt"
)

// ErrTooComplex is returned (wrapped, with the file and line) by Parse for a
// body whose structure would make goldmark work super-linearly: blockquotes
// or lists nested absurdly deep on one line, tables with too many columns or
// cells, or long runs of unclosed link destinations. No real pack comes near
// these limits; they keep one hostile file from stalling a server.
var ErrTooComplex = errors.New("markdown: document structure too complex")

const (
	// maxLineNesting bounds the blockquote/list markers opening one line.
	maxLineNesting = 32
	// maxTableColumns bounds the columns of one table.
	maxTableColumns = 64
	// maxTableCells bounds rows × columns over all tables (goldmark pads
	// short rows, so cells, not bytes, measure the output).
	maxTableCells = 100_000
	// linkScanBudget bounds, per byte of body, how far goldmark may scan for
	// link destinations in total.
	linkScanBudget = 16
)

// checkComplexity rejects bodies that exceed the limits above. It runs in
// time linear in len(body). bodyLine is the file line of body's first line.
func checkComplexity(name string, body []byte, bodyLine int) error {
	fail := func(line int, format string, args ...any) error {
		return fmt.Errorf("%s:%d: %w: %s", name, line, ErrTooComplex, fmt.Sprintf(format, args...))
	}

	cells := 0
	tableCols := 0 // columns of the table being read, 0 outside a table
	line := bodyLine
	for rest := body; len(rest) > 0; line++ {
		l, next, _ := bytes.Cut(rest, []byte("\n"))
		rest = next
		if n := lineNesting(l); n > maxLineNesting {
			return fail(line, "%d levels of > or list markers on one line (limit %d)", n, maxLineNesting)
		}
		switch {
		case len(bytes.TrimSpace(l)) == 0:
			tableCols = 0
		case tableCols > 0:
			cells += tableCols
		default:
			if cols := delimiterRowColumns(l); cols > 0 {
				if cols > maxTableColumns {
					return fail(line, "table with %d columns (limit %d)", cols, maxTableColumns)
				}
				tableCols = cols
				cells += 2 * cols // header and delimiter rows
			}
		}
		if cells > maxTableCells {
			return fail(line, "tables with more than %d cells in all", maxTableCells)
		}
	}

	if cost := linkScanCost(body); cost > linkScanBudget*len(body)+1<<16 {
		return fail(bodyLine, "too many unclosed link destinations \"](\"")
	}
	return nil
}

// lineNesting counts the container markers ('>' and list bullets followed
// by a blank) at the start of a line.
func lineNesting(l []byte) int {
	n := 0
	for i := 0; i < len(l); i++ {
		switch c := l[i]; c {
		case ' ', '\t':
		case '>':
			n++
		case '-', '*', '+':
			if i+1 < len(l) && (l[i+1] == ' ' || l[i+1] == '\t') {
				n++
				continue
			}
			return n
		default:
			return n
		}
	}
	return n
}

// delimiterRowColumns returns the column count if l looks like a GFM table
// delimiter row (|:--|--:|), else 0.
func delimiterRowColumns(l []byte) int {
	l = bytes.TrimSpace(l)
	if bytes.IndexByte(l, '-') < 0 {
		return 0
	}
	pipes := 0
	for _, c := range l {
		switch c {
		case '|':
			pipes++
		case '-', ':', ' ', '\t':
		default:
			return 0
		}
	}
	if pipes == 0 {
		return 0 // a thematic break or setext underline
	}
	cols := pipes + 1
	if l[0] == '|' {
		cols--
	}
	if len(l) > 1 && l[len(l)-1] == '|' {
		cols--
	}
	return max(cols, 1)
}

// linkScanCost estimates how many bytes goldmark scans while trying link
// destinations: for every "](" the distance to where the destination must
// end. A plain destination ends at the next blank or line end, or earlier at
// the first ')' if no '(' comes before it; "](<" ends at the next '>' or
// line end.
func linkScanCost(body []byte) int {
	cost := 0
	end := len(body)
	nextBlank, nextAngleEnd, nextOpen, nextClose := end, end, end, end
	openAfterNext := end // the '(' after nextOpen: the one after a "](" 's own
	for i := len(body) - 1; i >= 0; i-- {
		switch body[i] {
		case '\n':
			nextBlank, nextAngleEnd = i, i
		case ' ', '\t':
			nextBlank = i
		case '>':
			nextAngleEnd = i
		case ')':
			nextClose = i
		case ']':
			if i+1 < len(body) && body[i+1] == '(' {
				switch {
				case i+2 < len(body) && body[i+2] == '<':
					cost += nextAngleEnd - i
				case nextClose < openAfterNext:
					cost += min(nextClose, nextBlank) - i
				default:
					cost += nextBlank - i
				}
			}
		case '(':
			openAfterNext, nextOpen = nextOpen, i
		}
	}
	return cost
}
