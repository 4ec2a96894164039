// Package images turns an untrusted uploaded picture into the copies Jinnang
// stores: a JPEG of at most 2048 px on the long side and a square 360 px
// thumbnail. Nothing of the upload survives but its pixels: re-encoding drops
// EXIF (GPS, camera serials), ICC profiles, comments and anything appended.
//
// The checks run cheapest first, so a hostile file costs little:
//
//  1. size: at most Limits.MaxBytes are read;
//  2. type: the first bytes are sniffed (JPEG, PNG, GIF, WebP only);
//  3. header: image.DecodeConfig reads the dimensions, which must agree with
//     the sniffed type and stay within MaxSide and MaxPixels — a 50000×50000
//     "decompression bomb" is refused before a single pixel is allocated;
//  4. structure: the file is walked to where the image ends, and data after
//     it that looks like HTML, script, a ZIP or a PDF (a polyglot) is refused;
//  5. only then is the image decoded (GIF: the first frame), turned upright
//     by its EXIF orientation (JPEG) and re-encoded.
package images

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"

	"golang.org/x/image/draw"
	"golang.org/x/image/webp"
)

// Sentinel errors. The wrapped messages name the limit and are fit to show.
var (
	// ErrEmpty means the upload had no bytes.
	ErrEmpty = errors.New("images: empty file")
	// ErrTooLarge means the file is bigger than Limits.MaxBytes.
	ErrTooLarge = errors.New("images: file too large")
	// ErrType means the file is not a JPEG, PNG, GIF or WebP image, or its
	// content does not agree with the type its first bytes claim.
	ErrType = errors.New("images: not a supported image")
	// ErrDimensions means the image is wider or taller than Limits.MaxSide,
	// or has more than Limits.MaxPixels pixels.
	ErrDimensions = errors.New("images: image dimensions too large")
	// ErrPolyglot means data after the end of the image looks like HTML,
	// script, an archive or a document.
	ErrPolyglot = errors.New("images: file carries hidden content")
	// ErrCorrupt means the image could not be decoded.
	ErrCorrupt = errors.New("images: image is damaged")
)

// Limits bound what Process accepts and what it makes.
type Limits struct {
	MaxBytes  int64 // largest accepted file
	MaxPixels int64 // largest width×height
	MaxSide   int   // largest width or height
	LongSide  int   // long side of the stored copy (smaller images keep their size)
	Thumb     int   // side of the square thumbnail
	Quality   int   // JPEG quality of both copies
	// Admit, when set, is asked before any pixel is decoded, with the
	// image's width×height from its header; an error refuses the image
	// (a per-request or per-address pixel budget, see Budget).
	Admit func(pixels int64) error
	// Budget, when set, bounds concurrent decodes (see Budget.Acquire).
	Budget *Budget
	// Ctx bounds the wait for a decode slot; nil means no limit but the
	// budget's own wait.
	Ctx context.Context
}

// DefaultLimits are Jinnang's: 15 MB, 40 MP, 12000 px a side, copies of
// 2048 px and 360 px at JPEG quality 82.
func DefaultLimits() Limits {
	return Limits{MaxBytes: 15 << 20, MaxPixels: 40_000_000, MaxSide: 12000, LongSide: 2048, Thumb: 360, Quality: 82}
}

// Result is a processed image: the JPEG bytes of the stored copy and of the
// thumbnail, and the stored copy's dimensions.
type Result struct {
	Full          []byte
	Thumb         []byte
	Width, Height int
	Format        string // the upload's format: jpeg, png, gif or webp
}

// formats maps sniffed media types to image.DecodeConfig format names.
var formats = map[string]string{
	"image/jpeg": "jpeg",
	"image/png":  "png",
	"image/gif":  "gif",
	"image/webp": "webp",
}

// decoders are the decoders Process uses, by format. They are called
// directly (not through image.Decode), so no other registered format is
// ever reached.
var decoders = map[string]struct {
	config func(io.Reader) (image.Config, error)
	decode func(io.Reader) (image.Image, error)
}{
	"jpeg": {jpeg.DecodeConfig, jpeg.Decode},
	"png":  {png.DecodeConfig, png.Decode},
	"gif":  {gif.DecodeConfig, gif.Decode}, // gif.Decode returns the first frame
	"webp": {webp.DecodeConfig, webp.Decode},
}

// Process reads an uploaded image from r and returns its re-encoded copies.
// Errors wrap the sentinels above.
func Process(r io.Reader, lim Limits) (*Result, error) {
	img, orientation, format, release, err := decodeChecked(r, lim)
	if err != nil {
		return nil, err
	}
	defer release() // the decode slot covers scaling too: the pixels are still held
	return render(img, orientation, format, lim)
}

// SanitizePNG runs an upload through the same checks and decoding as
// Process and returns it re-encoded as a PNG (lossless: for QR codes and
// other line art), upright and at most lim.LongSide on its long side. Only
// the pixels survive: no metadata, nothing appended.
func SanitizePNG(r io.Reader, lim Limits) ([]byte, error) {
	img, orientation, _, release, err := decodeChecked(r, lim)
	if err != nil {
		return nil, err
	}
	defer release()
	sb := img.Bounds()
	w, h := sb.Dx(), sb.Dy()
	fw, fh := fit(w, h, lim.LongSide)
	dst := image.NewRGBA(image.Rect(0, 0, fw, fh))
	draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	if fw == w && fh == h {
		draw.Draw(dst, dst.Bounds(), img, sb.Min, draw.Over)
	} else {
		draw.CatmullRom.Scale(dst, dst.Bounds(), img, sb, draw.Over, nil)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, orient(dst, orientation)); err != nil {
		return nil, fmt.Errorf("images: encode png: %w", err)
	}
	return b.Bytes(), nil
}

// decodeChecked runs the checks cheapest first and decodes the image,
// holding a slot of lim.Budget until the caller calls release.
func decodeChecked(r io.Reader, lim Limits) (img image.Image, orientation int, format string, release func(), err error) {
	fail := func(err error) (image.Image, int, string, func(), error) { return nil, 0, "", nil, err }
	b, err := io.ReadAll(io.LimitReader(r, lim.MaxBytes+1))
	if err != nil {
		return fail(fmt.Errorf("images: read upload: %w", err))
	}
	if len(b) == 0 {
		return fail(fmt.Errorf("%w: 文件是空的 / the file is empty", ErrEmpty))
	}
	if int64(len(b)) > lim.MaxBytes {
		return fail(fmt.Errorf("%w: 图片超过 %d MB / the image is larger than %d MB", ErrTooLarge, lim.MaxBytes>>20, lim.MaxBytes>>20))
	}
	sniffed := http.DetectContentType(b)
	format, ok := formats[sniffed]
	if !ok {
		return fail(fmt.Errorf("%w: %s（只支持 JPEG、PNG、GIF、WebP / only JPEG, PNG, GIF and WebP are accepted）", ErrType, sniffed))
	}
	dec := decoders[format]
	cfg, err := dec.config(bytes.NewReader(b))
	if err != nil {
		return fail(fmt.Errorf("%w: %s header: %v", ErrType, format, err))
	}
	if err := checkDimensions(cfg.Width, cfg.Height, lim); err != nil {
		return fail(err)
	}
	end, err := imageEnd(format, b)
	if err != nil {
		return fail(err)
	}
	if looksHostile(b[end:]) {
		return fail(fmt.Errorf("%w: %d bytes after the end of the %s image look like a web page, script or archive", ErrPolyglot, len(b)-end, format))
	}
	if lim.Admit != nil {
		if err := lim.Admit(int64(cfg.Width) * int64(cfg.Height)); err != nil {
			return fail(err)
		}
	}
	release = func() {}
	if lim.Budget != nil {
		if release, err = lim.Budget.Acquire(lim.Ctx); err != nil {
			return fail(err)
		}
	}
	// A PNG much larger than the stored copy is reduced while it is decoded
	// (JPEG would allow DCT scaling, which Go's decoder does not offer: it
	// is reduced right after decoding, see render).
	if format == "png" && lim.LongSide > 0 {
		fw, fh := fit(cfg.Width, cfg.Height, lim.LongSide)
		if k := min(cfg.Width/fw, cfg.Height/fh); k >= 2 {
			var ok bool
			if img, ok, err = decodePNGReduced(b, k); err != nil {
				release()
				return fail(err)
			} else if ok {
				return img, 1, format, release, nil
			}
		}
	}
	if img, err = dec.decode(bytes.NewReader(b)); err != nil {
		release()
		return fail(fmt.Errorf("%w: %s: %v", ErrCorrupt, format, err))
	}
	orientation = 1
	if format == "jpeg" {
		orientation = jpegOrientation(b)
	}
	return img, orientation, format, release, nil
}

// checkDimensions applies MaxSide and MaxPixels to a header's dimensions.
func checkDimensions(w, h int, lim Limits) error {
	switch {
	case w <= 0 || h <= 0:
		return fmt.Errorf("%w: the header declares %d×%d pixels", ErrCorrupt, w, h)
	case w > lim.MaxSide || h > lim.MaxSide:
		return fmt.Errorf("%w: %d×%d 像素，每边最多 %d / %d×%d pixels, at most %d a side", ErrDimensions, w, h, lim.MaxSide, w, h, lim.MaxSide)
	case int64(w)*int64(h) > lim.MaxPixels:
		return fmt.Errorf("%w: %d×%d 像素，最多 %d 万像素 / %d×%d pixels, at most %d megapixels",
			ErrDimensions, w, h, lim.MaxPixels/10_000, w, h, lim.MaxPixels/1_000_000)
	}
	return nil
}

// render orients img, scales it to the stored copy and the thumbnail, and
// encodes both as JPEG. Transparent pixels become white.
func render(img image.Image, orientation int, format string, lim Limits) (*Result, error) {
	sb := img.Bounds()
	w, h := sb.Dx(), sb.Dy()
	if orientation >= 5 { // the upright picture has width and height swapped
		w, h = h, w
	}
	fw, fh := fit(w, h, lim.LongSide)
	if orientation >= 5 {
		fw, fh = fh, fw
	}
	// Scale first (in the stored orientation), then turn: turning the small
	// copy is cheap. A source at least twice the target is first
	// box-reduced by a whole factor, staying at or above the target (cheap,
	// one pass), so the costly Catmull-Rom filter never runs over tens of
	// megapixels.
	if k := min(sb.Dx()/fw, sb.Dy()/fh); k >= 2 {
		img = boxReduce(img, k)
		sb = img.Bounds()
	}
	scaled := image.NewRGBA(image.Rect(0, 0, fw, fh))
	draw.Draw(scaled, scaled.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.CatmullRom.Scale(scaled, scaled.Bounds(), img, sb, draw.Over, nil)
	full := orient(scaled, orientation)

	side := min(full.Bounds().Dx(), full.Bounds().Dy())
	crop := image.Rect(0, 0, side, side).Add(image.Pt((full.Bounds().Dx()-side)/2, (full.Bounds().Dy()-side)/2))
	ts := min(lim.Thumb, side)
	thumb := image.NewRGBA(image.Rect(0, 0, ts, ts))
	draw.CatmullRom.Scale(thumb, thumb.Bounds(), full, crop, draw.Src, nil)

	var fb, tb bytes.Buffer
	opts := &jpeg.Options{Quality: lim.Quality}
	if err := jpeg.Encode(&fb, full, opts); err != nil {
		return nil, fmt.Errorf("images: encode: %w", err)
	}
	if err := jpeg.Encode(&tb, thumb, opts); err != nil {
		return nil, fmt.Errorf("images: encode thumbnail: %w", err)
	}
	return &Result{Full: fb.Bytes(), Thumb: tb.Bytes(), Width: full.Bounds().Dx(), Height: full.Bounds().Dy(), Format: format}, nil
}

// fit scales w×h down so the long side is at most long (never up).
func fit(w, h, long int) (int, int) {
	if w <= long && h <= long {
		return w, h
	}
	if w >= h {
		return long, max(1, int(int64(h)*int64(long)/int64(w)))
	}
	return max(1, int(int64(w)*int64(long)/int64(h))), long
}

// orient returns src turned upright by an EXIF orientation (1–8).
func orient(src *image.RGBA, o int) *image.RGBA {
	if o < 2 || o > 8 {
		return src
	}
	sw, sh := src.Bounds().Dx(), src.Bounds().Dy()
	dw, dh := sw, sh
	if o >= 5 {
		dw, dh = sh, sw
	}
	// from maps a destination pixel to the source pixel shown there.
	from := map[int]func(x, y int) (int, int){
		2: func(x, y int) (int, int) { return sw - 1 - x, y },          // mirrored
		3: func(x, y int) (int, int) { return sw - 1 - x, sh - 1 - y }, // rotated 180°
		4: func(x, y int) (int, int) { return x, sh - 1 - y },          // flipped
		5: func(x, y int) (int, int) { return y, x },                   // transposed
		6: func(x, y int) (int, int) { return y, sh - 1 - x },          // needs 90° clockwise
		7: func(x, y int) (int, int) { return sw - 1 - y, sh - 1 - x }, // transversed
		8: func(x, y int) (int, int) { return sw - 1 - y, x },          // needs 90° counter-clockwise
	}[o]
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := range dh {
		for x := range dw {
			sx, sy := from(x, y)
			si := src.PixOffset(sx+src.Rect.Min.X, sy+src.Rect.Min.Y)
			di := dst.PixOffset(x, y)
			copy(dst.Pix[di:di+4], src.Pix[si:si+4])
		}
	}
	return dst
}

// maxIFDEntries bounds the EXIF directory walk.
const maxIFDEntries = 512

// jpegOrientation returns the EXIF orientation tag of a JPEG (1 when absent
// or unreadable). It reads the APP1 segments before the first scan only.
func jpegOrientation(b []byte) int {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return 1
	}
	for i := 2; i+4 <= len(b); {
		if b[i] != 0xFF {
			return 1
		}
		m := b[i+1]
		switch {
		case m == 0xFF: // fill byte
			i++
			continue
		case m == 0x01 || m >= 0xD0 && m <= 0xD8: // markers without a length
			i += 2
			continue
		case m == 0xDA || m == 0xD9: // start of scan, end of image: no more metadata
			return 1
		}
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if n < 2 || i+2+n > len(b) {
			return 1
		}
		if seg := b[i+4 : i+2+n]; m == 0xE1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
			if o := tiffOrientation(seg[6:]); o != 0 {
				return o
			}
		}
		i += 2 + n
	}
	return 1
}

// tiffOrientation reads tag 0x0112 of IFD0 of a TIFF structure; 0 when absent.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0
	}
	if bo.Uint16(t[2:]) != 42 {
		return 0
	}
	off := uint64(bo.Uint32(t[4:]))
	if off < 8 || off+2 > uint64(len(t)) {
		return 0
	}
	n := int(bo.Uint16(t[off:]))
	if n > maxIFDEntries {
		return 0
	}
	for k := range n {
		e := off + 2 + 12*uint64(k)
		if e+12 > uint64(len(t)) {
			return 0
		}
		const tagOrientation, typeShort = 0x0112, 3
		if bo.Uint16(t[e:]) == tagOrientation && bo.Uint16(t[e+2:]) == typeShort {
			if v := int(bo.Uint16(t[e+8:])); v >= 1 && v <= 8 {
				return v
			}
			return 0
		}
	}
	return 0
}
