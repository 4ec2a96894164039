package web

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"github.com/jinnang/jinnang/portal/announce"
	"github.com/jinnang/jinnang/portal/stories"
)

// Share cards (og:image): a 1200×630 PNG drawn on the server per pack. The
// Go fonts (golang.org/x/image/font/gofont) draw the brand and Latin
// titles; a Chinese title is drawn with a CJK font of the system
// (sharecard_font.go: JINNANG_CARD_FONT, else the common font paths). A
// title no font can draw in full gets a clean brand card with the pack's
// slug instead of tofu boxes.

const (
	cardW, cardH = 1200, 630
	// cardCache lets chat apps and browsers keep a card for an hour.
	cardCache = "private, max-age=3600"
)

var (
	cardFontsOnce sync.Once
	cardBrand     font.Face
	cardTitle     font.Face
	cardMono      font.Face
	cardFontErr   error
)

func cardFonts() error {
	cardFontsOnce.Do(func() {
		face := func(ttf []byte, size float64) font.Face {
			if cardFontErr != nil {
				return nil
			}
			f, err := opentype.Parse(ttf)
			if err != nil {
				cardFontErr = err
				return nil
			}
			fc, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
			if err != nil {
				cardFontErr = err
			}
			return fc
		}
		cardBrand = face(gobold.TTF, 56)
		cardTitle = face(gobold.TTF, 64)
		cardMono = face(gomono.TTF, 40)
	})
	return cardFontErr
}

// drawable reports whether face has a glyph for every rune of s.
func drawable(face font.Face, s string) bool {
	for _, r := range s {
		if r == ' ' {
			continue
		}
		if _, ok := face.GlyphAdvance(r); !ok {
			return false
		}
	}
	return true
}

// wrapText breaks s into lines no wider than w in face, at most max lines
// (the last one ends with … when cut).
func wrapText(face font.Face, s string, w fixed.Int26_6, max int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		try := strings.TrimSpace(line + " " + word)
		if font.MeasureString(face, try) <= w || line == "" {
			line = try
			continue
		}
		lines = append(lines, line)
		line = word
	}
	if line != "" {
		lines = append(lines, line)
	}
	if len(lines) > max {
		lines = lines[:max]
		lines[max-1] = strings.TrimRight(lines[max-1], " ") + "…"
	}
	return lines
}

// renderCard draws the share card: brand on a jade ground, then the title
// when the Go font or cjk (nil: none) can draw it, else the subtitle (an
// ASCII slug).
func renderCard(cjk font.Face, title, subtitle string) ([]byte, error) {
	if err := cardFonts(); err != nil {
		return nil, fmt.Errorf("card fonts: %w", err)
	}
	img := image.NewRGBA(image.Rect(0, 0, cardW, cardH))
	jade := color.RGBA{0x1f, 0x6f, 0x5c, 0xff}
	band := color.RGBA{0x17, 0x55, 0x47, 0xff}
	gold := color.RGBA{0xfb, 0xe7, 0xa1, 0xff}
	draw.Draw(img, img.Bounds(), image.NewUniform(jade), image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(0, cardH-90, cardW, cardH), image.NewUniform(band), image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(80, 150, 200, 158), image.NewUniform(gold), image.Point{}, draw.Src)
	d := &font.Drawer{Dst: img, Src: image.NewUniform(color.White)}
	d.Face, d.Dot = cardBrand, fixed.P(80, 120)
	d.DrawString("Jinnang")
	y := 250
	t := strings.TrimSpace(title)
	face := cardTitle
	if !drawable(face, t) && cjk != nil {
		face = cjk
	}
	if t != "" && drawable(face, t) {
		d.Face = face
		for _, l := range wrapTitle(face, t, fixed.I(cardW-160), 4) {
			d.Dot = fixed.P(80, y)
			d.DrawString(l)
			y += 80
		}
	} else if subtitle != "" && drawable(cardMono, subtitle) {
		d.Face, d.Src = cardMono, image.NewUniform(gold)
		for _, l := range wrapText(cardMono, strings.ReplaceAll(subtitle, "-", " "), fixed.I(cardW-160), 4) {
			d.Dot = fixed.P(80, y)
			d.DrawString(l)
			y += 56
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// packCard is GET /packs/:slug/card.png: the pack's share card.
func (s *server) packCard(c echo.Context) error {
	slug, err := pathParam(c, "slug")
	if err != nil {
		return err
	}
	p, err := s.packs.Get(c.Request().Context(), slug)
	if err != nil {
		return fmt.Errorf("pack %q: %w", slug, err)
	}
	b, err := s.packCardPNG(p)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", cardCache)
	c.Response().Header().Set("X-Content-Type-Options", "nosniff")
	return c.Blob(http.StatusOK, "image/png", b)
}

// packCardURL is the share card of a pack, absolute with a base URL.
func (s *server) packCardURL(slug string) string {
	return s.baseURL + "/packs/" + url.PathEscape(slug) + "/card.png"
}

// storyShare is the share card of a story page: who wrote it and the start
// of the text.
func (s *server) storyShare(l Lang, st *stories.Story) *shareMeta {
	m := &shareMeta{Title: mustT(l, "story.title", st.AuthorName), Description: excerptText(st.Text), Type: "article"}
	if s.baseURL != "" {
		m.URL = s.baseURL + storyURL(st.ID)
	}
	return m
}

// announcementShare is the share card of an announcement.
func (s *server) announcementShare(a *announce.Announcement) *shareMeta {
	m := &shareMeta{Title: a.Title, Description: excerptText(a.Body), Type: "article"}
	if s.baseURL != "" {
		m.URL = s.baseURL + "/announcements/" + url.PathEscape(a.ID)
	}
	return m
}

// excerptText is the first shareDescMax characters of plain text (or
// Markdown source), on one line.
func excerptText(t string) string {
	t = strings.TrimSpace(spaceRE.ReplaceAllString(t, " "))
	if utf8.RuneCountInString(t) > shareDescMax {
		t = strings.TrimSpace(string([]rune(t)[:shareDescMax])) + "…"
	}
	return t
}
