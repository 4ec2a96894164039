package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/audit"
)

// auditLimit is how many audit entries one page of the admin page shows:
// with the day listings it stays within the bound of store reads per view.
const auditLimit = 15

// auditKinds are the areas the audit page filters by (action prefixes).
var auditKinds = []string{"auth", "pack", "file", "path", "story", "announcement", "suggest", "poll", "department", "person", "directory", "wecom", "search", "admin", "role"}

// auditView is the data of the audit log page.
type auditView struct {
	base
	Entries   []audit.Entry
	Reindexed int  // packs indexed by the reindex just run; -1 when none ran
	Partial   bool // some packs could not be indexed
	Job       reindexStatus
	// The filters, as given, and the kinds to choose from.
	Kind, Person, Date string
	Kinds              []string
	// More is the URL of the next (older) page, empty on the last one.
	More string
	// Capped says the scan limit ended the page early; More continues it.
	Capped bool
	// Filtered says a filter or a cursor is in effect (a link back to the newest).
	Filtered bool
	// DateError is set when the date does not parse.
	DateError bool
}

// auditQuery builds the audit.Query of the page from its parameters
// (kind, person, date as YYYY-MM-DD: that day and older, before: a cursor).
func auditQuery(v *auditView, before string) audit.Query {
	q := audit.Query{Limit: auditLimit, Actor: v.Person, Before: before}
	if slices.Contains(auditKinds, v.Kind) {
		q.Kind = v.Kind
	} else {
		v.Kind = ""
	}
	if v.Date != "" {
		d, err := time.Parse("2006-01-02", v.Date)
		switch {
		case err != nil:
			v.DateError = true
		case q.Before == "":
			q.Before = d.AddDate(0, 0, 1).Format("2006/01/02") + "/"
		}
	}
	return q
}

// auditPage shows one page of the audit log, newest first, with filters and
// a link to older entries, and the reindex button (admins).
func (s *server) auditPage(c echo.Context) error {
	v := auditView{base: s.newBase(c, langOf(c), "audit.title"), Reindexed: -1, Kinds: auditKinds,
		Kind: strings.TrimSpace(c.QueryParam("kind")), Person: strings.TrimSpace(c.QueryParam("person")),
		Date: strings.TrimSpace(c.QueryParam("date"))}
	v.Nav = "admin"
	before := c.QueryParam("before")
	q := auditQuery(&v, before)
	p, err := s.auth.Audit.Page(c.Request().Context(), q)
	if errors.Is(err, audit.ErrCursor) {
		q.Before = ""
		p, err = s.auth.Audit.Page(c.Request().Context(), auditQuery(&v, ""))
	}
	if err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	v.Entries, v.Capped = p.Entries, p.Capped
	v.Filtered = v.Kind != "" || v.Person != "" || v.Date != "" || before != ""
	if p.Next != "" {
		u := url.Values{"before": {p.Next}}
		for k, x := range map[string]string{"kind": v.Kind, "person": v.Person, "date": v.Date} {
			if x != "" {
				u.Set(k, x)
			}
		}
		v.More = "/admin/audit?" + u.Encode()
	}
	if n, err := strconv.Atoi(c.QueryParam("reindexed")); err == nil && n >= 0 {
		v.Reindexed, v.Partial = n, c.QueryParam("partial") == "1"
	}
	v.Job = s.reindexJob.status()
	c.Response().Header().Set("Cache-Control", "no-store")
	return s.render(c, http.StatusOK, pageAudit, tmplContent, v)
}

// reindex starts rebuilding the search index (and the derived records)
// from the store in the background (admins) and returns to the audit page,
// which shows its progress and result. A second press while it runs starts
// nothing.
func (s *server) reindex(c echo.Context) error {
	u := userOf(c)
	started := s.startReindex(u)
	if started {
		s.record(c, audit.Entry{Actor: u.ID, Action: "admin.reindex.start", Target: "index", Detail: "started in the background"})
	}
	return c.Redirect(http.StatusSeeOther, "/admin/audit")
}
