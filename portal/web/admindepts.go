package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/audit"
	"github.com/jinnang/jinnang/portal/files"
	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/store"
)

// adminDeptRoutes registers department administration (admins only; needs
// the files domain, which keeps the department records).
func (s *server) adminDeptRoutes(get, write func(string, echo.HandlerFunc, ...echo.MiddlewareFunc)) {
	if s.files == nil {
		return
	}
	get("/admin/departments", s.adminDepartments, requireAdmin)
	write("/admin/departments", s.createDepartment, requireAdmin)
	get("/admin/departments/:name/edit", s.editDepartmentForm, requireAdmin)
	write("/admin/departments/:name/edit", s.saveDepartment, requireAdmin)
	s.adminDeptMergeRoutes(write)
}

// adminDeptRow is one department in the administration list.
type adminDeptRow struct {
	Name    string
	Intro   string
	HasQR   bool
	Record  bool // false: known only from packs or files
	Packs   int
	Files   int
	EditURL string
}

// adminDeptsView is the data of GET /admin/departments, with the create form.
type adminDeptsView struct {
	base
	Rows     []adminDeptRow
	NewName  string
	NewIntro string
	Created  string // the department just created, for the notice
	Deleted  string // the department just deleted, for the notice
	Errors   map[string]string
	MaxName  int
	MaxIntro int
}

// adminDeptEditURL is the intro editor of one department.
func adminDeptEditURL(name string) string {
	return "/admin/departments/" + url.PathEscape(name) + "/edit"
}

// newAdminDeptsView lists every department record, and every department
// that only packs or files name, with their counts.
func (s *server) newAdminDeptsView(c echo.Context) (adminDeptsView, error) {
	ctx := c.Request().Context()
	v := adminDeptsView{base: s.newBase(c, langOf(c), "admindepts.title"), Errors: map[string]string{},
		MaxName: files.MaxNewDeptRunes, MaxIntro: files.MaxIntroRunes}
	v.Nav = "admin"
	rows := map[string]*adminDeptRow{}
	row := func(name string) *adminDeptRow {
		r, ok := rows[name]
		if !ok {
			r = &adminDeptRow{Name: name}
			rows[name] = r
		}
		return r
	}
	ds, err := s.files.Departments(ctx)
	if err != nil {
		return v, fmt.Errorf("admin departments: records: %w", err)
	}
	for _, d := range ds {
		r := row(d.Name)
		r.Intro, r.HasQR, r.Record, r.EditURL = d.Intro, d.HasQR, true, adminDeptEditURL(d.Name)
	}
	packs, err := s.packs.Search(ctx, index.Query{Facets: true, Limit: 1})
	if err != nil {
		return v, fmt.Errorf("admin departments: packs: %w", err)
	}
	for _, fc := range packs.Facets["department"] {
		row(fc.Value).Packs = fc.Count
	}
	fs, err := s.files.Search(ctx, index.Query{Facets: true, Limit: 1})
	if err != nil {
		return v, fmt.Errorf("admin departments: files: %w", err)
	}
	for _, fc := range fs.Facets["department"] {
		row(fc.Value).Files = fc.Count
	}
	for _, r := range rows {
		v.Rows = append(v.Rows, *r)
	}
	slices.SortFunc(v.Rows, func(a, b adminDeptRow) int { return strings.Compare(a.Name, b.Name) })
	if created, _ := cleanParam(c.QueryParam("created")); created != "" && rows[created] != nil {
		v.Created = created
	}
	if deleted, _ := cleanParam(c.QueryParam("deleted")); deleted != "" && rows[deleted] == nil {
		v.Deleted = deleted
	}
	return v, nil
}

// adminDepartments is GET /admin/departments.
func (s *server) adminDepartments(c echo.Context) error {
	v, err := s.newAdminDeptsView(c)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return s.render(c, http.StatusOK, pageAdminDepts, tmplContent, v)
}

// createDepartment is POST /admin/departments: a new department record
// (create-once; an existing name is a 409 with the input kept).
func (s *server) createDepartment(c echo.Context) error {
	u := userOf(c)
	v, err := s.newAdminDeptsView(c)
	if err != nil {
		return err
	}
	l := v.Lang
	v.NewName = strings.TrimSpace(c.FormValue("name"))
	v.NewIntro = strings.TrimSpace(strings.ReplaceAll(c.FormValue("intro"), "\r\n", "\n"))
	if !files.ValidNewDepartmentName(v.NewName) {
		v.Errors["name"] = mustT(l, "admindepts.name.invalid", files.MaxNewDeptRunes)
	}
	if utf8.RuneCountInString(v.NewIntro) > files.MaxIntroRunes {
		v.Errors["intro"] = mustT(l, "admindepts.intro.long", files.MaxIntroRunes)
	}
	if len(v.Errors) > 0 {
		return s.render(c, http.StatusUnprocessableEntity, pageAdminDepts, tmplContent, v)
	}
	d, err := s.files.CreateDepartment(c.Request().Context(), files.Department{Name: v.NewName, Intro: v.NewIntro})
	switch {
	case errors.Is(err, store.ErrPrecondition):
		v.Errors["name"] = mustT(l, "admindepts.name.taken", v.NewName)
		return s.render(c, http.StatusConflict, pageAdminDepts, tmplContent, v)
	case errors.Is(err, files.ErrDeptName):
		v.Errors["name"] = mustT(l, "admindepts.name.invalid", files.MaxNewDeptRunes)
		return s.render(c, http.StatusUnprocessableEntity, pageAdminDepts, tmplContent, v)
	case errors.Is(err, files.ErrDeptIntro):
		v.Errors["intro"] = mustT(l, "admindepts.intro.long", files.MaxIntroRunes)
		return s.render(c, http.StatusUnprocessableEntity, pageAdminDepts, tmplContent, v)
	case err != nil:
		return fmt.Errorf("create department: %w", err)
	}
	s.record(c, audit.Entry{Actor: u.ID, Action: "department.create", Target: "department:" + d.Name})
	return c.Redirect(http.StatusSeeOther, "/admin/departments?"+url.Values{"created": {d.Name}}.Encode())
}

// adminDeptView is the data of the intro editor.
type adminDeptView struct {
	base
	Name      string
	Intro     string
	ETag      string
	Action    string
	Errors    map[string]string
	MaxIntro  int
	DeleteURL string // POST target of the delete form (admindeptdelete.go)
	// The merge and rename forms (admindeptmerge.go).
	MergeURL, RenameURL string
	MergeInto           []string
	Display             string
}

// loadDeptForEdit reads the department named in the path with its ETag.
func (s *server) loadDeptForEdit(c echo.Context) (adminDeptView, error) {
	name, err := deptParam(c)
	if err != nil {
		return adminDeptView{}, err
	}
	d, etag, err := s.files.DepartmentForEdit(c.Request().Context(), name)
	if err != nil {
		return adminDeptView{}, fmt.Errorf("edit department %q: %w", name, err)
	}
	v := adminDeptView{base: s.newBase(c, langOf(c), "admindept.title", d.Name), Name: d.Name, Intro: d.Intro, ETag: etag,
		Action: adminDeptEditURL(d.Name), Errors: map[string]string{}, MaxIntro: files.MaxIntroRunes}
	v.Nav = "admin"
	if _, ok := s.files.(deptDeleter); ok {
		v.DeleteURL = "/admin/departments/" + url.PathEscape(d.Name) + "/delete"
	}
	if err := s.addMergeForms(c, &v); err != nil {
		return v, err
	}
	return v, nil
}

// editDepartmentForm is GET /admin/departments/:name/edit.
func (s *server) editDepartmentForm(c echo.Context) error {
	v, err := s.loadDeptForEdit(c)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, pageAdminDept, tmplContent, v)
}

// saveDepartment is POST /admin/departments/:name/edit: the intro of exactly
// the version the admin loaded (If-Match).
func (s *server) saveDepartment(c echo.Context) error {
	v, err := s.loadDeptForEdit(c)
	if err != nil {
		return err
	}
	u := userOf(c)
	l := v.Lang
	v.Intro = strings.TrimSpace(strings.ReplaceAll(c.FormValue("intro"), "\r\n", "\n"))
	v.ETag = c.FormValue("etag")
	if utf8.RuneCountInString(v.Intro) > files.MaxIntroRunes {
		v.Errors["intro"] = mustT(l, "admindepts.intro.long", files.MaxIntroRunes)
		return s.render(c, http.StatusUnprocessableEntity, pageAdminDept, tmplContent, v)
	}
	err = s.files.UpdateDepartmentIntro(c.Request().Context(), v.Name, v.Intro, v.ETag)
	switch {
	case errors.Is(err, store.ErrPrecondition):
		// Saving again overwrites what is there now, knowingly.
		_, cur, gerr := s.files.DepartmentForEdit(c.Request().Context(), v.Name)
		if gerr != nil {
			return fmt.Errorf("reload department %q after conflict: %w", v.Name, gerr)
		}
		v.ETag = cur
		v.Errors["intro"] = mustT(l, "admindept.conflict")
		return s.render(c, http.StatusConflict, pageAdminDept, tmplContent, v)
	case errors.Is(err, files.ErrDeptIntro):
		v.Errors["intro"] = mustT(l, "admindepts.intro.long", files.MaxIntroRunes)
		return s.render(c, http.StatusUnprocessableEntity, pageAdminDept, tmplContent, v)
	case err != nil:
		return fmt.Errorf("update department %q: %w", v.Name, err)
	}
	s.record(c, audit.Entry{Actor: u.ID, Action: "department.update", Target: "department:" + v.Name})
	return c.Redirect(http.StatusSeeOther, deptURL(v.Name))
}
