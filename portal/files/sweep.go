package files

import (
	"context"
	"time"

	"github.com/jinnang/jinnang/portal/store/record"
)

// SweepOrphans removes the bytes (and text caches) of files whose
// meta.json was never written, as when the store crashed between an
// upload's bytes and its record, once they are older than before. It
// returns how many objects it removed.
func (s *Service) SweepOrphans(ctx context.Context, before time.Time) (int, error) {
	return record.SweepOrphans(ctx, s.store, filesPrefix, metaKey, before)
}
