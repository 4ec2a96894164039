package portal

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// The background jobs. Each runs once per period across all portal
// processes (a lease in the store), except the local ones, which work on a
// process's own memory.
const (
	jobOutboxReplay    = "outbox-replay"
	jobSearchUpkeep    = "search-upkeep" // local: miss counts held in memory, synonyms saved elsewhere
	jobOrphanSweep     = "orphan-sweep"
	jobKnowledgeUpkeep = "knowledge-upkeep"
	jobSessionSweep    = "session-sweep"
	jobOutboxDepth     = "outbox-depth" // local: the gauges are this process's
	jobWeComOutbox     = "wecom-outbox"
	jobDirectorySync   = "directory-sync"
	jobWeComSweep      = "wecom-sweep"
)

// maxOutboxCount caps how many entries one outbox-depth run counts per
// queue, so the cost of a run does not grow with a long outage.
const maxOutboxCount = 10000

// registerJobs registers the jobs of the store, index and knowledge base
// (serve adds the session sweep; the channel its own).
func (a *app) registerJobs() {
	a.jobs.Register(jobOutboxReplay, time.Minute, 5*time.Minute, a.replayOutbox)
	a.jobs.RegisterLocal(jobSearchUpkeep, time.Minute, a.searchUpkeep)
	a.jobs.Register(jobOrphanSweep, orphanSweepEvery, 30*time.Minute, func(ctx context.Context) error {
		_, err := a.sweepOrphans(ctx, time.Now().Add(-orphanAge))
		return err
	})
	a.jobs.Register(jobKnowledgeUpkeep, time.Hour, 30*time.Minute, a.knowledgeUpkeep)
	a.jobs.RegisterLocal(jobOutboxDepth, time.Minute, a.countOutboxes)
	a.registerMediaJobs()
}

// runJob runs a registered job at start-up if it is due (no process ran it
// within its period, as another process just starting may have) and no
// other process holds its lease, logging its error.
func (a *app) runJob(ctx context.Context, name string) {
	if _, err := a.jobs.RunDue(ctx, name); err != nil && ctx.Err() == nil {
		a.log.Warn("job failed; will retry", "job", name, "err", err)
	}
}

// outboxQueues are the store prefixes of the outboxes, by gauge label.
var outboxQueues = []struct{ queue, prefix string }{
	{"packs", "outbox/packs/"}, {"files", "outbox/files/"}, {"stories", "outbox/stories/"}, {"wecom", "wecom/outbox/"},
}

// countOutboxes sets the outbox depth gauges (counted up to maxOutboxCount).
func (a *app) countOutboxes(ctx context.Context) error {
	var errs []error
	for _, q := range outboxQueues {
		n := 0
		for _, err := range a.store.List(ctx, q.prefix) {
			if err != nil {
				errs = append(errs, fmt.Errorf("count %s outbox: %w", q.queue, err))
				break
			}
			if n++; n >= maxOutboxCount {
				break
			}
		}
		a.metrics.SetOutboxDepth(q.queue, n)
	}
	return errors.Join(errs...)
}
