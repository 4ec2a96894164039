package web

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/audit"
	"github.com/jinnang/jinnang/portal/files"
	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/store/record"
)

// deptFilesPerPage is how many files a department space lists per page.
const deptFilesPerPage = 10

// deptEntry is one department on the index page.
type deptEntry struct {
	Name  string
	Shown string // the display name after a rename, else Name
	Intro string
	Packs int
	QR    bool
}

// departmentsView is the data of the department index.
type departmentsView struct {
	base
	Departments []deptEntry
}

// departments lists every department that has packs or a record of its own
// (with its introduction), by name.
func (s *server) departments(c echo.Context) error {
	ctx := c.Request().Context()
	res, err := s.packs.Search(ctx, index.Query{Facets: true, Limit: 1})
	if err != nil {
		return fmt.Errorf("departments: %w", err)
	}
	byName := map[string]*deptEntry{}
	for _, fc := range res.Facets["department"] {
		byName[fc.Value] = &deptEntry{Name: fc.Value, Packs: fc.Count}
	}
	if s.files != nil {
		ds, err := s.files.Departments(ctx)
		if err != nil {
			return fmt.Errorf("departments: records: %w", err)
		}
		for _, d := range ds {
			e, ok := byName[d.Name]
			if !ok {
				e = &deptEntry{Name: d.Name}
				byName[d.Name] = e
			}
			e.Intro, e.QR, e.Shown = d.Intro, d.HasQR, d.Display
		}
	}
	l := langOf(c)
	v := departmentsView{base: s.newBase(c, l, "departments.title")}
	for _, e := range byName {
		v.Departments = append(v.Departments, *e)
	}
	slices.SortFunc(v.Departments, func(a, b deptEntry) int { return strings.Compare(a.Name, b.Name) })
	v.Nav = "departments"
	return s.render(c, http.StatusOK, pageDepartments, tmplContent, v)
}

// departmentView is the data of a department space: its introduction and
// WeChat group QR, its packs (listView) and its files.
type departmentView struct {
	listView
	Files      bool   // the files domain is on
	Shown      string // the display name after a rename ("" shows Department)
	Intro      string
	HasQR      bool
	QRImage    string // URL of the group QR image
	FileHits   []index.Hit
	FilePager  pager
	CanEdit    bool
	UploadURL  string
	LibraryURL string
	Errors     map[string]string
	// Announcements are the live ones addressed to the department.
	Announcements announceList
}

// department shows one department space. It is a 404 only when the
// department has no record, no packs and no files.
func (s *server) department(c echo.Context) error {
	v, err := s.departmentSpace(c)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, pageDepartment, tmplContent, v)
}

// deptParam reads the :name path parameter.
func deptParam(c echo.Context) (string, error) {
	name, err := pathParam(c, "name")
	if err != nil {
		return "", err
	}
	name, cut := cleanParam(name)
	if name == "" || cut {
		return "", &Error{Status: http.StatusNotFound, Public: "error.404", Cause: errors.New("department name empty or too long")}
	}
	return name, nil
}

// departmentSpace gathers everything a department page shows.
func (s *server) departmentSpace(c echo.Context) (departmentView, error) {
	var v departmentView
	name, err := deptParam(c)
	if err != nil {
		return v, err
	}
	ctx := c.Request().Context()
	tag, _ := cleanParam(c.QueryParam("tag"))
	q := url.Values{}
	setIf(q, "tag", tag)
	l := langOf(c)
	v.listView = listView{base: s.newBase(c, l, "department.title", name), Department: name}
	v.Nav = "departments"
	v.Errors = map[string]string{}
	if err := s.fillList(c, &v.listView, deptURL(name), q, index.Query{Department: name, Tag: tag}); err != nil {
		return v, err
	}
	exists := v.Pager.Total > 0 || tag != ""
	if s.files != nil {
		v.Files = true
		d, err := s.files.Department(ctx, name)
		switch {
		case err == nil:
			exists = true
			v.Intro, v.HasQR, v.Shown = d.Intro, d.HasQR, d.Display
			if d.Display != "" {
				v.Title = mustT(l, "department.title", d.Display)
			}
		case errors.Is(err, record.ErrCorrupt):
			exists = true // reported; the page shows the packs and files without the intro
		case !isNotFound(err):
			return v, fmt.Errorf("department %q: %w", name, err)
		}
		page := pageParamNamed(c, "fpage")
		res, err := s.files.ByDepartment(ctx, name, (page-1)*deptFilesPerPage, deptFilesPerPage)
		if err != nil {
			return v, fmt.Errorf("department %q files: %w", name, err)
		}
		exists = exists || res.Total > 0
		v.FileHits = res.Hits
		v.FilePager = newPagerParam(deptURL(name), q, "fpage", page, res.Total, deptFilesPerPage)
		if v.HasQR {
			v.QRImage = deptURL(name) + "/qr"
		}
		v.LibraryURL = deptFilesURL(name)
		if v.CanEdit = userOf(c).CanEdit(name); v.CanEdit {
			v.UploadURL = "/files/new?" + url.Values{"dept": {name}}.Encode()
		}
	}
	if !exists {
		return v, &Error{Status: http.StatusNotFound, Public: "error.404", Cause: fmt.Errorf("department %q has no record, packs or files", name)}
	}
	if v.Announcements, err = s.deptAnnouncements(c, name, q); err != nil {
		return v, err
	}
	return v, nil
}

// uploadDepartmentQR is POST /departments/:name/qr: an editor of the
// department replaces its WeChat group QR image (PNG or JPEG, ≤ 2 MiB).
func (s *server) uploadDepartmentQR(c echo.Context) error {
	name, err := deptParam(c)
	if err != nil {
		return err
	}
	u := userOf(c)
	if !u.CanEdit(name) {
		return forbidden(fmt.Errorf("%s may not change the QR of %s", u.ID, name))
	}
	_, part, err := readUntilFile(c)
	l := langOf(c)
	msg, status := "", 0
	switch {
	case errors.Is(err, errTooLarge):
		msg, status = mustT(l, "dept.qr.invalid"), http.StatusRequestEntityTooLarge
	case err != nil:
		s.drain(c)
		return err
	case part == nil:
		msg, status = mustT(l, "fileform.file.missing"), http.StatusUnprocessableEntity
	default:
		err = s.files.SetDepartmentQR(c.Request().Context(), name, part)
		switch {
		case err == nil:
		case errors.Is(err, files.ErrType), errors.Is(err, files.ErrTooLarge), errors.Is(err, files.ErrEmpty):
			msg, status = mustT(l, "dept.qr.invalid"), http.StatusUnprocessableEntity
		default:
			s.drain(c)
			return fmt.Errorf("department %q: set qr: %w", name, err)
		}
	}
	s.drain(c)
	if msg != "" {
		s.log.Info("department qr refused", slog.String("department", name), slog.Any("err", err))
		v, verr := s.departmentSpace(c)
		if verr != nil {
			return verr
		}
		v.Errors["qr"] = msg
		return s.render(c, status, pageDepartment, tmplContent, v)
	}
	s.record(c, audit.Entry{Actor: u.ID, Action: "department.qr", Target: "department:" + name})
	return c.Redirect(http.StatusSeeOther, deptURL(name))
}
