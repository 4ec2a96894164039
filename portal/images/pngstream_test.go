package images

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"testing"
)

// TestPNGReducedMatchesDecodeThenReduce: the streaming reduction gives the
// pixels of a full decode box-reduced afterwards, for every PNG layout.
func TestPNGReducedMatchesDecodeThenReduce(t *testing.T) {
	const w, h, k = 61, 45, 3
	fill := func(set func(x, y int, c color.NRGBA)) {
		for y := range h {
			for x := range w {
				set(x, y, color.NRGBA{uint8(x * 4), uint8(y * 5), uint8(x*y) % 255, uint8(128 + (x+y)%128)})
			}
		}
	}
	gray := image.NewGray(image.Rect(0, 0, w, h))
	fill(func(x, y int, c color.NRGBA) { gray.SetGray(x, y, color.Gray{c.R}) })
	rgb := image.NewRGBA(image.Rect(0, 0, w, h))
	fill(func(x, y int, c color.NRGBA) { c.A = 255; rgb.Set(x, y, c) })
	nrgba := image.NewNRGBA(image.Rect(0, 0, w, h))
	fill(func(x, y int, c color.NRGBA) { nrgba.SetNRGBA(x, y, c) })
	pal := color.Palette{color.NRGBA{255, 0, 0, 255}, color.NRGBA{0, 0, 255, 40}, color.NRGBA{0, 200, 0, 255}, color.NRGBA{9, 9, 9, 0}}
	paletted := image.NewPaletted(image.Rect(0, 0, w, h), pal) // 2-bit with tRNS
	fill(func(x, y int, c color.NRGBA) { paletted.SetColorIndex(x, y, uint8(x+y)%4) })
	big := make(color.Palette, 200)
	for i := range big {
		big[i] = color.NRGBA{uint8(i), uint8(255 - i), 7, 255}
	}
	paletted8 := image.NewPaletted(image.Rect(0, 0, w, h), big)
	fill(func(x, y int, c color.NRGBA) { paletted8.SetColorIndex(x, y, uint8(x*y)%200) })
	nrgba64 := image.NewNRGBA64(image.Rect(0, 0, w, h))
	fill(func(x, y int, c color.NRGBA) { nrgba64.Set(x, y, c) })
	gray16 := image.NewGray16(image.Rect(0, 0, w, h))
	fill(func(x, y int, c color.NRGBA) { gray16.SetGray16(x, y, color.Gray16{uint16(c.R) << 8}) })
	for name, src := range map[string]image.Image{"gray": gray, "rgb": rgb, "rgba": nrgba, "palette2": paletted,
		"palette8": paletted8, "rgba16": nrgba64, "gray16": gray16} {
		var b bytes.Buffer
		if err := png.Encode(&b, src); err != nil {
			t.Fatal(err)
		}
		got, ok, err := decodePNGReduced(b.Bytes(), k)
		if err != nil || !ok {
			t.Fatalf("%s: %v %v", name, ok, err)
		}
		full, err := png.Decode(bytes.NewReader(b.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		want := boxReduce(full, k)
		if got.Bounds() != want.Bounds() {
			t.Fatalf("%s: bounds %v, want %v", name, got.Bounds(), want.Bounds())
		}
		for i := range got.Pix {
			if d := int(got.Pix[i]) - int(want.Pix[i]); d > 1 || d < -1 {
				t.Fatalf("%s: byte %d is %d, want %d", name, i, got.Pix[i], want.Pix[i])
			}
		}
	}
}
