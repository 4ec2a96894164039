package web

import (
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/audit"
	"github.com/jinnang/jinnang/portal/auth"
	"github.com/jinnang/jinnang/portal/ids"
	"github.com/jinnang/jinnang/portal/images"
	"github.com/jinnang/jinnang/portal/markdown"
	"github.com/jinnang/jinnang/portal/packs"
	"github.com/jinnang/jinnang/portal/store"
)

// Editor limits.
const (
	maxTitleRunes   = 100
	maxSummaryRunes = 300
	maxPackTags     = 12
	// editorBodyLimit bounds an editor post: the text fields plus one image.
	editorBodyLimit = 16 << 20
)

// audiences are the audience values the editor offers as checkboxes.
var audiences = []string{"new-hire", "manager", "everyone"}

// editForm is what the editor posts: the pack's fields as form fields (the
// front matter is generated from them), the Markdown body, and where the
// edit started (draft id, pack slug, base ETag and version).
type editForm struct {
	Draft, Pack, ETag string
	Base              int
	Title, Slug       string
	Summary, Dept     string
	Tags, Note, Body  string
	Audience          []string
}

// audienceChoice is one audience checkbox.
type audienceChoice struct {
	Value   string
	Checked bool
}

// previewView is the rendered preview under the editor.
type previewView struct {
	HTML     template.HTML
	External []string
	Error    string
}

// editView is the data of the editor page.
type editView struct {
	base
	Form        editForm
	IsNew       bool
	Departments []string
	Audiences   []audienceChoice
	Errors      map[string]string
	Notice      string
	Preview     *previewView
	CancelURL   string
	ImageBase   string
	HasDraft    bool
	DraftAt     time.Time
	MaxTitle    int
	MaxNote     int
}

// splitList splits tags typed with any of the separators people use:
// , ， 、 ； ; (and line breaks); blanks and duplicates are dropped.
func splitList(s string) []string {
	f := strings.FieldsFunc(s, markdown.IsListSeparator)
	var out []string
	for _, t := range f {
		if t = strings.TrimSpace(t); t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// frontMatter builds the generated front matter of the form.
func (f *editForm) frontMatter(author string, date time.Time) markdown.FrontMatter {
	return markdown.FrontMatter{Title: strings.TrimSpace(f.Title), Summary: strings.TrimSpace(f.Summary), Department: strings.TrimSpace(f.Dept),
		Tags: splitList(f.Tags), Audience: f.Audience, Author: author, Date: date}
}

// formFromDraft fills the form from a saved draft.
func formFromDraft(d *packs.Draft) editForm {
	return editForm{Draft: d.ID, Pack: d.Slug, ETag: d.BaseETag, Base: d.BaseVersion, Title: d.Fields.Title, Slug: d.NewSlug,
		Summary: d.Fields.Summary, Dept: d.Fields.Department, Tags: strings.Join(d.Fields.Tags, "，"), Audience: d.Fields.Audience,
		Note: d.Note, Body: d.Body}
}

// readEditForm reads the posted editor form (URL-encoded or multipart).
func readEditForm(c echo.Context) (editForm, error) {
	form, err := c.FormParams()
	if err != nil {
		return editForm{}, &Error{Status: http.StatusBadRequest, Public: "error.400", Cause: fmt.Errorf("editor form: %w", err)}
	}
	nl := func(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }
	f := editForm{Draft: form.Get("draft"), Pack: form.Get("pack"), ETag: form.Get("etag"),
		Title: form.Get("title"), Slug: strings.TrimSpace(form.Get("slug")), Summary: nl(form.Get("summary")), Dept: strings.TrimSpace(form.Get("department")),
		Tags: form.Get("tags"), Note: form.Get("note"), Body: nl(form.Get("body"))}
	f.Base, _ = strconv.Atoi(form.Get("base"))
	for _, a := range form["audience"] {
		if a = strings.TrimSpace(a); a != "" && !slices.Contains(f.Audience, a) {
			f.Audience = append(f.Audience, a)
		}
	}
	if !ids.Valid(f.Draft) {
		return f, &Error{Status: http.StatusBadRequest, Public: "error.400", Cause: fmt.Errorf("editor form: draft id %q", f.Draft)}
	}
	if f.Pack != "" && !packs.ValidSlug(f.Pack) {
		return f, &Error{Status: http.StatusBadRequest, Public: "error.400", Cause: fmt.Errorf("editor form: pack %q", f.Pack)}
	}
	return f, nil
}

// newEditView fills the editor page around f.
func (s *server) newEditView(c echo.Context, f editForm) editView {
	l := langOf(c)
	u := userOf(c)
	v := editView{Form: f, IsNew: f.Pack == "", Errors: map[string]string{}, MaxTitle: maxTitleRunes, MaxNote: packs.MaxNote}
	if v.IsNew {
		v.base = s.newBase(c, l, "edit.new.title")
		v.CancelURL = "/packs"
		v.ImageBase = "/drafts/" + f.Draft + "/images/"
	} else {
		v.base = s.newBase(c, l, "edit.title", f.Title)
		v.CancelURL = "/packs/" + url.PathEscape(f.Pack)
		v.ImageBase = packs.ImageBase(f.Pack)
	}
	v.Nav = "packs"
	depts := slices.Clone(u.EditorOf)
	if u.IsAdmin() && s.files != nil {
		if ds, err := s.files.Departments(c.Request().Context()); err == nil {
			for _, d := range ds {
				depts = append(depts, d.Name)
			}
		}
	}
	if f.Dept != "" {
		depts = append(depts, f.Dept)
	}
	slices.Sort(depts)
	v.Departments = slices.Compact(depts)
	for _, a := range append(slices.Clone(audiences), f.Audience...) {
		if !slices.ContainsFunc(v.Audiences, func(ch audienceChoice) bool { return ch.Value == a }) {
			v.Audiences = append(v.Audiences, audienceChoice{Value: a, Checked: slices.Contains(f.Audience, a)})
		}
	}
	return v
}

// newPackForm is GET /packs/new: an empty editor with a fresh draft id
// (nothing is stored until the first save).
func (s *server) newPackForm(c echo.Context) error {
	u := userOf(c)
	dept := u.Department
	if !u.CanEdit(dept) && len(u.EditorOf) > 0 {
		dept = u.EditorOf[0]
	}
	v := s.newEditView(c, editForm{Draft: packs.NewDraftID(), Dept: dept})
	return s.render(c, http.StatusOK, pageEdit, tmplContent, v)
}

// draftForm is GET /drafts/:id: the editor over one of the user's drafts.
func (s *server) draftForm(c echo.Context) error {
	u := userOf(c)
	d, err := s.editor.Draft(c.Request().Context(), u.ID, c.Param("id"))
	if err != nil {
		return fmt.Errorf("draft: %w", err)
	}
	if d.Slug != "" {
		return c.Redirect(http.StatusSeeOther, "/packs/"+url.PathEscape(d.Slug)+"/edit")
	}
	v := s.newEditView(c, formFromDraft(d))
	v.HasDraft, v.DraftAt = true, d.Updated
	v.Preview = s.renderPreview(v.Lang, v.Form, v.ImageBase)
	return s.render(c, http.StatusOK, pageEdit, tmplContent, v)
}

// editPackForm is GET /packs/:slug/edit: the editor over the user's draft of
// the pack when there is one, else over the published version.
func (s *server) editPackForm(c echo.Context) error {
	ctx := c.Request().Context()
	slug, m, err := s.editablePack(c)
	if err != nil {
		return err
	}
	u := userOf(c)
	if d, err := s.editor.Draft(ctx, u.ID, m.ID); err == nil {
		v := s.newEditView(c, formFromDraft(d))
		v.HasDraft, v.DraftAt = true, d.Updated
		v.Notice = mustT(v.Lang, "ed.draft.restored", d.Updated.Local().Format("01-02 15:04"))
		v.Preview = s.renderPreview(v.Lang, v.Form, v.ImageBase)
		return s.render(c, http.StatusOK, pageEdit, tmplContent, v)
	} else if !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("draft of %q: %w", slug, err)
	}
	src, etag, err := s.editor.Source(ctx, slug)
	if err != nil {
		return fmt.Errorf("edit pack %q: %w", slug, err)
	}
	fm, body, err := markdown.Split(slug+".md", src)
	if err != nil {
		return fmt.Errorf("edit pack %q: %w", slug, err)
	}
	f := editForm{Draft: m.ID, Pack: slug, ETag: etag, Base: m.Versions, Title: fm.Title, Slug: slug, Summary: fm.Summary,
		Dept: fm.Department, Tags: strings.Join(fm.Tags, "，"), Audience: fm.Audience, Body: body}
	v := s.newEditView(c, f)
	v.Preview = s.renderPreview(v.Lang, f, v.ImageBase)
	return s.render(c, http.StatusOK, pageEdit, tmplContent, v)
}

// editablePack resolves the pack named in the path, makes sure it has a meta
// record, and checks that the user may edit its department.
func (s *server) editablePack(c echo.Context) (string, *packs.Meta, error) {
	slug, err := pathParam(c, "slug")
	if err != nil {
		return "", nil, err
	}
	ctx := c.Request().Context()
	m, err := s.editor.Prepare(ctx, slug)
	if err != nil {
		return "", nil, fmt.Errorf("edit pack %q: %w", slug, err)
	}
	if u := userOf(c); !u.CanEdit(m.Department) {
		return "", nil, forbidden(fmt.Errorf("%s may not edit %q of %s", u.ID, slug, m.Department))
	}
	return slug, m, nil
}

// saveDraftOf stores the form as the user's draft.
func (s *server) saveDraftOf(c echo.Context, f editForm) (*packs.Draft, error) {
	u := userOf(c)
	ctx := c.Request().Context()
	d := &packs.Draft{ID: f.Draft, Owner: u.ID, Slug: f.Pack, NewSlug: f.Slug, BaseETag: f.ETag, BaseVersion: f.Base,
		Fields: f.frontMatter(u.Name, time.Time{}), Body: f.Body, Note: f.Note}
	if old, err := s.editor.Draft(ctx, u.ID, f.Draft); err == nil {
		d.Created, d.PackID = old.Created, old.PackID
	}
	if f.Pack != "" {
		m, err := s.editor.Info(ctx, f.Pack)
		if err != nil {
			return nil, err
		}
		if m.ID != f.Draft || !u.CanEdit(m.Department) {
			return nil, forbidden(fmt.Errorf("%s: draft %s does not belong to pack %q", u.ID, f.Draft, f.Pack))
		}
		d.PackID = m.ID
	}
	if len(d.Body) > packs.MaxPackBytes {
		return nil, &Error{Status: http.StatusRequestEntityTooLarge, Public: "error.413", Cause: errors.New("draft body too large")}
	}
	if err := s.editor.SaveDraft(ctx, d); err != nil {
		return nil, fmt.Errorf("save draft: %w", err)
	}
	return d, nil
}

// submitEditor is POST /editor: the editor form's buttons (do=preview,
// draft, upload, publish, discard, merge), so every step works without
// JavaScript.
func (s *server) submitEditor(c echo.Context) error {
	f, err := readEditForm(c)
	if err != nil {
		return err
	}
	switch c.FormValue("do") {
	case "discard":
		return s.discardDraft(c, f)
	case "merge":
		return s.finishMerge(c, f)
	case "publish":
		return s.publish(c, f)
	}
	v := s.newEditView(c, f)
	d, err := s.saveDraftOf(c, f)
	if errors.Is(err, packs.ErrTooManyDrafts) {
		v.Errors["body"] = mustT(v.Lang, "ed.drafts.many", packs.MaxDrafts)
		return s.render(c, http.StatusUnprocessableEntity, pageEdit, tmplContent, v)
	}
	if err != nil {
		return err
	}
	v.HasDraft, v.DraftAt = true, d.Updated
	switch c.FormValue("do") {
	case "upload":
		md, msg := s.acceptImage(c, d.PackID)
		if msg != "" {
			v.Errors["image"] = msg
			return s.render(c, http.StatusUnprocessableEntity, pageEdit, tmplContent, v)
		}
		v.Form.Body = strings.TrimRight(v.Form.Body, "\n") + "\n\n" + md + "\n"
		if _, err := s.saveDraftOf(c, v.Form); err != nil {
			return err
		}
		v.Notice = mustT(v.Lang, "ed.image.added")
		v.Preview = s.renderPreview(v.Lang, v.Form, v.ImageBase)
	case "preview":
		v.Preview = s.renderPreview(v.Lang, v.Form, v.ImageBase)
	default:
		v.Notice = mustT(v.Lang, "ed.draft.saved")
	}
	return s.render(c, http.StatusOK, pageEdit, tmplContent, v)
}

// preview renders the form as the pack page would.
func (s *server) renderPreview(l Lang, f editForm, imageBase string) *previewView {
	doc, err := s.editor.Preview(f.frontMatter("", time.Time{}), f.Body, imageBase)
	if err != nil {
		if msg := sourceError(l, err); msg != "" {
			return &previewView{Error: msg}
		}
		return &previewView{Error: mustT(l, "edit.source.invalid")}
	}
	return &previewView{HTML: doc.HTML, External: doc.ExternalImages}
}

// previewFragment is POST /editor/preview (HTMX, as the author types): the
// preview alone, rendered by the same goldmark pipeline and sanitizer.
func (s *server) previewFragment(c echo.Context) error {
	f, err := readEditForm(c)
	if err != nil {
		return err
	}
	v := s.newEditView(c, f)
	v.Preview = s.renderPreview(v.Lang, f, v.ImageBase)
	return s.renderPartial(c, http.StatusOK, pageEdit, "preview", v)
}

// autosave is POST /editor/autosave (HTMX every few seconds and on blur):
// stores the draft and answers with the status line.
func (s *server) autosave(c echo.Context) error {
	f, err := readEditForm(c)
	if err != nil {
		return err
	}
	v := s.newEditView(c, f)
	d, err := s.saveDraftOf(c, f)
	if errors.Is(err, packs.ErrTooManyDrafts) {
		v.Errors["autosave"] = mustT(v.Lang, "ed.drafts.many", packs.MaxDrafts)
		return s.renderPartial(c, http.StatusUnprocessableEntity, pageEdit, "autosave", v)
	}
	if err != nil {
		return err
	}
	v.HasDraft, v.DraftAt = true, d.Updated
	return s.renderPartial(c, http.StatusOK, pageEdit, "autosave", v)
}

// renderPartial renders one named template of a page, with or without HX-Request.
func (s *server) renderPartial(c echo.Context, status int, page, name string, data any) error {
	req := c.Request()
	if req.Header.Get("HX-Request") != "true" {
		req.Header.Set("HX-Request", "true")
		defer req.Header.Del("HX-Request")
	}
	return s.render(c, status, page, name, data)
}

// acceptImage processes the form's "image" file into the pack's images and
// returns the Markdown that references it, or a message for the field.
func (s *server) acceptImage(c echo.Context, packID string) (string, string) {
	l := langOf(c)
	fh, err := c.FormFile("image")
	if err != nil {
		return "", mustT(l, "ed.image.none")
	}
	fr, err := fh.Open()
	if err != nil {
		return "", mustT(l, "ed.image.none")
	}
	defer fr.Close()
	name, err := s.editor.PutImage(c.Request().Context(), packID, fr)
	switch {
	case errors.Is(err, images.ErrTooLarge):
		return "", mustT(l, "storyform.images.large", images.DefaultLimits().MaxBytes>>20)
	case errors.Is(err, images.ErrDimensions):
		return "", mustT(l, "storyform.images.dims", fh.Filename)
	case errors.Is(err, images.ErrPolyglot):
		return "", mustT(l, "storyform.images.polyglot", fh.Filename)
	case errors.Is(err, images.ErrEmpty), errors.Is(err, images.ErrType), errors.Is(err, images.ErrCorrupt):
		return "", mustT(l, "ed.image.type", fh.Filename)
	case err != nil:
		s.log.Error("store pack image", slog.Any("err", err))
		return "", mustT(l, "error.500")
	}
	alt := strings.TrimSuffix(fh.Filename, "."+extOf(fh.Filename))
	alt = strings.NewReplacer("[", "", "]", "", "\n", " ").Replace(alt)
	if alt == "" || alt == "image" || strings.HasPrefix(alt, "blob") {
		alt = mustT(l, "ed.image.alt")
	}
	return "![" + alt + "](" + markdown.ImageDir + name + ")", ""
}

func extOf(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name[i+1:]
	}
	return ""
}

// uploadImage is POST /editor/image (the toolbar's picture button and
// pasting a picture, via assets/editor.js): stores the image next to the
// draft's pack and answers with the Markdown to insert.
func (s *server) uploadImage(c echo.Context) error {
	f, err := readEditForm(c)
	if err != nil {
		return err
	}
	d, err := s.saveDraftOf(c, f)
	if err != nil {
		return err
	}
	md, msg := s.acceptImage(c, d.PackID)
	if msg != "" {
		return c.String(http.StatusUnprocessableEntity, msg)
	}
	return c.String(http.StatusOK, md)
}

// discardDraft deletes the user's draft and returns to the pack (or the list).
func (s *server) discardDraft(c echo.Context, f editForm) error {
	u := userOf(c)
	if err := s.editor.DeleteDraft(c.Request().Context(), u.ID, f.Draft); err != nil {
		return fmt.Errorf("discard draft: %w", err)
	}
	if f.Pack != "" {
		return c.Redirect(http.StatusSeeOther, "/packs/"+url.PathEscape(f.Pack))
	}
	return c.Redirect(http.StatusSeeOther, "/me#drafts")
}

// validate checks the form for publishing and fills v.Errors; it returns the
// slug to publish under.
func (s *server) validate(c echo.Context, v *editView) (string, int) {
	l, u, f := v.Lang, userOf(c), v.Form
	ctx := c.Request().Context()
	status := http.StatusUnprocessableEntity
	switch n := utf8.RuneCountInString(strings.TrimSpace(f.Title)); {
	case n == 0:
		v.Errors["title"] = mustT(l, "ed.title.missing")
	case n > maxTitleRunes:
		v.Errors["title"] = mustT(l, "ed.title.long", maxTitleRunes)
	}
	if utf8.RuneCountInString(f.Summary) > maxSummaryRunes {
		v.Errors["summary"] = mustT(l, "ed.summary.long", maxSummaryRunes)
	}
	if len(splitList(f.Tags)) > maxPackTags {
		v.Errors["tags"] = mustT(l, "ed.tags.many", maxPackTags)
	}
	switch {
	case f.Dept == "":
		v.Errors["department"] = mustT(l, "ed.dept.missing")
	case !u.CanEdit(f.Dept):
		v.Errors["department"], status = mustT(l, "edit.dept.denied", f.Dept), http.StatusForbidden
	}
	if strings.TrimSpace(f.Body) == "" {
		v.Errors["body"] = mustT(l, "ed.body.empty")
	} else if p := s.renderPreview(l, f, v.ImageBase); p.Error != "" {
		v.Errors["body"] = p.Error
	}
	if utf8.RuneCountInString(f.Note) > packs.MaxNote {
		v.Errors["note"] = mustT(l, "ed.note.long", packs.MaxNote)
	}
	slug := f.Slug
	switch {
	case slug == "" && f.Pack != "":
		slug = f.Pack
	case slug == "":
		free, err := s.editor.FreeSlug(ctx, packs.Slugify(f.Title))
		if err != nil {
			v.Errors["slug"] = mustT(l, "edit.slug.invalid")
		}
		slug = free
	case !packs.ValidSlug(slug) || slug == "new":
		v.Errors["slug"] = mustT(l, "edit.slug.invalid")
	case slug != f.Pack:
		if taken, err := s.editor.SlugTaken(ctx, slug); err != nil || taken {
			v.Errors["slug"] = mustT(l, "edit.slug.taken", slug)
		}
	}
	if len(v.Errors) == 0 {
		return slug, 0
	}
	if v.Errors["department"] == "" || status != http.StatusForbidden {
		status = http.StatusUnprocessableEntity
	}
	return slug, status
}

// publish turns the form into the pack's next version (or a new pack),
// renaming it when the address changed; a version saved by someone else
// meanwhile leads to the three-way merge.
func (s *server) publish(c echo.Context, f editForm) error {
	ctx := c.Request().Context()
	u := userOf(c)
	v := s.newEditView(c, f)
	if f.Pack != "" {
		m, err := s.editor.Info(ctx, f.Pack)
		if err != nil {
			return fmt.Errorf("publish %q: %w", f.Pack, err)
		}
		if !u.CanEdit(m.Department) {
			return forbidden(fmt.Errorf("%s may not edit %q of %s", u.ID, f.Pack, m.Department))
		}
	}
	slug, status := s.validate(c, &v)
	if status != 0 {
		return s.render(c, status, pageEdit, tmplContent, v)
	}
	target := slug
	if f.Pack != "" {
		target = f.Pack
	}
	if f.Pack != "" && f.ETag == "" {
		return s.showMerge(c, f) // no base: never a blind overwrite
	}
	p, m, err := s.editor.Publish(ctx, packs.Publication{Slug: target, ID: f.Draft, Fields: f.frontMatter(u.Name, s.now()), Body: f.Body,
		Note: f.Note, By: u.ID, ByName: u.Name, IfMatch: f.ETag})
	switch {
	case errors.Is(err, store.ErrPrecondition) && f.Pack == "":
		v.Errors["slug"] = mustT(v.Lang, "edit.slug.taken", target)
		return s.render(c, http.StatusConflict, pageEdit, tmplContent, v)
	case errors.Is(err, store.ErrPrecondition):
		return s.showMerge(c, f)
	case err != nil:
		if msg := sourceError(v.Lang, err); msg != "" {
			v.Errors["body"] = msg
			return s.render(c, http.StatusUnprocessableEntity, pageEdit, tmplContent, v)
		}
		return fmt.Errorf("publish %q: %w", target, err)
	}
	action := "pack.update"
	if f.Pack == "" {
		action = "pack.create"
	}
	if err := s.editor.DeleteDraft(ctx, u.ID, f.Draft); err != nil {
		s.log.Warn("delete published draft", slog.String("draft", f.Draft), slog.Any("err", err))
	}
	s.record(c, audit.Entry{Actor: u.ID, Action: action, Target: "pack:" + p.Slug, Detail: fmt.Sprintf("%s v%d %s", p.Meta.Department, m.Versions, m.Log[len(m.Log)-1].Note)})
	if f.Pack != "" && slug != f.Pack {
		if _, err := s.editor.Rename(ctx, f.Pack, slug, p.ETag); err != nil {
			return fmt.Errorf("rename %q to %q: %w", f.Pack, slug, err)
		}
		s.record(c, audit.Entry{Actor: u.ID, Action: "pack.rename", Target: "pack:" + slug, Detail: f.Pack + " → " + slug})
		p.Slug = slug
	}
	return s.afterWrite(c, u, p)
}

// sourceError translates a Markdown problem for the body field; "" when
// err is not one.
func sourceError(l Lang, err error) string {
	var fe *markdown.FrontMatterError
	switch {
	case errors.As(err, &fe):
		return frontMatterMessage(l, fe)
	case errors.Is(err, markdown.ErrTooLarge):
		return mustT(l, "edit.source.large", markdown.MaxSourceSize>>10)
	case errors.Is(err, markdown.ErrTooComplex):
		return mustT(l, "edit.source.complex")
	}
	return ""
}

// afterWrite records the write in "my posts" and shows the pack.
func (s *server) afterWrite(c echo.Context, u *auth.User, p *packs.Pack) error {
	post := auth.Post{Kind: "pack", Ref: p.Slug, Title: p.Meta.Title, At: s.now()}
	if err := s.auth.Users.AddPost(c.Request().Context(), u.ID, post); err != nil {
		s.log.Error("record my post", slog.String("user", u.ID), slog.String("pack", p.Slug), slog.Any("err", err))
	} else {
		s.tallyPack(c.Request().Context(), u, post)
	}
	return c.Redirect(http.StatusSeeOther, "/packs/"+url.PathEscape(p.Slug))
}

// packImage is GET /packs/:slug/images/:name: a picture stored next to a pack
// (any state, following renames).
func (s *server) packImage(c echo.Context) error {
	ctx := c.Request().Context()
	slug, err := pathParam(c, "slug")
	if err != nil {
		return err
	}
	m, err := s.editor.Lookup(ctx, slug)
	if errors.Is(err, store.ErrNotFound) {
		if to, rerr := s.editor.Resolve(ctx, slug); rerr == nil && to != slug {
			m, err = s.editor.Lookup(ctx, to)
		}
	}
	if err != nil {
		return fmt.Errorf("pack image of %q: %w", slug, err)
	}
	return s.serveImage(c, m.ID)
}

// draftImage is GET /drafts/:id/images/:name: a picture of the user's draft
// of a new pack, for its preview.
func (s *server) draftImage(c echo.Context) error {
	d, err := s.editor.Draft(c.Request().Context(), userOf(c).ID, c.Param("id"))
	if err != nil {
		return fmt.Errorf("draft image: %w", err)
	}
	return s.serveImage(c, d.PackID)
}

func (s *server) serveImage(c echo.Context, packID string) error {
	rc, obj, err := s.editor.Image(c.Request().Context(), packID, c.Param("name"))
	if err != nil {
		return fmt.Errorf("pack image: %w", err)
	}
	defer rc.Close()
	return serveJPEG(c, rc, obj, "private, max-age=86400, immutable")
}
