package stories

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/record"
)

// CommentsPerPage is how many comments the first page of a story shows
// (from the digest); OlderCommentsPerPage how many an older page shows
// (each read on its own, so the page stays within its store-read bound).
const (
	CommentsPerPage      = 20
	OlderCommentsPerPage = 14
)

func digestKey(id string) string { return dir(id) + "comments.json" }

// CommentPage is one page of a story's comments, newest first.
type CommentPage struct {
	Comments []Comment
	// Total is how many comments the story has.
	Total int
	// Next is the cursor of the following (older) page: the ID of the last
	// comment shown; empty on the last page.
	Next string
}

// CommentsPage returns up to limit comments older than the comment before
// (empty: the newest), newest first. The first page reads the digest (one
// object); an older page lists the story's comment keys (one LIST: a story
// has at most MaxComments) and reads only the comments it shows.
func (s *Service) CommentsPage(ctx context.Context, id, before string, limit int) (CommentPage, error) {
	if err := checkID(id); err != nil {
		return CommentPage{}, err
	}
	if limit <= 0 || limit > CommentsPerPage {
		limit = CommentsPerPage
	}
	if before != "" {
		limit = min(limit, OlderCommentsPerPage)
	}
	if before == "" {
		d, _, err := s.digest(ctx, id)
		if err != nil {
			return CommentPage{}, err
		}
		p := CommentPage{Comments: d.Recent, Total: d.Count}
		if len(p.Comments) > limit {
			p.Comments = p.Comments[:limit]
		}
		if p.Total > len(p.Comments) && len(p.Comments) > 0 {
			p.Next = p.Comments[len(p.Comments)-1].ID
		}
		if p.Comments == nil {
			p.Comments = []Comment{}
		}
		return p, nil
	}
	if !validCommentID(before) {
		return CommentPage{}, fmt.Errorf("comment cursor %q: %w", before, ErrInvalid)
	}
	keys, err := s.commentKeys(ctx, id)
	if err != nil {
		return CommentPage{}, err
	}
	p := CommentPage{Comments: []Comment{}, Total: len(keys)}
	bound := commentsPrefix(id) + before + ".json"
	i := len(keys) - 1
	for ; i >= 0 && len(p.Comments) < limit; i-- {
		if keys[i] >= bound {
			continue
		}
		var c Comment
		_, err := s.readJSON(ctx, keys[i], &c)
		if record.Skip(err) {
			continue
		}
		if err != nil {
			return CommentPage{}, fmt.Errorf("comments of story %q: %w", id, err)
		}
		p.Comments = append(p.Comments, c)
	}
	if i >= 0 && len(p.Comments) > 0 {
		p.Next = p.Comments[len(p.Comments)-1].ID
	}
	return p, nil
}

// Comment returns one comment of a story.
func (s *Service) Comment(ctx context.Context, id, commentID string) (*Comment, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	if !validCommentID(commentID) {
		return nil, fmt.Errorf("comment %q: %w", commentID, store.ErrNotFound)
	}
	var c Comment
	if _, err := s.readJSON(ctx, commentsPrefix(id)+commentID+".json", &c); err != nil {
		return nil, fmt.Errorf("comment %q: %w", commentID, err)
	}
	return &c, nil
}

// commentKeys lists the keys of a story's comments, oldest first.
func (s *Service) commentKeys(ctx context.Context, id string) ([]string, error) {
	var keys []string
	for obj, err := range s.store.List(ctx, commentsPrefix(id)) {
		if err != nil {
			return nil, fmt.Errorf("comments of story %q: %w", id, err)
		}
		if cid, ok := strings.CutSuffix(strings.TrimPrefix(obj.Key, commentsPrefix(id)), ".json"); ok && validCommentID(cid) {
			keys = append(keys, obj.Key)
		}
	}
	slices.Sort(keys)
	return keys, nil
}
