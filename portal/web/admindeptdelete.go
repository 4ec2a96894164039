package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/audit"
	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/store"
)

// deptDeleter is implemented by a Files that can delete department records.
type deptDeleter interface {
	DeleteDepartment(ctx context.Context, name string) error
}

// adminDeptDeleteRoutes registers POST /admin/departments/:name/delete.
func (s *server) adminDeptDeleteRoutes(write func(string, echo.HandlerFunc, ...echo.MiddlewareFunc)) {
	if _, ok := s.files.(deptDeleter); ok && s.files != nil {
		write("/admin/departments/:name/delete", s.deleteDepartment, requireAdmin)
	}
}

// deleteDepartment deletes an empty department's record (no packs, no
// files); one with content is refused with 409 (move or delete it first).
func (s *server) deleteDepartment(c echo.Context) error {
	u := userOf(c)
	name, err := deptParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	packs, err := s.packs.Search(ctx, index.Query{Department: name, Limit: 1})
	if err != nil {
		return fmt.Errorf("delete department: packs: %w", err)
	}
	fs, err := s.files.Search(ctx, index.Query{Department: name, Limit: 1})
	if err != nil {
		return fmt.Errorf("delete department: files: %w", err)
	}
	if packs.Total > 0 || fs.Total > 0 {
		v, err := s.loadDeptForEdit(c)
		if err != nil {
			return err
		}
		v.Errors["delete"] = mustT(v.Lang, "admindept.delete.notempty", packs.Total, fs.Total)
		return s.render(c, http.StatusConflict, pageAdminDept, tmplContent, v)
	}
	err = s.files.(deptDeleter).DeleteDepartment(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return &Error{Status: http.StatusNotFound, Public: "error.404", Cause: err}
	}
	if err != nil {
		return err
	}
	s.record(c, audit.Entry{Actor: u.ID, Action: "department.delete", Target: "department:" + name})
	return c.Redirect(http.StatusSeeOther, "/admin/departments?"+url.Values{"deleted": {name}}.Encode())
}
