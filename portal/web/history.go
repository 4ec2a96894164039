package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/audit"
	"github.com/jinnang/jinnang/portal/markdown"
	"github.com/jinnang/jinnang/portal/packs"
	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/textdiff"
)

// The editor, history and freshness pages.
const (
	pageMerge   = "merge"
	pageHistory = "history"
	pageVersion = "version"
	pageDiff    = "diff"
	pageReview  = "review"
	pageOwners  = "owners"
)

func init() {
	pageNames = append(pageNames, pageMerge, pageHistory, pageVersion, pageDiff, pageReview, pageOwners)
}

// KnowledgeOptions configures freshness and reading paths.
type KnowledgeOptions struct {
	// StaleMonths is how long after its last check (最后核对) a pack shows
	// 内容可能已过时 and enters the 待核对 lists; 0 means 12.
	StaleMonths int
}

func (o KnowledgeOptions) withDefaults() KnowledgeOptions {
	if o.StaleMonths <= 0 {
		o.StaleMonths = 12
	}
	return o
}

// staleCutoff is the 最后核对 date before which a pack counts as stale.
func (s *server) staleCutoff() time.Time { return s.now().AddDate(0, -s.knowledge.StaleMonths, 0) }

// knowledgeRoutes registers the editor, history, freshness and trash routes.
func (s *server) knowledgeRoutes(get, write func(string, echo.HandlerFunc, ...echo.MiddlewareFunc), match func([]string, string, echo.HandlerFunc, ...echo.MiddlewareFunc)) {
	if s.editor == nil {
		return
	}
	// The editor form is multipart (it can carry a picture): its own body
	// limit first, then the CSRF check, which parses the form.
	editorPost := func(path string, h echo.HandlerFunc) {
		match([]string{http.MethodPost}, path, h, s.requireUser, maxBody(editorBodyLimit), s.requireCSRF, requireEditor)
	}
	get("/packs/new", s.newPackForm, requireEditor)
	get("/packs/:slug/edit", s.editPackForm, requireEditor)
	get("/drafts/:id", s.draftForm, requireEditor)
	get("/drafts/:id/images/:name", s.draftImage, requireEditor)
	get("/packs/:slug/images/:name", s.packImage)
	editorPost("/editor", s.submitEditor)
	editorPost("/editor/preview", s.previewFragment)
	editorPost("/editor/autosave", s.autosave)
	editorPost("/editor/image", s.uploadImage)
	get("/packs/:slug/history", s.historyPage)
	get("/packs/:slug/versions/:n", s.versionPage)
	get("/packs/:slug/diff", s.diffPage)
	write("/packs/:slug/versions/:n/restore", s.restoreVersion, requireEditor)
	write("/packs/:slug/state", s.changeState, requireEditor)
	write("/packs/:slug/review", s.markReviewed)
	get("/review", s.reviewPage)
	get("/admin/owners", s.ownersPage, requireAdmin)
	write("/admin/owners", s.ownerLeft, requireAdmin)
}

// historyView is the data of a pack's versions page.
type historyView struct {
	base
	Slug    string
	Meta    *packs.Meta
	Entries []packs.Entry
	Pager   pager
	CanEdit bool
}

// historyPage is GET /packs/:slug/history: who changed the pack when, with
// their notes, newest first; two radio columns choose versions to compare.
func (s *server) historyPage(c echo.Context) error {
	slug, err := pathParam(c, "slug")
	if err != nil {
		return err
	}
	vp, err := s.editor.History(c.Request().Context(), slug, pageParam(c))
	if err != nil {
		return s.maybeRenamed(c, slug, "/history", fmt.Errorf("history of %q: %w", slug, err))
	}
	v := historyView{base: s.newBase(c, langOf(c), "hist.title", vp.Meta.Title), Slug: slug, Meta: vp.Meta, Entries: vp.Entries,
		CanEdit: userOf(c).CanEdit(vp.Meta.Department)}
	v.Nav = "packs"
	v.Pager = newPagerParam("/packs/"+url.PathEscape(slug)+"/history", url.Values{}, "page", vp.Page, vp.Pages, 1)
	return s.render(c, http.StatusOK, pageHistory, tmplContent, v)
}

// maybeRenamed answers a request for a renamed pack's page with a redirect
// to the new slug (and the same sub-page), else returns err.
func (s *server) maybeRenamed(c echo.Context, slug, sub string, err error) error {
	if !errors.Is(err, store.ErrNotFound) || s.editor == nil {
		return err
	}
	to, rerr := s.editor.Resolve(c.Request().Context(), slug)
	if rerr != nil || to == slug {
		return err
	}
	target := "/packs/" + url.PathEscape(to) + sub
	if q := c.Request().URL.RawQuery; q != "" {
		target += "?" + q
	}
	return c.Redirect(http.StatusMovedPermanently, target)
}

// versionView is the data of one old version's page.
type versionView struct {
	base
	Slug    string
	N       int
	Entry   packs.Entry
	Current int
	Doc     markdown.Document
	CanEdit bool
}

func packVersionParam(c echo.Context, name string) int {
	n, err := strconv.Atoi(c.Param(name))
	if err != nil {
		n, _ = strconv.Atoi(c.QueryParam(name))
	}
	return n
}

// versionPage is GET /packs/:slug/versions/:n: an old version rendered.
func (s *server) versionPage(c echo.Context) error {
	slug, err := pathParam(c, "slug")
	if err != nil {
		return err
	}
	n := packVersionParam(c, "n")
	src, m, err := s.editor.Version(c.Request().Context(), slug, n)
	if err != nil {
		return fmt.Errorf("version %d of %q: %w", n, slug, err)
	}
	doc, err := s.md.ParseWith(slug+".md", src, markdown.Options{ImageBase: packs.ImageBase(slug)})
	if err != nil {
		return fmt.Errorf("render version %d of %q: %w", n, slug, err)
	}
	v := versionView{base: s.newBase(c, langOf(c), "hist.version.title", doc.Meta.Title, n), Slug: slug, N: n, Current: m.Versions, Doc: doc,
		CanEdit: userOf(c).CanEdit(m.Department)}
	for _, e := range m.Log {
		if e.N == n {
			v.Entry = e
		}
	}
	v.Nav = "packs"
	return s.render(c, http.StatusOK, pageVersion, tmplContent, v)
}

// diffView is the data of the comparison of two versions.
type diffView struct {
	base
	Slug              string
	A, B              int
	TitleOps, BodyOps []textdiff.Op
	Deleted, Inserted int
	Same              bool
}

// diffPage is GET /packs/:slug/diff?a=&b=: a word-level diff (Chinese reads
// character by character, Latin words whole) of any two versions.
func (s *server) diffPage(c echo.Context) error {
	slug, err := pathParam(c, "slug")
	if err != nil {
		return err
	}
	a, b := packVersionParam(c, "a"), packVersionParam(c, "b")
	if a > b {
		a, b = b, a
	}
	ctx := c.Request().Context()
	srcA, _, err := s.editor.Version(ctx, slug, a)
	if err != nil {
		return fmt.Errorf("diff %q: %w", slug, err)
	}
	srcB, _, err := s.editor.Version(ctx, slug, b)
	if err != nil {
		return fmt.Errorf("diff %q: %w", slug, err)
	}
	fa, ba, err := markdown.Split(slug+".md", srcA)
	if err != nil {
		return err
	}
	fb, bb, err := markdown.Split(slug+".md", srcB)
	if err != nil {
		return err
	}
	v := diffView{base: s.newBase(c, langOf(c), "hist.diff.title", fb.Title, a, b), Slug: slug, A: a, B: b,
		TitleOps: textdiff.Diff(fa.Title, fb.Title), BodyOps: textdiff.Diff(ba, bb)}
	v.Deleted, v.Inserted = textdiff.Stats(v.BodyOps)
	v.Same = v.Deleted == 0 && v.Inserted == 0 && fa.Title == fb.Title
	v.Nav = "packs"
	return s.render(c, http.StatusOK, pageDiff, tmplContent, v)
}

// restoreVersion is POST /packs/:slug/versions/:n/restore: a new version
// that copies version n.
func (s *server) restoreVersion(c echo.Context) error {
	slug, m, err := s.editablePack(c)
	if err != nil {
		return err
	}
	u := userOf(c)
	n := packVersionParam(c, "n")
	p, m, err := s.editor.Restore(c.Request().Context(), slug, n, u.ID, u.Name)
	if err != nil {
		return fmt.Errorf("restore version %d of %q: %w", n, slug, err)
	}
	s.record(c, audit.Entry{Actor: u.ID, Action: "pack.restore.version", Target: "pack:" + slug, Detail: fmt.Sprintf("v%d → v%d", n, m.Versions)})
	return s.afterWrite(c, u, p)
}

// changeState is POST /packs/:slug/state with to=archived|live|deleted|
// undeleted: archive, bring back, delete (restorable for 30 days) and
// undelete, each with an audit entry.
func (s *server) changeState(c echo.Context) error {
	ctx := c.Request().Context()
	u := userOf(c)
	slug, err := pathParam(c, "slug")
	if err != nil {
		return err
	}
	m, err := s.editor.Lookup(ctx, slug)
	if errors.Is(err, store.ErrNotFound) {
		m, err = s.editor.Prepare(ctx, slug)
	}
	if err != nil {
		return fmt.Errorf("pack %q: %w", slug, err)
	}
	if !u.CanEdit(m.Department) {
		return forbidden(fmt.Errorf("%s may not change %q of %s", u.ID, slug, m.Department))
	}
	var action string
	switch c.FormValue("to") {
	case "archived":
		action = "pack.archive"
		_, err = s.editor.Archive(ctx, slug, u.ID)
	case "live":
		action = "pack.unarchive"
		_, err = s.editor.Unarchive(ctx, slug, u.ID)
	case "deleted":
		action = "pack.delete"
		_, err = s.editor.Delete(ctx, slug, u.ID)
	case "undeleted":
		action = "pack.undelete"
		_, err = s.editor.Undelete(ctx, slug, u.ID)
	default:
		return &Error{Status: http.StatusBadRequest, Public: "error.400", Cause: fmt.Errorf("state %q", c.FormValue("to"))}
	}
	if errors.Is(err, packs.ErrState) {
		return &Error{Status: http.StatusConflict, Public: "hist.state.conflict", Cause: err}
	}
	if err != nil {
		return fmt.Errorf("%s %q: %w", action, slug, err)
	}
	s.record(c, audit.Entry{Actor: u.ID, Action: action, Target: "pack:" + slug})
	if action == "pack.delete" {
		return c.Redirect(http.StatusSeeOther, "/review?deleted="+url.QueryEscape(slug))
	}
	return c.Redirect(http.StatusSeeOther, "/packs/"+url.PathEscape(slug))
}

// markReviewed is POST /packs/:slug/review: the owner or an editor of the
// department confirms the pack is still right (最后核对 = today).
func (s *server) markReviewed(c echo.Context) error {
	ctx := c.Request().Context()
	u := userOf(c)
	slug, err := pathParam(c, "slug")
	if err != nil {
		return err
	}
	m, err := s.editor.Info(ctx, slug)
	if err != nil {
		return fmt.Errorf("review %q: %w", slug, err)
	}
	if !u.CanEdit(m.Department) && (m.Owner == "" || m.Owner != u.ID) {
		return forbidden(fmt.Errorf("%s may not review %q", u.ID, slug))
	}
	if _, err := s.editor.MarkReviewed(ctx, slug); err != nil {
		return fmt.Errorf("review %q: %w", slug, err)
	}
	s.record(c, audit.Entry{Actor: u.ID, Action: "pack.review", Target: "pack:" + slug})
	if c.FormValue("back") == "review" {
		return c.Redirect(http.StatusSeeOther, "/review")
	}
	return c.Redirect(http.StatusSeeOther, "/packs/"+url.PathEscape(slug)+"?reviewed=1")
}

// reviewView is the data of the 待核对 page.
type reviewView struct {
	base
	Items   []packs.LedgerItem
	Trash   []packs.Meta
	Months  int
	Deleted string
	Window  int
}

// reviewPage is GET /review: the packs the user owns or whose department
// they edit that were last checked more than StaleMonths ago, and the
// department's deleted packs that can still be restored.
func (s *server) reviewPage(c echo.Context) error {
	ctx := c.Request().Context()
	u := userOf(c)
	depts := u.EditorOf
	items, err := s.editor.ToReview(ctx, u.ID, depts, s.staleCutoff())
	if err != nil {
		return fmt.Errorf("待核对: %w", err)
	}
	v := reviewView{base: s.newBase(c, langOf(c), "review.title"), Items: items, Months: s.knowledge.StaleMonths,
		Window: int(packs.RestoreWindow.Hours() / 24)}
	v.Deleted, _ = cleanParam(c.QueryParam("deleted"))
	if u.IsEditor() {
		var scope []string
		if !u.IsAdmin() {
			scope = append([]string{}, depts...)
		}
		if v.Trash, err = s.editor.Trash(ctx, scope); err != nil {
			return fmt.Errorf("trash: %w", err)
		}
	}
	v.Nav = "me"
	return s.render(c, http.StatusOK, pageReview, tmplContent, v)
}

// ownersView is the data of the admin page that hands a leaver's packs on.
type ownersView struct {
	base
	UserID string
	Moved  []string
	Done   bool
	Error  string
}

// ownersPage is GET /admin/owners (after a hand-over: ?left=<id>&moved=<slugs>).
func (s *server) ownersPage(c echo.Context) error {
	v := ownersView{base: s.newBase(c, langOf(c), "owners.title")}
	v.Nav = "admin"
	if id := c.QueryParam("left"); id != "" {
		v.UserID, v.Done = id, true
		v.Moved = splitList(c.QueryParam("moved"))
	}
	return s.render(c, http.StatusOK, pageOwners, tmplContent, v)
}

// ownerLeft is POST /admin/owners: an admin marks a person as left; their
// packs move to their departments' editors (the same domain function
// directory sync will call).
func (s *server) ownerLeft(c echo.Context) error {
	u := userOf(c)
	v := ownersView{base: s.newBase(c, langOf(c), "owners.title")}
	v.Nav = "admin"
	v.UserID, _ = cleanParam(c.FormValue("user"))
	if v.UserID == "" {
		v.Error = mustT(v.Lang, "owners.missing")
		return s.render(c, http.StatusUnprocessableEntity, pageOwners, tmplContent, v)
	}
	moved, err := s.editor.OwnerLeft(c.Request().Context(), v.UserID)
	if err != nil {
		return fmt.Errorf("owner left %s: %w", v.UserID, err)
	}
	s.record(c, audit.Entry{Actor: u.ID, Action: "person.left", Target: "user:" + v.UserID, Detail: fmt.Sprintf("%d packs to department editors", len(moved))})
	q := url.Values{"left": {v.UserID}, "moved": {strings.Join(moved, ",")}}
	return c.Redirect(http.StatusSeeOther, "/admin/owners?"+q.Encode())
}
