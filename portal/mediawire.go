package portal

import (
	"context"
	"log/slog"
	"time"

	"github.com/jinnang/jinnang/portal/config"
	"github.com/jinnang/jinnang/portal/media"
	"github.com/jinnang/jinnang/portal/reports"
	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/web"
)

// openMedia makes the transcode queue, or nil (video and voice off, with a
// warning) when ffmpeg is not installed.
func openMedia(cfg config.Config, st store.Store, log *slog.Logger) *media.Queue {
	l := media.DefaultLimits()
	l.MaxDuration = time.Duration(cfg.VideoMaxSeconds) * time.Second
	tool, err := media.NewTool(l)
	if err != nil {
		log.Warn("video and voice are off", "err", err)
		return nil
	}
	if tool.Prlimit == "" {
		log.Warn("prlimit (util-linux) not found: transcodes run without a CPU-time limit, only the timeout")
	}
	return media.NewQueue(st, tool, media.QueueOptions{MaxQueued: cfg.VideoQueue, MaxBytes: int64(cfg.VideoMaxMB) << 20, Log: log})
}

// mediaPort is the queue as the web layer's port (a nil interface when off).
func (a *app) mediaPort() web.Media {
	if a.media == nil {
		return nil
	}
	return a.media
}

// runMedia works the transcode queue in the background until ctx ends.
func (a *app) runMedia(ctx context.Context) {
	if a.media != nil {
		go a.media.Run(ctx)
	}
}

// reportsPort is 一线上报 over the app's store.
func (a *app) reportsPort() web.Reports { return reports.New(a.store, nil) }
