package images

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	_ "image/jpeg"
	"image/png"
	"sync"
	"testing"
	"time"
)

// pattern is a w×h image computed on the fly, so making a huge test PNG
// does not itself hold its pixels (which would distort the peak RSS the
// benchmark reports).
type pattern struct{ w, h int }

func (p pattern) ColorModel() color.Model { return color.NRGBAModel }
func (p pattern) Bounds() image.Rectangle { return image.Rect(0, 0, p.w, p.h) }
func (p pattern) At(x, y int) color.Color {
	return color.NRGBA{uint8(x / 40), uint8(y / 40), 128, 255}
}

func bigPNG(t testing.TB, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&b, pattern{w, h}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestPixelAllowance: a request's allowance refuses the image that would
// take it over, before decoding.
func TestPixelAllowance(t *testing.T) {
	src := bigPNG(t, 800, 600)
	lim := DefaultLimits()
	px := &Pixels{Left: 700_000}
	lim.Admit = px.Admit
	if _, err := Process(bytes.NewReader(src), lim); err != nil {
		t.Fatalf("first image: %v", err)
	}
	if _, err := Process(bytes.NewReader(src), lim); !errors.Is(err, ErrBudget) {
		t.Fatalf("second image past the allowance: %v, want ErrBudget", err)
	}
	if px.Left != 700_000-480_000 {
		t.Errorf("allowance left %d", px.Left)
	}
}

// TestBudgetQueuesThenRefuses: with every slot taken, a decode waits its
// turn, and past the wait it fails with ErrBusy.
func TestBudgetQueuesThenRefuses(t *testing.T) {
	b := NewBudget(1, 50*time.Millisecond)
	release, err := b.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	lim := DefaultLimits()
	lim.Budget = b
	if _, err := Process(bytes.NewReader(bigPNG(t, 64, 64)), lim); !errors.Is(err, ErrBusy) {
		t.Fatalf("decode with every slot busy: %v, want ErrBusy", err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		time.Sleep(10 * time.Millisecond)
		release()
	})
	b.wait = 10 * time.Second
	if _, err := Process(bytes.NewReader(bigPNG(t, 64, 64)), lim); err != nil {
		t.Fatalf("decode after a slot came free: %v", err)
	}
	wg.Wait()
}

// TestBoxReducedScaleLooksTheSame: a large image scaled through the box
// pre-reduction keeps its colours where they were.
func TestBoxReducedScaleLooksTheSame(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 1100, 1100))
	for y := range 1100 {
		for x := range 1100 {
			c := color.NRGBA{255, 0, 0, 255}
			if x >= 550 {
				c = color.NRGBA{0, 0, 255, 255}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	lim := DefaultLimits()
	lim.LongSide = 256 // 1100/256: reduced by 4 while decoding, then scaled
	res, err := Process(&b, lim)
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := image.Decode(bytes.NewReader(res.Full))
	if err != nil {
		t.Fatal(err)
	}
	if out.Bounds().Dx() != 256 {
		t.Fatalf("width %d", out.Bounds().Dx())
	}
	for _, p := range []struct {
		x    int
		blue bool
	}{{10, false}, {110, false}, {140, true}, {250, true}} {
		r, _, bl, _ := out.At(p.x, 100).RGBA()
		if (bl > r) != p.blue {
			t.Errorf("pixel %d: r=%d b=%d", p.x, r>>8, bl>>8)
		}
	}
}

// BenchmarkDecode6000PNGx4 decodes four 6000×6000 PNGs at once, as four
// simultaneous uploads would, through a budget of two decode slots. It
// reports CPU seconds per round and the process's peak RSS: run it alone
// (go test -run '^$' -bench Decode6000 ./portal/images/) for a true peak.
func BenchmarkDecode6000PNGx4(b *testing.B) {
	benchDecode(b, NewBudget(2, time.Minute))
}
