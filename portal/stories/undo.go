package stories

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jinnang/jinnang/portal/store"
)

// UndoWindow is how long a deleted story or comment can be brought back by
// the person who deleted it.
const UndoWindow = 10 * time.Minute

// ErrUndoExpired is returned when the undo window has passed.
var ErrUndoExpired = errors.New("stories: the time to undo has passed")

// Restore brings back a story its author deleted less than UndoWindow ago.
// A story hidden or deleted by a moderator is not the author's to restore.
func (s *Service) Restore(ctx context.Context, id, userID string) (*Story, error) {
	return s.update(ctx, id, func(st *Story) (bool, error) {
		if st.Author != userID {
			return false, fmt.Errorf("%w: only the author restores a story", ErrForbidden)
		}
		if st.State == StateVisible {
			return false, nil
		}
		if st.State != StateDeleted || st.StateBy != userID {
			return false, fmt.Errorf("%w: the story was not deleted by its author", ErrForbidden)
		}
		if s.now().Sub(st.StateAt) > UndoWindow {
			return false, ErrUndoExpired
		}
		st.State, st.StateBy, st.StateAt, st.StateNote = StateVisible, userID, s.now().UTC(), ""
		return true, nil
	})
}

// deletedComment is a deleted comment kept for UndoWindow under trash/.
type deletedComment struct {
	Comment Comment   `json:"comment"`
	By      string    `json:"by"`
	At      time.Time `json:"at"`
}

func trashKey(id, cid string) string { return dir(id) + "trash/" + cid + ".json" }

// DeleteCommentUndoable deletes a comment like DeleteComment and keeps a copy
// that RestoreComment can put back within UndoWindow.
func (s *Service) DeleteCommentUndoable(ctx context.Context, id, commentID, userID string, moderator bool) (*Comment, error) {
	c, err := s.DeleteComment(ctx, id, commentID, userID, moderator)
	if err != nil {
		return nil, err
	}
	if err := s.putJSON(ctx, trashKey(id, c.ID), deletedComment{Comment: *c, By: userID, At: s.now().UTC()}, store.PutOptions{}); err != nil {
		return c, fmt.Errorf("keep deleted comment %q for undo: %w", c.ID, err)
	}
	return c, nil
}

// RestoreComment puts back a comment userID deleted less than UndoWindow ago.
func (s *Service) RestoreComment(ctx context.Context, id, commentID, userID string) (*Comment, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	if !validCommentID(commentID) {
		return nil, fmt.Errorf("comment %q: %w", commentID, store.ErrNotFound)
	}
	var d deletedComment
	if _, err := s.readJSON(ctx, trashKey(id, commentID), &d); err != nil {
		return nil, fmt.Errorf("deleted comment %q: %w", commentID, err)
	}
	if d.By != userID {
		return nil, fmt.Errorf("%w: only who deleted a comment restores it", ErrForbidden)
	}
	if s.now().Sub(d.At) > UndoWindow {
		return nil, ErrUndoExpired
	}
	err := s.putJSON(ctx, commentsPrefix(id)+commentID+".json", d.Comment, store.PutOptions{IfNoneMatch: true})
	if err != nil && !errors.Is(err, store.ErrPrecondition) {
		return nil, fmt.Errorf("restore comment %q: %w", commentID, err)
	}
	// The comment digest (newest comments, count) was rebuilt without it.
	if err := s.store.Delete(ctx, digestKey(id)); err != nil {
		return nil, fmt.Errorf("restore comment %q: drop digest: %w", commentID, err)
	}
	if err := s.store.Delete(ctx, trashKey(id, commentID)); err != nil {
		return nil, fmt.Errorf("restore comment %q: %w", commentID, err)
	}
	return &d.Comment, nil
}
