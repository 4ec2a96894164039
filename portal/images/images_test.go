package images

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/color/palette"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"testing"
)

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decodeJPEG(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("stored copy is not a JPEG: %v", err)
	}
	return img
}

func isRed(c color.Color) bool {
	r, g, b, _ := c.RGBA()
	return r>>8 > 200 && g>>8 < 60 && b>>8 < 60
}

// TestGPSStrippedAndUpright: a real JPEG with EXIF (GPS, camera make,
// orientation 6) comes out without any APP1/EXIF segment or GPS bytes, and
// turned upright.
func TestGPSStrippedAndUpright(t *testing.T) {
	src := mustRead(t, "testdata/gps-exif.jpg")
	for _, need := range []string{"Exif\x00\x00", "JinnangCam", "2026:05:01"} {
		if !bytes.Contains(src, []byte(need)) {
			t.Fatalf("fixture lacks %q", need)
		}
	}
	res, err := Process(bytes.NewReader(src), DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string][]byte{"full": res.Full, "thumb": res.Thumb} {
		for _, bad := range []string{"Exif", "JinnangCam", "2026:05:01", "\xFF\xE1"} {
			if bytes.Contains(out, []byte(bad)) {
				t.Errorf("%s copy still contains %q", name, bad)
			}
		}
	}
	if res.Width != 480 || res.Height != 640 || res.Format != "jpeg" {
		t.Fatalf("stored copy %dx%d %s, want 480x640 jpeg (turned upright)", res.Width, res.Height, res.Format)
	}
	full := decodeJPEG(t, res.Full)
	// The red block was at the stored top-left; upright it is at the top-right.
	if !isRed(full.At(470, 10)) || isRed(full.At(10, 10)) {
		t.Errorf("not turned clockwise: top-right %v, top-left %v", full.At(470, 10), full.At(10, 10))
	}
	th := decodeJPEG(t, res.Thumb)
	if b := th.Bounds(); b.Dx() != 360 || b.Dy() != 360 {
		t.Errorf("thumbnail %v, want 360x360", b)
	}
}

func jpegBytes(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func gifBytes(t *testing.T, frames ...color.Color) []byte {
	t.Helper()
	g := &gif.GIF{}
	for _, c := range frames {
		p := image.NewPaletted(image.Rect(0, 0, 20, 10), palette.Plan9)
		for i := range p.Pix {
			p.Pix[i] = uint8(color.Palette(palette.Plan9).Index(c))
		}
		g.Image = append(g.Image, p)
		g.Delay = append(g.Delay, 10)
	}
	var b bytes.Buffer
	if err := gif.EncodeAll(&b, g); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func zipBytes(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.Create("Exploit.class")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("\xCA\xFE\xBA\xBE payload")); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// pngChunk encodes one PNG chunk with its CRC.
func pngChunk(typ string, data []byte) []byte {
	b := make([]byte, 8, 12+len(data))
	binary.BigEndian.PutUint32(b, uint32(len(data)))
	copy(b[4:], typ)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(append([]byte(typ), data...)))
}

// bombPNG is a tiny PNG whose header declares w×h pixels.
func bombPNG(w, h uint32) []byte {
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr, w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	out := []byte("\x89PNG\r\n\x1a\n")
	out = append(out, pngChunk("IHDR", ihdr)...)
	out = append(out, pngChunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})...)
	return append(out, pngChunk("IEND", nil)...)
}

func TestRejects(t *testing.T) {
	jpg := jpegBytes(t, 64, 48)
	small := DefaultLimits()
	small.MaxBytes = 1 << 10
	cases := []struct {
		name string
		body []byte
		lim  Limits
		want error
	}{
		{"empty", nil, DefaultLimits(), ErrEmpty},
		{"too many bytes", jpg, small, ErrTooLarge},
		{"plain text", []byte("hello, this is not a picture"), DefaultLimits(), ErrType},
		{"html", []byte("<!DOCTYPE html><html><script>alert(1)</script></html>"), DefaultLimits(), ErrType},
		{"pdf", []byte("%PDF-1.7\n1 0 obj<<>>endobj\n"), DefaultLimits(), ErrType},
		{"jpeg magic, garbage body", append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, bytes.Repeat([]byte{0x11}, 200)...), DefaultLimits(), ErrType},
		{"decompression bomb 50000x50000", bombPNG(50000, 50000), DefaultLimits(), ErrDimensions},
		{"too wide 12001x1", bombPNG(12001, 1), DefaultLimits(), ErrDimensions},
		{"over 40 MP 8000x6000", bombPNG(8000, 6000), DefaultLimits(), ErrDimensions},
		{"jpeg + html", append(append([]byte{}, jpg...), "<html><body><script>alert(document.cookie)</script>"...), DefaultLimits(), ErrPolyglot},
		{"jpeg + svg", append(append([]byte{}, jpg...), "\n<svg onload=alert(1)>"...), DefaultLimits(), ErrPolyglot},
		{"GIFAR: gif + zip", append(gifBytes(t, color.RGBA{255, 0, 0, 255}), zipBytes(t)...), DefaultLimits(), ErrPolyglot},
		{"png + zip", append(bombPNG(4, 4), zipBytes(t)...), DefaultLimits(), ErrPolyglot},
		{"truncated jpeg", jpg[:len(jpg)/2], DefaultLimits(), ErrCorrupt},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Process(bytes.NewReader(tc.body), tc.lim)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v (result %v), want %v", err, res != nil, tc.want)
			}
			if err.Error() == tc.want.Error() {
				t.Errorf("error %q says nothing beyond the sentinel", err)
			}
		})
	}
}

func TestAccepts(t *testing.T) {
	red := color.RGBA{255, 0, 0, 255}
	transparent := image.NewNRGBA(image.Rect(0, 0, 30, 20)) // all transparent
	var pngBuf bytes.Buffer
	if err := png.Encode(&pngBuf, transparent); err != nil {
		t.Fatal(err)
	}
	big := jpegBytes(t, 3000, 1000)
	cases := []struct {
		name   string
		body   []byte
		w, h   int
		check  func(image.Image) bool
		format string
		thumbW int
	}{
		{"jpeg with harmless padding", append(jpegBytes(t, 64, 48), make([]byte, 512)...), 64, 48, nil, "jpeg", 48},
		{"gif: first frame", gifBytes(t, red, color.RGBA{0, 0, 255, 255}), 20, 10, func(i image.Image) bool { return isRed(i.At(10, 5)) }, "gif", 10},
		{"png alpha on white", pngBuf.Bytes(), 30, 20, func(i image.Image) bool {
			r, g, b, _ := i.At(15, 10).RGBA()
			return r>>8 > 240 && g>>8 > 240 && b>>8 > 240
		}, "png", 20},
		{"large jpeg scaled to 2048", big, 2048, 682, nil, "jpeg", 360},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Process(bytes.NewReader(tc.body), DefaultLimits())
			if err != nil {
				t.Fatal(err)
			}
			if res.Width != tc.w || res.Height != tc.h || res.Format != tc.format {
				t.Fatalf("got %dx%d %s, want %dx%d %s", res.Width, res.Height, res.Format, tc.w, tc.h, tc.format)
			}
			full := decodeJPEG(t, res.Full)
			if tc.check != nil && !tc.check(full) {
				t.Errorf("pixels wrong: centre %v", full.At(tc.w/2, tc.h/2))
			}
			if th := decodeJPEG(t, res.Thumb).Bounds(); th.Dx() != tc.thumbW || th.Dy() != tc.thumbW {
				t.Errorf("thumbnail %v, want %dx%d", th, tc.thumbW, tc.thumbW)
			}
		})
	}
}

// TestOrient checks all eight EXIF orientations on a 3×2 image whose
// pixels are numbered; the expected grids are the upright views.
func TestOrient(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 3, 2))
	for y := range 2 {
		for x := range 3 {
			src.Pix[src.PixOffset(x, y)] = uint8(1 + x + 3*y) // 1 2 3 / 4 5 6
		}
	}
	want := map[int][][]uint8{
		1: {{1, 2, 3}, {4, 5, 6}},
		2: {{3, 2, 1}, {6, 5, 4}},
		3: {{6, 5, 4}, {3, 2, 1}},
		4: {{4, 5, 6}, {1, 2, 3}},
		5: {{1, 4}, {2, 5}, {3, 6}},
		6: {{4, 1}, {5, 2}, {6, 3}},
		7: {{6, 3}, {5, 2}, {4, 1}},
		8: {{3, 6}, {2, 5}, {1, 4}},
	}
	for o, grid := range want {
		got := orient(src, o)
		if got.Bounds().Dy() != len(grid) || got.Bounds().Dx() != len(grid[0]) {
			t.Errorf("orientation %d: size %v", o, got.Bounds())
			continue
		}
		for y, row := range grid {
			for x, v := range row {
				if p := got.Pix[got.PixOffset(x, y)]; p != v {
					t.Errorf("orientation %d: pixel (%d,%d) = %d, want %d", o, x, y, p, v)
				}
			}
		}
	}
}

func TestJPEGOrientationBounded(t *testing.T) {
	src := mustRead(t, "testdata/gps-exif.jpg")
	if o := jpegOrientation(src); o != 6 {
		t.Fatalf("fixture orientation %d, want 6", o)
	}
	// Every truncation of the header parses without panicking and never
	// invents an orientation.
	for n := range 400 {
		if o := jpegOrientation(src[:n]); o != 1 && o != 6 {
			t.Fatalf("prefix %d: orientation %d", n, o)
		}
	}
	if o := jpegOrientation(jpegBytes(t, 8, 8)); o != 1 {
		t.Errorf("no EXIF: orientation %d, want 1", o)
	}
}
