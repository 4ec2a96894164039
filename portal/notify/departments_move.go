package notify

import (
	"context"
	"errors"
	"fmt"

	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/record"
)

// MoveGroupHook moves department from's group robot to department to (a
// merge of departments): when to has no robot of its own, from's webhook
// becomes to's; when it has one, to keeps its own. Either way from's robot
// is removed, so announcements to the merged department reach one group
// once. It reports whether from had a robot that moved (false also when
// there was nothing to do), and can be run again after an interruption:
// to's robot is written before from's is removed.
func (s *Service) MoveGroupHook(ctx context.Context, from, to string) (bool, error) {
	if from == "" || to == "" || from == to {
		return false, fmt.Errorf("%w: move group robot of %q into %q", ErrInvalid, from, to)
	}
	fromKey, toKey := groupsPrefix+hashOf(from)+".json", groupsPrefix+hashOf(to)+".json"
	var g GroupHook
	_, err := record.Read(ctx, s.st, fromKey, &g, maxRecord)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil && !errors.Is(err, record.ErrCorrupt) {
		return false, fmt.Errorf("notify: move group robot: %w", err)
	}
	moved := false
	if err == nil && g.URL != "" {
		// Create-once: a robot to already has wins.
		_, werr := record.Write(ctx, s.st, toKey, GroupHook{Department: to, URL: g.URL}, store.PutOptions{IfNoneMatch: true})
		switch {
		case werr == nil:
			moved = true
		case errors.Is(werr, store.ErrPrecondition):
		default:
			return false, fmt.Errorf("notify: move group robot: %w", werr)
		}
	}
	if err := s.st.Delete(ctx, fromKey); err != nil && !errors.Is(err, store.ErrNotFound) {
		return moved, fmt.Errorf("notify: move group robot: %w", err)
	}
	return moved, nil
}
