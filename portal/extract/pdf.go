package extract

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ledongthuc/pdf"
)

// Bounds on walking a PDF's object graph, which may contain cycles.
const (
	maxPDFTreeDepth = 64 // page-tree and Parent-chain levels
	pdfNodesPerPage = 4  // page-tree nodes visited per page allowed, plus a constant
)

// ctxReaderAt fails every read once the context is done. The PDF library has
// no context; failing its reads makes its loops (object-stream chains, Parent
// chains, inflating a content stream) end at the deadline with a panic that
// the caller recovers.
type ctxReaderAt struct {
	ctx context.Context
	r   io.ReaderAt
}

func (c ctxReaderAt) ReadAt(b []byte, off int64) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.ReadAt(b, off)
}

// pdfStop aborts the content-stream interpreter from inside its callback.
type pdfStop struct{ err error }

// pdf extracts text page by page, in page-tree order, up to MaxPages pages.
func (j *job) pdf() error {
	rd, err := pdf.NewReader(ctxReaderAt{ctx: j.ctx, r: j.r}, j.size)
	if err != nil {
		if cerr := j.check(); cerr != nil {
			return cerr
		}
		return fmt.Errorf("extract: open PDF: %s", clip(err.Error()))
	}
	pages, more, err := j.pdfPages(rd)
	if err != nil {
		return err
	}
	for _, pg := range pages {
		if err := j.check(); err != nil {
			return err
		}
		if err := j.pdfPage(pg); err != nil {
			return err
		}
		if j.out.full {
			return nil
		}
		j.out.sep(sepPara)
	}
	if more {
		return fmt.Errorf("%w: more than %d pages, read the first %d", ErrLimit, j.lim.MaxPages, j.lim.MaxPages)
	}
	return nil
}

// pdfPages walks the page tree (bounded in depth and nodes, so cycles end)
// and returns up to MaxPages leaf pages, and whether there are more.
func (j *job) pdfPages(rd *pdf.Reader) (pages []pdf.Value, more bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = j.pdfPanic(p)
		}
	}()
	nodes := j.lim.MaxPages*pdfNodesPerPage + 1000
	var visit func(v pdf.Value, depth int)
	visit = func(v pdf.Value, depth int) {
		if more || nodes <= 0 || depth > maxPDFTreeDepth || v.Kind() != pdf.Dict {
			return
		}
		nodes--
		if v.Key("Type").Name() == "Pages" || v.Key("Kids").Kind() == pdf.Array {
			kids := v.Key("Kids")
			for i := 0; i < kids.Len() && !more && nodes > 0; i++ {
				visit(kids.Index(i), depth+1)
			}
			return
		}
		if len(pages) == j.lim.MaxPages {
			more = true
			return
		}
		pages = append(pages, v)
	}
	visit(rd.Trailer().Key("Root").Key("Pages"), 0)
	if len(pages) == 0 {
		if err := j.check(); err != nil {
			return nil, false, err
		}
		return nil, false, errors.New("extract: malformed PDF: no pages")
	}
	return pages, more, nil
}

// pdfPanic turns a panic from the PDF library (or our stop) into an error.
func (j *job) pdfPanic(p any) error {
	if s, ok := p.(pdfStop); ok {
		return s.err
	}
	if err := j.check(); err != nil {
		return err
	}
	return fmt.Errorf("extract: malformed PDF: %s", clip(fmt.Sprint(p)))
}

// inherited looks a key up on the page and then its ancestors (bounded).
func inherited(v pdf.Value, key string) pdf.Value {
	for i := 0; i < maxPDFTreeDepth && v.Kind() == pdf.Dict; i++ {
		if r := v.Key(key); !r.IsNull() {
			return r
		}
		v = v.Key("Parent")
	}
	return pdf.Value{}
}

// pdfPage interprets one page's content stream, writing the text it shows.
// A change of baseline starts a new line; a horizontal move or a wide TJ gap
// between Latin text becomes a space (CJK text is joined without spaces).
func (j *job) pdfPage(page pdf.Value) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = j.pdfPanic(p)
		}
	}()
	contents := page.Key("Contents")
	if contents.IsNull() {
		return nil
	}
	fontDict := inherited(page, "Resources").Key("Font")
	encs := map[string]pdf.TextEncoding{}
	var (
		enc                 pdf.TextEncoding
		y, lastY            float64
		shown, newLine, gap bool
		lastRune            rune
		ops                 int
	)
	show := func(raw string) {
		if enc == nil || raw == "" {
			return
		}
		s := cleanPDFText(enc.Decode(raw))
		if s == "" {
			return
		}
		first, _ := utf8.DecodeRuneInString(s)
		switch {
		case shown && (newLine || math.Abs(y-lastY) > 0.5):
			j.out.sep(sepLine)
		case shown && gap && !isCJK(lastRune) && !isCJK(first):
			j.out.sep(sepSpace)
		}
		if !j.out.write(s) {
			panic(pdfStop{})
		}
		shown, newLine, gap, lastY = true, false, false, y
		lastRune, _ = utf8.DecodeLastRuneInString(s)
	}
	pdf.Interpret(contents, func(stk *pdf.Stack, op string) {
		if ops++; ops%64 == 0 {
			if err := j.check(); err != nil {
				panic(pdfStop{err})
			}
		}
		args := make([]pdf.Value, stk.Len())
		for i := len(args) - 1; i >= 0; i-- {
			args[i] = stk.Pop()
		}
		switch op {
		case "BT":
			y = 0
			gap = true
		case "Tf":
			if len(args) != 2 {
				return
			}
			name := args[0].Name()
			e, ok := encs[name]
			if !ok {
				e = fontEncoder(fontDict.Key(name))
				encs[name] = e
			}
			enc = e
		case "Tm":
			if len(args) == 6 {
				y = args[5].Float64()
			}
			gap = true
		case "Td", "TD":
			if len(args) == 2 {
				y += args[1].Float64()
				gap = gap || args[0].Float64() != 0
			}
		case "T*":
			newLine = true
		case "'", "\"":
			newLine = true
			if len(args) > 0 {
				show(args[len(args)-1].RawString())
			}
		case "Tj":
			if len(args) == 1 {
				show(args[0].RawString())
			}
		case "TJ":
			if len(args) != 1 {
				return
			}
			for i := 0; i < args[0].Len(); i++ {
				x := args[0].Index(i)
				switch x.Kind() {
				case pdf.String:
					show(x.RawString())
				case pdf.Integer, pdf.Real:
					if x.Float64() < -250 {
						gap = true
					}
				}
			}
		}
	})
	return nil
}

// cleanPDFText drops invalid UTF-8 and control characters from decoded text.
func cleanPDFText(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r == utf8.RuneError || unicode.IsControl(r) }) && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r != utf8.RuneError && !unicode.IsControl(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isCJK reports whether r is a Han, Hiragana, Katakana or Hangul character
// or CJK punctuation, which is written without spaces between words.
func isCJK(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) ||
		(r >= 0x3000 && r <= 0x303F) || (r >= 0xFF00 && r <= 0xFFEF)
}

// fontEncoder prefers the font's ToUnicode CMap, which the PDF library skips
// when Encoding is an embedded CMap stream, and otherwise uses the library's
// encodings (WinAnsi, MacRoman, Differences, UniGB-UCS2-H, Identity-H).
func fontEncoder(font pdf.Value) pdf.TextEncoding {
	if tu := font.Key("ToUnicode"); tu.Kind() == pdf.Stream {
		if m := parseToUnicode(tu); m != nil {
			return m
		}
	}
	f := pdf.Font{V: font}
	return f.Encoder()
}

// clip makes a library message fit for an error: valid UTF-8, no control
// characters, at most 200 bytes (messages may quote bytes of the file).
func clip(s string) string {
	s = cleanPDFText(s)
	if len(s) > 200 {
		s = strings.ToValidUTF8(s[:200], "") + "…"
	}
	return s
}
