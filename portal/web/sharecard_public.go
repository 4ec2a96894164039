package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/packs"
)

// publicCardPath is the share card chat crawlers fetch: it needs no
// session, only a signature the portal put into the pack page's og:image
// (HMAC of the slug and the pack's version with the server secret), so
// nobody can ask for the card of a pack whose link they were not given.
const publicCardPath = "/share/packs/:slug/card.png"

// publicCardCache lets crawlers and CDNs keep a signed card for a day: the
// URL changes with the pack's version.
const publicCardCache = "public, max-age=86400"

// errCardSignature is the cause of a refused public card.
var errCardSignature = errors.New("share card: missing or wrong signature")

// shareCards holds the CJK font and the last cards drawn (a crawler storm
// on one shared link draws the card once).
type shareCards struct {
	cjk cardCJK

	mu  sync.Mutex
	png map[string][]byte // slug \x00 ETag → PNG
}

// maxCachedCards bounds shareCards.png (about 40 KB each).
const maxCachedCards = 128

func newShareCards(s *server, fontPath string) *shareCards {
	return &shareCards{cjk: cardCJK{path: fontPath, log: s.log}, png: map[string][]byte{}}
}

// packCardPNG draws (or recalls) the card of p's current version.
func (s *server) packCardPNG(p *packs.Pack) ([]byte, error) {
	sc := s.cards
	key := p.Slug + "\x00" + p.ETag
	sc.mu.Lock()
	b, ok := sc.png[key]
	sc.mu.Unlock()
	if ok {
		return b, nil
	}
	b, err := renderCard(sc.cjk.titleFace(), p.Meta.Title, p.Slug)
	if err != nil {
		return nil, err
	}
	sc.mu.Lock()
	if len(sc.png) >= maxCachedCards {
		clear(sc.png)
	}
	sc.png[key] = b
	sc.mu.Unlock()
	return b, nil
}

// cardVersion names p's version in the card URL (from its ETag).
func cardVersion(p *packs.Pack) string {
	sum := sha256.Sum256([]byte(p.ETag))
	return hex.EncodeToString(sum[:6])
}

// cardSignature signs a public card URL.
func (s *server) cardSignature(slug, version string) string {
	m := hmac.New(sha256.New, s.linkKey())
	m.Write([]byte("jinnang-card\x00" + slug + "\x00" + version))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// publicCardURL is the signed, session-free card of p (absolute with a
// base URL), used as og:image.
func (s *server) publicCardURL(p *packs.Pack) string {
	v := cardVersion(p)
	q := url.Values{"v": {v}, "sig": {s.cardSignature(p.Slug, v)}}
	return s.baseURL + "/share/packs/" + url.PathEscape(p.Slug) + "/card.png?" + q.Encode()
}

// publicPackCard is GET /share/packs/:slug/card.png?v=V&sig=S: the card of
// a live pack for whoever holds a link the portal signed, no session
// needed. A missing or tampered signature is 403; an archived, deleted or
// unknown pack 404. A link signed for an older version draws the current
// card (the signature vouches for the pack, the version only busts caches).
func (s *server) publicPackCard(c echo.Context) error {
	slug, err := pathParam(c, "slug")
	if err != nil {
		return err
	}
	v, sig := c.QueryParam("v"), c.QueryParam("sig")
	if v == "" || !hmac.Equal([]byte(sig), []byte(s.cardSignature(slug, v))) {
		return &Error{Status: http.StatusForbidden, Public: "error.403", Cause: errCardSignature}
	}
	p, err := s.packs.Get(c.Request().Context(), slug)
	if err != nil {
		return fmt.Errorf("public card of pack %q: %w", slug, err)
	}
	b, err := s.packCardPNG(p)
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Cache-Control", publicCardCache)
	if cardVersion(p) != v {
		h.Set("Cache-Control", cardCache)
	}
	h.Set("X-Content-Type-Options", "nosniff")
	return c.Blob(http.StatusOK, "image/png", b)
}
