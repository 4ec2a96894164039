package extract

import (
	"bytes"
	"io"
	"iter"
	"unicode/utf16"

	"github.com/ledongthuc/pdf"
)

// maxCMapEntries bounds the code→text map built from one ToUnicode CMap.
const maxCMapEntries = 1 << 17

// toUnicode is a font's ToUnicode CMap as a lookup table. The PDF library
// only consults ToUnicode when the font's Encoding is absent or the name
// Identity-H; fonts with an embedded CMap stream as Encoding (fpdf2, some
// Office exports) would otherwise come out as raw glyph codes. Lookups are
// by map, not by scanning every range for every code.
type toUnicode struct {
	space [5][]codeRange // by code length 1..4
	m     map[string]string
	lens  [5]bool // code lengths present in m
}

type codeRange struct{ lo, hi string }

// maxCMapBytes bounds the decoded size of a ToUnicode CMap stream.
const maxCMapBytes = 4 << 20

// operand is a CMap string, or an array of strings.
type operand struct {
	s     string
	arr   []string
	isArr bool
}

// parseToUnicode reads a ToUnicode CMap stream; nil when it maps nothing.
// The CMap's PostScript is tokenised here (strings, arrays and the
// begin/end section operators are all that matter).
func parseToUnicode(strm pdf.Value) *toUnicode {
	rc := strm.Reader()
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxCMapBytes))
	if err != nil && len(data) == 0 {
		return nil
	}
	t := &toUnicode{m: map[string]string{}}
	var (
		ops     []operand
		arr     []string
		inArr   bool
		section string
	)
	for tok := range cmapTokens(data) {
		switch {
		case tok.kind == tokString:
			if inArr {
				arr = append(arr, tok.text)
			} else {
				ops = append(ops, operand{s: tok.text})
			}
		case tok.text == "[":
			inArr, arr = true, nil
		case tok.text == "]":
			if inArr {
				ops = append(ops, operand{arr: arr, isArr: true})
			}
			inArr = false
		case tok.text == "begincodespacerange" || tok.text == "beginbfchar" || tok.text == "beginbfrange":
			section, ops = tok.text, nil
		case tok.text == "endcodespacerange" && section == "begincodespacerange":
			for i := 0; i+1 < len(ops); i += 2 {
				lo, hi := ops[i].s, ops[i+1].s
				if n := len(lo); n >= 1 && n <= 4 && len(hi) == n {
					t.space[n] = append(t.space[n], codeRange{lo, hi})
				}
			}
			section = ""
		case tok.text == "endbfchar" && section == "beginbfchar":
			for i := 0; i+1 < len(ops); i += 2 {
				t.set(ops[i].s, utf16BE(ops[i+1].s))
			}
			section = ""
		case tok.text == "endbfrange" && section == "beginbfrange":
			for i := 0; i+2 < len(ops); i += 3 {
				t.addRange(ops[i].s, ops[i+1].s, ops[i+2])
			}
			section = ""
		case tok.kind == tokWord && section == "":
			ops = ops[:0]
		}
	}
	if len(t.m) == 0 {
		return nil
	}
	return t
}

func (t *toUnicode) set(code, text string) {
	if n := len(code); n >= 1 && n <= 4 && len(t.m) < maxCMapEntries {
		t.m[code] = text
		t.lens[n] = true
	}
}

// addRange expands a bfrange: codes lo..hi (same length, differing in the
// last byte) map to consecutive text from dst, or to the strings of an array.
func (t *toUnicode) addRange(lo, hi string, dst operand) {
	if len(lo) == 0 || len(lo) != len(hi) || len(lo) > 4 || lo > hi {
		return
	}
	last := len(lo) - 1
	first, end := int(lo[last]), int(hi[last])
	base := []byte(lo)
	for c := first; c <= end && len(t.m) < maxCMapEntries; c++ {
		base[last] = byte(c)
		code := string(base)
		if dst.isArr {
			if i := c - first; i < len(dst.arr) {
				t.set(code, utf16BE(dst.arr[i]))
			}
			continue
		}
		u := utf16.Decode(utf16Units(dst.s))
		if len(u) == 0 {
			return
		}
		u[len(u)-1] += rune(c - first)
		t.set(code, string(u))
	}
}

// Decode maps a string of character codes to text; unmapped codes are dropped.
func (t *toUnicode) Decode(raw string) string {
	var out []rune
	for len(raw) > 0 {
		n := t.codeLen(raw)
		if n == 0 {
			raw = raw[1:]
			continue
		}
		if s, ok := t.m[raw[:n]]; ok {
			out = append(out, []rune(s)...)
		}
		raw = raw[n:]
	}
	return string(out)
}

// codeLen returns the length of the code at the start of raw: by the
// codespace ranges, else the shortest length with a mapping.
func (t *toUnicode) codeLen(raw string) int {
	for n := 1; n <= 4 && n <= len(raw); n++ {
		for _, r := range t.space[n] {
			if r.lo <= raw[:n] && raw[:n] <= r.hi {
				return n
			}
		}
	}
	for n := 1; n <= 4 && n <= len(raw); n++ {
		if _, ok := t.m[raw[:n]]; ok && t.lens[n] {
			return n
		}
	}
	return 0
}

// utf16BE decodes UTF-16BE bytes.
func utf16BE(s string) string {
	return string(utf16.Decode(utf16Units(s)))
}

func utf16Units(s string) []uint16 {
	u := make([]uint16, 0, len(s)/2)
	for i := 0; i+1 < len(s); i += 2 {
		u = append(u, uint16(s[i])<<8|uint16(s[i+1]))
	}
	return u
}

// CMap token kinds.
const (
	tokWord   = iota // operator, number, name or bracket
	tokString        // hex or literal string, decoded
)

type cmapToken struct {
	kind int
	text string
}

// cmapTokens splits CMap PostScript into tokens.
func cmapTokens(b []byte) iter.Seq[cmapToken] {
	return func(yield func(cmapToken) bool) {
		i := 0
		for i < len(b) {
			c := b[i]
			switch {
			case c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == 0:
				i++
			case c == '%':
				for i < len(b) && b[i] != '\n' && b[i] != '\r' {
					i++
				}
			case c == '<' && i+1 < len(b) && b[i+1] == '<', c == '>' && i+1 < len(b) && b[i+1] == '>':
				i += 2
			case c == '<':
				j := bytes.IndexByte(b[i:], '>')
				if j < 0 {
					return
				}
				if !yield(cmapToken{tokString, hexString(b[i+1 : i+j])}) {
					return
				}
				i += j + 1
			case c == '(':
				s, n := literalString(b[i:])
				if !yield(cmapToken{tokString, s}) {
					return
				}
				i += n
			case c == '[' || c == ']' || c == '{' || c == '}':
				if !yield(cmapToken{tokWord, string(c)}) {
					return
				}
				i++
			default:
				j := i + 1
				for j < len(b) && !bytes.ContainsRune([]byte(" \t\r\n\f\x00()<>[]{}/%"), rune(b[j])) {
					j++
				}
				if !yield(cmapToken{tokWord, string(b[i:j])}) {
					return
				}
				i = j
			}
		}
	}
}

// hexString decodes the digits of a <hex> string, ignoring whitespace; an
// odd final digit is padded with 0.
func hexString(h []byte) string {
	var out []byte
	var hi byte
	odd := false
	for _, c := range h {
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			v = c - 'A' + 10
		default:
			continue
		}
		if odd {
			out = append(out, hi<<4|v)
		} else {
			hi = v
		}
		odd = !odd
	}
	if odd {
		out = append(out, hi<<4)
	}
	return string(out)
}

// literalString decodes a (literal) string starting at b[0] == '(' and
// returns it with the number of bytes consumed.
func literalString(b []byte) (string, int) {
	var out []byte
	depth := 0
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch c {
		case '(':
			if depth > 0 {
				out = append(out, c)
			}
			depth++
		case ')':
			depth--
			if depth == 0 {
				return string(out), i + 1
			}
			out = append(out, c)
		case '\\':
			if i+1 >= len(b) {
				return string(out), len(b)
			}
			i++
			switch e := b[i]; e {
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case '\r', '\n':
			default:
				if e >= '0' && e <= '7' {
					v := 0
					k := 0
					for ; k < 3 && i+k < len(b) && b[i+k] >= '0' && b[i+k] <= '7'; k++ {
						v = v*8 + int(b[i+k]-'0')
					}
					out = append(out, byte(v))
					i += k - 1
				} else {
					out = append(out, e)
				}
			}
		default:
			out = append(out, c)
		}
	}
	return string(out), len(b)
}
