package web

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/audit"
	"github.com/jinnang/jinnang/portal/auth"
	"github.com/jinnang/jinnang/portal/packs"
	"github.com/jinnang/jinnang/portal/paths"
	"github.com/jinnang/jinnang/portal/people"
	"github.com/jinnang/jinnang/portal/store"
)

// Paths is what the web layer needs from reading paths (*paths.Service).
type Paths interface {
	Create(ctx context.Context, p paths.Path) (*paths.Path, error)
	Update(ctx context.Context, p paths.Path, ifMatch string) (*paths.Path, error)
	Delete(ctx context.Context, id string) error
	Get(ctx context.Context, id string) (*paths.Path, error)
	List(ctx context.Context) ([]paths.Path, error)
	For(ctx context.Context, person paths.Person) ([]paths.Path, error)
	Done(ctx context.Context, userID string, p *paths.Path) ([]bool, error)
	MarkRead(ctx context.Context, person paths.Person, stepKey string) (bool, error)
	Readers(ctx context.Context, id string) (map[string]paths.Reader, error)
}

// Directory is who is in which department (*people.Directory).
type Directory interface {
	Join(ctx context.Context, id, name, dept string) error
	Members(ctx context.Context, dept string) ([]people.Member, error)
	Departments(ctx context.Context) ([]string, error)
}

var (
	_ Paths     = (*paths.Service)(nil)
	_ Directory = (*people.Directory)(nil)
)

// The reading-path pages.
const (
	pagePaths      = "paths"
	pagePath       = "path"
	pagePathForm   = "pathform"
	pagePathReport = "pathreport"
	// homePaths bounds the paths the home page shows progress for.
	homePaths = 3
)

func init() {
	pageNames = append(pageNames, pagePaths, pagePath, pagePathForm, pagePathReport)
}

// joinDirectory records the signed-in person in the directory (best effort).
func (s *server) joinDirectory(ctx context.Context, u auth.User) {
	if s.people == nil {
		return
	}
	if err := s.people.Join(ctx, u.ID, u.Name, u.Department); err != nil {
		s.log.Warn("directory join", slog.String("user", u.ID), slog.Any("err", err))
	}
}

// canReport reports whether u may see who is behind on path p: admins, HR's
// editors and the path's author.
func canReport(u *auth.User, p *paths.Path) bool {
	return canHandleSuggestions(u) || (u != nil && p != nil && p.By == u.ID)
}

// pathsRoutes registers the reading-path routes.
func (s *server) pathsRoutes(get, write func(string, echo.HandlerFunc, ...echo.MiddlewareFunc)) {
	if s.paths == nil {
		return
	}
	get("/paths", s.pathList)
	get("/paths/new", s.newPathForm, requireEditor)
	write("/paths/new", s.createPath, requireEditor)
	get("/paths/:id", s.pathPage)
	get("/paths/:id/edit", s.editPathForm, requireEditor)
	write("/paths/:id/edit", s.savePath, requireEditor)
	write("/paths/:id/delete", s.deletePath, requireEditor)
	write("/paths/:id/read", s.readStep)
	get("/paths/:id/report", s.pathReport)
	get("/paths/:id/report.csv", s.pathReportCSV)
}

// personOf is the signed-in user as a reader of paths (first sign-in from
// the profile, for the new-hire audience).
func (s *server) personOf(c echo.Context) paths.Person {
	u := userOf(c)
	p := paths.Person{ID: u.ID, Name: u.Name, Department: u.Department}
	if prof, err := s.auth.Users.Get(c.Request().Context(), u.ID); err == nil {
		p.Joined = prof.FirstSeen
	}
	return p
}

// pathProgress is one path with the reader's progress.
type pathProgress struct {
	Path    paths.Path
	Done    []bool
	Read    int
	Total   int
	Percent int
	Next    *paths.Step
	NextURL string
}

func (s *server) progressOf(ctx context.Context, userID string, p paths.Path) (pathProgress, error) {
	done, err := s.paths.Done(ctx, userID, &p)
	if err != nil {
		return pathProgress{}, err
	}
	pp := pathProgress{Path: p, Done: done, Total: len(p.Steps)}
	for i, d := range done {
		if d {
			pp.Read++
		} else if pp.Next == nil {
			pp.Next = &p.Steps[i]
			pp.NextURL = stepURL(p.ID, p.Steps[i])
		}
	}
	if pp.Total > 0 {
		pp.Percent = pp.Read * 100 / pp.Total
	}
	return pp, nil
}

// stepURL is where a step is read, carrying the path so the page offers
// "读完了，下一篇".
func stepURL(pathID string, st paths.Step) string {
	q := "?" + url.Values{"path": {pathID}}.Encode()
	if st.Kind == paths.KindFile {
		return fileURL(st.Ref) + q
	}
	return "/packs/" + url.PathEscape(st.Ref) + q
}

// homePathList is the reader's paths with progress, for the home page.
func (s *server) homePathList(c echo.Context) ([]pathProgress, error) {
	if s.paths == nil || userOf(c) == nil {
		return nil, nil
	}
	ctx := c.Request().Context()
	mine, err := s.paths.For(ctx, s.personOf(c))
	if err != nil {
		return nil, fmt.Errorf("home: reading paths: %w", err)
	}
	var out []pathProgress
	for _, p := range mine {
		if len(out) == homePaths {
			break
		}
		pp, err := s.progressOf(ctx, userOf(c).ID, p)
		if err != nil {
			return nil, fmt.Errorf("home: path progress: %w", err)
		}
		if pp.Read < pp.Total {
			out = append(out, pp)
		}
	}
	return out, nil
}

// pathStep is where a pack page stands on the path the reader came from.
type pathStep struct {
	Path     *paths.Path
	Index    int // 0-based
	Done     bool
	NextURL  string // "" on the last step
	NextName string
	ReadURL  string
}

func (p *pathStep) etag() string {
	return fmt.Sprintf("%s/%s/%d/%t", p.Path.ID, p.Path.ETag, p.Index, p.Done)
}

// pathStepFor reads ?path= on a pack (or file) page: the path and the step
// this page is, or nil when the page is not on that path.
func (s *server) pathStepFor(c echo.Context, slug string) (*pathStep, error) {
	return s.pathStepOf(c, paths.Step{Kind: paths.KindPack, Ref: slug})
}

func (s *server) pathStepOf(c echo.Context, st paths.Step) (*pathStep, error) {
	id := c.QueryParam("path")
	if s.paths == nil || id == "" || userOf(c) == nil {
		return nil, nil
	}
	ctx := c.Request().Context()
	p, err := s.paths.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading path %s: %w", id, err)
	}
	i := p.Index(st.Key())
	if i < 0 {
		return nil, nil
	}
	done, err := s.paths.Done(ctx, userOf(c).ID, &paths.Path{Steps: p.Steps[i : i+1]})
	if err != nil {
		return nil, err
	}
	ps := &pathStep{Path: p, Index: i, Done: done[0], ReadURL: "/paths/" + p.ID + "/read"}
	if i+1 < len(p.Steps) {
		ps.NextURL, ps.NextName = stepURL(p.ID, p.Steps[i+1]), p.Steps[i+1].Title
	}
	return ps, nil
}

// readStep is POST /paths/:id/read (step=<kind:ref>): "读完了，下一篇" —
// marks the step read and goes on to the next step (or the path's page).
func (s *server) readStep(c echo.Context) error {
	ctx := c.Request().Context()
	p, err := s.paths.Get(ctx, c.Param("id"))
	if err != nil {
		return fmt.Errorf("reading path: %w", err)
	}
	key := c.FormValue("step")
	i := p.Index(key)
	if i < 0 {
		return &Error{Status: http.StatusBadRequest, Public: "error.400", Cause: fmt.Errorf("step %q not on path %s", key, p.ID)}
	}
	if _, err := s.paths.MarkRead(ctx, s.personOf(c), key); err != nil {
		return fmt.Errorf("mark read: %w", err)
	}
	if i+1 < len(p.Steps) && c.FormValue("next") != "0" {
		return c.Redirect(http.StatusSeeOther, stepURL(p.ID, p.Steps[i+1]))
	}
	return c.Redirect(http.StatusSeeOther, "/paths/"+p.ID)
}

// pathsView is the data of /paths.
type pathsView struct {
	base
	Mine   []pathProgress
	All    []paths.Path
	NewURL string
}

// pathList is GET /paths: the reader's paths with progress; editors also
// see every path to manage it.
func (s *server) pathList(c echo.Context) error {
	ctx := c.Request().Context()
	u := userOf(c)
	mine, err := s.paths.For(ctx, s.personOf(c))
	if err != nil {
		return fmt.Errorf("reading paths: %w", err)
	}
	v := pathsView{base: s.newBase(c, langOf(c), "paths.title")}
	v.Nav = "paths"
	for _, p := range mine {
		pp, err := s.progressOf(ctx, u.ID, p)
		if err != nil {
			return err
		}
		v.Mine = append(v.Mine, pp)
	}
	if u.IsEditor() {
		v.NewURL = "/paths/new"
		if v.All, err = s.paths.List(ctx); err != nil {
			return err
		}
	}
	return s.render(c, http.StatusOK, pagePaths, tmplContent, v)
}

// pathView is the data of one path's page.
type pathView struct {
	base
	Progress  pathProgress
	Steps     []pathStepRow
	CanEdit   bool
	CanReport bool
}

type pathStepRow struct {
	paths.Step
	URL  string
	Done bool
}

// pathPage is GET /paths/:id: the steps in order, ticked when read.
func (s *server) pathPage(c echo.Context) error {
	ctx := c.Request().Context()
	p, err := s.paths.Get(ctx, c.Param("id"))
	if err != nil {
		return fmt.Errorf("reading path: %w", err)
	}
	u := userOf(c)
	pp, err := s.progressOf(ctx, u.ID, *p)
	if err != nil {
		return err
	}
	v := pathView{base: s.newBase(c, langOf(c), "path.title", p.Title), Progress: pp, CanEdit: canEditPath(u, p), CanReport: canReport(u, p)}
	v.Nav = "paths"
	for i, st := range p.Steps {
		v.Steps = append(v.Steps, pathStepRow{Step: st, URL: stepURL(p.ID, st), Done: pp.Done[i]})
	}
	return s.render(c, http.StatusOK, pagePath, tmplContent, v)
}

func canEditPath(u *auth.User, p *paths.Path) bool {
	return u.IsAdmin() || canHandleSuggestions(u) || (p != nil && p.By == u.ID)
}

// pathFormView is the data of the path form.
type pathFormView struct {
	base
	IsNew       bool
	Action      string
	ID, ETag    string
	PathTitle   string
	Intro       string
	Departments string
	Audience    string
	Steps       string
	Errors      map[string]string
	DeleteURL   string
}

// newPathForm is GET /paths/new.
func (s *server) newPathForm(c echo.Context) error {
	v := pathFormView{base: s.newBase(c, langOf(c), "pathform.new"), IsNew: true, Action: "/paths/new", Audience: paths.AudienceNewHire, Errors: map[string]string{}}
	v.Nav = "paths"
	return s.render(c, http.StatusOK, pagePathForm, tmplContent, v)
}

// editPathForm is GET /paths/:id/edit.
func (s *server) editPathForm(c echo.Context) error {
	p, err := s.editablePath(c)
	if err != nil {
		return err
	}
	v := pathFormView{base: s.newBase(c, langOf(c), "pathform.edit", p.Title), Action: "/paths/" + p.ID + "/edit", ID: p.ID, ETag: p.ETag,
		PathTitle: p.Title, Intro: p.Intro, Departments: strings.Join(p.Departments, "，"), Audience: p.Audience, Errors: map[string]string{},
		DeleteURL: "/paths/" + p.ID + "/delete"}
	var lines []string
	for _, st := range p.Steps {
		lines = append(lines, stepLine(st))
	}
	v.Steps = strings.Join(lines, "\n")
	v.Nav = "paths"
	return s.render(c, http.StatusOK, pagePathForm, tmplContent, v)
}

// stepLine is how the form shows a step: the address of the pack or file.
func stepLine(st paths.Step) string {
	if st.Kind == paths.KindFile {
		return "/files/" + st.Ref
	}
	return "/packs/" + st.Ref
}

func (s *server) editablePath(c echo.Context) (*paths.Path, error) {
	p, err := s.paths.Get(c.Request().Context(), c.Param("id"))
	if err != nil {
		return nil, fmt.Errorf("reading path: %w", err)
	}
	if u := userOf(c); !canEditPath(u, p) {
		return nil, forbidden(fmt.Errorf("%s may not edit path %s", u.ID, p.ID))
	}
	return p, nil
}

// parseSteps turns the form's lines (pack or file addresses, or bare pack
// slugs) into steps with their current titles; bad lines are reported by
// number.
func (s *server) parseSteps(ctx context.Context, l Lang, text string) ([]paths.Step, string) {
	var out []paths.Step
	n := 0
	for line := range strings.SplitSeq(text, "\n") {
		n++
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if u, err := url.Parse(line); err == nil && u.Path != "" {
			line = u.Path
		}
		line = strings.TrimSuffix(line, "/")
		var st paths.Step
		switch {
		case strings.HasPrefix(line, "/files/") && s.files != nil:
			id := strings.TrimPrefix(line, "/files/")
			f, err := s.files.Get(ctx, id)
			if err != nil {
				return nil, mustT(l, "pathform.steps.bad", n, line)
			}
			st = paths.Step{Kind: paths.KindFile, Ref: id, Title: f.Title}
		default:
			slug := strings.TrimPrefix(line, "/packs/")
			if s.editor != nil {
				if to, err := s.editor.Resolve(ctx, slug); err == nil {
					slug = to
				}
			}
			p, err := s.packs.Get(ctx, slug)
			if err != nil || !packs.ValidSlug(slug) {
				return nil, mustT(l, "pathform.steps.bad", n, line)
			}
			st = paths.Step{Kind: paths.KindPack, Ref: slug, Title: p.Meta.Title}
		}
		if slices.ContainsFunc(out, func(o paths.Step) bool { return o.Key() == st.Key() }) {
			return nil, mustT(l, "pathform.steps.dup", n, line)
		}
		out = append(out, st)
	}
	switch {
	case len(out) == 0:
		return nil, mustT(l, "pathform.steps.empty")
	case len(out) > paths.MaxSteps:
		return nil, mustT(l, "pathform.steps.many", paths.MaxSteps)
	}
	return out, ""
}

// readPathForm reads and checks the form into v.
func (s *server) readPathForm(c echo.Context, v *pathFormView) (paths.Path, bool) {
	u := userOf(c)
	v.PathTitle = strings.TrimSpace(c.FormValue("title"))
	v.Intro = strings.TrimSpace(strings.ReplaceAll(c.FormValue("intro"), "\r\n", "\n"))
	v.Departments = c.FormValue("departments")
	v.Audience = c.FormValue("audience")
	v.Steps = strings.ReplaceAll(c.FormValue("steps"), "\r\n", "\n")
	v.ETag = c.FormValue("etag")
	if v.PathTitle == "" || len([]rune(v.PathTitle)) > paths.MaxTitle {
		v.Errors["title"] = mustT(v.Lang, "pathform.title.bad", paths.MaxTitle)
	}
	if len([]rune(v.Intro)) > paths.MaxIntro {
		v.Errors["intro"] = mustT(v.Lang, "pathform.intro.long", paths.MaxIntro)
	}
	steps, msg := s.parseSteps(c.Request().Context(), v.Lang, v.Steps)
	if msg != "" {
		v.Errors["steps"] = msg
	}
	p := paths.Path{ID: v.ID, Title: v.PathTitle, Intro: v.Intro, Departments: splitList(v.Departments), Audience: v.Audience, Steps: steps,
		By: u.ID, ByName: u.Name}
	return p, len(v.Errors) == 0
}

// createPath is POST /paths/new.
func (s *server) createPath(c echo.Context) error {
	v := pathFormView{base: s.newBase(c, langOf(c), "pathform.new"), IsNew: true, Action: "/paths/new", Errors: map[string]string{}}
	v.Nav = "paths"
	p, ok := s.readPathForm(c, &v)
	if !ok {
		return s.render(c, http.StatusUnprocessableEntity, pagePathForm, tmplContent, v)
	}
	saved, err := s.paths.Create(c.Request().Context(), p)
	if err != nil {
		return fmt.Errorf("create path: %w", err)
	}
	s.record(c, audit.Entry{Actor: userOf(c).ID, Action: "path.create", Target: "path:" + saved.ID, Detail: saved.Title})
	return c.Redirect(http.StatusSeeOther, "/paths/"+saved.ID)
}

// savePath is POST /paths/:id/edit (If-Match on the path's ETag).
func (s *server) savePath(c echo.Context) error {
	cur, err := s.editablePath(c)
	if err != nil {
		return err
	}
	v := pathFormView{base: s.newBase(c, langOf(c), "pathform.edit", cur.Title), Action: "/paths/" + cur.ID + "/edit", ID: cur.ID,
		Errors: map[string]string{}, DeleteURL: "/paths/" + cur.ID + "/delete"}
	v.Nav = "paths"
	p, ok := s.readPathForm(c, &v)
	if !ok {
		return s.render(c, http.StatusUnprocessableEntity, pagePathForm, tmplContent, v)
	}
	saved, err := s.paths.Update(c.Request().Context(), p, v.ETag)
	if errors.Is(err, store.ErrPrecondition) {
		v.ETag = cur.ETag
		v.Errors["title"] = mustT(v.Lang, "announce.conflict")
		return s.render(c, http.StatusConflict, pagePathForm, tmplContent, v)
	}
	if err != nil {
		return fmt.Errorf("save path: %w", err)
	}
	s.record(c, audit.Entry{Actor: userOf(c).ID, Action: "path.update", Target: "path:" + saved.ID, Detail: saved.Title})
	return c.Redirect(http.StatusSeeOther, "/paths/"+saved.ID)
}

// deletePath is POST /paths/:id/delete.
func (s *server) deletePath(c echo.Context) error {
	p, err := s.editablePath(c)
	if err != nil {
		return err
	}
	if err := s.paths.Delete(c.Request().Context(), p.ID); err != nil {
		return fmt.Errorf("delete path: %w", err)
	}
	s.record(c, audit.Entry{Actor: userOf(c).ID, Action: "path.delete", Target: "path:" + p.ID, Detail: p.Title})
	return c.Redirect(http.StatusSeeOther, "/paths")
}

// deptProgress is one department's line of the report.
type deptProgress struct {
	Department string
	Members    int
	Completed  int
	Started    int
	Percent    int
	Behind     []behindRow
}

type behindRow struct {
	ID, Name, Department string
	Read                 int
	Last                 time.Time
}

// pathReportView is the data of the HR report.
type pathReportView struct {
	base
	Path   *paths.Path
	Depts  []deptProgress
	CSVURL string
	Total  int
}

// report computes completion per department and who is behind (named):
// one roster read per department and one progress read, however many people.
func (s *server) report(c echo.Context) (*paths.Path, []deptProgress, error) {
	ctx := c.Request().Context()
	p, err := s.paths.Get(ctx, c.Param("id"))
	if err != nil {
		return nil, nil, fmt.Errorf("reading path: %w", err)
	}
	if u := userOf(c); !canReport(u, p) {
		return nil, nil, forbidden(fmt.Errorf("%s may not see the report of path %s", u.ID, p.ID))
	}
	readers, err := s.paths.Readers(ctx, p.ID)
	if err != nil {
		return nil, nil, err
	}
	depts := p.Departments
	if len(depts) == 0 && s.people != nil {
		if depts, err = s.people.Departments(ctx); err != nil {
			return nil, nil, err
		}
	}
	now := s.now()
	var out []deptProgress
	for _, d := range depts {
		dp := deptProgress{Department: d}
		var members []people.Member
		if s.people != nil {
			if members, err = s.people.Members(ctx, d); err != nil {
				return nil, nil, err
			}
		}
		for _, m := range members {
			if !p.For(paths.Person{ID: m.ID, Department: d, Joined: m.Joined}, now) {
				continue
			}
			dp.Members++
			r := readers[m.ID]
			n := p.Count(r)
			switch {
			case n >= len(p.Steps):
				dp.Completed++
				continue
			case n > 0:
				dp.Started++
			}
			dp.Behind = append(dp.Behind, behindRow{ID: m.ID, Name: m.Name, Department: d, Read: n, Last: r.Last})
		}
		if dp.Members > 0 {
			dp.Percent = dp.Completed * 100 / dp.Members
		}
		slices.SortStableFunc(dp.Behind, func(a, b behindRow) int { return a.Read - b.Read })
		out = append(out, dp)
	}
	return p, out, nil
}

// pathReport is GET /paths/:id/report: for HR, completion per department and
// who has not finished, by name.
func (s *server) pathReport(c echo.Context) error {
	p, depts, err := s.report(c)
	if err != nil {
		return err
	}
	v := pathReportView{base: s.newBase(c, langOf(c), "pathreport.title", p.Title), Path: p, Depts: depts, CSVURL: "/paths/" + p.ID + "/report.csv", Total: len(p.Steps)}
	v.Nav = "paths"
	return s.render(c, http.StatusOK, pagePathReport, tmplContent, v)
}

// pathReportCSV is GET /paths/:id/report.csv: everyone targeted, with how
// many steps they read.
func (s *server) pathReportCSV(c echo.Context) error {
	p, depts, err := s.report(c)
	if err != nil {
		return err
	}
	l := langOf(c)
	var buf bytes.Buffer
	buf.WriteString("\uFEFF") // Excel reads UTF-8 with a BOM
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{mustT(l, "pathreport.csv.dept"), mustT(l, "pathreport.csv.name"), mustT(l, "pathreport.csv.id"),
		mustT(l, "pathreport.csv.read"), mustT(l, "pathreport.csv.total"), mustT(l, "pathreport.csv.last")})
	for _, d := range depts {
		for _, b := range d.Behind {
			last := ""
			if !b.Last.IsZero() {
				last = b.Last.Local().Format("2006-01-02 15:04")
			}
			_ = w.Write([]string{csvSafe(d.Department), csvSafe(b.Name), csvSafe(b.ID), strconv.Itoa(b.Read), strconv.Itoa(len(p.Steps)), last})
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Content-Disposition", `attachment; filename="path-`+p.ID+`-`+s.now().Format("20060102")+`.csv"`)
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}

// csvSafe keeps a spreadsheet from reading a cell as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
