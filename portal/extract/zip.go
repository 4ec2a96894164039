package extract

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"io"
	"path"
	"strings"
)

// maxXMLDepth bounds element nesting; real Office parts nest a few dozen deep.
const maxXMLDepth = 1000

// pkg is an opened OOXML package (a zip) with the inflate budget of its job.
type pkg struct {
	j      *job
	zr     *zip.Reader
	files  map[string]*zip.File
	budget int64 // bytes that may still be inflated
}

// openZip opens the job's input as a zip after checking its entry count
// against MaxEntries from the end-of-central-directory record, so a huge
// directory is refused before it is parsed.
func (j *job) openZip() (*pkg, error) {
	n, err := zipEntryCount(j.r, j.size)
	if err != nil {
		return nil, err
	}
	if n > uint64(j.lim.MaxEntries) {
		return nil, fmt.Errorf("%w: zip has %d entries, more than %d", ErrLimit, n, j.lim.MaxEntries)
	}
	zr, err := zip.NewReader(j.r, j.size)
	if err != nil {
		return nil, fmt.Errorf("extract: open zip: %w", err)
	}
	if len(zr.File) > j.lim.MaxEntries {
		return nil, fmt.Errorf("%w: zip has %d entries, more than %d", ErrLimit, len(zr.File), j.lim.MaxEntries)
	}
	p := &pkg{j: j, zr: zr, files: make(map[string]*zip.File, len(zr.File)), budget: j.lim.MaxUncompressed}
	for _, f := range zr.File {
		p.files[strings.TrimPrefix(f.Name, "/")] = f
	}
	return p, nil
}

// zipEntryCount reads the total entry count from the end-of-central-directory
// record (or its zip64 form).
func zipEntryCount(r io.ReaderAt, size int64) (uint64, error) {
	const eocdLen, maxComment = 22, 65535
	tail := min(size, eocdLen+maxComment)
	buf := make([]byte, tail)
	if _, err := r.ReadAt(buf, size-tail); err != nil && !errors.Is(err, io.EOF) {
		return 0, fmt.Errorf("extract: read zip directory: %w", err)
	}
	i := bytes.LastIndex(buf, []byte("PK\x05\x06"))
	if i < 0 || len(buf)-i < eocdLen {
		return 0, errors.New("extract: not a zip file: no end of central directory")
	}
	n := uint64(binary.LittleEndian.Uint16(buf[i+10:]))
	if n != 0xFFFF {
		return n, nil
	}
	// zip64: the locator (20 bytes) sits just before the record and points at
	// the zip64 end-of-central-directory record.
	loc := int64(i) + (size - tail) - 20
	if loc < 0 {
		return 0, errors.New("extract: malformed zip64 directory")
	}
	lb := make([]byte, 20)
	if _, err := r.ReadAt(lb, loc); err != nil {
		return 0, fmt.Errorf("extract: read zip64 locator: %w", err)
	}
	if !bytes.HasPrefix(lb, []byte("PK\x06\x07")) {
		return n, nil
	}
	off := int64(binary.LittleEndian.Uint64(lb[8:]))
	rec := make([]byte, 56)
	if off < 0 || off > size-56 {
		return 0, errors.New("extract: malformed zip64 directory")
	}
	if _, err := r.ReadAt(rec, off); err != nil {
		return 0, fmt.Errorf("extract: read zip64 directory: %w", err)
	}
	if !bytes.HasPrefix(rec, []byte("PK\x06\x06")) {
		return 0, errors.New("extract: malformed zip64 directory")
	}
	return binary.LittleEndian.Uint64(rec[32:]), nil
}

// has reports whether the package holds the part.
func (p *pkg) has(name string) bool {
	_, ok := p.files[name]
	return ok
}

// part is an open zip entry that reads at most what is left of the inflate
// budget and fails with ErrLimit beyond it.
type part struct {
	p    *pkg
	name string
	rc   io.ReadCloser
}

func (r *part) Read(b []byte) (int, error) {
	if r.p.budget <= 0 {
		// The budget is spent: only the end of this entry is still fine.
		var one [1]byte
		if n, err := r.rc.Read(one[:]); n == 0 && errors.Is(err, io.EOF) {
			return 0, io.EOF
		}
		return 0, fmt.Errorf("%w: more than %d bytes inflated from the zip (at %s)", ErrLimit, r.p.j.lim.MaxUncompressed, r.name)
	}
	if int64(len(b)) > r.p.budget {
		b = b[:r.p.budget]
	}
	n, err := r.rc.Read(b)
	r.p.budget -= int64(n)
	if err != nil && !errors.Is(err, io.EOF) {
		err = fmt.Errorf("extract: read %s: %w", r.name, err)
	}
	return n, err
}

// open opens a part for streaming. A part that is itself a zip is refused.
func (p *pkg) open(name string) (*part, error) {
	f, ok := p.files[name]
	if !ok {
		return nil, fmt.Errorf("extract: part %s missing", name)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("extract: open %s: %w", name, err)
	}
	return &part{p: p, name: name, rc: rc}, nil
}

// walk streams the XML of a part, calling fn for each token. fn returns
// false to stop early. Nesting depth and time are checked between tokens.
func (p *pkg) walk(name string, fn func(xml.Token) bool) error {
	pr, err := p.open(name)
	if err != nil {
		return err
	}
	defer pr.rc.Close()
	br := bufio.NewReader(pr)
	if magic, _ := br.Peek(4); bytes.Equal(magic, []byte("PK\x03\x04")) {
		return fmt.Errorf("extract: %s is a nested zip, refused", name)
	}
	// No token needs more bytes than the text limit could keep: a longer
	// one (a zip bomb's gigabyte of text in one run) is cut there.
	tr := &tokenReader{br: br, max: 4*int64(p.j.lim.MaxText) + 64<<10}
	d := xml.NewDecoder(tr)
	depth := 0
	for {
		if err := p.j.check(); err != nil {
			return err
		}
		tr.start()
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil && tr.cut {
			// Inside a huge token. Text (what follows a tag's '>') is
			// given to fn as far as it was read; then the part stops.
			if raw := tr.buf; len(raw) > 0 && raw[0] != '<' && !fn(xml.CharData(html.UnescapeString(string(raw)))) {
				return nil
			}
			return fmt.Errorf("%w: %s holds an XML token longer than %d bytes", ErrLimit, name, tr.max)
		}
		if err != nil {
			if errors.Is(err, ErrLimit) {
				return err
			}
			return fmt.Errorf("extract: parse %s: %w", name, err)
		}
		switch tok.(type) {
		case xml.StartElement:
			if depth++; depth > maxXMLDepth {
				return fmt.Errorf("extract: %s nests elements deeper than %d", name, maxXMLDepth)
			}
		case xml.EndElement:
			depth--
		}
		if !fn(tok) {
			return nil
		}
	}
}

// errTokenTooLong stops the XML decoder inside an over-long token.
var errTokenTooLong = errors.New("extract: XML token too long")

// tokenReader feeds the XML decoder byte by byte (it reads through
// io.ByteReader), keeps the bytes of the token being read, and fails once a
// token runs past max bytes.
type tokenReader struct {
	br  *bufio.Reader
	max int64
	buf []byte
	cut bool
}

// start marks the beginning of a token.
func (t *tokenReader) start() { t.buf = t.buf[:0] }

func (t *tokenReader) ReadByte() (byte, error) {
	if int64(len(t.buf)) >= t.max {
		t.cut = true
		return 0, errTokenTooLong
	}
	b, err := t.br.ReadByte()
	if err == nil {
		t.buf = append(t.buf, b)
	}
	return b, err
}

func (t *tokenReader) Read(p []byte) (int, error) {
	for i := range p {
		b, err := t.ReadByte()
		if err != nil {
			return i, err
		}
		p[i] = b
	}
	return len(p), nil
}

// rel is one relationship from a .rels part.
type rel struct{ id, typ, target string }

// rels reads the relationships of a part (source "" is the package itself),
// with targets resolved to part names.
func (p *pkg) rels(source string) ([]rel, error) {
	dir, file := path.Split(source)
	name := dir + "_rels/" + file + ".rels"
	if !p.has(name) {
		return nil, nil
	}
	var out []rel
	err := p.walk(name, func(tok xml.Token) bool {
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "Relationship" || attr(se, "TargetMode") == "External" {
			return true
		}
		t := attr(se, "Target")
		if strings.HasPrefix(t, "/") {
			t = strings.TrimPrefix(path.Clean(t), "/")
		} else {
			t = strings.TrimPrefix(path.Join("/", dir, t), "/")
		}
		out = append(out, rel{id: attr(se, "Id"), typ: attr(se, "Type"), target: t})
		return len(out) < p.j.lim.MaxEntries
	})
	return out, err
}

// mainPart finds the package's main document from _rels/.rels, falling back
// to the conventional name.
func (p *pkg) mainPart(fallback string) (string, error) {
	rs, err := p.rels("")
	if err != nil {
		return "", err
	}
	for _, r := range rs {
		if strings.HasSuffix(r.typ, "/officeDocument") && p.has(r.target) {
			return r.target, nil
		}
	}
	if p.has(fallback) {
		return fallback, nil
	}
	return "", fmt.Errorf("extract: no main document (%s) in the package", fallback)
}

// attr returns the value of the attribute with the given local name.
func attr(se xml.StartElement, local string) string {
	for _, a := range se.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}
