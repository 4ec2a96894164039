package files

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/record"
)

// MoveDepartment moves every file of department from into department to
// (each record rewritten with If-Match and reindexed), then the department
// record: to keeps its own intro and QR image and takes from's when it has
// none (a missing record of to is created), and from's record, QR image
// and index entry are deleted. It returns how many files moved. A move
// interrupted half-way can be run again: it picks up what is left.
func (s *Service) MoveDepartment(ctx context.Context, from, to string) (int, error) {
	from, err := deptName(from)
	if err != nil {
		return 0, err
	}
	if to, err = deptName(to); err != nil {
		return 0, err
	}
	if from == to {
		return 0, fmt.Errorf("%w: move department %q into itself", ErrDeptName, from)
	}
	var ids []string
	for obj, err := range s.store.List(ctx, filesPrefix) {
		if err != nil {
			return 0, fmt.Errorf("move department: list files: %w", err)
		}
		rest, ok := strings.CutSuffix(strings.TrimPrefix(obj.Key, filesPrefix), "/"+metaName)
		if ok && validID(rest) {
			ids = append(ids, rest)
		}
	}
	moved := 0
	for _, id := range ids {
		ok, err := s.moveFile(ctx, id, from, to)
		if err != nil {
			return moved, err
		}
		if ok {
			moved++
		}
	}
	return moved, s.mergeRecord(ctx, from, to)
}

// moveFile sets file id's department to to when it is from (retrying when
// the record changed meanwhile).
func (s *Service) moveFile(ctx context.Context, id, from, to string) (bool, error) {
	moved := false
	err := record.Retry(ctx, 5, func(int) error {
		f, err := s.Get(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("move department: %w", err)
		}
		if f.Department != from {
			return nil
		}
		next := *f
		next.Department, next.Updated = to, time.Now().UTC()
		err = s.putMeta(ctx, &next, store.PutOptions{IfMatch: f.ETag})
		if errors.Is(err, store.ErrPrecondition) {
			return record.Conflict(err)
		}
		if err != nil {
			return fmt.Errorf("move department: %w", err)
		}
		if err := s.indexFile(ctx, &next); err != nil {
			s.log.Warn("reindex moved file failed; the outbox or a reindex repairs it", "file", id, "err", err)
		}
		moved = true
		return nil
	})
	if errors.Is(err, record.ErrContended) {
		return false, fmt.Errorf("move department: file %s keeps changing: %w", id, err)
	}
	return moved, err
}

// mergeRecord folds from's department record into to's and deletes it.
func (s *Service) mergeRecord(ctx context.Context, from, to string) error {
	src, _, err := s.readDept(ctx, deptKey(from))
	if errors.Is(err, store.ErrNotFound) {
		return nil // known only from packs or files: nothing to fold
	}
	if err != nil {
		return fmt.Errorf("move department: %w", err)
	}
	dst, etag, err := s.readDept(ctx, deptKey(to))
	switch {
	case errors.Is(err, store.ErrNotFound):
		dst, etag = Department{Name: to}, ""
	case err != nil:
		return fmt.Errorf("move department: %w", err)
	}
	if dst.Intro == "" {
		dst.Intro = src.Intro
	}
	fromQR, err := s.hasQR(ctx, from)
	if err != nil {
		return err
	}
	toQR, err := s.hasQR(ctx, to)
	if err != nil {
		return err
	}
	if fromQR && !toQR {
		rc, obj, err := s.store.Get(ctx, qrKey(from))
		if err != nil {
			return fmt.Errorf("move department: QR: %w", err)
		}
		_, err = s.store.Put(ctx, qrKey(to), rc, store.PutOptions{ContentType: obj.ContentType, Size: obj.Size})
		rc.Close()
		if err != nil {
			return fmt.Errorf("move department: QR: %w", err)
		}
		toQR = true
	}
	dst.HasQR = toQR
	opts := store.PutOptions{IfMatch: etag, IfNoneMatch: etag == ""}
	if err := s.saveDept(ctx, dst, opts); err != nil {
		return fmt.Errorf("move department: %w", err)
	}
	return s.DeleteDepartment(ctx, from)
}

// MaxDisplayRunes bounds a department's display name.
const MaxDisplayRunes = MaxNewDeptRunes

// RenameDepartment sets the name a department is shown by; its id (the
// name packs, files, roles and announcements refer to) stays. An empty
// display shows the id again. A missing record is store.ErrNotFound.
func (s *Service) RenameDepartment(ctx context.Context, name, display string) (*Department, error) {
	name, err := deptName(name)
	if err != nil {
		return nil, err
	}
	display = strings.TrimSpace(display)
	if display == name {
		display = ""
	}
	if display != "" && !ValidNewDepartmentName(display) {
		return nil, fmt.Errorf("%w %q: give 1 to %d characters without '/' or control characters", ErrDeptName, display, MaxDisplayRunes)
	}
	var out *Department
	err = record.Retry(ctx, 5, func(int) error {
		d, etag, err := s.readDept(ctx, deptKey(name))
		if err != nil {
			return fmt.Errorf("rename department: %w", err)
		}
		d.Display = display
		err = s.saveDept(ctx, d, store.PutOptions{IfMatch: etag})
		if errors.Is(err, store.ErrPrecondition) {
			return record.Conflict(err)
		}
		if err != nil {
			return fmt.Errorf("rename department: %w", err)
		}
		out = &d
		return nil
	})
	if errors.Is(err, record.ErrContended) {
		return nil, fmt.Errorf("rename department %q: %w", name, err)
	}
	return out, err
}

// Shown is the name the department is shown by: its display name, else its id.
func (d Department) Shown() string {
	if d.Display != "" && utf8.ValidString(d.Display) {
		return d.Display
	}
	return d.Name
}
