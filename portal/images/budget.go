package images

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"time"
)

// ErrBusy means no decode slot came free in time: the server is busy with
// other photos. The web layer answers 503 with Retry-After.
var ErrBusy = errors.New("images: too many photos are being processed")

// ErrBudget means the image would take the request (or the sender) past its
// pixel budget. The wrapped message is fit to show.
var ErrBudget = errors.New("images: pixel budget exceeded")

// Budget bounds how many images are decoded at once across all requests:
// decoding is where a photo costs memory (width×height×4 bytes) and CPU, so
// a small number of slots bounds both, whatever arrives. A request that
// finds every slot taken waits in line up to its wait time, then gets
// ErrBusy. It is safe for concurrent use.
type Budget struct {
	slots chan struct{}
	wait  time.Duration
}

// NewBudget allows concurrent decodes at once; others wait up to wait.
func NewBudget(concurrent int, wait time.Duration) *Budget {
	return &Budget{slots: make(chan struct{}, max(concurrent, 1)), wait: wait}
}

// Acquire takes a decode slot, waiting up to the budget's wait (or until
// ctx ends, when ctx is not nil); the caller must call release.
func (b *Budget) Acquire(ctx context.Context) (release func(), err error) {
	if ctx == nil {
		ctx = context.Background()
	}
	select {
	case b.slots <- struct{}{}:
		return func() { <-b.slots }, nil
	default:
	}
	t := time.NewTimer(b.wait)
	defer t.Stop()
	select {
	case b.slots <- struct{}{}:
		return func() { <-b.slots }, nil
	case <-t.C:
		return nil, fmt.Errorf("%w: every decode slot stayed busy for %s", ErrBusy, b.wait)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Pixels is a pixel allowance that Admit draws down: a bound on the pixels
// one request may decode, however many images it carries.
type Pixels struct {
	Left int64
}

// Admit takes px from the allowance, or refuses with ErrBudget.
func (p *Pixels) Admit(px int64) error {
	if px > p.Left {
		return fmt.Errorf("%w: 这次上传的图片太大了，请少选几张或换小一点的图片 / these photos are too large together; choose fewer or smaller ones", ErrBudget)
	}
	p.Left -= px
	return nil
}

// boxReduce shrinks img by the whole factor k, each output pixel the mean
// of a k×k block: one pass over the source, far cheaper than a filtered
// scale, and exact enough before the final Catmull-Rom. JPEG's YCbCr and
// the common RGBA, NRGBA and gray layouts are read directly; others go
// through the generic At.
func boxReduce(img image.Image, k int) *image.NRGBA {
	sb := img.Bounds()
	w, h := sb.Dx()/k, sb.Dy()/k
	dst := image.NewNRGBA(image.Rect(0, 0, w, h))
	n := uint32(k * k)
	sums := make([]uint32, 4*w)
	for oy := range h {
		clear(sums)
		for dy := range k {
			y := sb.Min.Y + oy*k + dy
			addRow(img, sb.Min.X, y, w, k, sums)
		}
		row := dst.Pix[oy*dst.Stride:]
		for ox := range w {
			s := sums[4*ox:]
			a := s[3] / n
			if a == 0 {
				copy(row[4*ox:4*ox+4], []byte{0, 0, 0, 0})
				continue
			}
			// sums hold alpha-weighted colour: undo the weighting.
			row[4*ox] = uint8(min(255, s[0]/s[3]))
			row[4*ox+1] = uint8(min(255, s[1]/s[3]))
			row[4*ox+2] = uint8(min(255, s[2]/s[3]))
			row[4*ox+3] = uint8(a)
		}
	}
	return dst
}

// addRow adds the pixels of source row y (w blocks of k pixels from x0)
// into sums as alpha-weighted colour (r·a, g·a, b·a scaled to 0–255) and
// alpha.
func addRow(img image.Image, x0, y, w, k int, sums []uint32) {
	add := func(i int, r, g, b, a uint32) { // 8-bit straight colour
		sums[i] += r * a
		sums[i+1] += g * a
		sums[i+2] += b * a
		sums[i+3] += a
	}
	switch m := img.(type) {
	case *image.YCbCr:
		for ox := range w {
			for dx := range k {
				x := x0 + ox*k + dx
				yy := m.Y[m.YOffset(x, y)]
				ci := m.COffset(x, y)
				r, g, b := color.YCbCrToRGB(yy, m.Cb[ci], m.Cr[ci])
				add(4*ox, uint32(r), uint32(g), uint32(b), 255)
			}
		}
	case *image.NRGBA:
		p := m.Pix[m.PixOffset(x0, y):]
		for ox := range w {
			for dx := range k {
				q := p[4*(ox*k+dx):]
				add(4*ox, uint32(q[0]), uint32(q[1]), uint32(q[2]), uint32(q[3]))
			}
		}
	case *image.RGBA: // premultiplied; opaque PNGs decode to this
		p := m.Pix[m.PixOffset(x0, y):]
		for ox := range w {
			for dx := range k {
				q := p[4*(ox*k+dx):]
				if a := uint32(q[3]); a > 0 {
					add(4*ox, uint32(q[0])*255/a, uint32(q[1])*255/a, uint32(q[2])*255/a, a)
				}
			}
		}
	case *image.Gray:
		p := m.Pix[m.PixOffset(x0, y):]
		for ox := range w {
			for dx := range k {
				v := uint32(p[ox*k+dx])
				add(4*ox, v, v, v, 255)
			}
		}
	default: // premultiplied 16-bit colour from At
		for ox := range w {
			for dx := range k {
				r, g, b, a := img.At(x0+ox*k+dx, y).RGBA()
				if a == 0 {
					continue
				}
				add(4*ox, r*255/a, g*255/a, b*255/a, a>>8)
			}
		}
	}
}
