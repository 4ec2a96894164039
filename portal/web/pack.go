package web

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/markdown"
	"github.com/jinnang/jinnang/portal/packs"
	"github.com/jinnang/jinnang/portal/store"
)

// gonePack answers for a slug whose pack is not live: a redirect for a
// renamed pack, the archived pack with a notice, a deleted one (to its
// department's editors, with undelete) or notFound.
func (s *server) gonePack(c echo.Context, slug string, notFound error) error {
	ctx := c.Request().Context()
	m, err := s.editor.Lookup(ctx, slug)
	if errors.Is(err, store.ErrNotFound) {
		return s.maybeRenamed(c, slug, "", notFound)
	}
	if err != nil {
		return fmt.Errorf("pack %q: %w", slug, err)
	}
	canEdit := userOf(c).CanEdit(m.Department)
	if m.State == packs.StateLive || (m.State == packs.StateDeleted && !canEdit) {
		return notFound
	}
	src, err := s.editor.ArchivedSource(ctx, slug)
	if err != nil {
		return fmt.Errorf("pack %q (%s): %w", slug, m.State, err)
	}
	doc, err := s.md.ParseWith(slug+".md", src, markdown.Options{ImageBase: packs.ImageBase(slug)})
	if err != nil {
		return fmt.Errorf("render pack %q: %w", slug, err)
	}
	p := &packs.Pack{Slug: slug, Meta: doc.Meta, HTML: doc.HTML, TOC: doc.TOC}
	v := packView{base: s.newBase(c, langOf(c), "site.name"), Pack: p, Info: m, State: m.State, CanEdit: canEdit}
	v.Title, v.Nav = p.Meta.Title, "packs"
	return s.renderCached(c, http.StatusOK, pagePack, tmplContent, v)
}

// packView is the data of a pack page.
type packView struct {
	base
	Pack    *packs.Pack
	EditURL string // "" unless the user may edit the pack's department
	// Info is the pack's owner, 最后核对 date and version count (nil when
	// the editor is off); Stale shows 内容可能已过时.
	Info      *packs.Meta
	Stale     bool
	CanReview bool
	CanEdit   bool
	Reviewed  bool // just marked as checked
	// State is "" for a live pack, else archived or deleted (editors only).
	State string
	// Path is the reading path the reader came from, with the next step.
	Path *pathStep
	// ShareURL is the signed link of the 分享 action ("" for a pack that is
	// not live); ShareDays its lifetime (sharelink.go).
	ShareURL  string
	ShareDays int
}

// packPage shows one pack. Its ETag covers the pack version, the language,
// the fragment flag and the asset and template version, so If-None-Match
// answers 304 until any of them changes.
func (s *server) packPage(c echo.Context) error {
	slug, err := pathParam(c, "slug")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	p, err := s.packs.Get(ctx, slug)
	if errors.Is(err, store.ErrNotFound) && s.editor != nil {
		return s.gonePack(c, slug, fmt.Errorf("pack %q: %w", slug, err))
	}
	if err != nil {
		return fmt.Errorf("pack %q: %w", slug, err)
	}
	u, err := s.ui()
	if err != nil {
		return err
	}
	l := langOf(c)
	canEdit := userOf(c).CanEdit(p.Meta.Department)
	var info *packs.Meta
	if s.editor != nil {
		info, err = s.editor.Info(ctx, slug)
		switch {
		case errors.Is(err, store.ErrNotFound):
			info = nil // deleted between the two reads: show the page without owner and history
		case err != nil:
			return fmt.Errorf("pack %q: %w", slug, err)
		}
	}
	path, err := s.pathStepFor(c, p.Slug)
	if err != nil {
		return err
	}
	extra := s.now().Format(time.DateOnly) + c.QueryParam("reviewed")
	// The share link names the origin; the department its display name.
	extra += "\x00" + s.origin(c) + "\x00" + s.deptShown(p.Meta.Department)
	if info != nil {
		extra += info.ETag()
	}
	if path != nil {
		extra += path.etag()
	}
	// The page carries the user's name, CSRF token and Edit link, so its
	// ETag varies with the session too.
	var csrf string
	if sess, _ := sessionOf(c); sess != nil {
		csrf = sess.User.ID + "\x00" + sess.CSRF
	}
	etag := pageETag(p.ETag, string(l), u.version+"\x00"+csrf+fmt.Sprintf("\x00%t\x00", canEdit)+extra, isFragment(c.Request()))
	h := c.Response().Header()
	h.Set("ETag", etag)
	h.Set("Cache-Control", "private, no-cache")
	if etagMatches(c.Request().Header.Get("If-None-Match"), etag) {
		setVary(c)
		return c.NoContent(http.StatusNotModified)
	}
	v := packView{base: s.newBase(c, l, "site.name"), Pack: p, Info: info, CanEdit: canEdit, Path: path, Reviewed: c.QueryParam("reviewed") == "1"}
	if canEdit && s.editor != nil {
		v.EditURL = "/packs/" + url.PathEscape(p.Slug) + "/edit"
	}
	if info != nil {
		v.Stale = info.Stale(s.staleCutoff())
		v.CanReview = canEdit || (info.Owner != "" && info.Owner == userOf(c).ID)
	}
	v.Title = p.Meta.Title
	v.Nav = "packs"
	v.Share = s.packShare(p)
	v.ShareURL, v.ShareDays = s.origin(c)+s.sharePath(p.Slug), int(shareLinkTTL/shareDay)
	// The ETag covers the pack, its info, the path step, the date, the
	// user's ID, CSRF token and edit right; the shared page data (name,
	// unread count, query in the language switch) is the rest of the key.
	shared, err := json.Marshal(v.base)
	if err != nil {
		return fmt.Errorf("pack %q: page key: %w", slug, err)
	}
	return s.renderCached(c, http.StatusOK, pagePack, tmplContent, v, etag, string(shared))
}

// pageETag derives a strong ETag for a rendered page.
func pageETag(objectETag, lang, version string, fragment bool) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%t", objectETag, lang, version, fragment)
	return `"` + hex.EncodeToString(h.Sum(nil))[:24] + `"`
}

// etagMatches implements If-None-Match (weak comparison, lists and "*").
func etagMatches(header, etag string) bool {
	if header == "" {
		return false
	}
	for cand := range strings.SplitSeq(header, ",") {
		cand = strings.TrimSpace(cand)
		if cand == "*" || strings.TrimPrefix(cand, "W/") == strings.TrimPrefix(etag, "W/") {
			return true
		}
	}
	return false
}

// pathParam returns a decoded path parameter. Echo routes on RawPath when the
// path holds escapes Go does not decode by default (such as %2F), and then the
// parameter is still escaped.
func pathParam(c echo.Context, name string) (string, error) {
	v := c.Param(name)
	if c.Request().URL.RawPath != "" {
		d, err := url.PathUnescape(v)
		if err != nil {
			return "", &Error{Status: http.StatusBadRequest, Public: "error.400", Cause: fmt.Errorf("path parameter %s: %w", name, err)}
		}
		v = d
	}
	return v, nil
}
