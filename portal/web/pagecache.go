package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"fmt"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"
)

// The hot pages (home and the pack page) compress their own responses
// (selfGzipRoutes: the gzip middleware skips them) so the gzip form of a
// page can be kept and sent again: gzip was a quarter of the CPU of a pack
// page under load. Two caches, both bounded by pageCacheBytes:
//
//   - gzip by content: the sha256 of a rendered page names its gzip form,
//     so the same bytes are compressed once, whatever produced them;
//   - rendered pages by render key: the pack page's key covers everything
//     the page shows (its ETag inputs plus the shared page data: user,
//     CSRF token, unread count, query), so a repeat view skips the template.
const pageCacheBytes = 16 << 20

// selfGzipRoutes are the routes whose handlers write through writePage.
var selfGzipRoutes = map[string]bool{"/": true, "/packs/:slug": true, "/search": true}

// pageCache is safe for concurrent use.
type pageCache struct {
	mu    sync.Mutex
	size  int
	gz    map[[32]byte][]byte // gzip form by sha256 of the page
	pages map[[32]byte][]byte // rendered page by render key
}

func newPageCache() *pageCache {
	return &pageCache{gz: map[[32]byte][]byte{}, pages: map[[32]byte][]byte{}}
}

// page returns the rendered page cached under key.
func (pc *pageCache) page(key [32]byte) ([]byte, bool) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	b, ok := pc.pages[key]
	return b, ok
}

// putPage caches body under key.
func (pc *pageCache) putPage(key [32]byte, body []byte) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	pc.makeRoom(len(body))
	if old, ok := pc.pages[key]; ok {
		pc.size -= len(old)
	}
	pc.pages[key] = body
	pc.size += len(body)
}

// gzipped returns the gzip form of body, compressing it only when these
// bytes were not compressed before.
func (pc *pageCache) gzipped(body []byte) ([]byte, error) {
	sum := sha256.Sum256(body)
	pc.mu.Lock()
	gz, ok := pc.gz[sum]
	pc.mu.Unlock()
	if ok {
		return gz, nil
	}
	var buf bytes.Buffer
	buf.Grow(len(body) / 2)
	w := gzipWriters.Get().(*gzip.Writer)
	defer gzipWriters.Put(w)
	w.Reset(&buf)
	if _, err := w.Write(body); err != nil {
		return nil, fmt.Errorf("gzip page: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("gzip page: %w", err)
	}
	gz = buf.Bytes()
	pc.mu.Lock()
	pc.makeRoom(len(gz))
	if _, ok := pc.gz[sum]; !ok {
		pc.gz[sum] = gz
		pc.size += len(gz)
	}
	pc.mu.Unlock()
	return gz, nil
}

// makeRoom empties the cache when n more bytes would exceed the bound
// (pc.mu held): simpler than LRU, and a full cache refills in a few requests.
func (pc *pageCache) makeRoom(n int) {
	if pc.size+n > pageCacheBytes {
		clear(pc.gz)
		clear(pc.pages)
		pc.size = 0
	}
}

var gzipWriters = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(nil, gzipLevel) // gzipLevel is valid
	return w
}}

// renderKey names a rendered page: the page, the template (layout or
// fragment), the language, the UI version and parts, each of which the
// caller vouches covers what the page shows.
func renderKey(page, name string, l Lang, version string, parts ...string) [32]byte {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s", page, name, l, version)
	for _, p := range parts {
		fmt.Fprintf(h, "\x00%d:%s", len(p), p)
	}
	var k [32]byte
	h.Sum(k[:0])
	return k
}

// renderCached is render for the self-gzipping routes: with cacheKey
// parts it serves a page rendered before under the same key; the response
// is gzipped (from the gzip cache) when the client accepts it.
func (s *server) renderCached(c echo.Context, status int, page, fragment string, data any, cacheKey ...string) error {
	u, err := s.ui()
	if err != nil {
		return err
	}
	l := langOf(c)
	t, ok := u.pages[l][page]
	if !ok {
		return fmt.Errorf("render: unknown page %q", page)
	}
	name := tmplLayout
	if isFragment(c.Request()) {
		name = fragment
	}
	var key [32]byte
	var body []byte
	if len(cacheKey) > 0 {
		key = renderKey(page, name, l, u.version+"\x00"+s.deptNamesGen(), cacheKey...) // deptName shows in cached pages
		body, ok = s.pages.page(key)
	}
	if body == nil {
		var buf bytes.Buffer
		if err := t.ExecuteTemplate(&buf, name, data); err != nil {
			return fmt.Errorf("render %s/%s: %w", page, name, err)
		}
		body = buf.Bytes()
		if len(cacheKey) > 0 {
			s.pages.putPage(key, body)
		}
	}
	return s.writePage(c, status, body)
}

// writePage sends an HTML page, gzipped when the client accepts gzip and
// the page is long enough to gain from it.
func (s *server) writePage(c echo.Context, status int, body []byte) error {
	setVary(c)
	h := c.Response().Header()
	if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "private, no-cache") // pages carry the user's name and CSRF token
	}
	h.Add(echo.HeaderVary, echo.HeaderAcceptEncoding)
	if len(body) < gzipMinLength || !strings.Contains(c.Request().Header.Get(echo.HeaderAcceptEncoding), "gzip") {
		return c.HTMLBlob(status, body)
	}
	gz, err := s.pages.gzipped(body)
	if err != nil {
		return err
	}
	h.Set(echo.HeaderContentEncoding, "gzip")
	return c.Blob(status, echo.MIMETextHTMLCharsetUTF8, gz)
}
