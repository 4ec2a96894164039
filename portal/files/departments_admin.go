package files

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/jinnang/jinnang/portal/store"
)

// MaxNewDeptRunes bounds the name of a department an administrator creates.
// (Older records and names from the roles file may be longer, up to 64.)
const MaxNewDeptRunes = 32

// ErrDeptName means a new department's name is empty, longer than
// MaxNewDeptRunes, or holds a '/' or a control character.
var ErrDeptName = errors.New("files: invalid department name")

// ErrDeptIntro means a department intro is longer than its limit.
var ErrDeptIntro = errors.New("files: department intro too long")

// MaxIntroRunes bounds a department's intro.
const MaxIntroRunes = maxIntroRunes

// ValidNewDepartmentName reports whether name (already trimmed) may name a
// new department: 1 to MaxNewDeptRunes runes, no '/', no control or format
// characters, no surrounding spaces.
func ValidNewDepartmentName(name string) bool {
	return name != "" && strings.TrimSpace(name) == name && utf8.ValidString(name) &&
		utf8.RuneCountInString(name) <= MaxNewDeptRunes && !strings.ContainsRune(name, '/') &&
		stripControl(name, false) == name
}

// CreateDepartment creates a department record with a create-once write:
// store.ErrPrecondition when a record of that name exists, ErrDeptName for a
// bad name, ErrDeptIntro for an intro over MaxIntroRunes. The name is trimmed.
func (s *Service) CreateDepartment(ctx context.Context, d Department) (*Department, error) {
	name := strings.TrimSpace(d.Name)
	if !ValidNewDepartmentName(name) {
		return nil, fmt.Errorf("%w %q: give 1 to %d characters without '/' or control characters", ErrDeptName, d.Name, MaxNewDeptRunes)
	}
	intro, err := cleanIntro(name, d.Intro)
	if err != nil {
		return nil, err
	}
	rec := Department{Name: name, Intro: intro}
	if rec.HasQR, err = s.hasQR(ctx, name); err != nil {
		return nil, err
	}
	if err := s.saveDept(ctx, rec, store.PutOptions{IfNoneMatch: true}); err != nil {
		return nil, fmt.Errorf("create department: %w", err)
	}
	return &rec, nil
}

// DepartmentForEdit returns a department's record and the ETag an update
// must match; an unknown name is store.ErrNotFound.
func (s *Service) DepartmentForEdit(ctx context.Context, name string) (*Department, string, error) {
	n, err := deptName(name)
	if err != nil {
		return nil, "", err
	}
	d, etag, err := s.readDept(ctx, deptKey(n))
	if err != nil {
		return nil, "", err
	}
	if d.HasQR, err = s.hasQR(ctx, n); err != nil {
		return nil, "", err
	}
	return &d, etag, nil
}

// UpdateDepartmentIntro replaces the intro of the department record with
// ETag ifMatch: store.ErrPrecondition when the record changed since (or
// ifMatch is empty), store.ErrNotFound when it is gone, ErrDeptIntro for an
// intro over MaxIntroRunes.
func (s *Service) UpdateDepartmentIntro(ctx context.Context, name, intro, ifMatch string) error {
	n, err := deptName(name)
	if err != nil {
		return err
	}
	if ifMatch == "" {
		return fmt.Errorf("update department %q: no version given: %w", n, store.ErrPrecondition)
	}
	clean, err := cleanIntro(n, intro)
	if err != nil {
		return err
	}
	d, _, err := s.readDept(ctx, deptKey(n))
	if err != nil {
		return err
	}
	d.Intro = clean
	if d.HasQR, err = s.hasQR(ctx, n); err != nil {
		return err
	}
	if err := s.saveDept(ctx, d, store.PutOptions{IfMatch: ifMatch}); err != nil {
		return fmt.Errorf("update department: %w", err)
	}
	return nil
}

// cleanIntro normalises an intro the way SaveDepartment does and checks its length.
func cleanIntro(name, intro string) (string, error) {
	clean := strings.TrimSpace(stripControl(strings.ReplaceAll(intro, "\r\n", "\n"), true))
	if utf8.RuneCountInString(clean) > maxIntroRunes {
		return "", fmt.Errorf("%w: department %q: more than %d characters", ErrDeptIntro, name, maxIntroRunes)
	}
	return clean, nil
}
