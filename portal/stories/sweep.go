package stories

import (
	"context"
	"time"

	"github.com/jinnang/jinnang/portal/store/record"
)

// SweepOrphans removes the photos (and anything else) of stories whose
// record was never written, as when the store crashed between a story's
// photos and its story.json, once they are older than before. It returns
// how many objects it removed.
func (s *Service) SweepOrphans(ctx context.Context, before time.Time) (int, error) {
	return record.SweepOrphans(ctx, s.store, storiesPrefix, recordKey, before)
}
