package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/auth"
	"github.com/jinnang/jinnang/portal/media"
	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/stories"
	"github.com/jinnang/jinnang/portal/suggest"
)

// commentBodyLimit is the body of a comment form without its voice note.
const commentBodyLimit = 64 << 10

// storyVoiceComments is the stories service's voice comments (optional:
// without it a comment is text only).
type storyVoiceComments interface {
	AddVoiceComment(ctx context.Context, id string, by stories.Author, text, voiceJob string) (*stories.Comment, error)
}

// voiceComments reports whether comments may carry voice notes.
func (s *server) voiceComments() bool {
	_, ok := s.stories.(storyVoiceComments)
	return ok && s.media != nil
}

// addComment stores a comment, with its voice note when there is one.
func (s *server) addComment(c echo.Context, id string, by stories.Author, text, voiceJob string) (*stories.Comment, error) {
	ctx := c.Request().Context()
	if voiceJob == "" {
		return s.stories.AddComment(ctx, id, by, text)
	}
	vc, ok := s.stories.(storyVoiceComments)
	if !ok {
		return nil, errors.New("story comments take no voice notes")
	}
	cm, err := vc.AddVoiceComment(ctx, id, by, text, voiceJob)
	if err == nil {
		s.claimMedia(c, media.Owner(media.OwnerComment, id+"/"+cm.ID), voiceJob)
	}
	return cm, err
}

// commentRoute is POST /stories/:id/comments: a plain form, or a multipart
// one streamed in order (the CSRF token first, then the text and the voice
// note, queued for its transcode as it arrives).
func (s *server) commentRoute(c echo.Context) error {
	mt, _, _ := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	if mt != "multipart/form-data" {
		return s.requireCSRF(s.commentStory)(c)
	}
	st, err := s.viewableStory(c)
	if err != nil {
		s.drain(c)
		return err
	}
	req := c.Request()
	sess, _ := sessionOf(c)
	csrfOK := auth.CheckCSRF(sess, req.Header.Get(csrfHeader))
	csrfErr := &Error{Status: http.StatusForbidden, Public: "error.csrf", Cause: errors.New("comment: csrf token missing, wrong or after the voice note")}
	mr, err := req.MultipartReader()
	if err != nil {
		return &Error{Status: http.StatusBadRequest, Public: "error.400", Cause: fmt.Errorf("comment: %w", err)}
	}
	l := langOf(c)
	var text, reply, voiceJob, voiceErr string
	status := http.StatusUnprocessableEntity
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			s.dropVideo(c, voiceJob)
			return bodyError(err)
		}
		if p.FormName() == voiceField {
			if !csrfOK {
				s.drain(c)
				return csrfErr
			}
			if p.FileName() == "" || voiceJob != "" || voiceErr != "" || !s.voiceComments() {
				continue
			}
			job, msg, code, err := s.enqueueMedia(c, l, media.KindVoice, p)
			if err != nil {
				s.drain(c)
				return err
			}
			voiceJob, voiceErr = job, msg
			if msg != "" {
				status = code
			}
			continue
		}
		b, err := io.ReadAll(io.LimitReader(p, maxFieldBytes+1))
		if err != nil {
			s.dropVideo(c, voiceJob)
			return bodyError(err)
		}
		val := strings.ToValidUTF8(string(b), "")
		switch p.FormName() {
		case csrfField:
			csrfOK = csrfOK || auth.CheckCSRF(sess, val)
		case "text":
			text = strings.ReplaceAll(val, "\r\n", "\n")
		case "reply":
			reply = val
		}
	}
	s.drain(c)
	if !csrfOK {
		s.dropVideo(c, voiceJob)
		return csrfErr
	}
	if voiceErr != "" {
		v, err := s.newStoryView(c, st)
		if err != nil {
			return err
		}
		v.Comment, v.ReplyTo = text, replyTarget(v.Comments, reply)
		v.Errors["voice"] = voiceErr
		return s.render(c, status, pageStory, tmplContent, v)
	}
	return s.saveComment(c, st, text, reply, voiceJob)
}

// commentVoices fills the voice notes of the comments a story page shows
// (one job read per voice comment, at most a page of them) and the limit
// the voice input shows.
func (s *server) commentVoices(ctx context.Context, v *storyView) error {
	if !s.voiceComments() {
		return nil
	}
	v.CommentVoice = &videoLimits{Seconds: int(s.media.MaxDuration().Seconds()), MB: int(s.media.MaxBytes() >> 20)}
	u := v.User
	for _, cm := range v.Comments {
		if cm.Voice == "" {
			continue
		}
		j, err := s.media.Job(ctx, cm.Voice)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		mine := u != nil && cm.Author == u.ID
		if j.Failed() && !mine {
			continue
		}
		vv := &voiceView{Seconds: int(j.Seconds + 0.5), Processing: !j.Done() && !j.Failed(), Failed: j.Failed()}
		if j.Done() {
			vv.Src = v.Card.URL + "/comments/" + cm.ID + "/voice.m4a"
		}
		if v.CommentVoices == nil {
			v.CommentVoices = map[string]*voiceView{}
		}
		v.CommentVoices[cm.ID] = vv
	}
	return nil
}

// commentVoice is GET /stories/:id/comments/:cid/voice.m4a (Range).
func (s *server) commentVoice(c echo.Context) error {
	st, err := s.viewableStory(c)
	if err != nil {
		return err
	}
	cm, err := s.stories.Comment(c.Request().Context(), st.ID, c.Param("cid"))
	if err != nil {
		return err
	}
	if cm.Voice == "" {
		return fmt.Errorf("comment %s has no voice note: %w", cm.ID, store.ErrNotFound)
	}
	return s.serveMedia(c, cm.Voice, media.PartVoice)
}

// dropCommentVoice removes the voice note of a deleted comment at once
// when the delete cannot be undone; an undoable delete keeps it for the
// undo window, and the media sweep removes it after.
func (s *server) dropCommentVoice(c echo.Context, cm *stories.Comment) {
	if cm.Voice == "" || s.media == nil {
		return
	}
	if _, undoable := s.stories.(storyUndo); undoable {
		return
	}
	s.dropVideo(c, cm.Voice)
}

// claimMedia records the owner of the media jobs of a saved post, so the
// sweep keeps them while the post lives. A failure is logged: the job then
// looks unclaimed and would be swept after a day.
func (s *server) claimMedia(c echo.Context, owner string, jobs ...string) {
	if s.media == nil {
		return
	}
	for _, j := range jobs {
		if j == "" {
			continue
		}
		if err := s.media.Claim(context.WithoutCancel(c.Request().Context()), j, owner); err != nil {
			s.log.Error("media job not claimed by its post", "job", j, "owner", owner, "err", err)
		}
	}
}

// claimSuggestionVideo claims a suggestion's video for it. Nothing is
// logged, as on every anonymous route; a failed claim costs the video
// after a day, not the suggestion.
func (s *server) claimSuggestionVideo(c echo.Context, sg *suggest.Suggestion) {
	if s.media == nil || sg == nil || sg.Video == "" {
		return
	}
	_ = s.media.Claim(context.WithoutCancel(c.Request().Context()), sg.Video, media.Owner(media.OwnerSuggestion, sg.Ref))
}
