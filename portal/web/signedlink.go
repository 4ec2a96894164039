package web

import (
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/files"
	"github.com/jinnang/jinnang/portal/store"
)

// signedDownloadPath is the public route of signed download links.
const signedDownloadPath = "/dl/:id"

func init() {
	addMessages(map[string][2]string{
		"wechat.preview":      {"在浏览器中预览", "Preview in the browser"},
		"wechat.link.expires": {"链接 %d 分钟内有效，无需登录。", "The link works for %d minutes without signing in."},
		"dl.expired":          {"下载链接已过期，请回到微信重新打开。", "The download link has expired. Open it again from WeChat."},
	})
}

// linkKey is the key of signed download links: the configured secret key,
// shared by all portal processes, else this process's random key.
func (s *server) linkKey() []byte {
	if len(s.auth.LinkKey) > 0 {
		return s.auth.LinkKey
	}
	return s.anonKey
}

// signedLink is the path of a signed link to version n (0: current, pinned
// to its number) of f, valid for files.LinkTTL; inline asks for a preview.
func (s *server) signedLink(f *files.File, n int, inline bool) string {
	if n == 0 {
		n = f.Current().N
	}
	exp := s.now().Add(files.LinkTTL).Truncate(time.Second)
	q := url.Values{"v": {strconv.Itoa(n)}, "exp": {strconv.FormatInt(exp.Unix(), 10)}, "sig": {files.SignLink(s.linkKey(), f.ID, n, exp)}}
	if inline {
		q.Set("inline", "1")
	}
	return "/dl/" + url.PathEscape(f.ID) + "?" + q.Encode()
}

// inlineOnPhone reports the types that iOS (WeChat, Safari) previews
// inline: PDF and Office documents.
func inlineOnPhone(mediaType string) bool {
	mt, _, err := mime.ParseMediaType(mediaType)
	if err != nil {
		return false
	}
	switch mt {
	case "application/pdf",
		"application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint",
		"application/vnd.openxmlformats-officedocument.wordprocessingml.document",
		"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
		"application/vnd.openxmlformats-officedocument.presentationml.presentation":
		return true
	}
	return false
}

// signedDownload is GET /dl/:id?v=N&exp=T&sig=S[&inline=1]: the bytes of
// one file version for whoever holds a link the portal signed less than 15
// minutes ago — no session needed. A wrong, tampered or expired link is 403.
func (s *server) signedDownload(c echo.Context) error {
	id := c.Param("id")
	n, err1 := strconv.Atoi(c.QueryParam("v"))
	unix, err2 := strconv.ParseInt(c.QueryParam("exp"), 10, 64)
	if err1 != nil || err2 != nil || n < 1 || !validFileID(id) {
		return &Error{Status: http.StatusForbidden, Public: "dl.expired", Cause: files.ErrLinkInvalid}
	}
	if err := files.CheckLink(s.linkKey(), id, n, time.Unix(unix, 0), c.QueryParam("sig"), s.now()); err != nil {
		return &Error{Status: http.StatusForbidden, Public: "dl.expired", Cause: err}
	}
	f, err := s.files.Get(c.Request().Context(), id)
	if err != nil {
		return fmt.Errorf("file %s: %w", id, err)
	}
	ver, ok := f.Version(n)
	if !ok {
		return &Error{Status: http.StatusNotFound, Public: "error.404", Cause: fmt.Errorf("file %s has no version %d: %w", f.ID, n, store.ErrNotFound)}
	}
	if countable(c.Request()) && c.QueryParam("inline") != "1" {
		s.files.CountDownload(c.Request().Context(), f.ID)
	}
	if c.QueryParam("inline") == "1" && inlineOnPhone(ver.MediaType) {
		csp := previewCSP
		if mt, _, _ := mime.ParseMediaType(ver.MediaType); mt == "application/pdf" {
			csp = pdfPreviewCSP
		}
		return s.serveVersion(c, f, n, "inline", csp)
	}
	return s.serveVersion(c, f, n, "attachment", "")
}
