package web

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"sort"
	"strings"

	"github.com/labstack/echo/v4"
)

const (
	assetPrefix     = "/assets/"
	assetHashLen    = 8
	assetCacheValue = "public, max-age=31536000, immutable"
)

// asset is one file served at its content-hash URL.
type asset struct {
	name        string // path inside the assets FS, e.g. "vendor/htmx/htmx.min.js"
	url         string // e.g. "/assets/vendor/htmx/htmx.min.1a2b3c4d.js"
	body        []byte
	contentType string
	etag        string
}

// assetTable maps names to hashed URLs and hashed URLs back to files.
type assetTable struct {
	byName  map[string]*asset
	byURL   map[string]*asset
	version string // hash over every asset hash, part of page ETags
}

// contentTypes overrides the platform MIME table for the types we serve, so
// headers do not depend on /etc/mime.types.
var contentTypes = map[string]string{
	".css":   "text/css; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".svg":   "image/svg+xml",
	".png":   "image/png",
	".ico":   "image/x-icon",
	".woff2": "font/woff2",
	".txt":   "text/plain; charset=utf-8",
}

// loadAssets reads and hashes every file in fsys.
func loadAssets(fsys fs.FS) (*assetTable, error) {
	t := &assetTable{byName: map[string]*asset{}, byURL: map[string]*asset{}}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || strings.HasPrefix(path.Base(name), ".") {
			return nil
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return fmt.Errorf("read asset %s: %w", name, err)
		}
		sum := sha256.Sum256(body)
		hash := hex.EncodeToString(sum[:])[:assetHashLen]
		ext := path.Ext(name)
		a := &asset{
			name:        name,
			url:         assetPrefix + strings.TrimSuffix(name, ext) + "." + hash + ext,
			body:        body,
			contentType: assetContentType(ext),
			etag:        `"` + hash + `"`,
		}
		t.byName[name] = a
		t.byURL[a.url] = a
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load assets: %w", err)
	}
	names := make([]string, 0, len(t.byName))
	for n := range t.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		fmt.Fprintf(h, "%s\x00%s\x00", n, t.byName[n].url)
	}
	t.version = hex.EncodeToString(h.Sum(nil))[:16]
	return t, nil
}

func assetContentType(ext string) string {
	if ct, ok := contentTypes[strings.ToLower(ext)]; ok {
		return ct
	}
	if ct := mime.TypeByExtension(ext); ct != "" {
		return ct
	}
	return "application/octet-stream"
}

// url is the template func "asset": the hashed URL of a named asset. An
// unknown name is an error, so a typo fails the render (and the tests).
func (t *assetTable) url(name string) (string, error) {
	a, ok := t.byName[name]
	if !ok {
		return "", fmt.Errorf("asset %q not found", name)
	}
	return a.url, nil
}

// precompressed reports whether an asset is already compressed, so gzip skips it.
func precompressed(p string) bool {
	switch strings.ToLower(path.Ext(p)) {
	case ".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".woff", ".woff2", ".gz", ".br", ".zip", ".ico":
		return true
	}
	return false
}

// serveAsset answers /assets/* for hashed URLs only; anything else is a 404.
func (s *server) serveAsset(c echo.Context) error {
	ui, err := s.ui()
	if err != nil {
		return err
	}
	a, ok := ui.assets.byURL[c.Request().URL.Path]
	if !ok {
		return &Error{Status: http.StatusNotFound, Public: "error.404", Cause: fmt.Errorf("unknown asset %q", c.Request().URL.Path)}
	}
	h := c.Response().Header()
	h.Set("Cache-Control", assetCacheValue)
	h.Set("ETag", a.etag)
	if etagMatches(c.Request().Header.Get("If-None-Match"), a.etag) {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(http.StatusOK, a.contentType, a.body)
}
