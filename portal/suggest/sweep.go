package suggest

import (
	"context"
	"time"

	"github.com/jinnang/jinnang/portal/store/record"
)

// SweepOrphans removes the images of suggestions whose record was never
// written (a submit that crashed after its images), once they are older
// than before. It returns how many objects it removed.
func (s *Service) SweepOrphans(ctx context.Context, before time.Time) (int, error) {
	return record.SweepOrphans(ctx, s.st, imagePrefix, func(ref string) string { return itemPrefix + ref + ".json" }, before)
}
