package web

import (
	"fmt"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/audit"
)

// auditLimit is how many of the newest audit entries the admin page shows.
const auditLimit = 200

// auditView is the data of the audit log page.
type auditView struct {
	base
	Entries   []audit.Entry
	Reindexed int  // packs indexed by the reindex just run; -1 when none ran
	Partial   bool // some packs could not be indexed
}

// auditPage shows the newest audit entries and the reindex button (admins).
func (s *server) auditPage(c echo.Context) error {
	entries, err := s.auth.Audit.List(c.Request().Context(), auditLimit)
	if err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	v := auditView{base: s.newBase(c, langOf(c), "audit.title"), Entries: entries, Reindexed: -1}
	v.Nav = "admin"
	if n, err := strconv.Atoi(c.QueryParam("reindexed")); err == nil && n >= 0 {
		v.Reindexed, v.Partial = n, c.QueryParam("partial") == "1"
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return s.render(c, http.StatusOK, pageAudit, tmplContent, v)
}

// reindex rebuilds the search index from the store (admins) and returns to
// the audit page with the count. Packs that fail to parse are skipped and
// reported; a failure of the index itself is an error.
func (s *server) reindex(c echo.Context) error {
	u := userOf(c)
	n, err := s.reindexAll(c.Request().Context())
	partial := err != nil && n > 0
	if err != nil && !partial {
		return fmt.Errorf("reindex: %w", err)
	}
	if partial {
		s.log.Warn("reindex skipped some documents", slog.Int("indexed", n), slog.Any("err", err))
	}
	detail := fmt.Sprintf("%d documents", n)
	target := "/admin/audit?reindexed=" + strconv.Itoa(n)
	if partial {
		detail += " (some skipped)"
		target += "&partial=1"
	}
	s.record(c, audit.Entry{Actor: u.ID, Action: "admin.reindex", Target: "index", Detail: detail})
	return c.Redirect(http.StatusSeeOther, target)
}
