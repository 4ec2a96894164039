package web

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/images"
	"github.com/jinnang/jinnang/portal/suggest"
)

const (
	// suggestBodyLimit is the body limit of POST /s/:box: the largest
	// images a suggestion may carry plus room for the text and framing.
	suggestBodyLimit = suggest.MaxImages*imageMaxBytes + 1<<20
	// anonFormLimit bounds a URL-encoded (image-less) suggestion form, as
	// the global body limit bounds other forms.
	anonFormLimit = 1 << 20
	// imagesField is the file input of the suggestion form.
	imagesField = "images"
)

// suggestForm is what a POST /s/:box carries. Nothing of the uploads but
// their processed copies is kept: no file name, no original byte.
type suggestForm struct {
	tokenOK        bool
	category, body string
	bodyTooLong    bool
	images         []images.Result
	imgErr         string // why an image was refused, shown next to the field
	imgStatus      int
	video          string // media job of the attached video, "" for none
	videoErr       string // why the video (or a voice note) was refused
	videoStatus    int
}

// errAnonToken answers an anonymous form without a valid token, or whose
// images came before it.
var errAnonToken = &Error{Status: http.StatusForbidden, Public: "error.csrf",
	Cause: errors.New("anonymous form token missing, stale or after the images")}

// readSuggestForm reads the suggestion form of box b. A multipart body is
// streamed in order: the token and text fields first, then up to
// suggest.MaxImages images, each checked and re-encoded by images.Process as
// it arrives (at most one original in memory, none kept). An image before a
// valid token is refused unread. A URL-encoded body (no images) is read
// whole, within anonFormLimit.
func (s *server) readSuggestForm(c echo.Context, b *suggest.Box) (*suggestForm, error) {
	req := c.Request()
	mt, _, err := mime.ParseMediaType(req.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return s.readURLEncodedSuggestForm(c, b)
	}
	mr, err := req.MultipartReader()
	if err != nil {
		return nil, &Error{Status: http.StatusBadRequest, Public: "error.400", Cause: fmt.Errorf("suggestion form: %w", err)}
	}
	l := langOf(c)
	f := &suggestForm{}
	photoLimits := s.photoLimits(c, suggestRequestPixels)
	files := 0 // non-empty file parts seen, for "image n" in messages
	overMsg := mustT(l, "suggest.images.total", suggest.MaxImages, imageMaxBytes>>20)
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err == nil && (p.FormName() == videoField || p.FormName() == voiceField) {
			if !f.tokenOK {
				s.drain(c)
				return nil, errAnonToken
			}
			if rerr := s.suggestMediaPart(c, l, b, f, p); rerr != nil {
				s.drain(c)
				return nil, rerr
			}
			continue
		}
		if err == nil && p.FormName() != imagesField {
			err = f.readField(s, b, p.FormName(), p)
			if err == nil {
				continue
			}
		}
		if err != nil {
			if !overLimit(err) {
				return nil, &Error{Status: http.StatusBadRequest, Public: "error.400", Cause: fmt.Errorf("suggestion form: %w", err)}
			}
			f.imgErr, f.imgStatus = overMsg, http.StatusRequestEntityTooLarge
			break
		}
		if !f.tokenOK {
			s.drain(c)
			return nil, errAnonToken
		}
		if p.FileName() == "" || f.imgErr != "" || b.Closed {
			continue // an empty file input, a form already refused or a closed box: skip the bytes
		}
		files++
		if len(f.images) == suggest.MaxImages {
			f.imgErr, f.imgStatus = mustT(l, "suggest.images.many", suggest.MaxImages), http.StatusUnprocessableEntity
			continue
		}
		res, err := images.Process(p, photoLimits)
		if rerr := photoRefusal(c, err); rerr != nil {
			s.drain(c)
			return nil, rerr
		}
		if overLimit(err) {
			f.imgErr, f.imgStatus = overMsg, http.StatusRequestEntityTooLarge
			break
		}
		if err != nil {
			// No log line: an anonymous route logs nothing of a visit.
			f.imgErr, f.imgStatus = suggestImageError(l, files, err)
			continue
		}
		f.images = append(f.images, *res)
	}
	s.drain(c)
	if !f.tokenOK {
		return nil, errAnonToken
	}
	return f, nil
}

// readField reads one text field of the multipart form (at most
// maxFieldBytes).
func (f *suggestForm) readField(s *server, b *suggest.Box, name string, r io.Reader) error {
	raw, err := io.ReadAll(io.LimitReader(r, maxFieldBytes+1))
	if err != nil {
		return fmt.Errorf("read field %q: %w", name, err)
	}
	val := strings.ToValidUTF8(string(raw), "")
	switch name {
	case "token":
		f.tokenOK = f.tokenOK || s.suggest.CheckFormToken(b.ID, val)
	case "category":
		f.category = val
	case "body":
		f.body, f.bodyTooLong = val, len(raw) > maxFieldBytes
	}
	return nil
}

// readURLEncodedSuggestForm reads an image-less form.
func (s *server) readURLEncodedSuggestForm(c echo.Context, b *suggest.Box) (*suggestForm, error) {
	req := c.Request()
	req.Body = http.MaxBytesReader(c.Response(), req.Body, anonFormLimit)
	if err := req.ParseForm(); err != nil {
		if overLimit(err) {
			return nil, &Error{Status: http.StatusRequestEntityTooLarge, Cause: fmt.Errorf("suggestion form: %w", err)}
		}
		return nil, &Error{Status: http.StatusBadRequest, Public: "error.400", Cause: fmt.Errorf("suggestion form: %w", err)}
	}
	if !s.suggest.CheckFormToken(b.ID, req.PostFormValue("token")) {
		return nil, errAnonToken
	}
	return &suggestForm{tokenOK: true, category: req.PostFormValue("category"), body: req.PostFormValue("body")}, nil
}

// overLimit reports whether err comes from reading past the route's body
// limit.
func overLimit(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}

// suggestImageError is the message and status of a refused image. It names
// the image by its place in the form, never by its file name, which may
// identify the sender (a name, a phone's timestamp).
func suggestImageError(l Lang, n int, err error) (string, int) {
	lim := imageLimits()
	switch {
	case errors.Is(err, images.ErrTooLarge):
		return mustT(l, "suggest.images.large", n, lim.MaxBytes>>20), http.StatusRequestEntityTooLarge
	case errors.Is(err, images.ErrBudget):
		return mustT(l, "images.budget"), http.StatusRequestEntityTooLarge
	case errors.Is(err, images.ErrDimensions):
		return mustT(l, "suggest.images.dims", n, lim.MaxSide, megapixels(l, lim.MaxPixels)), http.StatusUnprocessableEntity
	case errors.Is(err, images.ErrPolyglot):
		return mustT(l, "suggest.images.polyglot", n), http.StatusUnprocessableEntity
	case errors.Is(err, images.ErrEmpty):
		return mustT(l, "suggest.images.empty", n), http.StatusUnprocessableEntity
	case errors.Is(err, images.ErrCorrupt):
		return mustT(l, "suggest.images.corrupt", n), http.StatusUnprocessableEntity
	default: // images.ErrType and anything unforeseen
		return mustT(l, "suggest.images.type", n), http.StatusUnsupportedMediaType
	}
}

// megapixels writes a pixel count the way each language counts it: 4000 万
// in Chinese, 40 million in English.
func megapixels(l Lang, px int64) string {
	if l == LangZh {
		return fmt.Sprintf("%d 万", px/10_000)
	}
	return fmt.Sprintf("%d million", px/1_000_000)
}
