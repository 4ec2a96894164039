package web

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"unicode"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// cjkFontPaths are where the common Linux distributions and macOS keep a
// font with Chinese glyphs; the first one that loads draws Chinese card
// titles. Debian/Ubuntu: fonts-wqy-microhei, fonts-wqy-zenhei,
// fonts-noto-cjk; Fedora: google-noto-sans-cjk; Alpine: font-wqy-zenhei;
// Arch: wqy-microhei, wqy-zenhei.
var cjkFontPaths = []string{
	"/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
	"/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
	"/usr/share/fonts/wenquanyi/wqy-zenhei.ttc",
	"/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc",
	"/usr/share/fonts/wenquanyi/wqy-zenhei/wqy-zenhei.ttc",
	"/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
	"/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc",
	"/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
	"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
	"/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
	"/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
	"/System/Library/Fonts/PingFang.ttc",
	"/System/Library/Fonts/STHeiti Medium.ttc",
}

// cardCJK is the font that draws Chinese card titles, loaded on first use
// from the configured path, else the first of cjkFontPaths that loads.
// Without one the cards keep the Latin-only drawing (brand card + slug).
type cardCJK struct {
	path string // configured (Options.CardFont); "" searches cjkFontPaths
	log  *slog.Logger

	once sync.Once
	face font.Face
	from string
}

// titleFace returns the CJK title face, nil when no font could be loaded.
func (cc *cardCJK) titleFace() font.Face {
	cc.once.Do(func() {
		paths := cjkFontPaths
		if cc.path != "" {
			paths = []string{cc.path}
		}
		var errs []error
		for _, p := range paths {
			f, err := loadFontFile(p)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: 64, DPI: 72, Hinting: font.HintingNone})
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", p, err))
				continue
			}
			cc.face, cc.from = face, p
			return
		}
		if cc.log == nil {
			return
		}
		if cc.path != "" {
			cc.log.Error("share cards: the configured CJK font does not load; Chinese titles get the brand card", slog.Any("err", errors.Join(errs...)))
		} else {
			cc.log.Warn("share cards: no CJK font found (install fonts-wqy-microhei or set JINNANG_CARD_FONT); Chinese titles get the brand card")
		}
	})
	return cc.face
}

// loadFontFile parses a TrueType/OpenType font or the first font of a
// collection (.ttc) that has a glyph for 中. Each font is first copied out
// with its tables on 4-byte boundaries: sfnt refuses unaligned tables
// ("invalid table offset", golang/go#46384), which WenQuanYi's .ttc has.
func loadFontFile(path string) (*sfnt.Font, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	bases := []int{0}
	if len(b) >= 12 && string(b[:4]) == "ttcf" {
		n := int(binary.BigEndian.Uint32(b[8:]))
		if n < 1 || n > 64 || len(b) < 12+4*n {
			return nil, fmt.Errorf("%s: bad font collection header", path)
		}
		bases = bases[:0]
		for i := range n {
			bases = append(bases, int(binary.BigEndian.Uint32(b[12+4*i:])))
		}
	}
	var buf sfnt.Buffer
	for i, base := range bases {
		one, err := alignedFont(b, base)
		if err != nil {
			return nil, fmt.Errorf("%s font %d: %w", path, i, err)
		}
		f, err := sfnt.Parse(one)
		if err != nil {
			return nil, fmt.Errorf("%s font %d: %w", path, i, err)
		}
		if x, err := f.GlyphIndex(&buf, '中'); err == nil && x != 0 {
			return f, nil
		}
	}
	return nil, fmt.Errorf("%s: no font with Chinese glyphs", path)
}

// alignedFont copies the single font whose table directory starts at base
// in b into a standalone font with every table at a 4-byte boundary.
func alignedFont(b []byte, base int) ([]byte, error) {
	if base < 0 || base+12 > len(b) {
		return nil, errors.New("table directory out of range")
	}
	n := int(binary.BigEndian.Uint16(b[base+4:]))
	dir := 12 + 16*n
	if n == 0 || base+dir > len(b) {
		return nil, errors.New("table directory out of range")
	}
	out := make([]byte, dir, len(b)-base)
	copy(out, b[base:base+dir])
	for i := range n {
		rec := out[12+16*i:]
		off, size := int(binary.BigEndian.Uint32(rec[8:])), int(binary.BigEndian.Uint32(rec[12:]))
		if off < 0 || size < 0 || off+size > len(b) {
			return nil, fmt.Errorf("table %q out of range", rec[:4])
		}
		binary.BigEndian.PutUint32(rec[8:], uint32(len(out)))
		out = append(out, b[off:off+size]...)
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
	}
	return out, nil
}

// wrapTitle breaks s into lines no wider than w in face, at most max lines
// (the last ends with … when cut). Latin words break at spaces; Chinese,
// which has no spaces, may break between any two characters, but a line
// never starts with closing punctuation (，。、！？）」).
func wrapTitle(face font.Face, s string, w fixed.Int26_6, max int) []string {
	type token struct {
		text  string
		space bool // a space before it
		wide  bool // one Chinese character
	}
	var toks []token
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		last := len(toks) - 1
		if !wide(r) && last >= 0 && !space && !toks[last].wide {
			toks[last].text += string(r)
		} else {
			toks = append(toks, token{text: string(r), space: space, wide: wide(r)})
		}
		space = false
	}
	var lines []string
	line := ""
	for _, t := range toks {
		try := line + t.text
		if t.space && line != "" {
			try = line + " " + t.text
		}
		if line == "" || font.MeasureString(face, try) <= w || closing(t.text) {
			line = try
			continue
		}
		lines = append(lines, line)
		line = t.text
	}
	if line != "" {
		lines = append(lines, line)
	}
	if len(lines) > max {
		lines = lines[:max]
		lines[max-1] += "…"
	}
	return lines
}

// wide reports a character that stands alone between line breaks (Han,
// kana, hangul, full-width punctuation).
func wide(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) ||
		(r >= 0x3000 && r <= 0x303f) || (r >= 0xff00 && r <= 0xffef)
}

// closing is punctuation that must not start a line.
func closing(s string) bool {
	switch s {
	case "，", "。", "、", "！", "？", "；", "：", "）", "」", "』", "》", "…":
		return true
	}
	return false
}
