package announce

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/record"
)

// Read receipts and comments live beside the announcements, under their
// own prefixes (so listing announcements never walks them):
//
//	receipts/<announcement id>/<hash of department>.json   who in that department answered
//	anncomments/<announcement id>/<inverted nanos>-<hex>.json   one comment each, newest first
//
// Receipts are sharded by the reader's department: the author's report reads
// one object per department, and confirmations in different departments
// never contend.
const (
	receiptPrefix = "receipts/"
	commentPrefix = "anncomments/"
	maxShard      = 4 << 20
	maxComment    = 8 << 10
	shardAttempts = 16 // with a jittered pause: a dozen readers confirming at once all land
	// MaxComment bounds a comment or a question in runes.
	MaxComment = 500
	// MaxComments bounds how many comments a page lists (newest first).
	MaxComments = 200
)

// Kinds of receipt.
const (
	ReceiptAck      = "ack"      // 收到
	ReceiptQuestion = "question" // 有疑问
)

// Receipt is one reader's answer to an announcement that asks for confirmation.
type Receipt struct {
	UserID     string    `json:"user_id"`
	Name       string    `json:"name"`
	Department string    `json:"department"`
	Kind       string    `json:"kind"`
	Comment    string    `json:"comment,omitempty"`
	At         time.Time `json:"at"`
}

type shard struct {
	Department string             `json:"department"`
	Receipts   map[string]Receipt `json:"receipts"`
}

func hashName(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:16]) }
func shardKey(id, dept string) string {
	return receiptPrefix + id + "/" + hashName(dept) + ".json"
}

// Confirm records r (收到, or 有疑问 with a comment to the author) for
// announcement id; a later answer replaces an earlier one.
func (s *Service) Confirm(ctx context.Context, id string, r Receipt) (*Receipt, error) {
	a, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if !a.Confirm {
		return nil, fmt.Errorf("%w: announcement %s does not ask for confirmation", ErrInvalid, id)
	}
	r.Comment = strings.TrimSpace(stripControl(r.Comment, true))
	switch {
	case r.UserID == "":
		return nil, fmt.Errorf("%w: no reader", ErrInvalid)
	case r.Kind != ReceiptAck && r.Kind != ReceiptQuestion:
		return nil, fmt.Errorf("%w: receipt kind %q", ErrInvalid, r.Kind)
	case r.Kind == ReceiptQuestion && r.Comment == "":
		return nil, fmt.Errorf("%w: a question needs a comment", ErrInvalid)
	case utf8.RuneCountInString(r.Comment) > MaxComment:
		return nil, fmt.Errorf("%w: comment longer than %d", ErrInvalid, MaxComment)
	}
	r.At = s.clock().UTC()
	key := shardKey(id, r.Department)
	// Another reader of the department may win: Retry pauses a little,
	// longer each time, so a dozen racing writers do not keep colliding.
	err = record.Retry(ctx, shardAttempts, func(int) error {
		var sh shard
		etag, err := record.Read(ctx, s.store, key, &sh, maxShard)
		opts := store.PutOptions{IfMatch: etag}
		switch {
		case errors.Is(err, store.ErrNotFound):
			opts = store.PutOptions{IfNoneMatch: true}
		case err != nil:
			return err
		}
		if sh.Receipts == nil {
			sh.Receipts = map[string]Receipt{}
		}
		sh.Department = r.Department
		sh.Receipts[r.UserID] = r
		_, err = record.Write(ctx, s.store, key, &sh, opts)
		if errors.Is(err, store.ErrPrecondition) || errors.Is(err, store.ErrNotFound) {
			return record.Conflict(err)
		}
		return err
	})
	if errors.Is(err, record.ErrContended) {
		return nil, fmt.Errorf("announce: receipt for %s: %w", id, err)
	}
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// Receipts returns the answers to announcement id from each of depts, by
// department and user id: one read per department.
func (s *Service) Receipts(ctx context.Context, id string, depts []string) (map[string]map[string]Receipt, error) {
	if !ValidID(id) {
		return nil, fmt.Errorf("announcement %q: %w", id, store.ErrNotFound)
	}
	out := make(map[string]map[string]Receipt, len(depts))
	for _, d := range depts {
		var sh shard
		_, err := record.Read(ctx, s.store, shardKey(id, d), &sh, maxShard)
		switch {
		case errors.Is(err, store.ErrNotFound):
			out[d] = map[string]Receipt{}
		case err != nil:
			return nil, err
		default:
			out[d] = sh.Receipts
			if out[d] == nil {
				out[d] = map[string]Receipt{}
			}
		}
	}
	return out, nil
}

// MyReceipt is the reader's own answer, or nil.
func (s *Service) MyReceipt(ctx context.Context, id, userID, dept string) (*Receipt, error) {
	m, err := s.Receipts(ctx, id, []string{dept})
	if err != nil {
		return nil, err
	}
	if r, ok := m[dept][userID]; ok {
		return &r, nil
	}
	return nil, nil
}

// Comment is one comment on an announcement.
type Comment struct {
	ID         string    `json:"id"`
	AuthorID   string    `json:"author_id"`
	AuthorName string    `json:"author_name"`
	Text       string    `json:"text"`
	At         time.Time `json:"at"`
}

// AddComment stores a comment on announcement id, which must allow comments.
func (s *Service) AddComment(ctx context.Context, id string, c Comment) (*Comment, error) {
	a, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if !a.Comments {
		return nil, fmt.Errorf("%w: announcement %s takes no comments", ErrInvalid, id)
	}
	c.Text = strings.TrimSpace(stripControl(strings.ReplaceAll(c.Text, "\r\n", "\n"), true))
	switch n := utf8.RuneCountInString(c.Text); {
	case c.AuthorID == "":
		return nil, fmt.Errorf("%w: no author", ErrInvalid)
	case n == 0:
		return nil, fmt.Errorf("%w: empty comment", ErrInvalid)
	case n > MaxComment:
		return nil, fmt.Errorf("%w: comment longer than %d", ErrInvalid, MaxComment)
	}
	now := s.clock().UTC()
	c.At = now
	r := make([]byte, 4)
	_, _ = rand.Read(r) // crypto/rand.Read never returns an error
	c.ID = fmt.Sprintf("%020d-%s", math.MaxInt64-now.UnixNano(), hex.EncodeToString(r))
	if _, err := record.Write(ctx, s.store, commentPrefix+id+"/"+c.ID+".json", &c, store.PutOptions{IfNoneMatch: true}); err != nil {
		return nil, fmt.Errorf("announce: comment on %s: %w", id, err)
	}
	return &c, nil
}

// Comments lists the newest comments on announcement id (at most limit,
// capped at MaxComments), newest first.
func (s *Service) Comments(ctx context.Context, id string, limit int) ([]Comment, error) {
	if !ValidID(id) {
		return nil, fmt.Errorf("announcement %q: %w", id, store.ErrNotFound)
	}
	limit = min(max(limit, 1), MaxComments)
	var out []Comment
	for obj, err := range s.store.List(ctx, commentPrefix+id+"/") {
		if err != nil {
			return nil, err
		}
		var c Comment
		if _, err := record.Read(ctx, s.store, obj.Key, &c, maxComment); err != nil {
			continue // deleted meanwhile or unreadable: skip it, show the rest
		}
		out = append(out, c)
		if len(out) == limit {
			break
		}
	}
	slices.SortStableFunc(out, func(a, b Comment) int { return b.At.Compare(a.At) })
	return out, nil
}

// DeleteComment removes one comment.
func (s *Service) DeleteComment(ctx context.Context, id, commentID string) error {
	if !ValidID(id) || strings.ContainsAny(commentID, "/.") || commentID == "" {
		return fmt.Errorf("comment %q: %w", commentID, store.ErrNotFound)
	}
	return s.store.Delete(ctx, commentPrefix+id+"/"+commentID+".json")
}

// Comment returns one comment.
func (s *Service) Comment(ctx context.Context, id, commentID string) (*Comment, error) {
	if !ValidID(id) || strings.ContainsAny(commentID, "/.") || commentID == "" {
		return nil, fmt.Errorf("comment %q: %w", commentID, store.ErrNotFound)
	}
	var c Comment
	if _, err := record.Read(ctx, s.store, commentPrefix+id+"/"+commentID+".json", &c, maxComment); err != nil {
		return nil, err
	}
	return &c, nil
}

// DeleteExtras removes the receipts and comments of a deleted announcement.
func (s *Service) DeleteExtras(ctx context.Context, id string) error {
	if !ValidID(id) {
		return nil
	}
	for _, prefix := range []string{receiptPrefix + id + "/", commentPrefix + id + "/"} {
		for obj, err := range s.store.List(ctx, prefix) {
			if err != nil {
				return err
			}
			if err := s.store.Delete(ctx, obj.Key); err != nil {
				return err
			}
		}
	}
	return nil
}
