package reports

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/record"
)

// MoveDepartment readdresses every report addressed to department from to
// department to (a merge of departments), open or resolved: once from is
// gone its managers are to's, and they keep the history. Each report is
// rewritten with If-Match (its Updated time stays), then its marker moves
// (the new marker first, then the old one goes), so a move cut short is
// finished by running it again: it lists only what is left under from.
// The reporter's own department at the time (From) is history and stays.
// It returns how many reports moved.
func (s *Service) MoveDepartment(ctx context.Context, from, to string) (int, error) {
	if strings.TrimSpace(from) == "" || strings.TrimSpace(to) == "" || from == to {
		return 0, fmt.Errorf("%w: move department %q into %q", ErrInvalid, from, to)
	}
	var ids []string
	for obj, err := range s.st.List(ctx, deptPrefix(from)) {
		if err != nil {
			return 0, fmt.Errorf("reports: move department: %w", err)
		}
		ids = append(ids, strings.TrimPrefix(obj.Key, deptPrefix(from)))
	}
	n := 0
	for _, id := range ids {
		if err := s.readdress(ctx, id, from, to); err != nil {
			return n, err
		}
		if _, err := s.st.Put(ctx, deptPrefix(to)+id, strings.NewReader(""), store.PutOptions{ContentType: "text/plain"}); err != nil {
			return n, fmt.Errorf("reports: move department: index %s: %w", id, err)
		}
		if err := s.st.Delete(ctx, deptPrefix(from)+id); err != nil && !errors.Is(err, store.ErrNotFound) {
			return n, fmt.Errorf("reports: move department: index %s: %w", id, err)
		}
		n++
	}
	return n, nil
}

// readdress sets report id's department to to when it is from.
func (s *Service) readdress(ctx context.Context, id, from, to string) error {
	err := record.Retry(ctx, updateAttempts, func(int) error {
		r, err := s.Get(ctx, id)
		if record.Skip(err) {
			return nil // gone or unreadable: the marker moves, the list skips it
		}
		if err != nil {
			return fmt.Errorf("reports: move department: %w", err)
		}
		if r.Department != from {
			return nil
		}
		r.Department = to
		return record.ConflictIf(s.put(ctx, r, store.PutOptions{IfMatch: r.ETag}))
	})
	if errors.Is(err, record.ErrContended) {
		return fmt.Errorf("report %s: %w", id, err)
	}
	return err
}
