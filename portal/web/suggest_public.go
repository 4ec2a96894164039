package web

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/suggest"
)

// The anonymous pages. Their handlers take nothing from the request but the
// path, the form and the language: no session, cookie, address or user
// agent (the rate limit in guardWrites hashes the address in memory).

// receiptPurpose is the form-token purpose of the receipt forms.
const receiptPurpose = "receipt"

// boxView is the data of the anonymous suggestion form.
type boxView struct {
	base
	Box       *suggest.Box
	Answers   []suggest.Answer
	Action    string
	Token     string
	Category  string
	Body      string
	Errors    map[string]string
	MaxBody   int
	MaxImages int
	MaxMB     int
	Receipt   string // the follow-up page, with the language

	Video *videoLimits // set when a video may be attached (media.go)
}

// receiptView is the page that shows a fresh receipt code, once.
type receiptView struct {
	base
	Box     *suggest.Box
	Code    string
	Images  int  // images attached
	Video   bool // a video is attached (suggest_receipt_video.go)
	Receipt string
	BoxURL  string
}

// followView is the receipt follow-up: the lookup form, or the suggestion
// with its thread and a message form.
type followView struct {
	base
	Item       *suggest.Suggestion
	Box        *suggest.Box
	Code       string
	Token      string
	Action     string
	MsgAction  string
	Error      string
	Typed      string // a wrong code as typed, kept in the input to correct it
	Message    string
	MsgError   string
	MaxMessage int
	// Thumbs are the 360 px thumbnails of the suggestion's images as data:
	// URIs, so no image URL can carry or stand for the receipt code.
	Thumbs []inlineImage
	// Video is the state of the attached video, nil for none (no URL).
	Video *receiptVideo
}

// inlineImage is an image shown inline: its number and a data: URI.
type inlineImage struct {
	N   int
	Src template.URL
}

// anonPage prepares an anonymous response: nothing cached, nowhere shared.
func anonPage(c echo.Context) {
	c.Response().Header().Set("Cache-Control", "no-store")
}

// anonBox loads the box of the path; a closed or missing box is a 404.
func (s *server) anonBox(c echo.Context) (*suggest.Box, error) {
	id := c.Param("box")
	b, err := s.suggest.Box(c.Request().Context(), id)
	if err != nil {
		return nil, fmt.Errorf("suggestion box: %w", err)
	}
	return b, nil
}

// newBoxView fills the form of box b.
func (s *server) newBoxView(c echo.Context, b *suggest.Box) (boxView, error) {
	l := langOf(c)
	answers, err := s.suggest.Answers(c.Request().Context(), b.ID)
	if err != nil {
		return boxView{}, fmt.Errorf("box %s answers: %w", b.ID, err)
	}
	v := boxView{base: s.newBase(c, l, "suggest.box.title", b.Title), Box: b, Answers: answers,
		Action: withLang(anonPrefix+b.ID, l), Token: s.suggest.FormToken(b.ID), Errors: map[string]string{},
		MaxBody: suggest.MaxBody, MaxImages: suggest.MaxImages, MaxMB: imageMaxBytes >> 20, Receipt: withLang(anonPrefix+"receipt", l)}
	if s.media != nil {
		v.Video = &videoLimits{Seconds: int(s.media.MaxDuration().Seconds()), MB: int(s.media.MaxBytes() >> 20)}
	}
	return v, nil
}

// boxForm is GET /s/:box: the anonymous form and the box's public answers.
func (s *server) boxForm(c echo.Context) error {
	b, err := s.anonBox(c)
	if err != nil {
		return err
	}
	v, err := s.newBoxView(c, b)
	if err != nil {
		return err
	}
	anonPage(c)
	return s.render(c, http.StatusOK, pageSuggestBox, tmplContent, v)
}

// submitSuggestion is POST /s/:box: store the suggestion (and its images,
// re-encoded without metadata) and show its receipt code once (in the page,
// never in a URL). Errors keep the text; images must be chosen again.
func (s *server) submitSuggestion(c echo.Context) error {
	b, err := s.anonBox(c)
	if err != nil {
		return err
	}
	f, err := s.readSuggestForm(c, b)
	if err != nil {
		return err
	}
	v, err := s.newBoxView(c, b)
	if err != nil {
		return err
	}
	l := v.Lang
	v.Body, v.Category = suggest.CleanText(f.body), f.category
	anonPage(c)
	switch n := utf8.RuneCountInString(v.Body); {
	case b.Closed:
		v.Errors["body"] = mustT(l, "suggest.closed")
	case n == 0:
		v.Errors["body"] = mustT(l, "suggest.body.missing")
	case n > suggest.MaxBody || f.bodyTooLong:
		v.Errors["body"] = mustT(l, "suggest.body.long", suggest.MaxBody)
	}
	status := http.StatusUnprocessableEntity
	if f.imgErr != "" {
		v.Errors[imagesField], status = f.imgErr, f.imgStatus
	}
	if f.videoErr != "" {
		v.Errors[videoField], status = f.videoErr, f.videoStatus
	}
	if len(v.Errors) > 0 {
		s.dropVideo(c, f.video)
		return s.render(c, status, pageSuggestBox, tmplContent, v)
	}
	code, sg, err := s.suggest.SubmitVideo(c.Request().Context(), b.ID, v.Category, v.Body, f.video, f.images...)
	if err != nil {
		s.dropVideo(c, f.video)
	}
	switch {
	case errors.Is(err, suggest.ErrInvalid):
		v.Errors["category"] = mustT(l, "suggest.category.invalid")
		return s.render(c, http.StatusUnprocessableEntity, pageSuggestBox, tmplContent, v)
	case errors.Is(err, suggest.ErrClosed):
		v.Errors["body"] = mustT(l, "suggest.closed")
		return s.render(c, http.StatusUnprocessableEntity, pageSuggestBox, tmplContent, v)
	case err != nil:
		return fmt.Errorf("submit a suggestion: %w", err)
	}
	s.claimSuggestionVideo(c, sg)
	rv := receiptView{base: s.newBase(c, l, "suggest.receipt.title"), Box: b, Code: code, Images: len(sg.Images), Video: sg.Video != "",
		Receipt: withLang(anonPrefix+"receipt", l), BoxURL: withLang(anonPrefix+b.ID, l)}
	rv.SwitchURL = "" // switching language would lose the code shown once
	return s.render(c, http.StatusOK, pageSuggestReceipt, tmplContent, rv)
}

// newFollowView is the empty receipt form.
func (s *server) newFollowView(c echo.Context) followView {
	l := langOf(c)
	return followView{base: s.newBase(c, l, "suggest.follow.title"), Token: s.suggest.FormToken(receiptPurpose),
		Action: withLang(anonPrefix+"receipt", l), MsgAction: withLang(anonPrefix+"receipt/message", l),
		MaxMessage: suggest.MaxMessage}
}

// receiptForm is GET /s/receipt: the form to enter a receipt code.
func (s *server) receiptForm(c echo.Context) error {
	anonPage(c)
	return s.render(c, http.StatusOK, pageSuggestFollow, tmplContent, s.newFollowView(c))
}

// receiptLookup is POST /s/receipt: the code comes in the body, so it never
// lands in a URL, a log or the browser history.
func (s *server) receiptLookup(c echo.Context) error {
	v := s.newFollowView(c)
	if !s.suggest.CheckFormToken(receiptPurpose, c.FormValue("token")) {
		return &Error{Status: http.StatusForbidden, Public: "error.csrf", Cause: errors.New("receipt form token missing or stale")}
	}
	sg, err := s.suggest.Lookup(c.Request().Context(), c.FormValue("code"))
	return s.showFollow(c, v, c.FormValue("code"), sg, err)
}

// receiptMessage is POST /s/receipt/message: the submitter writes again,
// proving themselves with the code.
func (s *server) receiptMessage(c echo.Context) error {
	v := s.newFollowView(c)
	if !s.suggest.CheckFormToken(receiptPurpose, c.FormValue("token")) {
		return &Error{Status: http.StatusForbidden, Public: "error.csrf", Cause: errors.New("receipt form token missing or stale")}
	}
	code, msg := c.FormValue("code"), suggest.CleanText(c.FormValue("message"))
	ctx := c.Request().Context()
	var sg *suggest.Suggestion
	var err error
	switch n := utf8.RuneCountInString(msg); {
	case n == 0 || n > suggest.MaxMessage:
		v.Message = msg
		v.MsgError = mustT(v.Lang, "suggest.message.invalid", suggest.MaxMessage)
		sg, err = s.suggest.Lookup(ctx, code)
	default:
		sg, err = s.suggest.FollowUp(ctx, code, msg)
		if errors.Is(err, suggest.ErrInvalid) { // the thread is full
			v.Message, v.MsgError = msg, mustT(v.Lang, "suggest.thread.full")
			sg, err = s.suggest.Lookup(ctx, code)
		}
	}
	return s.showFollow(c, v, code, sg, err)
}

// showFollow renders the follow-up page for a lookup's outcome. A bad code
// gets one answer, whatever was wrong with it.
func (s *server) showFollow(c echo.Context, v followView, code string, sg *suggest.Suggestion, err error) error {
	anonPage(c)
	v.SwitchURL = ""
	switch {
	case errors.Is(err, suggest.ErrBadCode):
		v.Error = mustT(v.Lang, "suggest.code.bad")
		v.Typed = typedCode(code)
		return s.render(c, http.StatusNotFound, pageSuggestFollow, tmplContent, v)
	case err != nil:
		return fmt.Errorf("receipt follow-up: %w", err)
	}
	v.Item, v.Code = sg, code
	b, err := s.suggest.Box(c.Request().Context(), sg.Box)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("receipt follow-up: %w", err)
	}
	v.Box = b
	if v.Thumbs, err = s.inlineThumbs(c, sg); err != nil {
		return fmt.Errorf("receipt follow-up: %w", err)
	}
	if v.Video, err = s.suggestReceiptVideo(c.Request().Context(), v.Lang, sg); err != nil {
		return fmt.Errorf("receipt follow-up: %w", err)
	}
	return s.render(c, http.StatusOK, pageSuggestFollow, tmplContent, v)
}

// typedCode is a wrong receipt code as it goes back into the input: trimmed
// and cut to the input's maxlength, so a pasted essay is not echoed whole.
func typedCode(code string) string {
	code = strings.TrimSpace(code)
	if r := []rune(code); len(r) > receiptInputMax {
		code = string(r[:receiptInputMax])
	}
	return code
}

// receiptInputMax is the maxlength of the receipt code input.
const receiptInputMax = 40

// inlineThumbs reads the thumbnails of sg's images as data: URIs (the CSP
// allows img-src data:). The submitter sees their images this way only:
// there is no anonymous image route that a code, a ref or a guess opens.
func (s *server) inlineThumbs(c echo.Context, sg *suggest.Suggestion) ([]inlineImage, error) {
	var out []inlineImage
	for _, im := range sg.Images {
		b, err := s.suggest.Thumbnail(c.Request().Context(), sg.Ref, im.N)
		if errors.Is(err, store.ErrNotFound) {
			continue // being written or removed: show the others
		}
		if err != nil {
			return nil, err
		}
		if !bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}) {
			return nil, fmt.Errorf("thumbnail %d of a suggestion is not a JPEG", im.N)
		}
		// Base64 of our own re-encoded JPEG: no character of it can leave the attribute.
		out = append(out, inlineImage{N: im.N, Src: template.URL("data:image/jpeg;base64," + base64.StdEncoding.EncodeToString(b))})
	}
	return out, nil
}

// boxLink is the absolute address of a box's anonymous form.
func (s *server) boxLink(c echo.Context, id string) string {
	return s.absURL(c, anonPrefix+url.PathEscape(id))
}
