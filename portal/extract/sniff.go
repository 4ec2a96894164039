package extract

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"io"
	"path"
	"strings"

	"github.com/gabriel-vasile/mimetype"
)

// Sniff decides the media type from the content (github.com/gabriel-vasile/mimetype),
// never from the name alone; the name only disambiguates text (.md/.markdown →
// text/markdown, .csv → text/csv) and OOXML subtypes are taken from the zip's
// [Content_Types].xml when mimetype cannot tell from the entry names. Pass the
// first 3 KB or more of the file. Returns e.g. "application/pdf",
// "application/vnd.openxmlformats-officedocument.wordprocessingml.document" (docx),
// ...spreadsheetml.sheet (xlsx), ...presentationml.presentation (pptx),
// "text/plain; charset=utf-8", "text/plain; charset=gb18030",
// "text/markdown; charset=utf-8", "text/csv; charset=utf-8", "text/html; charset=utf-8",
// "image/svg+xml", "image/png", "image/jpeg", "application/zip",
// "application/vnd.microsoft.portable-executable", "application/x-elf",
// "application/octet-stream" …
func Sniff(head []byte, name string) string {
	if len(head) == 0 {
		return "application/octet-stream"
	}
	m := mimetype.Detect(head)
	base := m.String()
	if i := strings.IndexByte(base, ';'); i >= 0 {
		base = base[:i]
	}
	switch base {
	case typeZip:
		if t := ooxmlFromContentTypes(head); t != "" {
			return t
		}
		return typeZip
	case typeText, typeCSV, "text/tab-separated-values":
		return plainType(head, m.String(), name)
	}
	return m.String()
}

// plainType names a plain text file: its subtype from the file name (the
// content is text either way) and its charset from the bytes.
func plainType(head []byte, detected, name string) string {
	sub := typeText
	switch strings.ToLower(path.Ext(name)) {
	case ".md", ".markdown":
		sub = typeMD
	case ".csv":
		sub = typeCSV
	}
	// head may end in the middle of a character: a cut character at the end
	// is not held against either encoding.
	const complete = false
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}) || validUTF8Prefix(head, complete):
		return sub + "; charset=utf-8"
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		return sub + "; charset=utf-16le"
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return sub + "; charset=utf-16be"
	case isGB18030(head, complete):
		return sub + "; charset=gb18030"
	}
	if i := strings.IndexByte(detected, ';'); i >= 0 {
		return sub + detected[i:]
	}
	return sub
}

// OOXML main-part content types and the package type each one means.
var ooxmlMain = []struct{ part, typ string }{
	{"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml", typeDOCX},
	{"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml", typeXLSX},
	{"application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml", typePPTX},
}

// ooxmlFromContentTypes looks for a [Content_Types].xml entry among the local
// file headers in head and, when its (possibly partial) data names a Word,
// Excel or PowerPoint main part, returns that package type.
func ooxmlFromContentTypes(head []byte) string {
	const lfh = 30
	b := head
	for {
		i := bytes.Index(b, []byte("PK\x03\x04"))
		if i < 0 || len(b)-i < lfh {
			return ""
		}
		b = b[i:]
		method := binary.LittleEndian.Uint16(b[8:])
		nameLen := int(binary.LittleEndian.Uint16(b[26:]))
		extraLen := int(binary.LittleEndian.Uint16(b[28:]))
		if len(b) < lfh+nameLen+extraLen {
			return ""
		}
		if string(b[lfh:lfh+nameLen]) != "[Content_Types].xml" {
			b = b[4:]
			continue
		}
		data := b[lfh+nameLen+extraLen:]
		var xml []byte
		switch method {
		case 0:
			xml = data
		case 8:
			// Inflate what the head holds, at most 64 KB; a cut-off stream is fine.
			var out bytes.Buffer
			_, err := io.Copy(&out, io.LimitReader(flate.NewReader(bytes.NewReader(data)), 64<<10))
			if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
				return ""
			}
			xml = out.Bytes()
		default:
			return ""
		}
		for _, m := range ooxmlMain {
			if bytes.Contains(xml, []byte(`"`+m.part+`"`)) {
				return m.typ
			}
		}
		return ""
	}
}
