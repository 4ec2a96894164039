package images

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"image"
	"io"
)

// decodePNGReduced decodes a non-interlaced PNG row by row, box-reducing it
// by the whole factor k while it streams: it holds two rows of the source
// and the reduced image, never the full-size pixels (a 6000×6000 PNG is
// 144 MB decoded, 36 MB reduced by 2). ok is false for PNGs it leaves to
// image/png (interlaced). Errors wrap ErrCorrupt.
func decodePNGReduced(b []byte, k int) (img *image.NRGBA, ok bool, err error) {
	const sig = "\x89PNG\r\n\x1a\n"
	if !bytes.HasPrefix(b, []byte(sig)) || k < 2 {
		return nil, false, nil
	}
	var (
		w, h                    int
		depth, ctype, interlace byte
		palette                 [][4]uint8
		trns                    []byte
		idat                    []io.Reader
	)
	for i := len(sig); i+12 <= len(b); {
		n := int(binary.BigEndian.Uint32(b[i:]))
		if i+12+n > len(b) {
			return nil, false, fmt.Errorf("%w: png: truncated chunk", ErrCorrupt)
		}
		typ, data := string(b[i+4:i+8]), b[i+8:i+8+n]
		i += 12 + n
		switch typ {
		case "IHDR":
			if n != 13 {
				return nil, false, fmt.Errorf("%w: png: bad IHDR", ErrCorrupt)
			}
			w, h = int(binary.BigEndian.Uint32(data)), int(binary.BigEndian.Uint32(data[4:]))
			depth, ctype, interlace = data[8], data[9], data[12]
		case "PLTE":
			for j := 0; j+3 <= len(data); j += 3 {
				palette = append(palette, [4]uint8{data[j], data[j+1], data[j+2], 255})
			}
		case "tRNS":
			trns = data
		case "IDAT":
			idat = append(idat, bytes.NewReader(data))
		}
		if typ == "IEND" {
			break
		}
	}
	if interlace != 0 {
		return nil, false, nil
	}
	channels := channelsOf(ctype)
	if channels == 0 || w <= 0 || h <= 0 || (depth != 8 && depth != 16 && (depth > 8 || ctype != 0 && ctype != 3)) {
		return nil, false, nil // unusual: let image/png decide
	}
	if ctype == 3 {
		for j := 0; j < len(trns) && j < len(palette); j++ {
			palette[j][3] = trns[j]
		}
	}
	bitsPP := int(depth) * channels
	bpp := max(1, bitsPP/8) // filter distance in bytes
	rowBytes := (w*bitsPP + 7) / 8
	zr, err := zlib.NewReader(io.MultiReader(idat...))
	if err != nil {
		return nil, false, fmt.Errorf("%w: png: %v", ErrCorrupt, err)
	}
	defer zr.Close()
	ow, oh := w/k, h/k
	img = image.NewNRGBA(image.Rect(0, 0, ow, oh))
	sums := make([]uint32, 4*ow)
	cur, prev := make([]byte, rowBytes+1), make([]byte, rowBytes+1)
	px := make([]uint8, 4)
	for y := range oh * k {
		if _, err := io.ReadFull(zr, cur); err != nil {
			return nil, false, fmt.Errorf("%w: png: row %d: %v", ErrCorrupt, y, err)
		}
		if err := unfilter(cur[0], cur[1:], prev[1:], bpp); err != nil {
			return nil, false, err
		}
		row := cur[1:]
		switch {
		case depth == 8 && ctype == 2 && len(trns) == 0: // opaque RGB, the common case
			for ox := range ow {
				s := sums[4*ox:]
				for dx := range k {
					q := row[3*(ox*k+dx):]
					s[0] += uint32(q[0]) * 255
					s[1] += uint32(q[1]) * 255
					s[2] += uint32(q[2]) * 255
					s[3] += 255
				}
			}
		case depth == 8 && ctype == 6:
			for ox := range ow {
				s := sums[4*ox:]
				for dx := range k {
					q := row[4*(ox*k+dx):]
					a := uint32(q[3])
					s[0] += uint32(q[0]) * a
					s[1] += uint32(q[1]) * a
					s[2] += uint32(q[2]) * a
					s[3] += a
				}
			}
		default:
			for ox := range ow {
				s := sums[4*ox:]
				for dx := range k {
					samplePixel(row, ox*k+dx, depth, ctype, palette, trns, px)
					a := uint32(px[3])
					s[0] += uint32(px[0]) * a
					s[1] += uint32(px[1]) * a
					s[2] += uint32(px[2]) * a
					s[3] += a
				}
			}
		}
		if y%k == k-1 {
			out := img.Pix[(y/k)*img.Stride:]
			n := uint32(k * k)
			for ox := range ow {
				s := sums[4*ox:]
				if s[3] > 0 {
					out[4*ox], out[4*ox+1], out[4*ox+2] = uint8(min(255, s[0]/s[3])), uint8(min(255, s[1]/s[3])), uint8(min(255, s[2]/s[3]))
				}
				out[4*ox+3] = uint8(s[3] / n)
			}
			clear(sums)
		}
		cur, prev = prev, cur
	}
	return img, true, nil
}

// unfilter reverses a PNG row filter in place.
func unfilter(f byte, cur, prev []byte, bpp int) error {
	switch f {
	case 0:
	case 1:
		for i := bpp; i < len(cur); i++ {
			cur[i] += cur[i-bpp]
		}
	case 2:
		for i := range cur {
			cur[i] += prev[i]
		}
	case 3:
		for i := range cur {
			var left byte
			if i >= bpp {
				left = cur[i-bpp]
			}
			cur[i] += byte((int(left) + int(prev[i])) / 2)
		}
	case 4:
		for i := range cur {
			var a, c byte
			if i >= bpp {
				a, c = cur[i-bpp], prev[i-bpp]
			}
			cur[i] += paeth(a, prev[i], c)
		}
	default:
		return fmt.Errorf("%w: png: filter type %d", ErrCorrupt, f)
	}
	return nil
}

func paeth(a, b, c byte) byte {
	p := int(a) + int(b) - int(c)
	pa, pb, pc := abs(p-int(a)), abs(p-int(b)), abs(p-int(c))
	switch {
	case pa <= pb && pa <= pc:
		return a
	case pb <= pc:
		return b
	}
	return c
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// samplePixel writes pixel x of an unfiltered row as straight 8-bit RGBA.
func samplePixel(row []byte, x int, depth, ctype byte, palette [][4]uint8, trns []byte, px []uint8) {
	if depth < 8 { // gray or palette, 1/2/4 bits
		per := 8 / int(depth)
		v := row[x/per] >> (8 - int(depth)*(x%per+1)) & (1<<depth - 1)
		if ctype == 3 {
			if int(v) < len(palette) {
				copy(px, palette[v][:])
			} else {
				copy(px, []uint8{0, 0, 0, 255})
			}
			return
		}
		g := v * (255 / (1<<depth - 1))
		px[0], px[1], px[2], px[3] = g, g, g, 255
		if len(trns) >= 2 && uint16(v) == binary.BigEndian.Uint16(trns) {
			px[3] = 0
		}
		return
	}
	bs := int(depth) / 8 // bytes per sample; 16-bit samples keep their high byte
	at := func(c int) uint8 { return row[(x*channelsOf(ctype)+c)*bs] }
	switch ctype {
	case 0:
		g := at(0)
		px[0], px[1], px[2], px[3] = g, g, g, 255
		if bs == 1 && len(trns) >= 2 && uint16(g) == binary.BigEndian.Uint16(trns) {
			px[3] = 0
		}
	case 2:
		px[0], px[1], px[2], px[3] = at(0), at(1), at(2), 255
		if bs == 1 && len(trns) >= 6 && uint16(px[0]) == binary.BigEndian.Uint16(trns) &&
			uint16(px[1]) == binary.BigEndian.Uint16(trns[2:]) && uint16(px[2]) == binary.BigEndian.Uint16(trns[4:]) {
			px[3] = 0
		}
	case 3:
		if v := int(row[x]); v < len(palette) {
			copy(px, palette[v][:])
		} else {
			copy(px, []uint8{0, 0, 0, 255})
		}
	case 4:
		g := at(0)
		px[0], px[1], px[2], px[3] = g, g, g, at(1)
	case 6:
		px[0], px[1], px[2], px[3] = at(0), at(1), at(2), at(3)
	}
}

func channelsOf(ctype byte) int {
	switch ctype {
	case 0, 3:
		return 1
	case 4:
		return 2
	case 2:
		return 3
	case 6:
		return 4
	}
	return 0
}
