package qr_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"image"
	"image/png"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/jinnang/jinnang/portal/qr"
)

var contents = []string{
	"https://jinnang.example.com/files/abcdefghijklmnop",
	"https://jinnang.example.com/departments/财务部",
	"x",
	strings.Repeat("https://jinnang.example.com/a-long-path/", 10),
}

// modules returns go-qrcode's own matrix for content at medium level.
func modules(t *testing.T, content string) [][]bool {
	t.Helper()
	q, err := qrcode.New(content, qrcode.Medium)
	if err != nil {
		t.Fatal(err)
	}
	return q.Bitmap()
}

func TestPNG(t *testing.T) {
	for _, content := range contents {
		for _, size := range []int{qr.MinSize, 200, 256, 333, qr.MaxSize} {
			b, err := qr.PNG(content, size)
			if err != nil {
				t.Fatalf("PNG(%q, %d): %v", content, size, err)
			}
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("PNG(%q, %d) does not decode: %v", content, size, err)
			}
			if got := img.Bounds(); got != image.Rect(0, 0, size, size) {
				t.Fatalf("PNG(%q, %d) bounds %v, want %dx%d", content, size, got, size, size)
			}
			checkPixels(t, img, modules(t, content), size)
		}
	}
}

// checkPixels checks that the image has black and white pixels, and that the
// centre pixel of every module (whole-pixel modules, centred) has the
// module's colour.
func checkPixels(t *testing.T, img image.Image, m [][]bool, size int) {
	t.Helper()
	dark := func(x, y int) bool {
		r, g, b, _ := img.At(x, y).RGBA()
		switch {
		case r == 0 && g == 0 && b == 0:
			return true
		case r == 0xffff && g == 0xffff && b == 0xffff:
			return false
		}
		t.Fatalf("pixel (%d, %d) is neither black nor white", x, y)
		return false
	}
	var black, white bool
	for y := range size {
		for x := range size {
			if dark(x, y) {
				black = true
			} else {
				white = true
			}
		}
	}
	if !black || !white {
		t.Fatalf("image has black pixels: %v, white pixels: %v; want both", black, white)
	}
	n := len(m)
	scale := size / n
	pad := (size - n*scale) / 2
	for y, row := range m {
		for x, want := range row {
			px, py := pad+x*scale+scale/2, pad+y*scale+scale/2
			if got := dark(px, py); got != want {
				t.Fatalf("module (%d, %d) at pixel (%d, %d): dark %v, want %v", x, y, px, py, got, want)
			}
		}
	}
	// The margin outside the modules is white.
	for i := range pad {
		if dark(i, i) || dark(size-1-i, size-1-i) {
			t.Fatalf("margin pixel %d is dark", i)
		}
	}
}

// svgDoc is what the tests read from the SVG.
type svgDoc struct {
	XMLName        xml.Name `xml:"svg"`
	ViewBox        string   `xml:"viewBox,attr"`
	ShapeRendering string   `xml:"shape-rendering,attr"`
	Rects          []struct {
		Width  string `xml:"width,attr"`
		Height string `xml:"height,attr"`
		Fill   string `xml:"fill,attr"`
	} `xml:"rect"`
	Paths []struct {
		D    string `xml:"d,attr"`
		Fill string `xml:"fill,attr"`
	} `xml:"path"`
}

var runRe = regexp.MustCompile(`^M(\d+) (\d+)h(\d+)v1h-(\d+)z`)

// rebuild parses a path of runs back into a size×size matrix and returns it
// with the number of runs.
func rebuild(t *testing.T, d string, size int) ([][]bool, int) {
	t.Helper()
	m := make([][]bool, size)
	for i := range m {
		m[i] = make([]bool, size)
	}
	runs := 0
	for d != "" {
		g := runRe.FindStringSubmatch(d)
		if g == nil {
			t.Fatalf("path data not made of runs at %.40q", d)
		}
		d = d[len(g[0]):]
		num := func(s string) int {
			v, err := strconv.Atoi(s)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		x, y, w, back := num(g[1]), num(g[2]), num(g[3]), num(g[4])
		if w != back || w < 1 || x+w > size || y >= size {
			t.Fatalf("bad run %q in a %d-module code", g[0], size)
		}
		for i := x; i < x+w; i++ {
			if m[y][i] {
				t.Fatalf("runs overlap at (%d, %d)", i, y)
			}
			m[y][i] = true
		}
		runs++
	}
	return m, runs
}

// countRuns counts the maximal horizontal runs of dark modules.
func countRuns(m [][]bool) int {
	n := 0
	for _, row := range m {
		for x, dark := range row {
			if dark && (x == 0 || !row[x-1]) {
				n++
			}
		}
	}
	return n
}

func TestSVG(t *testing.T) {
	for _, content := range contents {
		b, err := qr.SVG(content)
		if err != nil {
			t.Fatalf("SVG(%q): %v", content, err)
		}
		checkElements(t, b)
		var doc svgDoc
		if err := xml.Unmarshal(b, &doc); err != nil {
			t.Fatalf("SVG(%q) does not parse: %v", content, err)
		}
		want := modules(t, content)
		n := len(want)
		ns := strconv.Itoa(n)
		if doc.ViewBox != "0 0 "+ns+" "+ns {
			t.Errorf("viewBox %q, want 0 0 %d %d (quiet zone included)", doc.ViewBox, n, n)
		}
		if doc.ShapeRendering != "crispEdges" {
			t.Errorf("shape-rendering %q, want crispEdges", doc.ShapeRendering)
		}
		if len(doc.Rects) != 1 || doc.Rects[0].Width != ns || doc.Rects[0].Height != ns || doc.Rects[0].Fill != "#fff" {
			t.Errorf("background rects %+v, want one white %d×%d", doc.Rects, n, n)
		}
		if len(doc.Paths) != 1 {
			t.Fatalf("%d paths, want 1", len(doc.Paths))
		}
		if doc.Paths[0].Fill != "#000" {
			t.Errorf("path fill %q, want #000", doc.Paths[0].Fill)
		}
		got, runs := rebuild(t, doc.Paths[0].D, n)
		for y := range n {
			if !slices.Equal(got[y], want[y]) {
				t.Fatalf("SVG(%q): row %d differs from the QR bitmap", content, y)
			}
		}
		if wantRuns := countRuns(want); runs != wantRuns {
			t.Errorf("SVG(%q): %d rectangles, want %d (one per maximal run)", content, runs, wantRuns)
		}
	}
}

// checkElements checks that the document holds only svg, rect and path
// elements and no text.
func checkElements(t *testing.T, b []byte) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatalf("SVG does not parse: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if !slices.Contains([]string{"svg", "rect", "path"}, tok.Name.Local) {
				t.Fatalf("unexpected element <%s>", tok.Name.Local)
			}
			for _, a := range tok.Attr {
				if strings.HasPrefix(strings.ToLower(a.Name.Local), "on") || a.Name.Local == "href" {
					t.Fatalf("unexpected attribute %s on <%s>", a.Name.Local, tok.Name.Local)
				}
			}
		case xml.CharData:
			if strings.TrimSpace(string(tok)) != "" {
				t.Fatalf("unexpected text %q", tok)
			}
		}
	}
}

// TestSVGDoesNotLeakContent checks that markup in the content only shapes
// modules and never appears in the document.
func TestSVGDoesNotLeakContent(t *testing.T) {
	const content = `https://x/"><script>alert(1)</script>`
	b, err := qr.SVG(content)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte("script")) || bytes.Contains(b, []byte("alert")) {
		t.Fatalf("content leaked into the SVG:\n%s", b)
	}
	checkElements(t, b)
}

func TestErrors(t *testing.T) {
	tooLong := strings.Repeat("长", 1000) // 3000 bytes
	if _, err := qr.SVG(tooLong); err == nil {
		t.Error("SVG of 3000 bytes succeeded")
	}
	if _, err := qr.PNG(tooLong, 512); err == nil {
		t.Error("PNG of 3000 bytes succeeded")
	}
	if _, err := qr.SVG(strings.Repeat("a", qr.MaxContent+1)); err == nil {
		t.Errorf("SVG of %d bytes succeeded", qr.MaxContent+1)
	}
	if _, err := qr.SVG(strings.Repeat("\xff", qr.MaxContent)); err != nil {
		t.Errorf("SVG of %d bytes (the limit): %v", qr.MaxContent, err)
	}
	if _, err := qr.SVG(""); err == nil {
		t.Error("SVG of empty content succeeded")
	}
	if _, err := qr.PNG("", 256); err == nil {
		t.Error("PNG of empty content succeeded")
	}
	for _, size := range []int{0, -256, qr.MinSize - 1, qr.MaxSize + 1, 1 << 20} {
		if _, err := qr.PNG("https://x/", size); err == nil {
			t.Errorf("PNG at size %d succeeded", size)
		}
	}
	// Fits a QR code, but its modules do not fit the smallest image.
	big := strings.Repeat("a", 1000)
	if _, err := qr.PNG(big, qr.MinSize); err == nil {
		t.Error("PNG of 1000 bytes at 128 pixels succeeded")
	}
	if _, err := qr.PNG(big, qr.MaxSize); err != nil {
		t.Errorf("PNG of 1000 bytes at %d pixels: %v", qr.MaxSize, err)
	}
}
