package web

import (
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/files"
	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/markdown"
	"github.com/jinnang/jinnang/portal/store"
)

// fileLibraryView is the data of /files and its results fragment.
type fileLibraryView struct {
	base
	Searched   bool // a keyword was given (relevance order, highlighted snippets)
	Truncated  bool
	MaxLen     int
	Dept, Tag  string
	Hits       []index.Hit
	Pager      pager
	Filters    []filter
	DeptFacets []facetLink
	TagFacets  []facetLink
	UploadURL  string     // "" unless the user edits some department
	Cards      []fileCard // the hits with type, size and links (filecards.go)
}

// filesPerPage is how many files a page of the library shows: each card
// reads its file record, so with the session a page stays within 20 store
// operations (older pages are a 下一页 link away, without JS too).
const filesPerPage = 15

// fileLibrary is /files?q=&dept=&tag=: every department file, newest first,
// or the files matching q; HTMX gets only the results.
func (s *server) fileLibrary(c echo.Context) error {
	text, truncated := cleanParam(c.QueryParam("q"))
	dept, _ := cleanParam(c.QueryParam("dept"))
	tag, _ := cleanParam(c.QueryParam("tag"))
	l := langOf(c)
	v := fileLibraryView{base: s.newBase(c, l, "files.title"), Truncated: truncated, MaxLen: maxQueryLen, Dept: dept, Tag: tag}
	v.Nav, v.Query, v.Searched = "files", text, text != ""
	if u := userOf(c); u.IsEditor() {
		v.UploadURL = "/files/new"
		if dept != "" && u.CanEdit(dept) {
			v.UploadURL += "?" + url.Values{"dept": {dept}}.Encode()
		}
	}
	page := pageParam(c)
	iq := index.Query{Text: text, Department: dept, Tag: tag, Sort: index.SortNewest,
		Offset: (page - 1) * filesPerPage, Limit: filesPerPage, Facets: true}
	if text != "" {
		iq.Sort = index.SortRelevance
	}
	res, err := s.files.Search(c.Request().Context(), iq)
	if err != nil {
		return fmt.Errorf("file library: %w", err)
	}
	q := url.Values{}
	setIf(q, "q", text)
	setIf(q, "dept", dept)
	setIf(q, "tag", tag)
	v.Hits = res.Hits
	v.Cards = s.fileCards(c, res.Hits)
	v.Pager = newPagerParam("/files", q, "page", page, res.Total, filesPerPage)
	v.Filters = activeFilters("/files", q)
	v.DeptFacets = facetLinks("/files", q, "dept", res.Facets["department"])
	v.TagFacets = facetLinks("/files", q, "tag", res.Facets["tag"])
	return s.render(c, http.StatusOK, pageFiles, tmplFileResults, v)
}

// fileView is the data of a file page.
type fileView struct {
	base
	File      *files.File
	Current   files.Version
	Versions  []files.Version // newest first
	Preview   bool            // the current version can be shown inline
	PageURL   string          // this page, for the QR code
	Phone     bool            // the visitor is on a phone: no "scan to open on phone" QR
	Group     string          // icon group of the current version (filecards.go)
	Thumb     string          // thumbnail of an image file, else ""
	CanEdit   bool
	Downloads int64 // editors only
	Errors    map[string]string
	ETag      string
	Accept    string // the new-version file input's accept list
}

// filePage shows one file: its details, versions, QR code and, for editors
// of its department, the download count and the editing forms.
func (s *server) filePage(c echo.Context) error {
	f, err := s.loadFile(c)
	if err != nil {
		return err
	}
	v, err := s.newFileView(c, f)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, pageFile, tmplContent, v)
}

// newFileView fills the file page for f.
func (s *server) newFileView(c echo.Context, f *files.File) (fileView, error) {
	l := langOf(c)
	v := fileView{base: s.newBase(c, l, "site.name"), File: f, Current: f.Current(), PageURL: fileURL(f.ID),
		Errors: map[string]string{}, ETag: f.ETag, Accept: uploadAccept}
	v.Title, v.Nav = f.Title, "files"
	for i := len(f.Versions) - 1; i >= 0; i-- {
		v.Versions = append(v.Versions, f.Versions[i])
	}
	v.Preview = previewable(v.Current.MediaType)
	v.Phone, v.Group = onPhone(c.Request()), fileGroup(v.Current.Name, v.Current.MediaType)
	c.Response().Header().Add("Vary", "User-Agent")
	if thumbable(v.Current.MediaType) {
		v.Thumb = fileURL(f.ID) + "/thumb"
	}
	if v.CanEdit = userOf(c).CanEdit(f.Department); v.CanEdit {
		n, err := s.files.Downloads(c.Request().Context(), f.ID)
		if err != nil {
			// The count is a convenience; the page works without it.
			s.log.Warn("download count", slog.String("file", f.ID), slog.Any("err", err))
			n = -1
		}
		v.Downloads = n
	}
	return v, nil
}

// loadFile reads the file named by the :id path parameter.
func (s *server) loadFile(c echo.Context) (*files.File, error) {
	id, err := pathParam(c, "id")
	if err != nil {
		return nil, err
	}
	if !validFileID(id) {
		return nil, &Error{Status: http.StatusNotFound, Public: "error.404", Cause: fmt.Errorf("file id %q: %w", id, store.ErrNotFound)}
	}
	f, err := s.files.Get(c.Request().Context(), id)
	if err != nil {
		return nil, fmt.Errorf("file %s: %w", id, err)
	}
	return f, nil
}

// validFileID accepts the server-chosen IDs (lowercase base32) and nothing
// that could reach the store as another key.
func validFileID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// editableFile loads the file named in the path and checks that the user
// edits its department.
func (s *server) editableFile(c echo.Context) (*files.File, error) {
	f, err := s.loadFile(c)
	if err != nil {
		return nil, err
	}
	if u := userOf(c); !u.CanEdit(f.Department) {
		return nil, forbidden(fmt.Errorf("%s may not edit file %s of %s", u.ID, f.ID, f.Department))
	}
	return f, nil
}

// versionParam reads ?v=N: 0 (the current version) when absent.
func versionParam(c echo.Context) (int, error) {
	raw := c.QueryParam("v")
	if raw == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 {
		return 0, &Error{Status: http.StatusBadRequest, Public: "error.400", Cause: fmt.Errorf("version %q", raw)}
	}
	return n, nil
}

// fileURL is the page of a file.
func fileURL(id string) string { return "/files/" + url.PathEscape(id) }

// humanBytes formats a size the way people read it (1.5 MB).
func humanBytes(l Lang, n int64) string {
	const unit = 1024
	switch {
	case n < unit:
		return mustT(l, "size.bytes", n)
	case n < unit*unit:
		return strconv.FormatFloat(float64(n)/unit, 'f', 1, 64) + " KB"
	case n < unit*unit*unit:
		return strconv.FormatFloat(float64(n)/(unit*unit), 'f', 1, 64) + " MB"
	}
	return strconv.FormatFloat(float64(n)/(unit*unit*unit), 'f', 1, 64) + " GB"
}

// typeNames are friendly names of the media types the library accepts.
var typeNames = map[string]string{
	"application/pdf": "type.pdf",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document": "type.word",
	"application/msword": "type.word",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "type.excel",
	"application/vnd.ms-excel": "type.excel",
	"application/vnd.openxmlformats-officedocument.presentationml.presentation": "type.ppt",
	"application/vnd.ms-powerpoint":                                             "type.ppt",
	"text/plain":                                                                "type.text",
	"text/markdown":                                                             "type.markdown",
	"text/csv":                                                                  "type.csv",
	"image/png":                                                                 "type.image",
	"image/jpeg":                                                                "type.image",
	"image/gif":                                                                 "type.image",
	"image/webp":                                                                "type.image",
	"application/zip":                                                           "type.zip",
}

// typeName is the friendly name of a media type, else the type itself.
func typeName(l Lang, mediaType string) string {
	mt, _, err := mime.ParseMediaType(mediaType)
	if err != nil {
		return mediaType
	}
	if key, ok := typeNames[mt]; ok {
		return mustT(l, key)
	}
	return mt
}

// previewable reports whether a sniffed type is shown inline by /preview.
func previewable(mediaType string) bool {
	mt, _, err := mime.ParseMediaType(mediaType)
	if err != nil {
		return false
	}
	switch mt {
	case "image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf":
		return true
	}
	return false
}

// checkBaseURL accepts an absolute http(s) URL without query or fragment.
func checkBaseURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("web: Options.BaseURL %q must be an absolute http(s) URL", raw)
	}
	return nil
}

// absURL makes a local path absolute: BaseURL, else the request's scheme and host.
func (s *server) absURL(c echo.Context, path string) string {
	if s.baseURL != "" {
		return s.baseURL + path
	}
	return c.Scheme() + "://" + c.Request().Host + path
}

// localPath checks a ?path= for QR codes: a same-site path ("/x"), never
// "//host" or anything a browser reads as another site.
func localPath(p string) (string, error) {
	if p == "" || safeNext(p) != p {
		return "", &Error{Status: http.StatusBadRequest, Public: "error.400", Cause: fmt.Errorf("qr path %q is not a local path", p)}
	}
	return p, nil
}

// isNotFound reports a missing record.
func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

// splitTags reads a comma-separated tag list (ASCII or Chinese commas),
// trimmed, without empties or duplicates.
func splitTags(raw string) []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range strings.FieldsFunc(raw, markdown.IsListSeparator) {
		t = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(t), "#"))
		if t != "" && !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}
