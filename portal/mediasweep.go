package portal

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jinnang/jinnang/portal/media"
	"github.com/jinnang/jinnang/portal/reports"
	"github.com/jinnang/jinnang/portal/store"
)

// The media jobs: the sweep runs once across processes (leased); the depth
// gauge is this process's.
const (
	jobMediaSweep = "media-sweep"
	jobMediaDepth = "media-depth" // local: the gauge is this process's
)

// mediaSweepEvery is how often unowned media is removed; unclaimed jobs
// and parts without a record are removed once older than orphanAge.
const mediaSweepEvery = time.Hour

// registerMediaJobs registers the media sweep and the queue gauge when
// video and voice are on.
func (a *app) registerMediaJobs() {
	if a.media == nil {
		return
	}
	a.jobs.Register(jobMediaSweep, mediaSweepEvery, 30*time.Minute, func(ctx context.Context) error {
		_, err := a.sweepMedia(ctx, time.Now().Add(-orphanAge))
		return err
	})
	a.jobs.RegisterLocal(jobMediaDepth, time.Minute, a.countMedia)
}

// sweepMedia removes the media of deleted stories (after their undo
// window), comments, suggestions and reports, and what failed or unsaved
// posts left behind.
func (a *app) sweepMedia(ctx context.Context, before time.Time) (media.SweepResult, error) {
	res, err := a.media.Sweep(ctx, a.mediaOwnerExists, before)
	if res.Removed > 0 || res.Sources > 0 {
		a.log.Info("media swept", "jobs", res.Removed, "uploads", res.Sources)
	}
	return res, err
}

// mediaOwnerExists says whether the owner a media job was claimed by still
// wants it. An owner of an unknown kind is kept (a newer process's).
func (a *app) mediaOwnerExists(ctx context.Context, owner string) (bool, error) {
	kind, id, ok := strings.Cut(owner, ":")
	if !ok {
		return true, nil
	}
	switch kind {
	case media.OwnerStory:
		return a.stories.StoryMediaWanted(ctx, id)
	case media.OwnerComment:
		story, cid, ok := strings.Cut(id, "/")
		if !ok {
			return false, nil
		}
		return a.stories.CommentMediaWanted(ctx, story, cid)
	case media.OwnerSuggestion:
		return found(a.suggest.Get(ctx, id))
	case media.OwnerReport:
		return found(reports.New(a.store, nil).Get(ctx, id))
	}
	return true, nil
}

// found turns a lookup into whether the record exists.
func found[T any](_ T, err error) (bool, error) {
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, store.ErrNotFound):
		return false, nil
	}
	return false, fmt.Errorf("media owner: %w", err)
}

// countMedia sets the transcode queue gauge.
func (a *app) countMedia(ctx context.Context) error {
	s, err := a.media.Status(ctx)
	if err != nil {
		return err
	}
	running := 0
	if s.Running != nil {
		running = 1
	}
	a.metrics.SetMediaQueueDepth("queued", s.Queued-running)
	a.metrics.SetMediaQueueDepth("running", running)
	return nil
}
