package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/index"
)

// departmentsView is the data of the department index.
type departmentsView struct {
	base
	Departments []index.FacetCount
}

// departments lists every department that has packs, from the facets.
func (s *server) departments(c echo.Context) error {
	res, err := s.packs.Search(c.Request().Context(), index.Query{Facets: true, Limit: 1})
	if err != nil {
		return fmt.Errorf("departments: %w", err)
	}
	l := langOf(c)
	v := departmentsView{base: s.newBase(c, l, "departments.title"), Departments: res.Facets["department"]}
	v.Nav = "departments"
	return s.render(c, http.StatusOK, pageDepartments, tmplContent, v)
}

// department lists the packs of one department, optionally by tag.
func (s *server) department(c echo.Context) error {
	name, err := pathParam(c, "name")
	if err != nil {
		return err
	}
	name, cut := cleanParam(name)
	if name == "" || cut {
		return &Error{Status: http.StatusNotFound, Public: "error.404", Cause: errors.New("department name empty or too long")}
	}
	tag, _ := cleanParam(c.QueryParam("tag"))
	q := url.Values{}
	setIf(q, "tag", tag)
	l := langOf(c)
	v := listView{base: s.newBase(c, l, "department.title", name), Department: name}
	v.Nav = "departments"
	if err := s.fillList(c, &v, deptURL(name), q, index.Query{Department: name, Tag: tag}); err != nil {
		return err
	}
	if v.Pager.Total == 0 && tag == "" {
		return &Error{Status: http.StatusNotFound, Public: "error.404", Cause: fmt.Errorf("department %q has no packs", name)}
	}
	return s.render(c, http.StatusOK, pageDepartment, tmplContent, v)
}
