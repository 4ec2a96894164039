package stories

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/record"
)

// like is the body of a like object.
type like struct {
	At time.Time `json:"at"`
}

func likeKey(id, userID string) string { return dir(id) + "likes/" + userHash(userID) }

// Like records userID's like of a visible story. Each user likes a story at
// most once (a create-once object, so also across processes): it reports
// whether this call made the like.
func (s *Service) Like(ctx context.Context, id, userID string) (bool, error) {
	st, err := s.Get(ctx, id)
	if err != nil {
		return false, err
	}
	if !st.Visible() {
		return false, fmt.Errorf("like story %q: %w", id, store.ErrNotFound)
	}
	err = s.putJSON(ctx, likeKey(id, userID), like{At: s.now().UTC()}, store.PutOptions{IfNoneMatch: true})
	if errors.Is(err, store.ErrPrecondition) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("like story %q: %w", id, err)
	}
	s.keepDigest(ctx, id, s.digestLikes(ctx, id))
	return true, nil
}

// Unlike removes userID's like (none is not an error).
func (s *Service) Unlike(ctx context.Context, id, userID string) error {
	if err := checkID(id); err != nil {
		return err
	}
	if err := s.store.Delete(ctx, likeKey(id, userID)); err != nil {
		return fmt.Errorf("unlike story %q: %w", id, err)
	}
	s.keepDigest(ctx, id, s.digestLikes(ctx, id))
	return nil
}

// Likes returns how many people like the story and whether userID does.
func (s *Service) Likes(ctx context.Context, id, userID string) (int, bool, error) {
	if err := checkID(id); err != nil {
		return 0, false, err
	}
	n, err := s.count(ctx, dir(id)+"likes/")
	if err != nil {
		return 0, false, err
	}
	_, err = s.store.Stat(ctx, likeKey(id, userID))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return n, false, nil
	case err != nil:
		return 0, false, fmt.Errorf("likes of story %q: %w", id, err)
	}
	return n, true, nil
}

// Comment is one comment on a story. Text is plain text: pages escape it.
type Comment struct {
	ID         string    `json:"id"`
	Author     string    `json:"author"`
	AuthorName string    `json:"author_name"`
	Text       string    `json:"text"`
	At         time.Time `json:"at"`
	// Voice is the media job of a voice note, "" for none (comments_voice.go).
	Voice string `json:"voice,omitempty"`
}

func commentsPrefix(id string) string { return dir(id) + "comments/" }

// validCommentID reports whether cid has the shape AddComment gives.
func validCommentID(cid string) bool {
	nanos, rnd, ok := strings.Cut(cid, "-")
	if !ok || len(nanos) != 20 || len(rnd) != 8 {
		return false
	}
	for _, r := range nanos {
		if r < '0' || r > '9' {
			return false
		}
	}
	_, err := hex.DecodeString(rnd)
	return err == nil
}

// AddComment stores a comment on a visible story (create-once; keys sort by time).
func (s *Service) AddComment(ctx context.Context, id string, by Author, text string) (*Comment, error) {
	return s.addComment(ctx, id, by, text, "")
}

func (s *Service) addComment(ctx context.Context, id string, by Author, text, voice string) (*Comment, error) {
	text = cleanText(text)
	switch n := utf8.RuneCountInString(text); {
	case n == 0 && voice == "":
		return nil, &InvalidError{Zh: "评论不能为空", En: "the comment is empty"}
	case n > MaxComment:
		return nil, &InvalidError{Zh: fmt.Sprintf("评论有 %d 字，最多 %d 字", n, MaxComment), En: fmt.Sprintf("the comment has %d characters, at most %d", n, MaxComment)}
	}
	st, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if !st.Visible() {
		return nil, fmt.Errorf("comment on story %q: %w", id, store.ErrNotFound)
	}
	d, _, err := s.digest(ctx, id) // the count, without listing every comment
	if err != nil {
		return nil, err
	}
	if n := d.Count; n >= MaxComments {
		return nil, &InvalidError{Zh: fmt.Sprintf("这个故事已有 %d 条评论，不能再评论", n), En: fmt.Sprintf("this story has %d comments, the most allowed", n)}
	}
	now := s.now().UTC()
	r := make([]byte, 4)
	_, _ = rand.Read(r) // crypto/rand.Read never returns an error
	c := &Comment{ID: fmt.Sprintf("%020d-%s", now.UnixNano(), hex.EncodeToString(r)), Author: by.ID, AuthorName: by.Name, Text: text, At: now, Voice: voice}
	if err := s.putJSON(ctx, commentsPrefix(id)+c.ID+".json", c, store.PutOptions{IfNoneMatch: true}); err != nil {
		return nil, fmt.Errorf("comment on story %q: %w", id, err)
	}
	// The comment is stored; the digest is derived (dropped on failure).
	s.keepDigest(ctx, id, s.digestAdd(ctx, id, *c))
	return c, nil
}

// Comments returns a story's comments, oldest first.
func (s *Service) Comments(ctx context.Context, id string) ([]Comment, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	out := []Comment{}
	for obj, err := range s.store.List(ctx, commentsPrefix(id)) {
		if err != nil {
			return nil, fmt.Errorf("comments of story %q: %w", id, err)
		}
		var c Comment
		_, err := s.readJSON(ctx, obj.Key, &c)
		if record.Skip(err) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("comments of story %q: %w", id, err)
		}
		out = append(out, c)
		if len(out) >= MaxComments {
			break
		}
	}
	return out, nil
}

// DeleteComment removes a comment; only its author or a moderator may.
func (s *Service) DeleteComment(ctx context.Context, id, commentID, userID string, moderator bool) (*Comment, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	if !validCommentID(commentID) {
		return nil, fmt.Errorf("comment %q: %w", commentID, store.ErrNotFound)
	}
	key := commentsPrefix(id) + commentID + ".json"
	var c Comment
	if _, err := s.readJSON(ctx, key, &c); err != nil {
		return nil, fmt.Errorf("comment %q: %w", commentID, err)
	}
	if c.Author != userID && !moderator {
		return nil, fmt.Errorf("%w: only the author or a moderator deletes a comment", ErrForbidden)
	}
	if err := s.store.Delete(ctx, key); err != nil {
		return nil, fmt.Errorf("delete comment %q: %w", commentID, err)
	}
	// The digest is rebuilt from the comments on its next read.
	if err := s.store.Delete(ctx, digestKey(id)); err != nil {
		return &c, fmt.Errorf("delete comment %q: drop digest: %w", commentID, err)
	}
	return &c, nil
}

// Reasons are the report reasons a user picks from.
var Reasons = []string{"spam", "offensive", "privacy", "false", "other"}

// Report is one user's report of a story.
type Report struct {
	By     string    `json:"by"`
	Reason string    `json:"reason"`
	Note   string    `json:"note,omitempty"`
	At     time.Time `json:"at"`
}

// ReportResult says what a report did.
type ReportResult struct {
	New     bool // false when this user had reported the story already
	Reports int  // distinct reports so far
	Hidden  bool // this report hid the story (auto-hide)
}

func reportsPrefix(id string) string     { return dir(id) + "reports/" }
func queueKey(id string) string          { return queuePrefix + id + ".json" }
func reportKey(id, userID string) string { return reportsPrefix(id) + userHash(userID) }

// queueEntry is the body of a modqueue marker.
type queueEntry struct {
	ID string    `json:"id"`
	At time.Time `json:"at"`
}

// Report records userID's report (one per user and story, create-once),
// puts the story in the moderation queue, and hides it once the reports
// since the last moderator decision reach the auto-hide threshold.
func (s *Service) Report(ctx context.Context, id, userID, reason, note string) (ReportResult, error) {
	if !slices.Contains(Reasons, reason) {
		return ReportResult{}, &InvalidError{Zh: "请选择举报原因", En: "choose a reason"}
	}
	note = cleanText(note)
	if utf8.RuneCountInString(note) > MaxComment {
		return ReportResult{}, &InvalidError{Zh: fmt.Sprintf("说明最多 %d 字", MaxComment), En: fmt.Sprintf("the note is at most %d characters", MaxComment)}
	}
	st, err := s.Get(ctx, id)
	if err != nil {
		return ReportResult{}, err
	}
	if st.State == StateDeleted {
		return ReportResult{}, fmt.Errorf("report story %q: %w", id, store.ErrNotFound)
	}
	var res ReportResult
	err = s.putJSON(ctx, reportKey(id, userID), Report{By: userID, Reason: reason, Note: note, At: s.now().UTC()}, store.PutOptions{IfNoneMatch: true})
	switch {
	case err == nil:
		res.New = true
	case errors.Is(err, store.ErrPrecondition):
	default:
		return ReportResult{}, fmt.Errorf("report story %q: %w", id, err)
	}
	if res.Reports, err = s.count(ctx, reportsPrefix(id)); err != nil {
		return res, err
	}
	if err := s.putJSON(ctx, queueKey(id), queueEntry{ID: id, At: s.now().UTC()}, store.PutOptions{}); err != nil {
		return res, fmt.Errorf("queue story %q: %w", id, err)
	}
	_, err = s.update(ctx, id, func(st *Story) (bool, error) {
		if st.State != StateVisible || res.Reports-st.Reviewed < s.autoHide {
			return false, nil
		}
		st.State, st.StateBy, st.StateAt = StateHidden, "auto", s.now().UTC()
		st.StateNote = fmt.Sprintf("%d reports", res.Reports)
		res.Hidden = true
		return true, nil
	})
	return res, err
}

// Reports returns the reports of a story.
func (s *Service) Reports(ctx context.Context, id string) ([]Report, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	out := []Report{}
	for obj, err := range s.store.List(ctx, reportsPrefix(id)) {
		if err != nil {
			return nil, fmt.Errorf("reports of story %q: %w", id, err)
		}
		var r Report
		if _, err := s.readJSON(ctx, obj.Key, &r); err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("reports of story %q: %w", id, err)
		} else if err == nil {
			out = append(out, r)
		}
	}
	return out, nil
}

// QueueItem is a story waiting for a moderator, with its reports.
type QueueItem struct {
	Story   *Story
	Reports []Report
}

// Queue lists the stories waiting for a moderator, oldest marker first.
func (s *Service) Queue(ctx context.Context) ([]QueueItem, error) {
	var out []QueueItem
	for obj, err := range s.store.List(ctx, queuePrefix) {
		if err != nil {
			return nil, fmt.Errorf("moderation queue: %w", err)
		}
		id := strings.TrimSuffix(strings.TrimPrefix(obj.Key, queuePrefix), ".json")
		st, err := s.Get(ctx, id)
		if record.Skip(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		reps, err := s.Reports(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, QueueItem{Story: st, Reports: reps})
	}
	return out, nil
}

// Action is a moderator's decision.
type Action string

// The moderator actions.
const (
	ActHide    Action = "hide"
	ActRestore Action = "restore"
	ActDelete  Action = "delete"
	ActWarn    Action = "warn"
)

// Warning is a moderator's note to an author, shown on their profile.
type Warning struct {
	Story string    `json:"story"`
	Note  string    `json:"note"`
	By    string    `json:"by"`
	At    time.Time `json:"at"`
}

// Moderate applies a moderator's action to a story: hide, restore or delete
// change its state (If-Match) and take it off the queue; warn records a note
// for the author (and also takes it off the queue). Every action counts the
// reports so far as reviewed.
func (s *Service) Moderate(ctx context.Context, id string, act Action, by, note string) (*Story, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	note = cleanText(note)
	if utf8.RuneCountInString(note) > MaxComment {
		return nil, &InvalidError{Zh: fmt.Sprintf("说明最多 %d 字", MaxComment), En: fmt.Sprintf("the note is at most %d characters", MaxComment)}
	}
	if act == ActWarn && note == "" {
		return nil, &InvalidError{Zh: "警告需要写明原因", En: "a warning needs a note"}
	}
	reports, err := s.count(ctx, reportsPrefix(id))
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	st, err := s.update(ctx, id, func(st *Story) (bool, error) {
		next := st.State
		switch act {
		case ActHide:
			next = StateHidden
		case ActRestore:
			if st.State == StateDeleted && st.StateBy == st.Author {
				return false, fmt.Errorf("%w: the author deleted this story", ErrForbidden)
			}
			next = StateVisible
		case ActDelete:
			next = StateDeleted
		case ActWarn:
		default:
			return false, fmt.Errorf("%w: unknown action %q", ErrInvalid, act)
		}
		if next == st.State && st.Reviewed == reports {
			return false, nil
		}
		if next != st.State {
			st.State, st.StateBy, st.StateAt, st.StateNote = next, by, now, note
		}
		st.Reviewed = reports
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	if act == ActWarn {
		w := Warning{Story: id, Note: note, By: by, At: now}
		key := fmt.Sprintf("%s%s/%020d-%s.json", warnPrefix, userHash(st.Author), now.UnixNano(), id)
		if err := s.putJSON(ctx, key, w, store.PutOptions{IfNoneMatch: true}); err != nil {
			return st, fmt.Errorf("warn author of story %q: %w", id, err)
		}
	}
	if err := s.store.Delete(ctx, queueKey(id)); err != nil {
		return st, fmt.Errorf("dequeue story %q: %w", id, err)
	}
	return st, nil
}

// Warnings returns the moderators' warnings to userID, newest first.
func (s *Service) Warnings(ctx context.Context, userID string) ([]Warning, error) {
	out := []Warning{}
	for obj, err := range s.store.List(ctx, warnPrefix+userHash(userID)+"/") {
		if err != nil {
			return nil, fmt.Errorf("warnings: %w", err)
		}
		var w Warning
		if _, err := s.readJSON(ctx, obj.Key, &w); err != nil {
			return nil, fmt.Errorf("warnings: %w", err)
		}
		out = append(out, w)
	}
	slices.Reverse(out)
	return out, nil
}
