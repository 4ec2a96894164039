package web

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/audit"
	"github.com/jinnang/jinnang/portal/markdown"
	"github.com/jinnang/jinnang/portal/qr"
	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/suggest"
)

// The handling inbox (admins and editors of 人力资源部). The audit log names
// the handler of every action; there is no submitter to name.

// inboxView is the data of the inbox list.
type inboxView struct {
	base
	Items     []suggest.Suggestion
	Boxes     []suggest.Box
	BoxTitles map[string]string
	Statuses  []suggest.Status
	Box       string
	Status    string
	Category  string
	ExportURL string
	// More is the URL of the next (older) page; Capped says the page ended
	// at its scan limit.
	More   string
	Capped bool
}

// boxesView is the data of the box admin page.
type boxesView struct {
	base
	Boxes      []suggest.Box
	Links      map[string]string
	Errors     map[string]string
	BoxTitle   string
	Intro      string
	Categories string
	CanCreate  bool
}

// itemView is the data of one suggestion in the inbox.
type itemView struct {
	base
	Item     *suggest.Suggestion
	Box      *suggest.Box
	Statuses []suggest.Status
	Answers  []suggest.Answer // the public answer made of it, when any
	Errors   map[string]string
	Reply    string
	Question string
	Answer   string
	Base     string // action prefix /suggest/items/<ref>

	Video *videoView // the attached video (media.go), nil for none
}

// inboxFilter reads ?box=&status=&category=.
func inboxFilter(c echo.Context) suggest.Filter {
	f := suggest.Filter{Box: c.QueryParam("box"), Status: suggest.Status(c.QueryParam("status")), Category: c.QueryParam("category")}
	if !f.Status.Valid() {
		f.Status = ""
	}
	return f
}

// boxTitles maps box IDs to titles.
func boxTitles(boxes []suggest.Box) map[string]string {
	m := make(map[string]string, len(boxes))
	for _, b := range boxes {
		m[b.ID] = b.Title
	}
	return m
}

// suggestInbox is GET /suggest: the suggestions, filtered.
func (s *server) suggestInbox(c echo.Context) error {
	ctx := c.Request().Context()
	f := inboxFilter(c)
	page, err := s.suggest.Inbox(ctx, f, c.QueryParam("before"))
	if errors.Is(err, suggest.ErrInvalid) {
		page, err = s.suggest.Inbox(ctx, f, "") // a bad cursor shows the newest
	}
	if err != nil {
		return fmt.Errorf("suggestion inbox: %w", err)
	}
	items := page.Items
	boxes, err := s.suggest.Boxes(ctx)
	if err != nil {
		return fmt.Errorf("suggestion inbox: %w", err)
	}
	v := inboxView{base: s.newBase(c, langOf(c), "suggest.inbox.title"), Items: items, Boxes: boxes, BoxTitles: boxTitles(boxes),
		Statuses: suggest.Statuses, Box: f.Box, Status: string(f.Status), Category: f.Category}
	q := c.Request().URL.Query()
	q.Del("before")
	v.ExportURL = "/suggest/export.csv?" + q.Encode()
	if page.Next != "" {
		q.Set("before", page.Next)
		v.More = "/suggest?" + q.Encode()
	}
	v.Capped = page.Capped
	v.Nav = "suggest"
	return s.render(c, http.StatusOK, pageSuggestInbox, tmplContent, v)
}

// suggestExport is GET /suggest/export.csv: the filtered inbox as CSV for
// Excel (UTF-8 with BOM). There are no identities to export.
func (s *server) suggestExport(c echo.Context) error {
	ctx := c.Request().Context()
	items, err := s.suggest.List(ctx, inboxFilter(c))
	if err != nil {
		return fmt.Errorf("suggestion export: %w", err)
	}
	boxes, err := s.suggest.Boxes(ctx)
	if err != nil {
		return fmt.Errorf("suggestion export: %w", err)
	}
	var buf bytes.Buffer
	if err := suggest.WriteCSV(&buf, items, boxTitles(boxes)); err != nil {
		return fmt.Errorf("suggestion export: %w", err)
	}
	u := userOf(c)
	s.record(c, audit.Entry{Actor: u.ID, Action: "suggest.export", Target: "suggestions", Detail: fmt.Sprintf("%d rows", len(items))})
	h := c.Response().Header()
	h.Set("Content-Disposition", `attachment; filename="suggestions-`+s.now().Format("20060102")+`.csv"`)
	h.Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}

// newBoxesView lists the boxes with their links.
func (s *server) newBoxesView(c echo.Context) (boxesView, error) {
	boxes, err := s.suggest.Boxes(c.Request().Context())
	if err != nil {
		return boxesView{}, fmt.Errorf("suggestion boxes: %w", err)
	}
	v := boxesView{base: s.newBase(c, langOf(c), "suggest.boxes.title"), Boxes: boxes, Links: map[string]string{},
		Errors: map[string]string{}, CanCreate: userOf(c).IsAdmin()}
	for _, b := range boxes {
		v.Links[b.ID] = s.boxLink(c, b.ID)
	}
	v.Nav = "suggest"
	return v, nil
}

// suggestBoxes is GET /suggest/boxes: every box with its link and QR code,
// and (for admins) the form to open one.
func (s *server) suggestBoxes(c echo.Context) error {
	v, err := s.newBoxesView(c)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, pageSuggestBoxes, tmplContent, v)
}

// createBox is POST /suggest/boxes (admins).
func (s *server) createBox(c echo.Context) error {
	v, err := s.newBoxesView(c)
	if err != nil {
		return err
	}
	v.BoxTitle, v.Intro, v.Categories = c.FormValue("title"), c.FormValue("intro"), c.FormValue("categories")
	var cats []string
	for _, part := range strings.FieldsFunc(v.Categories, markdown.IsListSeparator) {
		if part = strings.TrimSpace(part); part != "" {
			cats = append(cats, part)
		}
	}
	b, err := s.suggest.CreateBox(c.Request().Context(), v.BoxTitle, v.Intro, cats)
	if errors.Is(err, suggest.ErrInvalid) {
		boxFieldErrors(v.Lang, v.BoxTitle, v.Intro, cats, v.Errors)
		return s.render(c, http.StatusUnprocessableEntity, pageSuggestBoxes, tmplContent, v)
	}
	if err != nil {
		return fmt.Errorf("create suggestion box: %w", err)
	}
	s.record(c, audit.Entry{Actor: userOf(c).ID, Action: "suggest.box.create", Target: "box:" + b.ID, Detail: b.Title})
	return c.Redirect(http.StatusSeeOther, "/suggest/boxes")
}

// closeBox is POST /suggest/boxes/:box/closed with closed=1 or 0 (admins).
func (s *server) closeBox(c echo.Context) error {
	closed := c.FormValue("closed") == "1"
	b, err := s.suggest.SetClosed(c.Request().Context(), c.Param("box"), closed)
	if err != nil {
		return fmt.Errorf("close suggestion box: %w", err)
	}
	s.record(c, audit.Entry{Actor: userOf(c).ID, Action: "suggest.box.closed", Target: "box:" + b.ID, Detail: fmt.Sprint(closed)})
	return c.Redirect(http.StatusSeeOther, "/suggest/boxes")
}

// boxQR is GET /suggest/boxes/:box/qr: an SVG QR code of the box's
// anonymous link, to post in WeChat groups or print.
func (s *server) boxQR(c echo.Context) error {
	b, err := s.suggest.Box(c.Request().Context(), c.Param("box"))
	if err != nil {
		return fmt.Errorf("suggestion box qr: %w", err)
	}
	svg, err := qr.SVG(s.boxLink(c, b.ID))
	if err != nil {
		return fmt.Errorf("suggestion box qr: %w", err)
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "private, max-age=3600")
	h.Set("Content-Security-Policy", previewCSP)
	return c.Blob(http.StatusOK, "image/svg+xml", svg)
}

// loadItem reads the suggestion of the path into a fresh item view.
func (s *server) loadItem(c echo.Context) (itemView, error) {
	ctx := c.Request().Context()
	sg, err := s.suggest.Get(ctx, c.Param("ref"))
	if err != nil {
		return itemView{}, fmt.Errorf("suggestion: %w", err)
	}
	b, err := s.suggest.Box(ctx, sg.Box)
	if err != nil {
		return itemView{}, fmt.Errorf("suggestion %s: %w", sg.Ref, err)
	}
	v := itemView{base: s.newBase(c, langOf(c), "suggest.item.title"), Item: sg, Box: b, Statuses: suggest.Statuses,
		Errors: map[string]string{}, Base: "/suggest/items/" + url.PathEscape(sg.Ref)}
	if sg.AnswerID != "" {
		answers, err := s.suggest.Answers(ctx, sg.Box)
		if err != nil {
			return itemView{}, fmt.Errorf("suggestion %s: %w", sg.Ref, err)
		}
		for _, a := range answers {
			if a.ID == sg.AnswerID {
				v.Answers = append(v.Answers, a)
				v.Question, v.Answer = a.Question, a.Answer
			}
		}
	}
	if v.Question == "" {
		v.Question = sg.Body
	}
	v.Nav = "suggest"
	v.Video = s.suggestVideoView(ctx, v.Base, sg)
	return v, nil
}

// suggestItem is GET /suggest/items/:ref.
func (s *server) suggestItem(c echo.Context) error {
	v, err := s.loadItem(c)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, pageSuggestItem, tmplContent, v)
}

// replySuggestion is POST /suggest/items/:ref/reply: a message the
// submitter sees with their receipt code.
func (s *server) replySuggestion(c echo.Context) error {
	v, err := s.loadItem(c)
	if err != nil {
		return err
	}
	v.Reply = c.FormValue("reply")
	_, err = s.suggest.Reply(c.Request().Context(), v.Item.Ref, v.Reply)
	if errors.Is(err, suggest.ErrInvalid) {
		v.Errors["reply"] = mustT(v.Lang, "suggest.message.invalid", suggest.MaxMessage)
		return s.render(c, http.StatusUnprocessableEntity, pageSuggestItem, tmplContent, v)
	}
	if err != nil {
		return fmt.Errorf("reply to suggestion: %w", err)
	}
	s.record(c, audit.Entry{Actor: userOf(c).ID, Action: "suggest.reply", Target: "suggestion:" + v.Item.Ref[:12], Detail: v.Box.Title})
	return c.Redirect(http.StatusSeeOther, v.Base)
}

// statusSuggestion is POST /suggest/items/:ref/status.
func (s *server) statusSuggestion(c echo.Context) error {
	v, err := s.loadItem(c)
	if err != nil {
		return err
	}
	st := suggest.Status(c.FormValue("status"))
	if !st.Valid() {
		return &Error{Status: http.StatusBadRequest, Public: "error.400", Cause: fmt.Errorf("status %q", st)}
	}
	if _, err := s.suggest.SetStatus(c.Request().Context(), v.Item.Ref, st); err != nil {
		return fmt.Errorf("suggestion status: %w", err)
	}
	s.record(c, audit.Entry{Actor: userOf(c).ID, Action: "suggest.status", Target: "suggestion:" + v.Item.Ref[:12], Detail: string(st)})
	return c.Redirect(http.StatusSeeOther, v.Base)
}

// publishSuggestion is POST /suggest/items/:ref/publish: a public answer
// (公开回复) listed on the box page for everyone.
func (s *server) publishSuggestion(c echo.Context) error {
	v, err := s.loadItem(c)
	if err != nil {
		return err
	}
	v.Question, v.Answer = c.FormValue("question"), c.FormValue("answer")
	a, err := s.suggest.Publish(c.Request().Context(), v.Item.Ref, v.Question, v.Answer)
	if errors.Is(err, suggest.ErrInvalid) {
		v.Errors["answer"] = mustT(v.Lang, "suggest.publish.invalid", suggest.MaxMessage)
		return s.render(c, http.StatusUnprocessableEntity, pageSuggestItem, tmplContent, v)
	}
	if err != nil {
		return fmt.Errorf("publish suggestion answer: %w", err)
	}
	s.record(c, audit.Entry{Actor: userOf(c).ID, Action: "suggest.publish", Target: "suggestion:" + v.Item.Ref[:12], Detail: "answer:" + a.ID})
	return c.Redirect(http.StatusSeeOther, v.Base)
}

// suggestImageCache is the Cache-Control of a suggestion's images: kept in
// the handler's own browser only, and checked with the server (a cheap 304)
// on every use, so a handler who loses the role loses the images too.
const suggestImageCache = "private, no-cache"

// suggestImage is GET /suggest/items/:ref/img/:n and /thumb/:n (handling
// team only): a re-encoded JPEG without metadata, never sniffed.
func (s *server) suggestImage(c echo.Context) error {
	ctx := c.Request().Context()
	sg, err := s.suggest.Get(ctx, c.Param("ref"))
	if err != nil {
		return fmt.Errorf("suggestion image: %w", err)
	}
	n, err := strconv.Atoi(c.Param("n"))
	if err != nil || n < 1 || n > len(sg.Images) {
		return fmt.Errorf("suggestion %s image %q: %w", sg.Ref[:12], c.Param("n"), store.ErrNotFound)
	}
	thumb := strings.Contains(c.Path(), "/thumb/")
	rc, obj, err := s.suggest.Image(ctx, sg.Ref, n, thumb)
	if err != nil {
		return fmt.Errorf("suggestion image: %w", err)
	}
	defer rc.Close()
	return serveJPEG(c, rc, obj, suggestImageCache)
}
