package stories

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/points"
	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/record"
)

// summaryRunes bounds the summary of a story in the index.
const summaryRunes = 120

func toDoc(st *Story) index.Doc {
	summary := []rune(strings.Join(strings.Fields(st.Text), " "))
	if len(summary) > summaryRunes {
		summary = append(summary[:summaryRunes], '…')
	}
	title := st.AuthorName
	if title == "" {
		title = st.Author
	}
	return index.Doc{
		ID: docID(st.ID), Kind: Kind,
		Title: title, Summary: string(summary), Body: st.Text,
		Department: st.Department, Tags: st.Tags, Author: st.AuthorName,
		Date: st.Created, URL: "/stories/" + st.ID,
	}
}

// sync makes the index match st: visible stories are indexed, others removed.
// On failure it queues an outbox record and only returns an error when that
// fails too.
func (s *Service) sync(ctx context.Context, st *Story) error {
	var err error
	if st.Visible() {
		err = s.index.Upsert(ctx, toDoc(st))
	} else {
		err = s.index.Delete(ctx, docID(st.ID))
	}
	if err == nil {
		return nil
	}
	s.log.Warn("index write failed; queued in outbox", "story", st.ID, "err", err)
	if oerr := s.outbox.Add(ctx, st.ID); oerr != nil {
		return fmt.Errorf("index story %q: %w (and outbox: %v)", st.ID, err, oerr)
	}
	return nil
}

// ReplayOutbox brings the index entries of stories whose index write failed
// earlier in line with the store. It returns how many records it cleared.
func (s *Service) ReplayOutbox(ctx context.Context) (int, error) {
	return s.outbox.Replay(ctx, ValidID, s.syncID, s.log)
}

// syncID makes the index entry of story id match the store.
func (s *Service) syncID(ctx context.Context, id string) error {
	st, err := s.Get(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return s.index.Delete(ctx, docID(id))
	case err != nil:
		return err
	case st.Visible():
		return s.index.Upsert(ctx, toDoc(st))
	default:
		return s.index.Delete(ctx, docID(id))
	}
}

// Story ID markers: an empty object per story under idsPrefix, written
// before the story's record, so the IDs are one bounded listing instead of
// a walk over every like, comment and photo key under stories/. idsBuilt
// says the markers cover the stories that existed before them (written by
// walkIDs, which reindex runs). A marker whose record never got written
// is harmless: readers skip a missing record.
const (
	idsPrefix = "story-ids/"
	idsBuilt  = "story-ids.json"
)

func idMarkerKey(id string) string { return idsPrefix + id + ".json" }

// markID writes the ID marker of a new story.
func (s *Service) markID(ctx context.Context, id string) error {
	if _, err := s.store.Put(ctx, idMarkerKey(id), strings.NewReader("{}"), store.PutOptions{ContentType: "application/json", Size: 2}); err != nil {
		return fmt.Errorf("mark story %q: %w", id, err)
	}
	return nil
}

// ids lists the IDs of every story record in the store: from the markers
// once they are built, else by walking the store (and building them).
func (s *Service) ids(ctx context.Context) ([]string, error) {
	if _, err := s.store.Stat(ctx, idsBuilt); err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("list stories: %w", err)
		}
		return s.walkIDs(ctx)
	}
	var ids []string
	for obj, err := range s.store.List(ctx, idsPrefix) {
		if err != nil {
			return nil, fmt.Errorf("list stories: %w", err)
		}
		rest, ok := strings.CutSuffix(strings.TrimPrefix(obj.Key, idsPrefix), ".json")
		if ok && ValidID(rest) {
			ids = append(ids, rest)
		}
	}
	return ids, nil
}

// walkIDs lists the story records by walking every key under stories/
// (the truth), writes the markers that are missing and says they are built.
func (s *Service) walkIDs(ctx context.Context) ([]string, error) {
	marked := map[string]bool{}
	for obj, err := range s.store.List(ctx, idsPrefix) {
		if err != nil {
			return nil, fmt.Errorf("list story markers: %w", err)
		}
		marked[strings.TrimSuffix(strings.TrimPrefix(obj.Key, idsPrefix), ".json")] = true
	}
	var ids []string
	for obj, err := range s.store.List(ctx, storiesPrefix) {
		if err != nil {
			return nil, fmt.Errorf("list stories: %w", err)
		}
		rest, ok := strings.CutSuffix(strings.TrimPrefix(obj.Key, storiesPrefix), "/story.json")
		if ok && ValidID(rest) {
			ids = append(ids, rest)
			if !marked[rest] {
				if err := s.markID(ctx, rest); err != nil {
					return nil, err
				}
			}
		}
	}
	if _, err := s.store.Put(ctx, idsBuilt, strings.NewReader("{}"), store.PutOptions{ContentType: "application/json", Size: 2}); err != nil {
		return nil, fmt.Errorf("list stories: %w", err)
	}
	return ids, nil
}

// Reindex rebuilds the story entries of the index from the store: visible
// stories are indexed in batches, then story entries the store does not
// show (hidden, deleted, gone) are pruned. Other kinds are left alone.
// Records that fail to load are reported and skipped.
func (s *Service) Reindex(ctx context.Context, progress func(done, total int)) (int, error) {
	ids, err := s.walkIDs(ctx) // the truth, and the markers rebuilt
	if err != nil {
		return 0, err
	}
	return index.Rebuild(ctx, s.index, Kind, ids, docID, func(ctx context.Context, id string) (index.Doc, bool, error) {
		st, err := s.Get(ctx, id)
		if err != nil {
			return index.Doc{}, false, err
		}
		// The social digest is derived too: rebuilt from the truth.
		if err := s.rebuildDigest(ctx, id, store.PutOptions{}); err != nil {
			s.log.Warn("story digest not rebuilt", "story", id, "err", err)
		}
		return toDoc(st), st.Visible(), nil
	}, progress)
}

// PointsSource lists the stories that count for points: those visible in
// the feed (a story hidden or deleted, by a moderator or its author, earns
// nothing).
func (s *Service) PointsSource() points.Source {
	return func(ctx context.Context) ([]points.Contribution, error) {
		ids, err := s.ids(ctx)
		if err != nil {
			return nil, err
		}
		out := make([]points.Contribution, 0, len(ids))
		for _, id := range ids {
			st, err := s.Get(ctx, id)
			if record.Skip(err) {
				continue
			}
			if err != nil {
				return nil, err
			}
			if st.Visible() {
				out = append(out, points.Contribution{UserID: st.Author, Name: st.AuthorName, Kind: points.KindStory, At: st.Created, Ref: "story-" + st.ID})
			}
		}
		return out, nil
	}
}

// SetPoints makes every story write keep the leaderboard's stored tally
// up to date: a visible story counts, any other state removes it.
func (s *Service) SetPoints(p *points.Service) { s.points = p }

// tallyStory records st in the stored tally (best effort: the tally is
// derived and reindex rebuilds it).
func (s *Service) tallyStory(ctx context.Context, st *Story) {
	if s.points == nil {
		return
	}
	c := points.Contribution{UserID: st.Author, Name: st.AuthorName, Kind: points.KindStory, At: st.Created}
	if err := s.points.Record(ctx, "story-"+st.ID, c, st.Visible()); err != nil && s.log != nil {
		s.log.Warn("leaderboard tally not updated", "story", st.ID, "err", err)
	}
}
