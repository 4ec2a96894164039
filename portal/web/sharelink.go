package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/packs"
	"github.com/jinnang/jinnang/portal/store"
)

// A share link is a pack page's URL with a signature, /packs/:slug?s=D.SIG,
// that the pack page's 分享 action hands out. Without a session it answers
// a small public preview (title, summary, card image, og: tags for chat
// apps' link previews, a sign-in button returning to the pack); with one it
// is the normal pack page. The body never leaves without a session.
//
// D is the day (days since 1970-01-01 UTC) the link stops working for
// people without a session; SIG is HMAC-SHA256 of the slug and D with the
// key of signed downloads and cards (linkKey). Why a long lifetime and not
// a per-version signature: a link pasted into a group chat is opened for
// weeks while editors keep fixing the pack, and a link that broke with
// each edit would send readers to a login page for no reason; the preview
// shows only what the card shows (title and summary), so a 90-day bound
// limits how long a leaked link tells anything, and archiving or deleting
// the pack ends it at once (404). D is rounded to the day, so the link is
// the same all day (the pack page stays cacheable). Rotating the server
// secret ends every share link, download link and card at once.
const shareLinkTTL = 90 * 24 * time.Hour

// shareParam is the query parameter of the signature.
const shareParam = "s"

// errShareSignature is the cause of a share link that does not verify.
var errShareSignature = errors.New("share link: missing, expired or wrong signature")

const shareDay = 24 * time.Hour

// shareSignature signs slug's share link valid until the end of day d.
func (s *server) shareSignature(slug string, d int64) string {
	m := hmac.New(sha256.New, s.linkKey())
	m.Write([]byte("jinnang-share\x00" + slug + "\x00" + strconv.FormatInt(d, 10)))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// shareToken is the s= value of slug's share link made now.
func (s *server) shareToken(slug string) string {
	d := s.now().Add(shareLinkTTL).UTC().Unix() / int64(shareDay/time.Second)
	return strconv.FormatInt(d, 10) + "." + s.shareSignature(slug, d)
}

// sharePath is the share link of slug (a path; see shareURL).
func (s *server) sharePath(slug string) string {
	return "/packs/" + url.PathEscape(slug) + "?" + url.Values{shareParam: {s.shareToken(slug)}}.Encode()
}

// validShare reports whether tok signs slug and has not expired.
func (s *server) validShare(slug, tok string) bool {
	ds, sig, ok := strings.Cut(tok, ".")
	if !ok || len(ds) > 12 {
		return false
	}
	d, err := strconv.ParseInt(ds, 10, 64)
	if err != nil || !hmac.Equal([]byte(sig), []byte(s.shareSignature(slug, d))) {
		return false
	}
	return s.now().UTC().Unix()/int64(shareDay/time.Second) <= d
}

// origin is the portal's public origin: the configured base URL, else the
// scheme and host of this request (the preview's og: URLs must be absolute).
func (s *server) origin(c echo.Context) string {
	if s.baseURL != "" {
		return s.baseURL
	}
	return c.Scheme() + "://" + c.Request().Host
}

// sharedOrUser guards /packs/:slug: signed-in users get the pack page; a
// visitor without a session holding a valid share link gets the public
// preview; anyone else goes to sign in (requireUser).
func (s *server) sharedOrUser(next echo.HandlerFunc) echo.HandlerFunc {
	signIn := s.requireUser(next)
	return func(c echo.Context) error {
		if userOf(c) != nil {
			return next(c)
		}
		tok := c.QueryParam(shareParam)
		if tok == "" {
			return signIn(c)
		}
		slug, err := pathParam(c, "slug")
		if err != nil {
			return err
		}
		if !s.validShare(slug, tok) {
			s.log.Debug("share link refused", "slug", slug, "err", errShareSignature)
			return signIn(c)
		}
		return s.sharePreview(c, slug)
	}
}

// sharePreviewView is the data of the public preview of a shared pack.
type sharePreviewView struct {
	base
	Pack      *packs.Pack
	SignInURL string
	Card      string // the signed card image
}

// sharePreview answers a valid share link without a session: the pack's
// title, summary and card, never its body. A pack that is not live
// (archived, deleted, unknown) is 404; a renamed one goes to a link of its
// new slug signed afresh (the old link's signature vouched for the pack).
func (s *server) sharePreview(c echo.Context, slug string) error {
	ctx := c.Request().Context()
	p, err := s.packs.Get(ctx, slug)
	if errors.Is(err, store.ErrNotFound) {
		if s.editor != nil {
			if to, rerr := s.editor.Resolve(ctx, slug); rerr == nil && to != slug {
				if _, gerr := s.packs.Get(ctx, to); gerr == nil {
					return c.Redirect(http.StatusMovedPermanently, s.sharePath(to))
				}
			}
		}
		return &Error{Status: http.StatusNotFound, Public: "error.404", Cause: fmt.Errorf("shared pack %q: %w", slug, err)}
	}
	if err != nil {
		return fmt.Errorf("shared pack %q: %w", slug, err)
	}
	l := langOf(c)
	v := sharePreviewView{base: s.newBase(c, l, "site.name"), Pack: p}
	v.Title, v.Nav = p.Meta.Title, "packs"
	back := "/packs/" + url.PathEscape(p.Slug) + "?" + c.Request().URL.RawQuery
	v.SignInURL = loginURL(safeNext(back))
	m := s.packShare(p)
	// The summary only: packShare falls back to the start of the body,
	// which must not leave without a session.
	m.Description = strings.TrimSpace(p.Meta.Summary)
	if m.Description == "" {
		m.Description = mustT(l, "share.preview.desc.no")
		if d := p.Meta.Department; d != "" {
			m.Description = mustT(l, "share.preview.desc", s.deptShown(d))
		}
	}
	o := s.origin(c)
	if s.baseURL == "" {
		m.Image = o + m.Image
	}
	m.URL = o + "/packs/" + url.PathEscape(p.Slug) + "?" + url.Values{shareParam: {c.QueryParam(shareParam)}}.Encode()
	v.Card = m.Image
	v.Share = m
	h := c.Response().Header()
	h.Set("Cache-Control", "private, max-age=300")
	h.Set("X-Robots-Tag", "noindex")
	return s.renderCached(c, http.StatusOK, pageSharePreview, tmplContent, v)
}

// pageSharePreview is the public preview of a shared pack.
const pageSharePreview = "sharepreview"

func init() { pageNames = append(pageNames, pageSharePreview) }
