package files

import (
	"context"
	"errors"
	"fmt"

	"github.com/jinnang/jinnang/portal/store"
)

// DeleteDepartment removes a department record, its QR image and its index
// entry. It does not look at packs or files: the caller refuses to delete a
// department that still has some. A missing record is store.ErrNotFound.
func (s *Service) DeleteDepartment(ctx context.Context, name string) error {
	name, err := deptName(name)
	if err != nil {
		return err
	}
	if _, err := s.store.Stat(ctx, deptKey(name)); err != nil {
		return fmt.Errorf("delete department %q: %w", name, err)
	}
	if err := s.store.Delete(ctx, qrKey(name)); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("delete department %q: QR: %w", name, err)
	}
	if err := s.store.Delete(ctx, deptKey(name)); err != nil {
		return fmt.Errorf("delete department %q: %w", name, err)
	}
	if err := s.index.Delete(ctx, deptDocID(name)); err != nil {
		s.log.Warn("unindex department failed; reindex will drop it", "department", name, "err", err)
	}
	return nil
}
