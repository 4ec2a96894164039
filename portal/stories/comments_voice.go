package stories

import (
	"context"
	"errors"
	"fmt"

	"github.com/jinnang/jinnang/portal/ids"
	"github.com/jinnang/jinnang/portal/store"
)

// AddVoiceComment stores a comment with a voice note (the media job of
// its transcode); the text may then be empty. The comment, voice included,
// goes into the comment digest like any other, so the first page and the
// older pages show the same.
func (s *Service) AddVoiceComment(ctx context.Context, id string, by Author, text, voiceJob string) (*Comment, error) {
	if voiceJob != "" && !ids.Valid(voiceJob) {
		return nil, fmt.Errorf("voice note %q: %w", voiceJob, ErrInvalid)
	}
	return s.addComment(ctx, id, by, text, voiceJob)
}

// StoryMediaWanted says whether a story still wants its video and voice
// note: it exists and is not deleted for longer than UndoWindow (a story
// deleted longer ago cannot be restored by its author, and its record only
// stays for moderators). A hidden story keeps its media (it may be shown
// again).
func (s *Service) StoryMediaWanted(ctx context.Context, id string) (bool, error) {
	if !ValidID(id) {
		return false, nil
	}
	st, err := s.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return st.State != StateDeleted || s.now().Sub(st.StateAt) <= UndoWindow, nil
}

// CommentMediaWanted says whether a comment still wants its voice note: it
// exists, or it was deleted less than UndoWindow ago and can be restored.
func (s *Service) CommentMediaWanted(ctx context.Context, id, commentID string) (bool, error) {
	if !ValidID(id) || !validCommentID(commentID) {
		return false, nil
	}
	_, err := s.store.Stat(ctx, commentsPrefix(id)+commentID+".json")
	if err == nil {
		return true, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return false, err
	}
	var d deletedComment
	_, err = s.readJSON(ctx, trashKey(id, commentID), &d)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return s.now().Sub(d.At) <= UndoWindow, nil
}
