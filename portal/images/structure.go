package images

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// imageEnd returns the offset just past the end of the image in b, found by
// walking the format's structure (JPEG markers, PNG chunks, GIF blocks, the
// RIFF size of WebP). A structure that runs off the end of b is ErrCorrupt.
func imageEnd(format string, b []byte) (int, error) {
	var end int
	switch format {
	case "jpeg":
		end = jpegEnd(b)
	case "png":
		end = pngEnd(b)
	case "gif":
		end = gifEnd(b)
	case "webp":
		end = webpEnd(b)
	}
	if end <= 0 || end > len(b) {
		return 0, fmt.Errorf("%w: the %s structure is truncated or malformed", ErrCorrupt, format)
	}
	return end, nil
}

// jpegEnd walks marker segments and entropy-coded data up to EOI.
func jpegEnd(b []byte) int {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return 0
	}
	i := 2
	for i+2 <= len(b) {
		if b[i] != 0xFF {
			return 0
		}
		m := b[i+1]
		switch {
		case m == 0xFF:
			i++
			continue
		case m == 0xD9:
			return i + 2
		case m == 0x01 || m >= 0xD0 && m <= 0xD8:
			i += 2
			continue
		}
		if i+4 > len(b) {
			return 0
		}
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if n < 2 || i+2+n > len(b) {
			return 0
		}
		i += 2 + n
		if m != 0xDA {
			continue
		}
		// Entropy-coded data runs to the next marker that is not a stuffed
		// 0xFF00 or a restart marker.
		for {
			j := bytes.IndexByte(b[i:], 0xFF)
			if j < 0 || i+j+1 >= len(b) {
				return 0
			}
			i += j
			if next := b[i+1]; next == 0x00 || next >= 0xD0 && next <= 0xD7 || next == 0xFF {
				i++
				if next != 0xFF {
					i++
				}
				continue
			}
			break
		}
	}
	return 0
}

// pngEnd walks chunks up to and including IEND.
func pngEnd(b []byte) int {
	const sig = "\x89PNG\r\n\x1a\n"
	if !bytes.HasPrefix(b, []byte(sig)) {
		return 0
	}
	i := len(sig)
	for i+12 <= len(b) {
		n := int64(binary.BigEndian.Uint32(b[i:]))
		end := int64(i) + 12 + n
		if end > int64(len(b)) {
			return 0
		}
		if string(b[i+4:i+8]) == "IEND" {
			return int(end)
		}
		i = int(end)
	}
	return 0
}

// gifEnd walks the blocks of a GIF up to its trailer.
func gifEnd(b []byte) int {
	if len(b) < 13 || (string(b[:6]) != "GIF87a" && string(b[:6]) != "GIF89a") {
		return 0
	}
	i := 13
	if flags := b[10]; flags&0x80 != 0 {
		i += 3 << (flags&0x07 + 1)
	}
	subBlocks := func(i int) int {
		for i < len(b) {
			n := int(b[i])
			i++
			if n == 0 {
				return i
			}
			i += n
		}
		return -1
	}
	for i < len(b) {
		switch b[i] {
		case 0x3B: // trailer
			return i + 1
		case 0x21: // extension: label, then data sub-blocks
			if i+2 > len(b) {
				return 0
			}
			if i = subBlocks(i + 2); i < 0 {
				return 0
			}
		case 0x2C: // image descriptor, local colour table, LZW code size, data
			if i+10 > len(b) {
				return 0
			}
			flags := b[i+9]
			i += 10
			if flags&0x80 != 0 {
				i += 3 << (flags&0x07 + 1)
			}
			if i = subBlocks(i + 1); i < 0 {
				return 0
			}
		default:
			return 0
		}
	}
	return 0
}

// webpEnd is the end of the RIFF container (its size field, padded to even).
func webpEnd(b []byte) int {
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WEBP" {
		return 0
	}
	n := int64(binary.LittleEndian.Uint32(b[4:])) + 8
	n += n & 1
	if n > int64(len(b)) {
		return 0
	}
	return int(n)
}

// hostile are signatures of content a browser or unzip tool would act on.
var hostile = [][]byte{
	[]byte("<html"), []byte("<!doctype"), []byte("<script"), []byte("<svg"), []byte("<body"),
	[]byte("<iframe"), []byte("<img"), []byte("<?php"), []byte("<?xml"), []byte("javascript:"),
	[]byte("PK\x03\x04"), []byte("PK\x05\x06"), []byte("PK\x07\x08"), []byte("%PDF-"), []byte("Rar!"),
}

// looksHostile reports whether trailing data carries markup, script, an
// archive or a document. Phones append harmless trailers (padding, vendor
// blocks, motion-photo video); those pass, and are dropped by re-encoding.
func looksHostile(trail []byte) bool {
	if len(trail) == 0 {
		return false
	}
	lower := bytes.ToLower(trail)
	for _, sig := range hostile {
		if bytes.Contains(lower, bytes.ToLower(sig)) {
			return true
		}
	}
	return false
}
