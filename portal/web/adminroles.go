package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/audit"
	"github.com/jinnang/jinnang/portal/auth"
)

const pageAdminRoles = "adminroles"

func init() { pageNames = append(pageNames, pageAdminRoles) }

// grantsCtxKey holds the request's GrantSet; userCtxKey the user with the
// granted roles merged (the session keeps the roles of the file only, so a
// removed grant is gone on the next request).
const (
	grantsCtxKey = "web.grants"
	userCtxKey   = "web.user"
)

// applyGrants merges the roles administrators assigned in the portal into
// the signed-in user of this request. One store read per signed-in request.
func (s *server) applyGrants(c echo.Context) error {
	sess, _ := sessionOf(c)
	if sess == nil || s.auth.Grants == nil {
		return nil
	}
	set, err := s.auth.Grants.Load(c.Request().Context())
	if err != nil {
		return fmt.Errorf("load role grants: %w", err)
	}
	u := set.Apply(sess.User)
	c.Set(grantsCtxKey, set)
	c.Set(userCtxKey, &u)
	return nil
}

// grantsOf is the request's GrantSet (empty without grants).
func grantsOf(c echo.Context) auth.GrantSet {
	g, _ := c.Get(grantsCtxKey).(auth.GrantSet)
	return g
}

// mayAnnounceAll reports whether the signed-in user may address everyone.
func mayAnnounceAll(c echo.Context) bool { return grantsOf(c).MayAnnounceAll(userOf(c)) }

// adminRoleRoutes registers the role administration (admins only).
func (s *server) adminRoleRoutes(get, write func(string, echo.HandlerFunc, ...echo.MiddlewareFunc)) {
	if s.auth.Grants == nil {
		return
	}
	get("/admin/roles", s.adminRoles, requireAdmin)
	write("/admin/roles", s.changeRole, requireAdmin)
	write("/admin/roles/announce", s.changeAnnounceAll, requireAdmin)
}

// rolePerson is one assigned person; FromFile ones cannot be removed here.
type rolePerson struct {
	ID       string
	Name     string
	FromFile bool
}

// roleDept is one department's editors and its announce-to-everyone switch.
type roleDept struct {
	Name        string
	Editors     []rolePerson
	AnnounceAll bool
}

// adminRolesView is the data of GET /admin/roles.
type adminRolesView struct {
	base
	Admins     []rolePerson
	Moderators []rolePerson
	Depts      []roleDept
	Done       string
	Error      string
}

// person names id from its profile (the ID when none).
func (s *server) person(c echo.Context, id string, fromFile bool) rolePerson {
	p := rolePerson{ID: id, Name: id, FromFile: fromFile}
	if prof, err := s.auth.Users.Get(c.Request().Context(), id); err == nil && prof != nil && prof.Name != "" {
		p.Name = prof.Name
	}
	return p
}

func (s *server) newAdminRolesView(c echo.Context) (adminRolesView, error) {
	ctx := c.Request().Context()
	v := adminRolesView{base: s.newBase(c, langOf(c), "roles.title")}
	set, err := s.auth.Grants.Load(ctx)
	if err != nil {
		return v, err
	}
	roles := s.auth.Roles
	for _, id := range roles.Admins() {
		v.Admins = append(v.Admins, s.person(c, id, true))
	}
	for _, id := range roles.Moderators() {
		v.Moderators = append(v.Moderators, s.person(c, id, true))
	}
	for _, id := range set.Moderators {
		if !roles.IsFileModerator(id) {
			v.Moderators = append(v.Moderators, s.person(c, id, false))
		}
	}
	fileEd := roles.FileEditors()
	names := append(roles.Departments(), set.AnnounceAll...)
	for d := range set.Editors {
		names = append(names, d)
	}
	if s.files != nil {
		ds, err := s.files.Departments(ctx)
		if err != nil {
			return v, fmt.Errorf("roles page: departments: %w", err)
		}
		for _, d := range ds {
			names = append(names, d.Name)
		}
	}
	slices.Sort(names)
	for _, n := range slices.Compact(names) {
		d := roleDept{Name: n, AnnounceAll: slices.Contains(set.AnnounceAll, n)}
		for _, id := range fileEd[n] {
			d.Editors = append(d.Editors, s.person(c, id, true))
		}
		for _, id := range set.EditorsOf(n) {
			if !slices.Contains(fileEd[n], id) {
				d.Editors = append(d.Editors, s.person(c, id, false))
			}
		}
		v.Depts = append(v.Depts, d)
	}
	switch c.QueryParam("done") {
	case "added", "removed", "announce":
		v.Done = "roles.done." + c.QueryParam("done")
	}
	return v, nil
}

// adminRoles is GET /admin/roles.
func (s *server) adminRoles(c echo.Context) error {
	v, err := s.newAdminRolesView(c)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return s.render(c, http.StatusOK, pageAdminRoles, tmplContent, v)
}

// changeRole is POST /admin/roles: op=add|remove, role=moderator|editor,
// id=provider:subject, dept (editors). Roles of the file cannot be removed.
func (s *server) changeRole(c echo.Context) error {
	u := userOf(c)
	op, role := c.FormValue("op"), c.FormValue("role")
	id := strings.TrimSpace(c.FormValue("id"))
	dept := strings.TrimSpace(c.FormValue("dept"))
	bad := func(key string) error {
		v, err := s.newAdminRolesView(c)
		if err != nil {
			return err
		}
		v.Error = mustT(v.Lang, key)
		return s.render(c, http.StatusUnprocessableEntity, pageAdminRoles, tmplContent, v)
	}
	if err := auth.CheckGrantID(id); err != nil {
		return bad("roles.error.id")
	}
	if (op != "add" && op != "remove") || (role != "moderator" && role != "editor") {
		return bad("roles.error.op")
	}
	if role == "editor" && auth.CheckGrantDepartment(dept) != nil {
		return bad("roles.error.dept")
	}
	if op == "remove" {
		fileRole := (role == "moderator" && s.auth.Roles.IsFileModerator(id)) ||
			(role == "editor" && slices.Contains(s.auth.Roles.EditorsOf(dept), id))
		if fileRole {
			v, err := s.newAdminRolesView(c)
			if err != nil {
				return err
			}
			v.Error = mustT(v.Lang, "roles.error.file")
			return s.render(c, http.StatusConflict, pageAdminRoles, tmplContent, v)
		}
	}
	err := s.auth.Grants.Update(c.Request().Context(), func(g *auth.GrantSet) error {
		switch {
		case role == "moderator" && op == "add":
			g.Moderators = append(g.Moderators, id)
		case role == "moderator":
			g.Moderators = slices.DeleteFunc(g.Moderators, func(x string) bool { return x == id })
		case op == "add":
			if g.Editors == nil {
				g.Editors = map[string][]string{}
			}
			g.Editors[dept] = append(g.Editors[dept], id)
		default:
			g.Editors[dept] = slices.DeleteFunc(g.Editors[dept], func(x string) bool { return x == id })
		}
		return nil
	})
	if errors.Is(err, auth.ErrInvalidGrant) {
		return bad("roles.error.id")
	}
	if err != nil {
		return fmt.Errorf("change role: %w", err)
	}
	detail := role
	if role == "editor" {
		detail = "editor:" + dept
	}
	s.record(c, audit.Entry{Actor: u.ID, Action: "role." + op, Target: "user:" + id, Detail: detail})
	done := "added"
	if op == "remove" {
		done = "removed"
	}
	return c.Redirect(http.StatusSeeOther, "/admin/roles?"+url.Values{"done": {done}}.Encode())
}

// changeAnnounceAll is POST /admin/roles/announce: dept, on=1|0 — whether
// the department's editors may address an announcement to everyone.
func (s *server) changeAnnounceAll(c echo.Context) error {
	u := userOf(c)
	dept := strings.TrimSpace(c.FormValue("dept"))
	on := c.FormValue("on") == "1"
	if auth.CheckGrantDepartment(dept) != nil {
		v, err := s.newAdminRolesView(c)
		if err != nil {
			return err
		}
		v.Error = mustT(v.Lang, "roles.error.dept")
		return s.render(c, http.StatusUnprocessableEntity, pageAdminRoles, tmplContent, v)
	}
	err := s.auth.Grants.Update(c.Request().Context(), func(g *auth.GrantSet) error {
		g.AnnounceAll = slices.DeleteFunc(g.AnnounceAll, func(x string) bool { return x == dept })
		if on {
			g.AnnounceAll = append(g.AnnounceAll, dept)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("announce-to-everyone permission: %w", err)
	}
	action := "department.announce_all.off"
	if on {
		action = "department.announce_all.on"
	}
	s.record(c, audit.Entry{Actor: u.ID, Action: action, Target: "department:" + dept})
	return c.Redirect(http.StatusSeeOther, "/admin/roles?done=announce")
}
