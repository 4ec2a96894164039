package web

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/files"
	"github.com/jinnang/jinnang/portal/qr"
	"github.com/jinnang/jinnang/portal/store"
)

const (
	// presignExpiry is how long a presigned download URL lives.
	presignExpiry = 10 * time.Minute
	// previewCSP locks an inline image down: no script, no plugins, no
	// framing, same-origin images only.
	previewCSP = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'"
	// pdfPreviewCSP is previewCSP without "sandbox": Chrome and Safari refuse
	// to run their PDF viewer in a sandboxed document (crbug 413851), and the
	// inline PDF opens as a top-level page in a new tab, never framed.
	pdfPreviewCSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; object-src 'self'; frame-ancestors 'none'; form-action 'none'; base-uri 'none'"
	// qrCache lets browsers and proxies keep a QR image for a day.
	qrCache = "public, max-age=86400"
	// qrDefaultSize and the bounds of ?size= for /qr.png, in pixels.
	qrDefaultSize, qrMinSize, qrMaxSize = 256, 128, 1024
)

// inWeChatOnly reports WeChat's in-app browser, which blocks downloads.
// WeCom's browser (wxwork) can download, so it is not included.
func inWeChatOnly(r *http.Request) bool {
	ua := r.UserAgent()
	return strings.Contains(ua, "MicroMessenger") && !strings.Contains(ua, "wxwork")
}

// weChatView is the data of the "open in browser" page.
type weChatView struct {
	base
	File *files.File
	Link string // absolute signed download URL (no session needed)
	// PreviewLink opens a PDF or Office file inline (iOS previews it); "" for other types.
	PreviewLink string
	Minutes     int // how long the links work
}

// download is GET /files/:id/download?v=N: the bytes, streamed with Range
// support, as an attachment under the original name; a presigned redirect
// when configured; inside WeChat a page that explains how to open the link
// in a real browser.
func (s *server) download(c echo.Context) error {
	f, err := s.loadFile(c)
	if err != nil {
		return err
	}
	n, err := versionParam(c)
	if err != nil {
		return err
	}
	req := c.Request()
	ctx := req.Context()
	if inWeChatOnly(req) {
		if _, ok := f.Version(n); !ok {
			return &Error{Status: http.StatusNotFound, Public: "error.404", Cause: fmt.Errorf("file %s has no version %d: %w", f.ID, n, store.ErrNotFound)}
		}
		v := weChatView{base: s.newBase(c, langOf(c), "wechat.title"), File: f, Link: s.absURL(c, s.signedLink(f, n, false)),
			Minutes: int(files.LinkTTL.Minutes())}
		if ver, _ := f.Version(n); inlineOnPhone(ver.MediaType) {
			v.PreviewLink = s.absURL(c, s.signedLink(f, n, true))
		}
		v.Nav = "files"
		return s.render(c, http.StatusOK, pageWeChat, tmplContent, v)
	}
	if n > 0 {
		if _, ok := f.Version(n); !ok {
			return &Error{Status: http.StatusNotFound, Public: "error.404", Cause: fmt.Errorf("file %s has no version %d: %w", f.ID, n, store.ErrNotFound)}
		}
	}
	if s.presign && req.Method == http.MethodGet {
		u, err := s.files.PresignURL(ctx, f.ID, n, presignExpiry)
		if err != nil {
			return fmt.Errorf("presign file %s v%d: %w", f.ID, n, err)
		}
		if u != "" {
			s.files.CountDownload(ctx, f.ID)
			c.Response().Header().Set("Cache-Control", "no-store")
			return c.Redirect(http.StatusFound, u)
		}
	}
	if countable(req) {
		s.files.CountDownload(ctx, f.ID)
	}
	return s.serveVersion(c, f, n, "attachment", "")
}

// countable reports whether a request downloads a file (not a HEAD, not the
// second half of a resumed download).
func countable(r *http.Request) bool {
	if r.Method != http.MethodGet {
		return false
	}
	rg := strings.TrimSpace(r.Header.Get("Range"))
	return rg == "" || strings.HasPrefix(rg, "bytes=0-")
}

// preview is GET /files/:id/preview?v=N: images and PDFs inline under a
// locked-down CSP; any other type goes to the download.
func (s *server) preview(c echo.Context) error {
	f, err := s.loadFile(c)
	if err != nil {
		return err
	}
	n, err := versionParam(c)
	if err != nil {
		return err
	}
	ver := f.Current()
	if n > 0 {
		var ok bool
		if ver, ok = f.Version(n); !ok {
			return &Error{Status: http.StatusNotFound, Public: "error.404", Cause: fmt.Errorf("file %s has no version %d: %w", f.ID, n, store.ErrNotFound)}
		}
	}
	if !previewable(ver.MediaType) {
		target := fileURL(f.ID) + "/download"
		if n > 0 {
			target += "?v=" + strconv.Itoa(n)
		}
		return c.Redirect(http.StatusSeeOther, target)
	}
	csp := previewCSP
	if strings.HasPrefix(ver.MediaType, "application/pdf") {
		csp = pdfPreviewCSP
	}
	return s.serveVersion(c, f, n, "inline", csp)
}

// serveVersion streams version n of f with http.ServeContent: strong ETag
// (the content hash), Range and If-Range, 304s, the sniffed type (never one
// guessed from the name), and the given disposition.
func (s *server) serveVersion(c echo.Context, f *files.File, n int, disposition, csp string) error {
	rs, ver, _, err := s.files.Open(c.Request().Context(), f.ID, n)
	if err != nil {
		return fmt.Errorf("open file %s v%d: %w", f.ID, n, err)
	}
	defer func() {
		if err := rs.Close(); err != nil {
			s.log.Warn("close file stream", slog.String("file", f.ID), slog.Any("err", err))
		}
	}()
	h := c.Response().Header()
	ct := ver.MediaType
	if ct == "" {
		ct = store.DefaultContentType
	}
	h.Set("Content-Type", ct)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Disposition", store.ContentDisposition(disposition, ver.Name))
	h.Set("Cache-Control", "private, no-cache")
	if ver.SHA256 != "" {
		h.Set("ETag", `"`+ver.SHA256+`"`)
	}
	if csp != "" {
		h.Set("Content-Security-Policy", csp)
	}
	// ServeContent takes the type from the header we set, never from the name.
	http.ServeContent(c.Response(), c.Request(), "", ver.At, rs)
	return nil
}

// qrPNG is GET /qr.png?path=/x[&size=N]: a QR code of the absolute URL of a local path.
func (s *server) qrPNG(c echo.Context) error {
	p, err := localPath(c.QueryParam("path"))
	if err != nil {
		return err
	}
	size := qrDefaultSize
	if raw := c.QueryParam("size"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil {
			return &Error{Status: http.StatusBadRequest, Public: "error.400", Cause: fmt.Errorf("qr size %q", raw)}
		}
		size = min(max(n, qrMinSize), qrMaxSize)
	}
	b, err := qr.PNG(s.absURL(c, p), size)
	if err != nil {
		return fmt.Errorf("qr png for %s: %w", p, err)
	}
	c.Response().Header().Set("Cache-Control", qrCache)
	return c.Blob(http.StatusOK, "image/png", b)
}

// qrSVG is GET /qr.svg?path=/x: the same QR code as a crisp SVG.
func (s *server) qrSVG(c echo.Context) error {
	p, err := localPath(c.QueryParam("path"))
	if err != nil {
		return err
	}
	b, err := qr.SVG(s.absURL(c, p))
	if err != nil {
		return fmt.Errorf("qr svg for %s: %w", p, err)
	}
	h := c.Response().Header()
	h.Set("Cache-Control", qrCache)
	// An SVG opened on its own is a document: no script, whatever it holds.
	h.Set("Content-Security-Policy", previewCSP)
	return c.Blob(http.StatusOK, "image/svg+xml", b)
}

// departmentQR is GET /departments/:name/qr: the department's WeChat group QR image.
func (s *server) departmentQR(c echo.Context) error {
	name, err := deptParam(c)
	if err != nil {
		return err
	}
	rc, obj, err := s.files.DepartmentQR(c.Request().Context(), name)
	if err != nil {
		return fmt.Errorf("department %q qr: %w", name, err)
	}
	defer func() {
		if err := rc.Close(); err != nil {
			s.log.Warn("close department qr", slog.String("department", name), slog.Any("err", err))
		}
	}()
	ct := obj.ContentType
	if ct != "image/png" && ct != "image/jpeg" {
		ct = store.DefaultContentType // the service only stores PNG/JPEG; never let a stored type become HTML
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "private, no-cache")
	h.Set("Content-Security-Policy", previewCSP)
	if obj.ETag != "" {
		etag := `"` + obj.ETag + `"`
		h.Set("ETag", etag)
		if etagMatches(c.Request().Header.Get("If-None-Match"), etag) {
			return c.NoContent(http.StatusNotModified)
		}
	}
	if obj.Size > 0 {
		h.Set("Content-Length", strconv.FormatInt(obj.Size, 10))
	}
	c.Response().Header().Set("Content-Type", ct)
	c.Response().WriteHeader(http.StatusOK)
	if c.Request().Method == http.MethodHead {
		return nil
	}
	if _, err := io.Copy(c.Response(), rc); err != nil {
		return fmt.Errorf("send department %q qr: %w", name, err)
	}
	return nil
}
