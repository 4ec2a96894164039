// Package qr renders QR codes (medium error correction) as PNG or SVG, for
// links people scan from a screen or a printed notice.
package qr

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strconv"

	qrcode "github.com/skip2/go-qrcode"
)

// Pixel sizes PNG accepts.
const (
	MinSize = 128
	MaxSize = 1024
)

// MaxContent bounds the content in bytes. A medium-level QR code holds at
// most 2331 bytes; links are far shorter.
const MaxContent = 2048

// level is the error-correction level: medium recovers from about 15%
// damage, a balance between density and robustness for printed codes.
const level = qrcode.Medium

// bitmap encodes content and returns its module matrix, quiet zone included:
// m[y][x] is true for a dark module.
func bitmap(content string) ([][]bool, error) {
	switch {
	case content == "":
		return nil, errors.New("qr: empty content")
	case len(content) > MaxContent:
		return nil, fmt.Errorf("qr: content of %d bytes is longer than %d", len(content), MaxContent)
	}
	q, err := qrcode.New(content, level)
	if err != nil {
		return nil, fmt.Errorf("qr: encode %d bytes: %w", len(content), err)
	}
	return q.Bitmap(), nil
}

// PNG renders content as a square size×size PNG, size in pixels within
// [MinSize, MaxSize]. Every module is the same whole number of pixels, the
// code is centred and the margin is white; content too long to fit at least
// one pixel per module is an error.
func PNG(content string, size int) ([]byte, error) {
	if size < MinSize || size > MaxSize {
		return nil, fmt.Errorf("qr: size %d outside %d..%d", size, MinSize, MaxSize)
	}
	m, err := bitmap(content)
	if err != nil {
		return nil, err
	}
	n := len(m)
	scale := size / n
	if scale < 1 {
		return nil, fmt.Errorf("qr: %d modules do not fit in %d pixels", n, size)
	}
	pad := (size - n*scale) / 2
	img := image.NewPaletted(image.Rect(0, 0, size, size), color.Palette{color.White, color.Black})
	// Pix starts at 0, the white palette entry.
	for y, row := range m {
		for x, dark := range row {
			if !dark {
				continue
			}
			for py := pad + y*scale; py < pad+(y+1)*scale; py++ {
				line := img.Pix[py*img.Stride:]
				for px := pad + x*scale; px < pad+(x+1)*scale; px++ {
					line[px] = 1
				}
			}
		}
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("qr: encode PNG: %w", err)
	}
	return buf.Bytes(), nil
}

// modulePixels is the intrinsic size of one module in the SVG's width and
// height; CSS may scale the image freely.
const modulePixels = 8

// SVG renders content as a standalone SVG document: a white square the size
// of the code (quiet zone included) and a single black <path> of
// rectangles, one per horizontal run of dark modules, in a viewBox measured
// in modules, with crisp edges. Only numbers derived from the module matrix
// reach the document; it has no script, text or links.
func SVG(content string) ([]byte, error) {
	m, err := bitmap(content)
	if err != nil {
		return nil, err
	}
	n := strconv.Itoa(len(m))
	px := strconv.Itoa(len(m) * modulePixels)
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="` + px + `" height="` + px +
		`" viewBox="0 0 ` + n + ` ` + n + `" shape-rendering="crispEdges">`)
	b.WriteString(`<rect width="` + n + `" height="` + n + `" fill="#fff"/>`)
	b.WriteString(`<path fill="#000" d="`)
	for y, row := range m {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			start := x
			for x < len(row) && row[x] {
				x++
			}
			// A run of width w at (start, y): M start y h w v1 h-w z
			w := strconv.Itoa(x - start)
			b.WriteString("M" + strconv.Itoa(start) + " " + strconv.Itoa(y) + "h" + w + "v1h-" + w + "z")
		}
	}
	b.WriteString(`"/></svg>` + "\n")
	return b.Bytes(), nil
}
