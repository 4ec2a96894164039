package web

import (
	"io"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/store"
)

// serveJPEG streams a JPEG that Jinnang re-encoded itself (story and
// suggestion photos): inline, nosniff, with the store ETag for 304s and the
// caller's Cache-Control.
func serveJPEG(c echo.Context, rc io.Reader, obj store.Object, cacheControl string) error {
	h := c.Response().Header()
	h.Set("Cache-Control", cacheControl)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Disposition", "inline")
	etag := `"` + obj.ETag + `"`
	h.Set("ETag", etag)
	if etagMatches(c.Request().Header.Get("If-None-Match"), etag) {
		return c.NoContent(http.StatusNotModified)
	}
	h.Set("Content-Length", strconv.FormatInt(obj.Size, 10))
	return c.Stream(http.StatusOK, "image/jpeg", rc)
}
