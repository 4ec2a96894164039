package portal

import (
	"context"
	"io/fs"

	"github.com/jinnang/jinnang/portal/demo"
)

// seedDemo adds the demo stories, poll, announcement and suggestion box on
// the first run (the store had no packs, so it has none of those either).
// A failure is logged, never a reason not to start.
func (a *app) seedDemo(ctx context.Context, content fs.FS) {
	n, err := demo.Seed(ctx, content, demo.Services{Stories: a.stories, Polls: a.polls, Announce: a.announce, Suggest: a.suggest})
	if err != nil {
		a.log.Warn("demo content not fully seeded", "err", err)
	}
	a.log.Info("seeded demo content", "stories", n.Stories, "polls", n.Polls, "announcements", n.Announcements, "boxes", n.Boxes)
}
