// Package extract sniffs the media type of uploaded files and pulls plain text
// out of the document formats a company shares (PDF, DOCX, XLSX, PPTX, TXT,
// Markdown) for the search index.
//
// Every input is untrusted: sizes, entry counts, inflated bytes, pages, text
// length and time are bounded by Limits, malformed files give an error and
// never a panic, and a limit that stops the work early returns ErrLimit
// together with the text gathered so far.
package extract

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits bounds the work Text does on one file. A zero or negative field takes
// its default from DefaultLimits.
type Limits struct {
	MaxInput        int64         // bytes read from the file; default 50 MiB
	MaxText         int           // runes of text returned; default 200_000 (truncate, no error)
	MaxPages        int           // PDF pages / PPTX slides / XLSX sheets; default 300
	MaxEntries      int           // zip entries; default 5000
	MaxUncompressed int64         // total bytes inflated from a zip; default 100 MiB (zip-bomb guard)
	Timeout         time.Duration // default 15 s; ctx is honoured too
}

// DefaultLimits returns the limits used for uploads to the department files.
func DefaultLimits() Limits {
	return Limits{
		MaxInput:        50 << 20,
		MaxText:         200_000,
		MaxPages:        300,
		MaxEntries:      5000,
		MaxUncompressed: 100 << 20,
		Timeout:         15 * time.Second,
	}
}

// withDefaults fills the unset fields of l from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxInput <= 0 {
		l.MaxInput = d.MaxInput
	}
	if l.MaxText <= 0 {
		l.MaxText = d.MaxText
	}
	if l.MaxPages <= 0 {
		l.MaxPages = d.MaxPages
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = d.MaxEntries
	}
	if l.MaxUncompressed <= 0 {
		l.MaxUncompressed = d.MaxUncompressed
	}
	if l.Timeout <= 0 {
		l.Timeout = d.Timeout
	}
	return l
}

// ErrUnsupported is returned by Text for media types it cannot extract.
var ErrUnsupported = errors.New("extract: unsupported type")

// ErrLimit is returned WITH the partial text gathered so far when a limit
// (input size, zip entries, inflated bytes, pages, time) stopped the work.
// Running out of time also matches context.DeadlineExceeded. MaxText is not
// an error: the text is truncated.
var ErrLimit = errors.New("extract: limit exceeded")

// Media types Text understands (Sniff returns them).
const (
	typePDF  = "application/pdf"
	typeDOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	typeXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	typePPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
	typeText = "text/plain"
	typeMD   = "text/markdown"
	typeCSV  = "text/csv"
	typeZip  = "application/zip"
)

// Text extracts plain text (paragraphs/rows/slides separated by newlines) from
// PDF, DOCX, XLSX (shared strings, inline strings and numbers; one line per
// row, cells separated by tabs, each sheet headed by its name), PPTX (slide
// text and notes in slide order), and TXT, Markdown and CSV (UTF-8, UTF-16
// with a BOM, or GB18030 detected and converted). mediaType is what Sniff
// returned; parameters other than charset are ignored. Other types give
// ErrUnsupported. A PDF or zip larger than MaxInput is refused with ErrLimit;
// of a larger text file the first MaxInput bytes are read. Text never panics; a malformed file gives an error that
// says what is wrong. When a limit stops the work the partial text comes
// back with an error matching ErrLimit.
func Text(ctx context.Context, r io.ReaderAt, size int64, mediaType string, lim Limits) (string, error) {
	lim = lim.withDefaults()
	base, params, err := mime.ParseMediaType(mediaType)
	if err != nil {
		return "", fmt.Errorf("%w: media type %q", ErrUnsupported, mediaType)
	}
	var run func(*job) error
	switch base {
	case typePDF:
		run = (*job).pdf
	case typeDOCX:
		run = (*job).docx
	case typeXLSX:
		run = (*job).xlsx
	case typePPTX:
		run = (*job).pptx
	case typeText, typeMD, typeCSV:
		run = func(j *job) error { return j.plain(params["charset"]) }
	default:
		return "", fmt.Errorf("%w: %s", ErrUnsupported, base)
	}
	if size < 0 {
		return "", fmt.Errorf("extract: negative size %d", size)
	}
	ctx, cancel := context.WithTimeout(ctx, lim.Timeout)
	defer cancel()
	j := &job{ctx: ctx, r: r, size: size, lim: lim, out: textBuf{max: lim.MaxText}}
	if err := ctx.Err(); err != nil {
		return "", j.ctxErr(err)
	}
	if base != typeText && base != typeMD && base != typeCSV && size > lim.MaxInput {
		return "", fmt.Errorf("%w: file is %d bytes, more than %d", ErrLimit, size, lim.MaxInput)
	}
	err = func() (err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("extract: malformed %s: %v", base, p)
			}
		}()
		return run(j)
	}()
	return j.out.String(), err
}

// job is one extraction: its input, limits and the text gathered so far.
type job struct {
	ctx  context.Context
	r    io.ReaderAt
	size int64
	lim  Limits
	out  textBuf
}

// check returns an error once the context is done.
func (j *job) check() error {
	if err := j.ctx.Err(); err != nil {
		return j.ctxErr(err)
	}
	return nil
}

// ctxErr wraps a context error; running out of time is a limit.
func (j *job) ctxErr(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: time: %w", ErrLimit, err)
	}
	return fmt.Errorf("extract: %w", err)
}

// Separators, weakest first: a pending separator is replaced by a stronger one.
const (
	sepNone = iota
	sepSpace
	sepTab
	sepLine
	sepPara
)

var sepText = [...]string{"", " ", "\t", "\n", "\n\n"}

// textBuf collects text up to max runes. Separators are written lazily so
// that runs of empty paragraphs or cells do not pile up whitespace.
type textBuf struct {
	sb    strings.Builder
	runes int
	max   int
	pend  int
	full  bool
}

// sep asks for a separator before the next text.
func (t *textBuf) sep(kind int) {
	if t.sb.Len() > 0 && kind > t.pend {
		t.pend = kind
	}
}

// write appends s (after any pending separator), truncating at max runes.
// It reports whether more text is wanted.
func (t *textBuf) write(s string) bool {
	if t.full {
		return false
	}
	if s == "" {
		return true
	}
	if t.pend != sepNone {
		p := sepText[t.pend]
		t.pend = sepNone
		if !t.add(p) {
			return false
		}
	}
	return t.add(s)
}

func (t *textBuf) add(s string) bool {
	n := utf8.RuneCountInString(s)
	if t.runes+n <= t.max {
		t.sb.WriteString(s)
		t.runes += n
		return t.runes < t.max || t.stop()
	}
	for _, r := range s {
		if t.runes == t.max {
			break
		}
		t.sb.WriteRune(r)
		t.runes++
	}
	return t.stop()
}

func (t *textBuf) stop() bool {
	t.full = true
	return false
}

// String returns the text without trailing whitespace.
func (t *textBuf) String() string {
	return strings.TrimRight(t.sb.String(), " \t\r\n")
}
