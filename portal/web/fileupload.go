package web

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/audit"
	"github.com/jinnang/jinnang/portal/auth"
	"github.com/jinnang/jinnang/portal/extract"
	"github.com/jinnang/jinnang/portal/files"
	"github.com/jinnang/jinnang/portal/store"
)

const (
	// uploadBodyLimit is the body limit of the file upload routes: the
	// largest file plus room for the form fields and multipart framing.
	uploadBodyLimit = files.MaxUpload + 1<<20
	// qrBodyLimit is the body limit of the department QR upload (images ≤ 2 MiB).
	qrBodyLimit = 3 << 20
	// maxFieldBytes bounds each text field of an upload form.
	maxFieldBytes = 16 << 10
	// sniffLen is how much of a file the type message looks at (as files does).
	sniffLen = 3072

	maxFileTitle = 120  // runes
	maxFileDesc  = 2000 // runes
	maxTags      = 10
	maxTagLen    = 20 // runes

	// uploadAccept is the file input's accept list (a hint; the server sniffs).
	uploadAccept = ".pdf,.doc,.docx,.xls,.xlsx,.ppt,.pptx,.txt,.md,.csv,.png,.jpg,.jpeg,.gif,.webp,.zip"
)

// maxBody caps the request body of one route at n bytes while it streams
// (the global limit skips upload routes). Reading past n fails with
// *http.MaxBytesError.
func maxBody(n int64) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			req.Body = http.MaxBytesReader(c.Response(), req.Body, n)
			return next(c)
		}
	}
}

// formFields are the text fields of a multipart form, read before its file.
type formFields struct {
	values  map[string]string
	tooLong map[string]bool
}

func (f formFields) get(name string) string { return f.values[name] }

// errTooLarge marks a body over the route's limit.
var errTooLarge = errors.New("request body over the upload limit")

// readUntilFile walks a multipart body in order, reading text fields (each at
// most maxFieldBytes) until the first file part, which it returns unread.
// The CSRF token must come before the file (form field _csrf) or in the
// X-CSRF-Token header; it is checked before the file is touched. part is nil
// when the form has no file (or an empty file input). Nothing is buffered
// beyond one field.
func readUntilFile(c echo.Context) (formFields, *multipart.Part, error) {
	req := c.Request()
	fields := formFields{values: map[string]string{}, tooLong: map[string]bool{}}
	sess, _ := sessionOf(c)
	csrfOK := auth.CheckCSRF(sess, req.Header.Get(csrfHeader))
	csrfErr := &Error{Status: http.StatusForbidden, Public: "error.csrf", Cause: errors.New("upload: csrf token missing, wrong or after the file")}
	mr, err := req.MultipartReader()
	if err != nil {
		return fields, nil, &Error{Status: http.StatusBadRequest, Public: "error.400", Cause: fmt.Errorf("upload: %w", err)}
	}
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			if !csrfOK {
				return fields, nil, csrfErr
			}
			return fields, nil, nil
		}
		if err != nil {
			return fields, nil, bodyError(err)
		}
		name := p.FormName()
		if p.FileName() != "" {
			if !csrfOK {
				return fields, nil, csrfErr
			}
			return fields, p, nil
		}
		b, err := io.ReadAll(io.LimitReader(p, maxFieldBytes+1))
		if err != nil {
			return fields, nil, bodyError(err)
		}
		if len(b) > maxFieldBytes {
			b = b[:maxFieldBytes]
			fields.tooLong[name] = true
		}
		val := strings.ToValidUTF8(string(b), "")
		if name == csrfField {
			csrfOK = csrfOK || auth.CheckCSRF(sess, val)
			continue
		}
		if _, dup := fields.values[name]; !dup { // the first value wins, as with FormValue
			fields.values[name] = strings.ReplaceAll(val, "\r\n", "\n")
		}
	}
}

// bodyError maps a failure to read the request body.
func bodyError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return fmt.Errorf("upload: %w: %w", errTooLarge, err)
	}
	return &Error{Status: http.StatusBadRequest, Public: "error.400", Cause: fmt.Errorf("upload: read body: %w", err)}
}

// drain reads what is left of the request body (at most the route's limit)
// so a browser still sending gets to read the answer.
func (s *server) drain(c echo.Context) {
	_, err := io.Copy(io.Discard, c.Request().Body)
	var mbe *http.MaxBytesError
	if err != nil && !errors.As(err, &mbe) {
		s.log.Debug("drain upload body", slog.Any("err", err))
	}
}

// headRecorder keeps the first sniffLen bytes read through it, for the
// "type not allowed" message.
type headRecorder struct {
	r    io.Reader
	head []byte
}

func (h *headRecorder) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	if room := sniffLen - len(h.head); room > 0 && n > 0 {
		h.head = append(h.head, p[:min(n, room)]...)
	}
	return n, err
}

// fileFormView is the data of the upload form: a new file, or a new version.
type fileFormView struct {
	base
	Version     bool        // a new version of File
	File        *files.File // version mode only
	Action      string
	Dept        string
	Depts       []string // departments the user may upload to
	FileTitle   string
	Description string
	Tags        string
	ETag        string
	Errors      map[string]string
	Accept      string
	MaxMB       int
	CancelURL   string
}

// newFileFormView fills the upload form; f is nil for a new file.
func (s *server) newFileFormView(c echo.Context, f *files.File) (fileFormView, error) {
	l := langOf(c)
	v := fileFormView{Errors: map[string]string{}, Accept: uploadAccept, MaxMB: files.MaxUpload >> 20}
	if f != nil {
		v.base = s.newBase(c, l, "fileform.version.title", f.Title)
		v.Version, v.File, v.ETag, v.Dept = true, f, f.ETag, f.Department
		v.Action = fileURL(f.ID) + "/versions"
		v.CancelURL = fileURL(f.ID)
	} else {
		v.base = s.newBase(c, l, "fileform.new.title")
		v.Action, v.CancelURL = "/files", "/files"
		depts, err := s.uploadDepartments(c)
		if err != nil {
			return v, err
		}
		v.Depts = depts
	}
	v.Nav = "files"
	return v, nil
}

// uploadDepartments lists the departments the user may upload to: those
// they edit, and for admins every known department.
func (s *server) uploadDepartments(c echo.Context) ([]string, error) {
	u := userOf(c)
	out := slices.Clone(u.EditorOf)
	if u.IsAdmin() {
		ds, err := s.files.Departments(c.Request().Context())
		if err != nil {
			return nil, fmt.Errorf("upload form: departments: %w", err)
		}
		for _, d := range ds {
			out = append(out, d.Name)
		}
		if u.Department != "" {
			out = append(out, u.Department)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// newFileForm is GET /files/new?dept=: the empty upload form.
func (s *server) newFileForm(c echo.Context) error {
	v, err := s.newFileFormView(c, nil)
	if err != nil {
		return err
	}
	if d, _ := cleanParam(c.QueryParam("dept")); d != "" && userOf(c).CanEdit(d) {
		v.Dept = d
		if !slices.Contains(v.Depts, d) {
			v.Depts = append(v.Depts, d)
		}
	} else if len(v.Depts) > 0 {
		v.Dept = v.Depts[0]
	}
	v.CancelURL = "/files"
	if v.Dept != "" {
		v.CancelURL = deptURL(v.Dept)
	}
	return s.render(c, http.StatusOK, pageFileForm, tmplContent, v)
}

// createFile is POST /files: a new file, streamed from the multipart body.
func (s *server) createFile(c echo.Context) error {
	u := userOf(c)
	v, err := s.newFileFormView(c, nil)
	if err != nil {
		return err
	}
	fields, part, err := readUntilFile(c)
	v.Dept = strings.TrimSpace(fields.get("dept"))
	v.FileTitle = strings.TrimSpace(fields.get("title"))
	v.Description = strings.TrimSpace(fields.get("description"))
	v.Tags = strings.TrimSpace(fields.get("tags"))
	if v.Dept != "" && !slices.Contains(v.Depts, v.Dept) && u.CanEdit(v.Dept) {
		v.Depts = append(v.Depts, v.Dept)
	}
	if err != nil {
		return s.uploadFailed(c, &v, err, nil, "")
	}
	status := s.checkFileFields(&v, fields, u)
	if part == nil && len(v.Errors) == 0 {
		v.Errors["file"], status = mustT(v.Lang, "fileform.file.missing"), http.StatusUnprocessableEntity
	}
	if len(v.Errors) > 0 {
		s.drain(c)
		return s.render(c, status, pageFileForm, tmplContent, v)
	}
	name := part.FileName()
	title := v.FileTitle
	if title == "" {
		title = titleFromName(name)
	}
	body := &headRecorder{r: part}
	f, err := s.files.Upload(c.Request().Context(), files.UploadInput{
		Department: v.Dept, Title: title, Description: v.Description, Tags: splitTags(v.Tags),
		Name: name, Body: body, By: u.ID,
	})
	if err != nil {
		return s.uploadFailed(c, &v, err, body.head, name)
	}
	s.drain(c)
	post := auth.Post{Kind: "file", Ref: f.ID, Title: f.Title, At: s.now()}
	if err := s.auth.Users.AddPost(c.Request().Context(), u.ID, post); err != nil {
		s.log.Error("record my post", slog.String("user", u.ID), slog.String("file", f.ID), slog.Any("err", err))
	}
	s.record(c, audit.Entry{Actor: u.ID, Action: "file.create", Target: "file:" + f.ID, Detail: f.Department + " " + f.Current().Name})
	return c.Redirect(http.StatusSeeOther, fileURL(f.ID))
}

// uploadVersion is POST /files/:id/versions: a new version of a file.
func (s *server) uploadVersion(c echo.Context) error {
	f, err := s.editableFile(c)
	if err != nil {
		return err
	}
	u := userOf(c)
	v, err := s.newFileFormView(c, f)
	if err != nil {
		return err
	}
	fields, part, err := readUntilFile(c)
	if err != nil {
		return s.uploadFailed(c, &v, err, nil, "")
	}
	v.ETag = fields.get("etag")
	if part == nil {
		s.drain(c)
		v.Errors["file"] = mustT(v.Lang, "fileform.file.missing")
		return s.render(c, http.StatusUnprocessableEntity, pageFileForm, tmplContent, v)
	}
	name := part.FileName()
	body := &headRecorder{r: part}
	nf, err := s.files.Upload(c.Request().Context(), files.UploadInput{
		FileID: f.ID, Department: f.Department, Title: f.Title, Description: f.Description, Tags: f.Tags,
		Name: name, Body: body, By: u.ID, IfMatch: v.ETag,
	})
	if err != nil {
		return s.uploadFailed(c, &v, err, body.head, name)
	}
	s.drain(c)
	cur := nf.Current()
	s.record(c, audit.Entry{Actor: u.ID, Action: "file.version", Target: "file:" + nf.ID, Detail: fmt.Sprintf("v%d %s", cur.N, cur.Name)})
	return c.Redirect(http.StatusSeeOther, fileURL(nf.ID))
}

// uploadFailed shows the form again with the reason next to the file field
// (the other fields keep their input), or returns err when it is not about
// the upload itself.
func (s *server) uploadFailed(c echo.Context, v *fileFormView, err error, head []byte, name string) error {
	status := 0
	switch {
	case errors.Is(err, errTooLarge), errors.Is(err, files.ErrTooLarge):
		v.Errors["file"], status = mustT(v.Lang, "fileform.file.large", files.MaxUpload>>20), http.StatusRequestEntityTooLarge
	case errors.Is(err, files.ErrType):
		v.Errors["file"], status = mustT(v.Lang, "fileform.file.type", typeName(v.Lang, extract.Sniff(head, name))), http.StatusUnsupportedMediaType
	case errors.Is(err, files.ErrEmpty):
		v.Errors["file"], status = mustT(v.Lang, "fileform.file.empty"), http.StatusUnprocessableEntity
	case errors.Is(err, store.ErrPrecondition) && v.Version:
		v.Errors["file"], status = mustT(v.Lang, "fileform.conflict"), http.StatusConflict
	default:
		s.drain(c)
		var we *Error
		if errors.As(err, &we) {
			return err
		}
		return fmt.Errorf("upload %q: %w", name, err)
	}
	s.drain(c)
	s.log.Info("upload refused", slog.String("name", name), slog.Any("err", err))
	return s.render(c, status, pageFileForm, tmplContent, v)
}

// checkFileFields validates the text fields of a new file, filling
// v.Errors; it returns the status for the form when there are errors.
func (s *server) checkFileFields(v *fileFormView, fields formFields, u *auth.User) int {
	status := http.StatusUnprocessableEntity
	l := v.Lang
	switch {
	case v.Dept == "":
		v.Errors["dept"] = mustT(l, "fileform.dept.missing")
	case !u.CanEdit(v.Dept):
		v.Errors["dept"], status = mustT(l, "fileform.dept.denied", v.Dept), http.StatusForbidden
	}
	if fields.tooLong["title"] || utf8.RuneCountInString(v.FileTitle) > maxFileTitle {
		v.Errors["title"] = mustT(l, "fileform.title.long", maxFileTitle)
	}
	if fields.tooLong["description"] || utf8.RuneCountInString(v.Description) > maxFileDesc {
		v.Errors["description"] = mustT(l, "fileform.desc.long", maxFileDesc)
	}
	if msg := checkTags(l, v.Tags, fields.tooLong["tags"]); msg != "" {
		v.Errors["tags"] = msg
	}
	return status
}

// checkTags returns the message for a bad tag list, or "".
func checkTags(l Lang, raw string, tooLong bool) string {
	tags := splitTags(raw)
	if tooLong || len(tags) > maxTags {
		return mustT(l, "fileform.tags.many", maxTags)
	}
	for _, t := range tags {
		if utf8.RuneCountInString(t) > maxTagLen {
			return mustT(l, "fileform.tags.long", maxTagLen)
		}
	}
	return ""
}

// titleFromName is the default title: the file name without its extension.
func titleFromName(name string) string {
	base := path.Base(strings.ReplaceAll(name, "\\", "/"))
	if t := strings.TrimSpace(strings.TrimSuffix(base, path.Ext(base))); t != "" {
		base = t
	}
	if r := []rune(base); len(r) > maxFileTitle {
		base = string(r[:maxFileTitle])
	}
	return base
}

// deptFilesURL is the library filtered to one department.
func deptFilesURL(dept string) string { return "/files?" + url.Values{"dept": {dept}}.Encode() }
