package web

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/jobs"
	"github.com/jinnang/jinnang/portal/store/record"
)

const pageHealth = "health"

func init() { pageNames = append(pageNames, pageHealth) }

// maxBadShown bounds the bad records the health page lists.
const maxBadShown = 200

// healthSection is one part of /admin/health: a titled table. Features add
// a section by appending a healthSource to server.health (see healthRoutes).
type healthSection struct {
	ID      string // HTML id of the section
	Title   string
	Intro   string
	Empty   string // shown when there are no rows
	Columns []string
	Rows    [][]string
}

// healthSource fills one section of the health page.
type healthSource func(ctx context.Context, l Lang) (healthSection, error)

// healthView is the data of the health page.
type healthView struct {
	base
	Sections []healthSection
}

// healthRoutes registers the admin health page and its sections.
func (s *server) healthRoutes(get func(string, echo.HandlerFunc, ...echo.MiddlewareFunc)) {
	if s.badRecords != nil {
		s.health = append(s.health, s.badRecordSection)
	}
	if s.jobs != nil {
		s.health = append(s.health, s.jobSection)
	}
	if s.media != nil {
		s.health = append(s.health, s.mediaSection)
	}
	get("/admin/health", s.healthPage, requireAdmin)
}

// healthPage is GET /admin/health: each section in turn. A section that
// fails shows its error instead of failing the page.
func (s *server) healthPage(c echo.Context) error {
	l := langOf(c)
	v := healthView{base: s.newBase(c, l, "health.title")}
	for _, src := range s.health {
		sec, err := src(c.Request().Context(), l)
		if err != nil {
			if unavailable(err) {
				return err
			}
			sec.Intro = mustT(l, "health.section.failed")
			s.log.Warn("health section failed", "section", sec.ID, "err", err)
		}
		v.Sections = append(v.Sections, sec)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return s.render(c, http.StatusOK, pageHealth, tmplContent, v)
}

// badRecordSection lists the records that lists skipped because they could
// not be read (record.Report).
func (s *server) badRecordSection(ctx context.Context, l Lang) (healthSection, error) {
	sec := healthSection{ID: "bad-records", Title: mustT(l, "health.bad.title"), Intro: mustT(l, "health.bad.intro"),
		Empty:   mustT(l, "health.bad.empty"),
		Columns: []string{mustT(l, "health.bad.key"), mustT(l, "health.bad.reason"), mustT(l, "health.bad.at")}}
	bad, err := s.badRecords(ctx, maxBadShown)
	if err != nil {
		return sec, fmt.Errorf("bad records: %w", err)
	}
	for _, b := range bad {
		sec.Rows = append(sec.Rows, []string{b.Key, b.Reason, b.At.Local().Format("2006-01-02 15:04:05")})
	}
	return sec, nil
}

// BadRecords lists reported bad records (record.BadRecords over the store).
type BadRecords func(ctx context.Context, limit int) ([]record.Bad, error)

// Jobs is the background scheduler as the health page sees it (jobs.Scheduler).
type Jobs interface {
	Statuses(ctx context.Context) ([]jobs.Status, error)
}

// jobSection lists every background job with its last run, by whichever
// process ran it.
func (s *server) jobSection(ctx context.Context, l Lang) (healthSection, error) {
	sec := healthSection{ID: "jobs", Title: mustT(l, "health.jobs.title"), Intro: mustT(l, "health.jobs.intro"),
		Empty: mustT(l, "health.jobs.empty"),
		Columns: []string{mustT(l, "health.jobs.job"), mustT(l, "health.jobs.every"), mustT(l, "health.jobs.start"),
			mustT(l, "health.jobs.took"), mustT(l, "health.jobs.result"), mustT(l, "health.jobs.holder")}}
	sts, err := s.jobs.Statuses(ctx)
	for _, st := range sts {
		every := mustT(l, "health.jobs.onDemand")
		if st.Every > 0 {
			every = st.Every.String()
		}
		if st.Local {
			every += " " + mustT(l, "health.jobs.local")
		}
		row := []string{st.Job, every, mustT(l, "health.jobs.never"), "", "", ""}
		if r := st.Last; r != nil {
			result := mustT(l, "health.jobs.ok")
			if !r.OK() {
				result = mustT(l, "health.jobs.failed") + r.Error
			}
			if !r.Start.IsZero() {
				row[2] = r.Start.Local().Format("2006-01-02 15:04:05")
				row[3] = r.Duration.Round(time.Millisecond).String()
			}
			row[4], row[5] = result, r.Holder
		}
		sec.Rows = append(sec.Rows, row)
	}
	if err != nil {
		return sec, fmt.Errorf("jobs: %w", err)
	}
	return sec, nil
}
