package web

import (
	"log/slog"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/auth"
)

// roleSet is the grant set used to route notifications: the one applyGrants
// put on the request, else a fresh (cached) read. A failed read is logged
// and routes by the roles file alone, so a store hiccup never fails the
// action that notifies.
func (s *server) roleSet(c echo.Context) auth.GrantSet {
	if g, ok := c.Get(grantsCtxKey).(auth.GrantSet); ok {
		return g
	}
	g, err := s.auth.Grants.Load(c.Request().Context())
	if err != nil {
		s.log.Error("role grants unreadable: routing by the roles file only", slog.Any("err", err))
		return auth.GrantSet{}
	}
	return g
}

// moderatorIDs are the people told about the moderation queue.
func (s *server) moderatorIDs(c echo.Context) []string {
	return s.roleSet(c).ModeratorsWith(s.auth.Roles)
}

// deptEditorIDs are the managers of department (一线上报 goes to them).
func (s *server) deptEditorIDs(c echo.Context, department string) []string {
	return s.roleSet(c).EditorsWith(s.auth.Roles, department)
}

// editorDepartments are the departments that have a manager.
func (s *server) editorDepartments(c echo.Context) []string {
	return s.roleSet(c).DepartmentsWith(s.auth.Roles)
}
