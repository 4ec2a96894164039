package web

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/images"
	"github.com/jinnang/jinnang/portal/index"
)

// fileCard is one file of the library list: the hit with the type group
// (for the icon), size and the download and thumbnail links.
type fileCard struct {
	index.Hit
	ID       string
	Name     string
	Size     int64
	Group    string // pdf, word, excel, ppt, image, zip, other
	Download string
	Thumb    string // "" unless the file is an image
}

// fileGroups map a file name's extension to its icon group.
var fileGroups = map[string]string{
	".pdf": "pdf",
	".doc": "word", ".docx": "word",
	".xls": "excel", ".xlsx": "excel", ".csv": "excel",
	".ppt": "ppt", ".pptx": "ppt",
	".png": "image", ".jpg": "image", ".jpeg": "image", ".gif": "image", ".webp": "image",
	".zip": "zip", ".rar": "zip", ".7z": "zip",
}

// fileGroup is the icon group of a version: by the name's extension, else
// by the sniffed media type.
func fileGroup(name, mediaType string) string {
	if g, ok := fileGroups[strings.ToLower(path.Ext(name))]; ok {
		return g
	}
	if key, ok := typeNames[baseType(mediaType)]; ok {
		switch g := strings.TrimPrefix(key, "type."); g {
		case "pdf", "word", "excel", "ppt", "image", "zip":
			return g
		}
	}
	return "other"
}

// baseType is a media type without parameters.
func baseType(mt string) string {
	b, _, _ := strings.Cut(mt, ";")
	return strings.TrimSpace(b)
}

// thumbable reports whether a version gets an image thumbnail.
func thumbable(mediaType string) bool {
	switch baseType(mediaType) {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
		return true
	}
	return false
}

// fileIDOfHit is the file ID of a library hit (its URL is /files/<id>).
func fileIDOfHit(h index.Hit) string {
	id, ok := strings.CutPrefix(h.Doc.URL, "/files/")
	if !ok || !validFileID(id) {
		return ""
	}
	return id
}

// fileCards reads the records of a page of hits (at most filesPerPage, a few at
// a time) for their size and type. A record that fails to load keeps the
// card with the hit only.
func (s *server) fileCards(c echo.Context, hits []index.Hit) []fileCard {
	out := make([]fileCard, len(hits))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i, h := range hits {
		out[i] = fileCard{Hit: h, Group: "other", Download: h.Doc.URL + "/download"}
		id := fileIDOfHit(h)
		if id == "" {
			continue
		}
		out[i].ID = id
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			f, err := s.files.Get(c.Request().Context(), id)
			if err != nil {
				if !isNotFound(err) {
					s.log.Warn("file card", slog.String("file", id), slog.Any("err", err))
				}
				return
			}
			cur := f.Current()
			out[i].Name, out[i].Size, out[i].Group = cur.Name, cur.Size, fileGroup(cur.Name, cur.MediaType)
			if thumbable(cur.MediaType) {
				out[i].Thumb = fileURL(id) + "/thumb"
			}
		}()
	}
	wg.Wait()
	return out
}

// maxThumbSource bounds the bytes of an image the thumbnail route decodes.
const maxThumbSource = 15 << 20

// fileThumb is GET /files/:id/thumb: a small JPEG of the current version
// of an image file, decoded under the process decode budget and the image
// limits (pixels, sides); other types are 404.
func (s *server) fileThumb(c echo.Context) error {
	f, err := s.loadFile(c)
	if err != nil {
		return err
	}
	cur := f.Current()
	if !thumbable(cur.MediaType) {
		return &Error{Status: http.StatusNotFound, Public: "error.404", Cause: fmt.Errorf("file %s is not an image", f.ID)}
	}
	etag := `"thumb-` + cur.SHA256 + `"`
	h := c.Response().Header()
	h.Set("Cache-Control", "private, max-age=86400")
	h.Set("ETag", etag)
	if c.Request().Header.Get("If-None-Match") == etag {
		return c.NoContent(http.StatusNotModified)
	}
	rs, _, _, err := s.files.Open(c.Request().Context(), f.ID, 0)
	if err != nil {
		return fmt.Errorf("open file %s: %w", f.ID, err)
	}
	defer func() {
		if err := rs.Close(); err != nil {
			s.log.Warn("close file stream", slog.String("file", f.ID), slog.Any("err", err))
		}
	}()
	lim := images.DefaultLimits()
	lim.MaxBytes, lim.Thumb, lim.LongSide = maxThumbSource, 160, 160
	lim.Budget, lim.Ctx = s.decodes, c.Request().Context()
	res, err := images.Process(rs, lim)
	if err != nil {
		if r := photoRefusal(c, err); r != nil {
			return r
		}
		if errors.Is(err, images.ErrBudget) {
			return &Error{Status: http.StatusServiceUnavailable, Public: "error.503", Cause: err}
		}
		return &Error{Status: http.StatusNotFound, Public: "error.404", Cause: fmt.Errorf("thumbnail of %s: %w", f.ID, err)}
	}
	h.Set("X-Content-Type-Options", "nosniff")
	return c.Stream(http.StatusOK, "image/jpeg", bytes.NewReader(res.Thumb))
}

// onPhone reports whether the request comes from a phone or an in-app
// browser (WeChat, WeCom): there a "scan to open on your phone" QR code is
// pointless.
func onPhone(r *http.Request) bool {
	ua := r.UserAgent()
	if inWeChat(r) {
		return true
	}
	for _, m := range []string{"Mobi", "Android", "iPhone", "iPod", "HarmonyOS"} {
		if strings.Contains(ua, m) {
			return true
		}
	}
	return false
}
