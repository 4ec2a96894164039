package portal

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Orphan sweep: a crash between a record's parts (photos, file bytes) and
// the record itself leaves the parts unreferenced. Writers store the parts
// first and the record last, so no partial record is ever visible; the sweep
// removes parts without a record once they are older than orphanAge.
const (
	orphanAge        = 24 * time.Hour
	orphanSweepEvery = 6 * time.Hour
)

// sweepOrphans removes unreferenced story photos, file bytes and suggestion
// images written before the cutoff.
func (a *app) sweepOrphans(ctx context.Context, before time.Time) (int, error) {
	total := 0
	var errs []error
	for _, job := range []struct {
		kind  string
		sweep func(context.Context, time.Time) (int, error)
	}{
		{"stories", a.stories.SweepOrphans},
		{"files", a.files.SweepOrphans},
		{"suggestions", a.suggest.SweepOrphans},
	} {
		n, err := job.sweep(ctx, before)
		total += n
		if err != nil {
			errs = append(errs, fmt.Errorf("orphan sweep of %s: %w", job.kind, err))
		}
		if n > 0 {
			a.log.Info("orphans removed", "kind", job.kind, "objects", n)
		}
	}
	return total, errors.Join(errs...)
}
