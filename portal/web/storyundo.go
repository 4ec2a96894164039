package web

import (
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/audit"
	"github.com/jinnang/jinnang/portal/stories"
)

// storyUndo is what delete-with-undo needs beyond Stories (*stories.Service).
type storyUndo interface {
	Restore(ctx context.Context, id, userID string) (*stories.Story, error)
	DeleteCommentUndoable(ctx context.Context, id, commentID, userID string, moderator bool) (*stories.Comment, error)
	RestoreComment(ctx context.Context, id, commentID, userID string) (*stories.Comment, error)
}

const (
	pageConfirmDelete = "confirmdelete"
	pageUndo          = "undo"
)

func init() { pageNames = append(pageNames, pageConfirmDelete, pageUndo) }

// confirmView is the data of a delete confirmation and of the undo page
// that follows a delete.
type confirmView struct {
	base
	Question  string // what is about to go (confirm) or went (undo)
	Quote     string // the text of the story or comment
	Action    string // the POST target: delete (confirm) or restore (undo)
	CancelURL string
	Minutes   int
}

// storyUndoRoutes registers the delete confirmations and the undo routes.
func (s *server) storyUndoRoutes(get, write func(string, echo.HandlerFunc, ...echo.MiddlewareFunc)) {
	get("/stories/:id/delete", s.confirmDeleteStory)
	get("/stories/:id/comments/:cid/delete", s.confirmDeleteComment)
	get("/stories/:id/deleted", s.storyDeleted)
	get("/stories/:id/comments/:cid/deleted", s.commentDeleted)
	write("/stories/:id/restore", s.restoreStory)
	write("/stories/:id/comments/:cid/restore", s.restoreComment)
}

// confirmDeleteStory is GET /stories/:id/delete: "delete this story?" with
// a form, so deleting needs two taps and no JavaScript.
func (s *server) confirmDeleteStory(c echo.Context) error {
	st, err := s.viewableStory(c)
	if err != nil {
		return err
	}
	if st.Author != userOf(c).ID {
		return forbidden(stories.ErrForbidden)
	}
	l := langOf(c)
	v := confirmView{base: s.newBase(c, l, "undo.story.confirm.title"), Question: mustT(l, "undo.story.confirm"),
		Quote: st.Text, Action: storyURL(st.ID) + "/delete", CancelURL: storyURL(st.ID), Minutes: int(stories.UndoWindow.Minutes())}
	v.Nav = "stories"
	return s.render(c, http.StatusOK, pageConfirmDelete, tmplContent, v)
}

// confirmDeleteComment is GET /stories/:id/comments/:cid/delete.
func (s *server) confirmDeleteComment(c echo.Context) error {
	st, err := s.viewableStory(c)
	if err != nil {
		return err
	}
	cs, err := s.stories.Comments(c.Request().Context(), st.ID)
	if err != nil {
		return err
	}
	cm := replyTarget(cs, c.Param("cid"))
	u := userOf(c)
	if cm == nil {
		return s.commentGone(c, st.ID)
	}
	if cm.Author != u.ID && !u.CanModerate() {
		return forbidden(stories.ErrForbidden)
	}
	l := langOf(c)
	v := confirmView{base: s.newBase(c, l, "undo.comment.confirm.title"), Question: mustT(l, "undo.comment.confirm"),
		Quote: cm.Text, Action: storyURL(st.ID) + "/comments/" + cm.ID + "/delete", CancelURL: storyURL(st.ID) + "#comments",
		Minutes: int(stories.UndoWindow.Minutes())}
	v.Nav = "stories"
	return s.render(c, http.StatusOK, pageConfirmDelete, tmplContent, v)
}

// commentGone answers for a comment that is no longer there: back to the story.
func (s *server) commentGone(c echo.Context, id string) error {
	return c.Redirect(http.StatusSeeOther, storyURL(id)+"#comments")
}

// storyDeleted is GET /stories/:id/deleted: "deleted" with a 撤销 button.
func (s *server) storyDeleted(c echo.Context) error {
	st, err := s.viewableStory(c)
	if err != nil {
		return err
	}
	if st.Visible() {
		return c.Redirect(http.StatusSeeOther, storyURL(st.ID))
	}
	l := langOf(c)
	v := confirmView{base: s.newBase(c, l, "undo.story.done"), Question: mustT(l, "undo.story.done"), Quote: st.Text,
		Action: storyURL(st.ID) + "/restore", CancelURL: "/stories", Minutes: int(stories.UndoWindow.Minutes())}
	v.Nav = "stories"
	return s.render(c, http.StatusOK, pageUndo, tmplContent, v)
}

// commentDeleted is GET /stories/:id/comments/:cid/deleted.
func (s *server) commentDeleted(c echo.Context) error {
	st, err := s.viewableStory(c)
	if err != nil {
		return err
	}
	l := langOf(c)
	v := confirmView{base: s.newBase(c, l, "undo.comment.done"), Question: mustT(l, "undo.comment.done"),
		Action: storyURL(st.ID) + "/comments/" + c.Param("cid") + "/restore", CancelURL: storyURL(st.ID) + "#comments",
		Minutes: int(stories.UndoWindow.Minutes())}
	v.Nav = "stories"
	return s.render(c, http.StatusOK, pageUndo, tmplContent, v)
}

// undoer is the stories service's undo side, or an error page when the
// service cannot undo.
func (s *server) undoer() (storyUndo, error) {
	u, ok := s.stories.(storyUndo)
	if !ok {
		return nil, errors.New("stories service cannot undo")
	}
	return u, nil
}

// restoreStory is POST /stories/:id/restore (撤销 after deleting).
func (s *server) restoreStory(c echo.Context) error {
	un, err := s.undoer()
	if err != nil {
		return err
	}
	u := userOf(c)
	st, err := un.Restore(c.Request().Context(), c.Param("id"), u.ID)
	if errors.Is(err, stories.ErrForbidden) || errors.Is(err, stories.ErrUndoExpired) {
		return s.undoTooLate(c, "/stories")
	}
	if err != nil {
		return err
	}
	s.record(c, audit.Entry{Actor: u.ID, Action: "story.restore.own", Target: "story:" + st.ID})
	return c.Redirect(http.StatusSeeOther, storyURL(st.ID))
}

// restoreComment is POST /stories/:id/comments/:cid/restore.
func (s *server) restoreComment(c echo.Context) error {
	un, err := s.undoer()
	if err != nil {
		return err
	}
	u := userOf(c)
	cm, err := un.RestoreComment(c.Request().Context(), c.Param("id"), c.Param("cid"), u.ID)
	if errors.Is(err, stories.ErrForbidden) || errors.Is(err, stories.ErrUndoExpired) {
		return s.undoTooLate(c, storyURL(c.Param("id"))+"#comments")
	}
	if err != nil {
		return err
	}
	s.record(c, audit.Entry{Actor: u.ID, Action: "story.comment.restore", Target: "story:" + c.Param("id"), Detail: cm.ID})
	return c.Redirect(http.StatusSeeOther, storyURL(c.Param("id"))+"#c-"+cm.ID)
}

// undoTooLate is the answer when the undo window has passed (409).
func (s *server) undoTooLate(c echo.Context, back string) error {
	l := langOf(c)
	v := confirmView{base: s.newBase(c, l, "undo.late.title"), Question: mustT(l, "undo.late", int(stories.UndoWindow.Minutes())), CancelURL: back}
	v.Nav = "stories"
	return s.render(c, http.StatusConflict, pageUndo, tmplContent, v)
}
