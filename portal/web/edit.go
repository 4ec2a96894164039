package web

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/audit"
	"github.com/jinnang/jinnang/portal/auth"
	"github.com/jinnang/jinnang/portal/markdown"
	"github.com/jinnang/jinnang/portal/packs"
	"github.com/jinnang/jinnang/portal/store"
)

// editView is the data of the pack editor. Errors maps a field ("slug",
// "source") to its translated message, shown next to the field; the user's
// input is always sent back.
type editView struct {
	base
	New       bool
	Action    string
	Slug      string
	Source    string
	ETag      string
	Errors    map[string]string
	Theirs    string // after a conflict: the version saved meanwhile
	CancelURL string
	MaxSlug   int
}

// newEditView fills the editor for a new pack (slug == "") or an existing one.
func (s *server) newEditView(c echo.Context, isNew bool, slug, src, etag string) editView {
	l := langOf(c)
	v := editView{New: isNew, Slug: slug, Source: src, ETag: etag, Errors: map[string]string{}, MaxSlug: 100}
	if isNew {
		v.base = s.newBase(c, l, "edit.new.title")
		v.Action, v.CancelURL = "/packs", "/packs"
	} else {
		v.base = s.newBase(c, l, "edit.title", slug)
		v.Action = "/packs/" + url.PathEscape(slug) + "/edit"
		v.CancelURL = "/packs/" + url.PathEscape(slug)
	}
	v.Nav = "packs"
	return v
}

// newPackForm shows an empty editor with a front-matter skeleton.
func (s *server) newPackForm(c echo.Context) error {
	u := userOf(c)
	dept := u.Department
	if len(u.EditorOf) > 0 && !u.CanEdit(dept) {
		dept = u.EditorOf[0]
	}
	skeleton := fmt.Sprintf("---\ntitle: \nsummary: \ndepartment: %s\ntags: []\nauthor: %s\ndate: %s\n---\n\n",
		yamlScalar(dept), yamlScalar(u.Name), s.now().Format("2006-01-02"))
	return s.render(c, http.StatusOK, pageEdit, tmplContent, s.newEditView(c, true, "", skeleton, ""))
}

// yamlScalar quotes a value for the skeleton when plain YAML could misread it.
func yamlScalar(v string) string {
	if v == "" || strings.ContainsAny(v, ":#'\"[]{},&*!|>%@`\n") || strings.TrimSpace(v) != v {
		return "'" + strings.ReplaceAll(strings.ReplaceAll(v, "\n", " "), "'", "''") + "'"
	}
	return v
}

// formSource reads the Markdown textarea with browser line ends normalised.
func formSource(c echo.Context) string {
	return strings.ReplaceAll(c.FormValue("source"), "\r\n", "\n")
}

// createPack is POST /packs: create-once under a new slug.
func (s *server) createPack(c echo.Context) error {
	u := userOf(c)
	slug := strings.TrimSpace(c.FormValue("slug"))
	src := formSource(c)
	v := s.newEditView(c, true, slug, src, "")
	status := http.StatusUnprocessableEntity
	if !packs.ValidSlug(slug) || slug == "new" { // /packs/new is the editor itself
		v.Errors["slug"] = mustT(v.Lang, "edit.slug.invalid")
	}
	if st, msg := s.checkSource(v.Lang, u, slug, src); msg != "" {
		v.Errors["source"], status = msg, st
	}
	if len(v.Errors) > 0 {
		return s.render(c, status, pageEdit, tmplContent, v)
	}
	p, err := s.packs.Create(c.Request().Context(), slug, []byte(src))
	if errors.Is(err, store.ErrPrecondition) {
		v.Errors["slug"] = mustT(v.Lang, "edit.slug.taken", slug)
		return s.render(c, http.StatusConflict, pageEdit, tmplContent, v)
	}
	if err != nil {
		if msg := sourceError(v.Lang, err); msg != "" {
			v.Errors["source"] = msg
			return s.render(c, http.StatusUnprocessableEntity, pageEdit, tmplContent, v)
		}
		return fmt.Errorf("create pack %q: %w", slug, err)
	}
	return s.afterWrite(c, u, "pack.create", p)
}

// editPackForm shows the editor over the pack's current source.
func (s *server) editPackForm(c echo.Context) error {
	slug, _, err := s.editablePack(c)
	if err != nil {
		return err
	}
	src, etag, err := s.packs.Source(c.Request().Context(), slug)
	if err != nil {
		return fmt.Errorf("edit pack %q: %w", slug, err)
	}
	// Should the pack change between the two reads, the save compares the
	// etag with the then current version and checks its department again.
	return s.render(c, http.StatusOK, pageEdit, tmplContent, s.newEditView(c, false, slug, string(src), etag))
}

// savePack is POST /packs/:slug/edit: an update of exactly the version the
// editor loaded (If-Match). When someone saved meanwhile, their version is
// shown next to the user's, which is kept.
func (s *server) savePack(c echo.Context) error {
	slug, cur, err := s.editablePack(c)
	if err != nil {
		return err
	}
	u := userOf(c)
	ctx := c.Request().Context()
	src, etag := formSource(c), c.FormValue("etag")
	v := s.newEditView(c, false, slug, src, etag)
	if st, msg := s.checkSource(v.Lang, u, slug, src); msg != "" {
		v.Errors["source"] = msg
		return s.render(c, st, pageEdit, tmplContent, v)
	}
	var p *packs.Pack
	if etag == cur.ETag { // an empty or stale etag is a conflict, never a blind overwrite
		p, err = s.packs.Save(ctx, slug, []byte(src), etag)
	} else {
		err = fmt.Errorf("editor loaded %q, store has %q: %w", etag, cur.ETag, store.ErrPrecondition)
	}
	switch {
	case errors.Is(err, store.ErrPrecondition):
		theirs, theirETag, serr := s.packs.Source(ctx, slug)
		if serr != nil {
			return fmt.Errorf("reload pack %q after conflict: %w", slug, serr)
		}
		v.Theirs, v.ETag = string(theirs), theirETag
		v.Errors["source"] = mustT(v.Lang, "edit.conflict")
		return s.render(c, http.StatusConflict, pageEdit, tmplContent, v)
	case err != nil:
		if msg := sourceError(v.Lang, err); msg != "" {
			v.Errors["source"] = msg
			return s.render(c, http.StatusUnprocessableEntity, pageEdit, tmplContent, v)
		}
		return fmt.Errorf("save pack %q: %w", slug, err)
	}
	return s.afterWrite(c, u, "pack.update", p)
}

// editablePack loads the pack named in the path and checks that the user may
// edit its (current) department.
func (s *server) editablePack(c echo.Context) (string, *packs.Pack, error) {
	slug, err := pathParam(c, "slug")
	if err != nil {
		return "", nil, err
	}
	p, err := s.packs.Get(c.Request().Context(), slug)
	if err != nil {
		return "", nil, fmt.Errorf("edit pack %q: %w", slug, err)
	}
	if u := userOf(c); !u.CanEdit(p.Meta.Department) {
		return "", nil, forbidden(fmt.Errorf("%s may not edit %q of %s", u.ID, slug, p.Meta.Department))
	}
	return slug, p, nil
}

// checkSource validates the Markdown before any write and checks that the
// user may write its department. It returns the status and the message for
// the source field, or 0 and "" when the source is fine.
func (s *server) checkSource(l Lang, u *auth.User, slug, src string) (int, string) {
	if strings.TrimSpace(src) == "" {
		return http.StatusUnprocessableEntity, mustT(l, "edit.source.empty")
	}
	name := "pack.md"
	if packs.ValidSlug(slug) {
		name = slug + ".md"
	}
	doc, err := s.md.Parse(name, []byte(src))
	if err != nil {
		if msg := sourceError(l, err); msg != "" {
			return http.StatusUnprocessableEntity, msg
		}
		return http.StatusUnprocessableEntity, mustT(l, "edit.source.invalid")
	}
	dept := doc.Meta.Department
	if dept == "" {
		return http.StatusUnprocessableEntity, mustT(l, "edit.dept.missing")
	}
	if !u.CanEdit(dept) {
		return http.StatusForbidden, mustT(l, "edit.dept.denied", dept)
	}
	return 0, ""
}

// sourceError translates a Markdown problem for the source field; "" when
// err is not one.
func sourceError(l Lang, err error) string {
	var fe *markdown.FrontMatterError
	switch {
	case errors.As(err, &fe) && fe.Line > 0:
		return mustT(l, "edit.source.line", fe.Line, fe.Msg)
	case errors.As(err, &fe):
		return mustT(l, "edit.source.fm", fe.Msg)
	case errors.Is(err, markdown.ErrTooLarge):
		return mustT(l, "edit.source.large", markdown.MaxSourceSize>>10)
	case errors.Is(err, markdown.ErrTooComplex):
		return mustT(l, "edit.source.complex")
	}
	return ""
}

// afterWrite records the write in "my posts" and the audit log and shows the pack.
func (s *server) afterWrite(c echo.Context, u *auth.User, action string, p *packs.Pack) error {
	post := auth.Post{Kind: "pack", Ref: p.Slug, Title: p.Meta.Title, At: s.now()}
	if err := s.auth.Users.AddPost(c.Request().Context(), u.ID, post); err != nil {
		s.log.Error("record my post", slog.String("user", u.ID), slog.String("pack", p.Slug), slog.Any("err", err))
	}
	s.record(c, audit.Entry{Actor: u.ID, Action: action, Target: "pack:" + p.Slug, Detail: p.Meta.Department})
	return c.Redirect(http.StatusSeeOther, "/packs/"+url.PathEscape(p.Slug))
}
