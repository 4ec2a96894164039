package stories

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/record"
)

// digestAttempts bounds the retries of a digest update that lost a race
// with another writer.
const digestAttempts = 8

// digestVersion is the shape of the digest; an older one is rebuilt.
const digestVersion = 2

// likerLen is how many hex digits of a liker's userHash the digest keeps:
// 64 bits, so the digest of a story liked by everyone in a company of
// thousands stays tens of kilobytes, and two people of one company share a
// prefix with odds below one in a billion (it would only show a like as
// the viewer's own).
const likerLen = 16

// commentDigest is the story's social digest, a derived record beside its
// comments (stories/<id>/comments.json): a snapshot of the story record,
// the like count and who likes it (by hash prefix), how many comments
// there are and the newest CommentsPerPage of them, newest first, and the
// final state of its media jobs. A feed card or a story page reads this
// one object instead of the record, a listing of the likes, a like marker
// and every comment. Every write keeps it current with If-Match: a new
// comment merges in, a like or an unlike recounts the likes, a record
// write copies the record (read again inside the retry loop, so the last
// write wins with the newest record); a deleted or restored comment drops
// it. It is rebuilt from the truth (record, likes, comments) whenever it
// is missing, corrupt or of an older shape, and by Reindex.
type commentDigest struct {
	V      int       `json:"v"`
	Count  int       `json:"count"`
	Recent []Comment `json:"recent"`
	Likes  int       `json:"likes"`
	// Likers are the likerLen-digit prefixes of the likers' userHash,
	// sorted, concatenated.
	Likers string `json:"likers"`
	// Story is the record as last written, StoryETag its ETag.
	Story     *Story `json:"story,omitempty"`
	StoryETag string `json:"story_etag,omitempty"`
	// Media are the final states of the story's media jobs by job ID,
	// filled in when a page first sees a job done or failed (SetMediaState).
	Media map[string]MediaState `json:"media,omitempty"`
}

// MediaState is the final state of a media job as a card shows it; the
// web layer copies it from the job (package media) once the job is done or
// failed, which never changes after.
type MediaState struct {
	State    string  `json:"state"`
	Seconds  float64 `json:"seconds,omitempty"`
	Width    int     `json:"w,omitempty"`
	Height   int     `json:"h,omitempty"`
	ReasonZh string  `json:"reason_zh,omitempty"`
	ReasonEn string  `json:"reason_en,omitempty"`
}

// Social is what a card shows of a story's likes, comments and media.
type Social struct {
	Likes    int
	Liked    bool // by the viewer
	Comments int
	Recent   []Comment // the newest comments, newest first
	// Media are the known final states of the story's media jobs by job ID
	// (a job not here may still be running: ask the queue).
	Media map[string]MediaState
}

func (d *commentDigest) social(userID string) Social {
	return Social{Likes: d.Likes, Liked: userID != "" && d.liked(userID), Comments: d.Count, Recent: d.Recent, Media: d.Media}
}

// liked reports whether userID is among the likers.
func (d *commentDigest) liked(userID string) bool {
	h := userHash(userID)[:likerLen]
	n := len(d.Likers) / likerLen
	i := sort.Search(n, func(i int) bool { return d.Likers[i*likerLen:(i+1)*likerLen] >= h })
	return i < n && d.Likers[i*likerLen:(i+1)*likerLen] == h
}

// likers lists the likes of a story: how many and their hash prefixes.
func (s *Service) likers(ctx context.Context, id string) (int, string, error) {
	var hs []string
	prefix := dir(id) + "likes/"
	for obj, err := range s.store.List(ctx, prefix) {
		if err != nil {
			return 0, "", fmt.Errorf("likes of story %q: %w", id, err)
		}
		if h := strings.TrimPrefix(obj.Key, prefix); len(h) >= likerLen {
			hs = append(hs, h[:likerLen])
		}
	}
	slices.Sort(hs)
	return len(hs), strings.Join(hs, ""), nil
}

// digest reads the social digest of a story, rebuilding it when missing,
// corrupt or of an older shape.
func (s *Service) digest(ctx context.Context, id string) (commentDigest, string, error) {
	for range digestAttempts {
		var d commentDigest
		etag, err := s.readJSON(ctx, digestKey(id), &d)
		if err == nil && d.V >= digestVersion {
			return d, etag, nil
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, record.ErrCorrupt) {
			return commentDigest{}, "", fmt.Errorf("social digest of story %q: %w", id, err)
		}
		opts := store.PutOptions{IfNoneMatch: true} // a concurrent update wins
		if err == nil {
			opts = store.PutOptions{IfMatch: etag} // an old shape: replace it
		} else if errors.Is(err, record.ErrCorrupt) {
			opts = store.PutOptions{}
		}
		if err := s.rebuildDigest(ctx, id, opts); err != nil && !errors.Is(err, store.ErrPrecondition) {
			return commentDigest{}, "", err
		}
	}
	return commentDigest{}, "", fmt.Errorf("social digest of story %q: %w", id, store.ErrPrecondition)
}

// RebuildCommentDigest writes a story's social digest afresh from the
// record, the likes and the comments (create-once when onlyIfMissing, so
// a concurrent update wins).
func (s *Service) RebuildCommentDigest(ctx context.Context, id string, onlyIfMissing bool) error {
	return s.rebuildDigest(ctx, id, store.PutOptions{IfNoneMatch: onlyIfMissing})
}

func (s *Service) rebuildDigest(ctx context.Context, id string, opts store.PutOptions) error {
	st, err := s.Get(ctx, id)
	if err != nil {
		return err
	}
	keys, err := s.commentKeys(ctx, id)
	if err != nil {
		return err
	}
	d := commentDigest{V: digestVersion, Count: len(keys), Recent: []Comment{}, Story: st, StoryETag: st.ETag}
	for i := len(keys) - 1; i >= 0 && len(d.Recent) < CommentsPerPage; i-- {
		var c Comment
		_, err := s.readJSON(ctx, keys[i], &c)
		if record.Skip(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("comments of story %q: %w", id, err)
		}
		d.Recent = append(d.Recent, c)
	}
	if d.Likes, d.Likers, err = s.likers(ctx, id); err != nil {
		return err
	}
	if err := s.putJSON(ctx, digestKey(id), d, opts); err != nil {
		return fmt.Errorf("social digest of story %q: %w", id, err)
	}
	return nil
}

// modifyDigest applies change to the stored digest with If-Match, retrying
// when another writer got there first; change returns false to leave it.
// A missing digest is rebuilt first (it then holds the change already, as
// the truth does: change sees it and may say false).
func (s *Service) modifyDigest(ctx context.Context, id string, change func(*commentDigest) (bool, error)) error {
	err := record.Retry(ctx, digestAttempts, func(int) error {
		d, etag, err := s.digest(ctx, id)
		if err != nil {
			return err
		}
		ok, err := change(&d)
		if err != nil || !ok {
			return err
		}
		err = s.putJSON(ctx, digestKey(id), d, store.PutOptions{IfMatch: etag})
		if errors.Is(err, store.ErrPrecondition) || errors.Is(err, store.ErrNotFound) {
			return record.Conflict(err)
		}
		return err
	})
	if errors.Is(err, record.ErrContended) {
		return fmt.Errorf("social digest of story %q: %w", id, err)
	}
	return err
}

// keepDigest runs a digest update after the write it follows has been
// stored: on failure the digest is dropped (the next read rebuilds it from
// the truth) rather than left wrong.
func (s *Service) keepDigest(ctx context.Context, id string, err error) {
	if err == nil {
		return
	}
	s.log.Warn("story digest update failed; dropped", "story", id, "err", err)
	if derr := s.store.Delete(context.WithoutCancel(ctx), digestKey(id)); derr != nil {
		s.log.Error("story digest not dropped", "story", id, "err", derr)
	}
}

// digestAdd merges a new comment into the digest. A digest rebuilt
// meanwhile may hold the comment already.
func (s *Service) digestAdd(ctx context.Context, id string, c Comment) error {
	return s.modifyDigest(ctx, id, func(d *commentDigest) (bool, error) {
		if slices.ContainsFunc(d.Recent, func(x Comment) bool { return x.ID == c.ID }) {
			return false, nil
		}
		d.Count++
		d.Recent = append(d.Recent, c)
		slices.SortFunc(d.Recent, func(a, b Comment) int { return strings.Compare(b.ID, a.ID) })
		if len(d.Recent) > CommentsPerPage {
			d.Recent = d.Recent[:CommentsPerPage]
		}
		return true, nil
	})
}

// digestLikes recounts the likes into the digest after a like or unlike.
// The listing is taken after reading the digest, inside the retry loop: a
// like stored after it makes its own update, which either comes later or
// makes this one's If-Match fail and list again.
func (s *Service) digestLikes(ctx context.Context, id string) error {
	return s.modifyDigest(ctx, id, func(d *commentDigest) (bool, error) {
		n, likers, err := s.likers(ctx, id)
		if err != nil {
			return false, err
		}
		if n == d.Likes && likers == d.Likers {
			return false, nil
		}
		d.Likes, d.Likers = n, likers
		return true, nil
	})
}

// digestRecord copies the story record into its digest after a write of
// the record (the record is read again inside the retry loop, so of two
// racing writes the newest record ends up in the digest). A new story gets
// its first digest, create-once.
func (s *Service) digestRecord(ctx context.Context, st *Story, created bool) error {
	if created {
		d := commentDigest{V: digestVersion, Recent: []Comment{}, Story: st, StoryETag: st.ETag}
		err := s.putJSON(ctx, digestKey(st.ID), d, store.PutOptions{IfNoneMatch: true})
		if err == nil || errors.Is(err, store.ErrPrecondition) {
			return nil
		}
		return err
	}
	err := record.Retry(ctx, digestAttempts, func(int) error {
		var d commentDigest
		etag, err := s.readJSON(ctx, digestKey(st.ID), &d)
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, record.ErrCorrupt) || (err == nil && d.V < digestVersion) {
			return nil // the next read rebuilds it from the record
		}
		if err != nil {
			return err
		}
		cur, err := s.Get(ctx, st.ID)
		if err != nil {
			return err
		}
		if d.StoryETag == cur.ETag {
			return nil
		}
		d.Story, d.StoryETag = cur, cur.ETag
		err = s.putJSON(ctx, digestKey(st.ID), d, store.PutOptions{IfMatch: etag})
		if errors.Is(err, store.ErrPrecondition) || errors.Is(err, store.ErrNotFound) {
			return record.Conflict(err)
		}
		return err
	})
	if errors.Is(err, record.ErrContended) {
		return fmt.Errorf("social digest of story %q: %w", st.ID, err)
	}
	return err
}

// Social returns what a card shows of a story's likes and comments for
// userID (one read: the digest).
func (s *Service) Social(ctx context.Context, id, userID string) (Social, error) {
	if err := checkID(id); err != nil {
		return Social{}, err
	}
	d, _, err := s.digest(ctx, id)
	if err != nil {
		return Social{}, err
	}
	return d.social(userID), nil
}

// SetMediaState records the final state of one of a story's media jobs in
// its digest, so cards need not read the job again. Only done and failed
// states belong here (they never change).
func (s *Service) SetMediaState(ctx context.Context, id, job string, m MediaState) error {
	if err := checkID(id); err != nil {
		return err
	}
	err := s.modifyDigest(ctx, id, func(d *commentDigest) (bool, error) {
		if d.Media[job] == m {
			return false, nil
		}
		if d.Media == nil {
			d.Media = map[string]MediaState{}
		}
		d.Media[job] = m
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("media state of story %q: %w", id, err)
	}
	return nil
}
