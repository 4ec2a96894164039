package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/announce"
	"github.com/jinnang/jinnang/portal/audit"
	"github.com/jinnang/jinnang/portal/auth"
	"github.com/jinnang/jinnang/portal/markdown"
	"github.com/jinnang/jinnang/portal/store"
)

// The announcement and department-administration pages.
const (
	pageAnnouncements = "announcements"
	pageAnnounceForm  = "announceform"
	pageAdminDepts    = "admindepts"
	pageAdminDept     = "admindept"
)

const (
	// announcePerPage pages /announcements; deptAnnouncePerPage a department space.
	announcePerPage     = 20
	deptAnnouncePerPage = 10
	// homeAnnouncements is how many announcements the home page shows.
	homeAnnouncements = 3
	// dateInput is the value format of <input type="date">.
	dateInput = "2006-01-02"
)

// announceRoutes registers the announcement pages. Posting needs an editor
// (or admin) at the edge; which departments an editor may address, and
// which announcements they may change, is checked in the handlers.
func (s *server) announceRoutes(get, write func(string, echo.HandlerFunc, ...echo.MiddlewareFunc)) {
	if s.announce == nil {
		return
	}
	get("/announcements", s.announcementList)
	get("/announcements/new", s.newAnnouncementForm, requireEditor)
	write("/announcements/new", s.createAnnouncement, requireEditor)
	get("/announcements/:id/edit", s.editAnnouncementForm, requireEditor)
	write("/announcements/:id/edit", s.saveAnnouncement, requireEditor)
	write("/announcements/:id/delete", s.deleteAnnouncement, requireEditor)
	s.receiptRoutes(get, write)
}

// announceItem is one announcement as a list shows it.
type announceItem struct {
	announce.Announcement
	EditURL string // "" when the viewer may not change it
}

// announceList is a paged list of announcements with the link to post one.
type announceList struct {
	Items  []announceItem
	Pager  pager
	NewURL string // "" when the viewer may not post here
}

// announcementsView is the data of GET /announcements.
type announcementsView struct {
	base
	announceList
}

// canManage reports whether u may edit or delete a: administrators always,
// editors when it belongs to their department only.
func canManage(u *auth.User, a *announce.Announcement) bool {
	if u.IsAdmin() {
		return true
	}
	d := a.Department()
	return d != "" && u.CanEdit(d)
}

// announceItems wraps announcements for a list, with edit links where u may edit.
func announceItems(u *auth.User, as []announce.Announcement) []announceItem {
	out := make([]announceItem, 0, len(as))
	for _, a := range as {
		it := announceItem{Announcement: a}
		if canManage(u, &a) {
			it.EditURL = announceURL(a.ID) + "/edit"
		}
		out = append(out, it)
	}
	return out
}

// announceURL is the path of one announcement's actions.
func announceURL(id string) string { return "/announcements/" + url.PathEscape(id) }

// newAnnounceURL is the form for a new announcement, for dept when given.
func newAnnounceURL(dept string) string {
	if dept == "" {
		return "/announcements/new"
	}
	return "/announcements/new?" + url.Values{"dept": {dept}}.Encode()
}

// visibleQuery selects what u sees on /announcements: everything for
// administrators; otherwise announcements for everyone, for u's department
// and for the departments u edits.
func (s *server) visibleQuery(u *auth.User) announce.Query {
	q := announce.Query{Now: s.now(), Everyone: true}
	if u.IsAdmin() {
		q.Any = true
		return q
	}
	if u.Department != "" {
		q.Departments = append(q.Departments, u.Department)
	}
	q.Departments = append(q.Departments, u.EditorOf...)
	return q
}

// announcementList is GET /announcements: every live announcement visible
// to the user, pinned first, then newest first.
func (s *server) announcementList(c echo.Context) error {
	u := userOf(c)
	page := pageParam(c)
	q := s.visibleQuery(u)
	q.Offset, q.Limit = (page-1)*announcePerPage, announcePerPage
	res, err := s.announce.List(c.Request().Context(), q)
	if err != nil {
		return fmt.Errorf("announcements: %w", err)
	}
	v := announcementsView{base: s.newBase(c, langOf(c), "announce.title")}
	v.Nav = "announcements"
	v.Items = announceItems(u, res.Items)
	v.Pager = newPagerParam("/announcements", url.Values{}, "page", page, res.Total, announcePerPage)
	if u.IsEditor() {
		v.NewURL = newAnnounceURL("")
	}
	return s.render(c, http.StatusOK, pageAnnouncements, tmplContent, v)
}

// deptAnnouncements is the live announcements addressed to dept for its
// department space, paged by ?apage=.
func (s *server) deptAnnouncements(c echo.Context, dept string, q url.Values) (announceList, error) {
	var l announceList
	if s.announce == nil {
		return l, nil
	}
	u := userOf(c)
	page := pageParamNamed(c, "apage")
	res, err := s.announce.List(c.Request().Context(), announce.Query{Departments: []string{dept}, Now: s.now(),
		Offset: (page - 1) * deptAnnouncePerPage, Limit: deptAnnouncePerPage})
	if err != nil {
		return l, fmt.Errorf("department %q announcements: %w", dept, err)
	}
	l.Items = announceItems(u, res.Items)
	l.Pager = newPagerParam(deptURL(dept), q, "apage", page, res.Total, deptAnnouncePerPage)
	if u.CanEdit(dept) {
		l.NewURL = newAnnounceURL(dept)
	}
	return l, nil
}

// homeAnnouncementList is the newest live announcements for the user's
// department or for everyone, for the home page.
func (s *server) homeAnnouncementList(c echo.Context) ([]announceItem, error) {
	if s.announce == nil {
		return nil, nil
	}
	u := userOf(c)
	q := announce.Query{Everyone: true, Now: s.now(), Limit: homeAnnouncements, NoTotal: true}
	if u != nil && u.Department != "" {
		q.Departments = []string{u.Department}
	}
	res, err := s.announce.List(c.Request().Context(), q)
	if err != nil {
		return nil, fmt.Errorf("home: announcements: %w", err)
	}
	return announceItems(u, res.Items), nil
}

// announceChoice is one department the form offers as a target.
type announceChoice struct {
	Name    string
	Checked bool
}

// announceFormView is the data of the new/edit announcement form.
type announceFormView struct {
	base
	IsNew     bool
	Action    string
	DeleteURL string
	CancelURL string
	AnnTitle  string
	Body      string
	Everyone  bool
	Pinned    bool
	Confirm   bool   // ask readers to confirm (请确认已读)
	Comments  bool   // allow comments
	Expires   string // YYYY-MM-DD or ""
	Today     string // the earliest expiry date
	ETag      string
	Multi     bool // the user may address several departments or everyone (admins)
	MayAll    bool // the user may address everyone (admins, editors of a department with the permission)
	Choices   []announceChoice
	Errors    map[string]string
	MaxTitle  int
	MaxBody   int
}

// newAnnounceFormView fills the form with a (nil for a new announcement)
// or with dept preselected.
func (s *server) newAnnounceFormView(c echo.Context, a *announce.Announcement, dept string) (announceFormView, error) {
	l := langOf(c)
	u := userOf(c)
	v := announceFormView{Errors: map[string]string{}, MaxTitle: announce.MaxTitle, MaxBody: announce.MaxBody,
		Multi: u.IsAdmin(), MayAll: mayAnnounceAll(c), Today: s.now().Format(dateInput)}
	chosen := []string{}
	if a == nil {
		v.base = s.newBase(c, l, "announce.new.title")
		v.IsNew, v.Action, v.CancelURL = true, "/announcements/new", "/announcements"
		if dept != "" {
			chosen = append(chosen, dept)
			v.CancelURL = deptURL(dept)
		}
	} else {
		v.base = s.newBase(c, l, "announce.edit.title", a.Title)
		v.Action, v.DeleteURL = announceURL(a.ID)+"/edit", announceURL(a.ID)+"/delete"
		v.CancelURL = "/announcements"
		if d := a.Department(); d != "" {
			v.CancelURL = deptURL(d)
		}
		v.AnnTitle, v.Body, v.Everyone, v.Pinned, v.ETag = a.Title, a.Body, a.Everyone, a.Pinned, a.ETag
		v.Confirm, v.Comments = a.Confirm, a.Comments
		if !a.Expires.IsZero() {
			v.Expires = a.Expires.Format(dateInput)
		}
		chosen = a.Targets
	}
	v.Nav = "announcements"
	names, err := s.targetDepartments(c, u, chosen)
	if err != nil {
		return v, err
	}
	for _, n := range names {
		v.Choices = append(v.Choices, announceChoice{Name: n, Checked: slices.Contains(chosen, n)})
	}
	if len(chosen) == 0 && !v.Everyone && len(v.Choices) == 1 {
		v.Choices[0].Checked = true
	}
	return v, nil
}

// targetDepartments lists the departments u may address: those u edits;
// for administrators also every department record and u's own department.
// extra (already chosen targets) are kept so an edit never loses one.
func (s *server) targetDepartments(c echo.Context, u *auth.User, extra []string) ([]string, error) {
	out := slices.Clone(u.EditorOf)
	if u.IsAdmin() {
		if s.files != nil {
			ds, err := s.files.Departments(c.Request().Context())
			if err != nil {
				return nil, fmt.Errorf("announcement form: departments: %w", err)
			}
			for _, d := range ds {
				out = append(out, d.Name)
			}
		}
		if u.Department != "" {
			out = append(out, u.Department)
		}
		out = append(out, extra...)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// setChosen marks the form's choices from the submitted targets, adding
// any the list lacked (so the user's input is kept).
func (v *announceFormView) setChosen(targets []string) {
	for i := range v.Choices {
		v.Choices[i].Checked = slices.Contains(targets, v.Choices[i].Name)
	}
	for _, t := range targets {
		if !slices.ContainsFunc(v.Choices, func(ch announceChoice) bool { return ch.Name == t }) {
			v.Choices = append(v.Choices, announceChoice{Name: t, Checked: true})
		}
	}
}

// newAnnouncementForm is GET /announcements/new?dept=: the empty form. An
// editor asking for a department they do not edit gets 403.
func (s *server) newAnnouncementForm(c echo.Context) error {
	u := userOf(c)
	dept, _ := cleanParam(c.QueryParam("dept"))
	if dept != "" && !u.CanEdit(dept) {
		return forbidden(fmt.Errorf("%s may not post announcements for %q", u.ID, dept))
	}
	v, err := s.newAnnounceFormView(c, nil, dept)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, pageAnnounceForm, tmplContent, v)
}

// readAnnounceForm reads and checks the submitted form into v and returns
// the input and, when something is wrong, the status to answer with (403
// for a department the user may not address, else 422).
func (s *server) readAnnounceForm(c echo.Context, v *announceFormView) (announce.Input, int, error) {
	u := userOf(c)
	l := v.Lang
	form, err := c.FormParams()
	if err != nil {
		return announce.Input{}, 0, &Error{Status: http.StatusBadRequest, Public: "error.400", Cause: fmt.Errorf("announcement form: %w", err)}
	}
	v.AnnTitle = strings.TrimSpace(form.Get("title"))
	v.Body = strings.TrimSpace(strings.ReplaceAll(form.Get("body"), "\r\n", "\n"))
	v.Pinned = form.Get("pinned") == "1"
	v.Confirm, v.Comments = form.Get("confirm") == "1", form.Get("comments") == "1"
	v.Everyone = v.MayAll && form.Get("everyone") == "1"
	v.Expires = strings.TrimSpace(form.Get("expires"))
	v.ETag = form.Get("etag")
	var targets []string
	for _, t := range form["target"] {
		if t, _ = cleanParam(t); t != "" {
			targets = append(targets, t)
		}
	}
	slices.Sort(targets)
	targets = slices.Compact(targets)
	v.setChosen(targets)

	denied := false // a target the user may not address: 403
	switch n := utf8.RuneCountInString(v.AnnTitle); {
	case n == 0:
		v.Errors["title"] = mustT(l, "announce.title.missing")
	case n > announce.MaxTitle:
		v.Errors["title"] = mustT(l, "announce.title.long", announce.MaxTitle)
	}
	if utf8.RuneCountInString(v.Body) > announce.MaxBody {
		v.Errors["body"] = mustT(l, "announce.body.long", announce.MaxBody)
	} else if _, err := s.md.RenderBody("announcement", []byte(v.Body)); err != nil {
		if !errors.Is(err, markdown.ErrTooComplex) && !errors.Is(err, markdown.ErrTooLarge) {
			return announce.Input{}, 0, fmt.Errorf("announcement form: render body: %w", err)
		}
		v.Errors["body"] = mustT(l, "edit.source.complex")
	}
	switch {
	case !v.MayAll && form.Get("everyone") == "1":
		v.Errors["targets"], denied = mustT(l, "announce.targets.denied", mustT(l, "announce.everyone")), true
	case v.Everyone:
		targets = nil
		v.setChosen(nil)
	case len(targets) == 0:
		v.Errors["targets"] = mustT(l, "announce.targets.missing")
	case !v.Multi && len(targets) > 1:
		v.Errors["targets"] = mustT(l, "announce.targets.one")
	case len(targets) > announce.MaxTargets:
		v.Errors["targets"] = mustT(l, "announce.targets.many", announce.MaxTargets)
	default:
		for _, t := range targets {
			if !announce.ValidDepartment(t) {
				v.Errors["targets"] = mustT(l, "announce.targets.invalid", t)
				break
			}
			if !u.CanEdit(t) {
				v.Errors["targets"], denied = mustT(l, "announce.targets.denied", t), true
				break
			}
		}
	}
	var expires time.Time
	if v.Expires != "" {
		d, err := time.Parse(dateInput, v.Expires)
		switch {
		case err != nil:
			v.Errors["expires"] = mustT(l, "announce.expires.invalid")
		case d.Format(dateInput) < v.Today:
			v.Errors["expires"] = mustT(l, "announce.expires.past")
		default:
			expires = d
		}
	}
	in := announce.Input{Title: v.AnnTitle, Body: v.Body, Everyone: v.Everyone, Targets: targets, Pinned: v.Pinned, Confirm: v.Confirm, Comments: v.Comments,
		Expires: expires, By: u.ID, ByName: u.Name}
	switch {
	case len(v.Errors) == 0:
		return in, 0, nil
	case denied:
		return in, http.StatusForbidden, nil
	}
	return in, http.StatusUnprocessableEntity, nil
}

// createAnnouncement is POST /announcements/new.
func (s *server) createAnnouncement(c echo.Context) error {
	u := userOf(c)
	v, err := s.newAnnounceFormView(c, nil, "")
	if err != nil {
		return err
	}
	in, status, err := s.readAnnounceForm(c, &v)
	if err != nil {
		return err
	}
	if len(in.Targets) == 1 {
		v.CancelURL = deptURL(in.Targets[0])
	}
	if status != 0 {
		return s.render(c, status, pageAnnounceForm, tmplContent, v)
	}
	a, err := s.announce.Create(c.Request().Context(), in)
	if err != nil {
		return fmt.Errorf("create announcement: %w", err)
	}
	s.record(c, audit.Entry{Actor: u.ID, Action: "announcement.create", Target: "announcement:" + a.ID, Detail: targetsDetail(a)})
	s.notifyAnnouncement(c, a)
	return c.Redirect(http.StatusSeeOther, announceHome(a))
}

// targetsDetail names an announcement's audience and title for the audit log.
func targetsDetail(a *announce.Announcement) string {
	to := "全员"
	if !a.Everyone {
		to = strings.Join(a.Targets, ",")
	}
	return to + " " + a.Title
}

// announceHome is where to go after writing a: its department space, or the
// announcements page for wider audiences.
func announceHome(a *announce.Announcement) string {
	if d := a.Department(); d != "" {
		return deptURL(d) + "#a-" + a.ID
	}
	return "/announcements#a-" + a.ID
}

// managedAnnouncement loads the announcement named in the path and checks
// that the user may change it.
func (s *server) managedAnnouncement(c echo.Context) (*announce.Announcement, error) {
	id, err := pathParam(c, "id")
	if err != nil {
		return nil, err
	}
	if !announce.ValidID(id) {
		return nil, &Error{Status: http.StatusNotFound, Public: "error.404", Cause: fmt.Errorf("announcement id %q: %w", id, store.ErrNotFound)}
	}
	a, err := s.announce.Get(c.Request().Context(), id)
	if err != nil {
		return nil, fmt.Errorf("announcement %s: %w", id, err)
	}
	if u := userOf(c); !canManage(u, a) {
		return nil, forbidden(fmt.Errorf("%s may not change announcement %s (%s)", u.ID, id, targetsDetail(a)))
	}
	return a, nil
}

// editAnnouncementForm is GET /announcements/:id/edit.
func (s *server) editAnnouncementForm(c echo.Context) error {
	a, err := s.managedAnnouncement(c)
	if err != nil {
		return err
	}
	v, err := s.newAnnounceFormView(c, a, "")
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, pageAnnounceForm, tmplContent, v)
}

// saveAnnouncement is POST /announcements/:id/edit: an update of exactly the
// version the editor loaded (If-Match); on a conflict the form keeps the
// user's input and carries the new version, so saving again is deliberate.
func (s *server) saveAnnouncement(c echo.Context) error {
	a, err := s.managedAnnouncement(c)
	if err != nil {
		return err
	}
	u := userOf(c)
	v, err := s.newAnnounceFormView(c, a, "")
	if err != nil {
		return err
	}
	in, status, err := s.readAnnounceForm(c, &v)
	if err != nil {
		return err
	}
	if status != 0 {
		return s.render(c, status, pageAnnounceForm, tmplContent, v)
	}
	saved := a
	if v.ETag != a.ETag { // an empty or stale etag is a conflict, never a blind overwrite
		err = fmt.Errorf("editor loaded %q, store has %q: %w", v.ETag, a.ETag, store.ErrPrecondition)
	} else {
		saved, err = s.announce.Update(c.Request().Context(), a.ID, in, v.ETag)
	}
	switch {
	case errors.Is(err, store.ErrPrecondition):
		cur, gerr := s.announce.Get(c.Request().Context(), a.ID)
		if gerr != nil {
			return fmt.Errorf("reload announcement %s after conflict: %w", a.ID, gerr)
		}
		v.ETag = cur.ETag
		v.Errors["title"] = mustT(v.Lang, "announce.conflict")
		return s.render(c, http.StatusConflict, pageAnnounceForm, tmplContent, v)
	case err != nil:
		return fmt.Errorf("update announcement: %w", err)
	}
	s.record(c, audit.Entry{Actor: u.ID, Action: "announcement.update", Target: "announcement:" + saved.ID, Detail: targetsDetail(saved)})
	return c.Redirect(http.StatusSeeOther, announceHome(saved))
}

// deleteAnnouncement is POST /announcements/:id/delete.
func (s *server) deleteAnnouncement(c echo.Context) error {
	a, err := s.managedAnnouncement(c)
	if err != nil {
		return err
	}
	u := userOf(c)
	if err := s.announce.Delete(c.Request().Context(), a.ID); err != nil {
		return fmt.Errorf("delete announcement: %w", err)
	}
	s.deleteReceipts(c, a.ID)
	s.record(c, audit.Entry{Actor: u.ID, Action: "announcement.delete", Target: "announcement:" + a.ID, Detail: targetsDetail(a)})
	if d := a.Department(); d != "" {
		return c.Redirect(http.StatusSeeOther, deptURL(d))
	}
	return c.Redirect(http.StatusSeeOther, "/announcements")
}
