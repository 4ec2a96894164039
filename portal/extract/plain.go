package extract

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// probeSize is how much of a text file decides between UTF-8 and GB18030.
const probeSize = 64 << 10

// plain extracts a text file: UTF-8 (a BOM is dropped), UTF-16 with a BOM or
// declared charset, or GB18030 (declared, or detected when the bytes are not
// UTF-8 but decode cleanly as GB18030). Invalid bytes become U+FFFD. Line
// endings are normalised to \n.
func (j *job) plain(charset string) error {
	n := min(j.size, j.lim.MaxInput)
	br := bufio.NewReaderSize(io.NewSectionReader(j.r, 0, n), probeSize)
	head, err := br.Peek(probeSize)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return fmt.Errorf("extract: read text: %w", err)
	}
	var src io.Reader = br
	if dec := textDecoder(head, charset, int64(len(head)) == n); dec != nil {
		src = transform.NewReader(br, dec.NewDecoder())
	}
	rr := bufio.NewReader(src)
	var chunk strings.Builder
	prevCR := false
	flush := func() bool {
		ok := j.out.write(chunk.String())
		chunk.Reset()
		return ok
	}
	for i := 0; ; i++ {
		if i%4096 == 0 {
			if err := j.check(); err != nil {
				return err
			}
			if i > 0 && !flush() {
				return nil
			}
		}
		c, _, err := rr.ReadRune()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			flush()
			return fmt.Errorf("extract: read text: %w", err)
		}
		if i == 0 && c == '\uFEFF' {
			continue
		}
		switch {
		case c == '\r':
			chunk.WriteByte('\n')
		case c == '\n' && prevCR:
		default:
			chunk.WriteRune(c)
		}
		prevCR = c == '\r'
	}
	if !flush() {
		return nil
	}
	if j.size > j.lim.MaxInput {
		return fmt.Errorf("%w: text file is %d bytes, read the first %d", ErrLimit, j.size, j.lim.MaxInput)
	}
	return nil
}

// textDecoder picks the decoder for a text file from its declared charset and
// its first bytes; nil means UTF-8. complete says head is the whole file.
func textDecoder(head []byte, charset string, complete bool) encoding.Encoding {
	switch strings.ToLower(charset) {
	case "utf-16le":
		return unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM)
	case "utf-16be", "utf-16":
		return unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM)
	case "gb18030", "gbk", "gb2312":
		return simplifiedchinese.GB18030
	}
	switch {
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		return unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM)
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM)
	}
	if validUTF8Prefix(head, complete) {
		return nil
	}
	if isGB18030(head, complete) {
		return simplifiedchinese.GB18030
	}
	return nil
}

// validUTF8Prefix reports whether b is UTF-8, allowing a rune cut off at the
// end when b is only the start of the file.
func validUTF8Prefix(b []byte, complete bool) bool {
	if !complete {
		for i := 0; i < utf8.UTFMax && i < len(b); i++ {
			if utf8.RuneStart(b[len(b)-1-i]) {
				if !utf8.FullRune(b[len(b)-1-i:]) {
					b = b[:len(b)-1-i]
				}
				break
			}
		}
	}
	return utf8.Valid(b)
}

// isGB18030 reports whether b decodes as GB18030 without invalid sequences
// and holds at least one non-ASCII character (allowing a character cut off at
// the end when b is only the start of the file).
func isGB18030(b []byte, complete bool) bool {
	if !complete && len(b) > 4 {
		// Drop up to 3 trailing bytes that may be the start of a 2- or 4-byte sequence.
		b = b[:gbCut(b)]
	}
	out, _, err := transform.Bytes(simplifiedchinese.GB18030.NewDecoder(), b)
	if err != nil {
		return false
	}
	return !bytes.ContainsRune(out, utf8.RuneError) && !utf8.Valid(b)
}

// gbCut returns a length at which b ends on a GB18030 character boundary.
func gbCut(b []byte) int {
	i := 0
	for i < len(b) {
		c := b[i]
		switch {
		case c < 0x80:
			i++
		case i+1 < len(b) && b[i+1] >= 0x30 && b[i+1] <= 0x39:
			if i+4 > len(b) {
				return i
			}
			i += 4
		default:
			if i+2 > len(b) {
				return i
			}
			i += 2
		}
	}
	return i
}
