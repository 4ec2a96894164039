package web

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/packs"
)

// packView is the data of a pack page.
type packView struct {
	base
	Pack    *packs.Pack
	EditURL string // "" unless the user may edit the pack's department
}

// packPage shows one pack. Its ETag covers the pack version, the language,
// the fragment flag and the asset and template version, so If-None-Match
// answers 304 until any of them changes.
func (s *server) packPage(c echo.Context) error {
	slug, err := pathParam(c, "slug")
	if err != nil {
		return err
	}
	p, err := s.packs.Get(c.Request().Context(), slug)
	if err != nil {
		return fmt.Errorf("pack %q: %w", slug, err)
	}
	u, err := s.ui()
	if err != nil {
		return err
	}
	l := langOf(c)
	canEdit := userOf(c).CanEdit(p.Meta.Department)
	// The page carries the user's name, CSRF token and Edit link, so its
	// ETag varies with the session too.
	var csrf string
	if sess, _ := sessionOf(c); sess != nil {
		csrf = sess.User.ID + "\x00" + sess.CSRF
	}
	etag := pageETag(p.ETag, string(l), u.version+"\x00"+csrf+fmt.Sprintf("\x00%t", canEdit), isFragment(c.Request()))
	h := c.Response().Header()
	h.Set("ETag", etag)
	h.Set("Cache-Control", "private, no-cache")
	if etagMatches(c.Request().Header.Get("If-None-Match"), etag) {
		setVary(c)
		return c.NoContent(http.StatusNotModified)
	}
	v := packView{base: s.newBase(c, l, "site.name"), Pack: p}
	if canEdit {
		v.EditURL = "/packs/" + url.PathEscape(p.Slug) + "/edit"
	}
	v.Title = p.Meta.Title
	v.Nav = "packs"
	return s.render(c, http.StatusOK, pagePack, tmplContent, v)
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
