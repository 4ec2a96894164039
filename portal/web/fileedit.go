package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/audit"
	"github.com/jinnang/jinnang/portal/files"
	"github.com/jinnang/jinnang/portal/store"
)

// fileEditView is the data of the file details editor.
type fileEditView struct {
	base
	File        *files.File
	Action      string
	FileTitle   string
	Description string
	Tags        string
	ETag        string
	Errors      map[string]string
	CancelURL   string
}

// newFileEditView fills the editor with f's details.
func (s *server) newFileEditView(c echo.Context, f *files.File) fileEditView {
	v := fileEditView{base: s.newBase(c, langOf(c), "fileedit.title", f.Title), File: f,
		Action: fileURL(f.ID) + "/edit", FileTitle: f.Title, Description: f.Description,
		Tags: strings.Join(f.Tags, ", "), ETag: f.ETag, Errors: map[string]string{}, CancelURL: fileURL(f.ID)}
	v.Nav = "files"
	return v
}

// editFileForm is GET /files/:id/edit (editors of the file's department).
func (s *server) editFileForm(c echo.Context) error {
	f, err := s.editableFile(c)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, pageFileEdit, tmplContent, s.newFileEditView(c, f))
}

// saveFile is POST /files/:id/edit: title, description and tags of exactly
// the version the editor loaded (If-Match).
func (s *server) saveFile(c echo.Context) error {
	f, err := s.editableFile(c)
	if err != nil {
		return err
	}
	u := userOf(c)
	v := s.newFileEditView(c, f)
	v.FileTitle = strings.TrimSpace(c.FormValue("title"))
	v.Description = strings.TrimSpace(strings.ReplaceAll(c.FormValue("description"), "\r\n", "\n"))
	v.Tags = strings.TrimSpace(c.FormValue("tags"))
	v.ETag = c.FormValue("etag")
	l := v.Lang
	switch n := utf8.RuneCountInString(v.FileTitle); {
	case n == 0:
		v.Errors["title"] = mustT(l, "fileform.title.missing")
	case n > maxFileTitle:
		v.Errors["title"] = mustT(l, "fileform.title.long", maxFileTitle)
	}
	if utf8.RuneCountInString(v.Description) > maxFileDesc {
		v.Errors["description"] = mustT(l, "fileform.desc.long", maxFileDesc)
	}
	if msg := checkTags(l, v.Tags, false); msg != "" {
		v.Errors["tags"] = msg
	}
	if len(v.Errors) > 0 {
		return s.render(c, http.StatusUnprocessableEntity, pageFileEdit, tmplContent, v)
	}
	upd := *f
	upd.Title, upd.Description, upd.Tags, upd.ETag = v.FileTitle, v.Description, splitTags(v.Tags), v.ETag
	if v.ETag != f.ETag { // an empty or stale etag is a conflict, never a blind overwrite
		err = fmt.Errorf("editor loaded %q, store has %q: %w", v.ETag, f.ETag, store.ErrPrecondition)
	} else {
		err = s.files.Update(c.Request().Context(), &upd)
	}
	switch {
	case errors.Is(err, store.ErrPrecondition):
		v.Errors["title"] = mustT(l, "fileedit.conflict")
		// Saving again overwrites what is there now, knowingly.
		cur, gerr := s.files.Get(c.Request().Context(), f.ID)
		if gerr != nil {
			return fmt.Errorf("reload file %s after conflict: %w", f.ID, gerr)
		}
		v.ETag = cur.ETag
		return s.render(c, http.StatusConflict, pageFileEdit, tmplContent, v)
	case err != nil:
		return fmt.Errorf("update file %s: %w", f.ID, err)
	}
	s.record(c, audit.Entry{Actor: u.ID, Action: "file.update", Target: "file:" + f.ID, Detail: f.Department})
	return c.Redirect(http.StatusSeeOther, fileURL(f.ID))
}

// deleteFile is POST /files/:id/delete: every version, the record and the
// index entry; back to the department.
func (s *server) deleteFile(c echo.Context) error {
	f, err := s.editableFile(c)
	if err != nil {
		return err
	}
	u := userOf(c)
	if err := s.files.Delete(c.Request().Context(), f.ID); err != nil {
		return fmt.Errorf("delete file %s: %w", f.ID, err)
	}
	s.record(c, audit.Entry{Actor: u.ID, Action: "file.delete", Target: "file:" + f.ID, Detail: f.Department + " " + f.Title})
	return c.Redirect(http.StatusSeeOther, deptURL(f.Department))
}
