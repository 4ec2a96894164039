package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/audit"
	"github.com/jinnang/jinnang/portal/notify"
	"github.com/jinnang/jinnang/portal/wecom"
)

// WeComCallback is the app's receive-message URL (*wecom.Callback).
type WeComCallback interface {
	Verify(ctx context.Context, q url.Values) ([]byte, error)
	Receive(ctx context.Context, q url.Values, body []byte) ([]byte, error)
}

// WeComAdmin is what the admin page needs from the WeCom channel: directory
// sync and mapping, and the outbox.
type WeComAdmin interface {
	Sync(ctx context.Context) (wecom.SyncStatus, error)
	LastSync(ctx context.Context) (wecom.SyncStatus, error)
	DepartmentList(ctx context.Context) ([]wecom.Department, time.Time, error)
	SetMapping(ctx context.Context, id int, portal string) error
	OutboxStatus(ctx context.Context, limit int) (wecom.Status, error)
}

const (
	// callbackURL is the receive-message URL admins register in WeCom.
	callbackURL = "/wecom/callback"
	// callbackBodyLimit bounds a callback POST (WeCom's are a few KB).
	callbackBodyLimit = 64 << 10
	pageAdminWeCom    = "adminwecom"
	problemsShown     = 20
)

// wecomRoutes registers the callback (public: WeCom's servers call it;
// the signature is the authentication) and the admin page.
func (s *server) wecomRoutes(match func([]string, string, echo.HandlerFunc, ...echo.MiddlewareFunc),
	get, write func(string, echo.HandlerFunc, ...echo.MiddlewareFunc)) {
	if s.wecomCB != nil {
		match([]string{http.MethodGet}, callbackURL, s.wecomVerify)
		match([]string{http.MethodPost}, callbackURL, s.wecomReceive)
	}
	if s.notify != nil || s.wecomAdmin != nil {
		get("/admin/wecom", s.adminWeCom, requireAdmin)
		write("/admin/wecom/groups", s.saveGroupHook, requireAdmin)
	}
	if s.wecomAdmin != nil {
		write("/admin/wecom/sync", s.syncDirectory, requireAdmin)
		write("/admin/wecom/mapping", s.saveMapping, requireAdmin)
	}
}

// callbackStatus maps a callback error to a status: a forged or broken
// request is refused; a replay gets an empty 200 so WeCom stops retrying
// and nothing happens twice.
func (s *server) callbackError(c echo.Context, err error) error {
	switch {
	case errors.Is(err, wecom.ErrReplay):
		s.log.Info("wecom callback replay ignored", slog.Any("err", err))
		return c.NoContent(http.StatusOK)
	case errors.Is(err, wecom.ErrSignature), errors.Is(err, wecom.ErrReceiver):
		return &Error{Status: http.StatusForbidden, Public: "error.403", Cause: err}
	case errors.Is(err, wecom.ErrMalformed):
		return &Error{Status: http.StatusBadRequest, Public: "error.400", Cause: err}
	}
	return err
}

// wecomVerify is GET /wecom/callback: WeCom's URL check.
func (s *server) wecomVerify(c echo.Context) error {
	plain, err := s.wecomCB.Verify(c.Request().Context(), c.QueryParams())
	if err != nil {
		return s.callbackError(c, err)
	}
	return c.Blob(http.StatusOK, "text/plain; charset=utf-8", plain)
}

// wecomReceive is POST /wecom/callback: a member's message or event,
// answered with the encrypted passive reply (or nothing).
func (s *server) wecomReceive(c echo.Context) error {
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, callbackBodyLimit+1))
	if err != nil {
		return bodyError(err)
	}
	if len(body) > callbackBodyLimit {
		return &Error{Status: http.StatusRequestEntityTooLarge, Public: "error.413", Cause: errors.New("wecom callback: body too large")}
	}
	reply, err := s.wecomCB.Receive(c.Request().Context(), c.QueryParams(), body)
	if err != nil {
		if errors.Is(err, wecom.ErrReplay) || errors.Is(err, wecom.ErrSignature) || errors.Is(err, wecom.ErrReceiver) || errors.Is(err, wecom.ErrMalformed) {
			return s.callbackError(c, err)
		}
		// The bot failed: WeCom would retry; an empty answer ends it.
		s.log.Error("wecom callback", slog.Any("err", err))
		return c.NoContent(http.StatusOK)
	}
	if reply == nil {
		return c.NoContent(http.StatusOK)
	}
	return c.Blob(http.StatusOK, "application/xml; charset=utf-8", reply)
}

// adminWeComView is the data of /admin/wecom.
type adminWeComView struct {
	base
	On          bool // the WeCom app is configured
	CallbackURL string
	Sync        *wecom.SyncStatus
	SyncedAt    time.Time
	Departments []wecom.Department
	Outbox      wecom.Status
	Problems    []problemRow
	Left        string // names of the people the last sync marked as left
	Hooks       []hookRow
	Notice      string
	Error       string
}

// problemRow is a WeCom problem with its ids joined for the page.
type problemRow struct {
	wecom.Problem
	Names string
}

// hookRow is one department's group robot on the admin page.
type hookRow struct {
	Department string
	Set        bool
	Masked     string // the webhook with its key hidden
}

// adminWeCom is GET /admin/wecom: WeCom status, directory sync, department
// mapping, group robots, and what WeCom refused.
func (s *server) adminWeCom(c echo.Context) error {
	v, err := s.newAdminWeComView(c)
	if err != nil {
		return err
	}
	switch c.QueryParam("done") {
	case "sync", "mapping", "groups":
		v.Notice = mustT(v.Lang, "wecom.admin.done."+c.QueryParam("done"))
	}
	return s.render(c, http.StatusOK, pageAdminWeCom, tmplContent, v)
}

func (s *server) newAdminWeComView(c echo.Context) (adminWeComView, error) {
	ctx := c.Request().Context()
	v := adminWeComView{base: s.newBase(c, langOf(c), "wecom.admin.title"), On: s.wecomAdmin != nil}
	v.Nav = "admin"
	v.CallbackURL = s.absURL(c, callbackURL)
	if s.wecomAdmin != nil {
		st, err := s.wecomAdmin.LastSync(ctx)
		switch {
		case err == nil:
			v.Sync = &st
			v.Left = strings.Join(st.Left, "、")
		case !errors.Is(err, wecom.ErrNotSynced):
			return v, fmt.Errorf("admin wecom: %w", err)
		}
		if v.Departments, v.SyncedAt, err = s.wecomAdmin.DepartmentList(ctx); err != nil && !errors.Is(err, wecom.ErrNotSynced) {
			return v, fmt.Errorf("admin wecom: %w", err)
		}
		if v.Outbox, err = s.wecomAdmin.OutboxStatus(ctx, problemsShown); err != nil {
			return v, fmt.Errorf("admin wecom: %w", err)
		}
		for _, p := range v.Outbox.Problems {
			v.Problems = append(v.Problems, problemRow{Problem: p, Names: strings.Join(p.IDs, "、")})
		}
	}
	if s.notify != nil {
		hooks, err := s.notify.GroupHooks(ctx)
		if err != nil {
			return v, fmt.Errorf("admin wecom: %w", err)
		}
		set := map[string]string{}
		for _, h := range hooks {
			set[h.Department] = h.URL
		}
		names, err := s.departmentNames(c)
		if err != nil {
			return v, err
		}
		for d := range set {
			names = append(names, d)
		}
		seen := map[string]bool{}
		for _, d := range names {
			if seen[d] {
				continue
			}
			seen[d] = true
			u, ok := set[d]
			v.Hooks = append(v.Hooks, hookRow{Department: d, Set: ok, Masked: maskHook(u)})
		}
	}
	return v, nil
}

// departmentNames lists the portal's department records.
func (s *server) departmentNames(c echo.Context) ([]string, error) {
	if s.files == nil {
		return nil, nil
	}
	ds, err := s.files.Departments(c.Request().Context())
	if err != nil {
		return nil, fmt.Errorf("departments: %w", err)
	}
	out := make([]string, 0, len(ds))
	for _, d := range ds {
		out = append(out, d.Name)
	}
	return out, nil
}

// maskHook shows a webhook without most of its key (the key is the secret).
func maskHook(u string) string {
	if u == "" {
		return ""
	}
	i := len(u) - 4
	if j := len("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key="); i > j {
		return u[:j] + "…" + u[i:]
	}
	return "…"
}

// syncDirectory is POST /admin/wecom/sync: sync the address book now.
func (s *server) syncDirectory(c echo.Context) error {
	u := userOf(c)
	st, err := s.wecomAdmin.Sync(c.Request().Context())
	detail := fmt.Sprintf("%d departments, %d people, %d left", st.Departments, st.People, len(st.Left))
	if err != nil {
		detail = err.Error()
	}
	s.record(c, audit.Entry{Actor: u.ID, Action: "wecom.sync", Target: "directory", Detail: detail})
	if err != nil {
		v, verr := s.newAdminWeComView(c)
		if verr != nil {
			return verr
		}
		v.Error = mustT(v.Lang, "wecom.admin.sync.failed", err.Error())
		return s.render(c, http.StatusBadGateway, pageAdminWeCom, tmplContent, v)
	}
	return c.Redirect(http.StatusSeeOther, "/admin/wecom?done=sync")
}

// saveMapping is POST /admin/wecom/mapping: WeCom department id → portal department.
func (s *server) saveMapping(c echo.Context) error {
	u := userOf(c)
	id, err := strconv.Atoi(c.FormValue("id"))
	portal, _ := cleanParam(c.FormValue("portal"))
	if err == nil {
		err = s.wecomAdmin.SetMapping(c.Request().Context(), id, portal)
	}
	if err != nil {
		return &Error{Status: http.StatusBadRequest, Public: "error.400", Cause: fmt.Errorf("wecom mapping: %w", err)}
	}
	s.record(c, audit.Entry{Actor: u.ID, Action: "wecom.mapping", Target: "wecom-department:" + strconv.Itoa(id), Detail: portal})
	return c.Redirect(http.StatusSeeOther, "/admin/wecom?done=mapping")
}

// saveGroupHook is POST /admin/wecom/groups: a department's group robot
// webhook, pasted from the group's settings ("" removes it).
func (s *server) saveGroupHook(c echo.Context) error {
	u := userOf(c)
	dept, _ := cleanParam(c.FormValue("department"))
	hook := c.FormValue("webhook")
	if s.notify == nil {
		return &Error{Status: http.StatusNotFound, Public: "error.404"}
	}
	err := s.notify.SetGroupHook(c.Request().Context(), dept, hook)
	if errors.Is(err, notify.ErrInvalid) {
		v, verr := s.newAdminWeComView(c)
		if verr != nil {
			return verr
		}
		v.Error = mustT(v.Lang, "wecom.admin.hook.invalid", dept)
		return s.render(c, http.StatusUnprocessableEntity, pageAdminWeCom, tmplContent, v)
	}
	if err != nil {
		return fmt.Errorf("group robot: %w", err)
	}
	detail := "set"
	if hook == "" {
		detail = "removed"
	}
	s.record(c, audit.Entry{Actor: u.ID, Action: "wecom.grouphook", Target: "department:" + dept, Detail: detail})
	return c.Redirect(http.StatusSeeOther, "/admin/wecom?done=groups")
}
