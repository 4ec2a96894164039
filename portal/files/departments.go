package files

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/jinnang/jinnang/portal/images"
	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/record"
)

// Department is a department's public record: its intro and whether it has a
// WeChat group QR image.
type Department struct {
	Name  string `json:"name"`  // e.g. 财务部 (also the index department value)
	Intro string `json:"intro"` // one paragraph, plain text
	HasQR bool   `json:"has_qr"`
	// Display is the name shown after a rename ("" shows Name); Name stays
	// the id packs, files, roles and announcements refer to.
	Display string `json:"display,omitempty"`
}

const (
	deptPrefix    = "departments/"
	maxIntroRunes = 2000
	// maxQR bounds a department QR image in bytes.
	maxQR = 2 << 20
)

// qrLimits bound a department QR image: 2 MiB, 16 megapixels, stored at
// most 1024 px a side (a QR code scans well far smaller).
func qrLimits() images.Limits {
	l := images.DefaultLimits()
	l.MaxBytes, l.MaxPixels, l.MaxSide, l.LongSide = maxQR, 16_000_000, 8000, 1024
	return l
}

// deptHash names a department's objects: names are free text, keys are not.
func deptHash(name string) string {
	sum := sha256.Sum256([]byte(name))
	return hex.EncodeToString(sum[:])[:16]
}

func deptKey(name string) string { return deptPrefix + deptHash(name) + ".json" }
func qrKey(name string) string   { return deptPrefix + deptHash(name) + "/qr" }

// deptName trims name and checks it can name a department.
func deptName(name string) (string, error) {
	n := strings.TrimSpace(name)
	if n == "" || utf8.RuneCountInString(n) > maxDeptRunes || stripControl(n, false) != n {
		return "", fmt.Errorf("department %q: give a name of 1 to %d characters without control characters: %w",
			name, maxDeptRunes, store.ErrNotFound)
	}
	return n, nil
}

// Departments returns every department record, sorted by name.
func (s *Service) Departments(ctx context.Context) ([]Department, error) {
	var records []string
	qrs := make(map[string]bool)
	for obj, err := range s.store.List(ctx, deptPrefix) {
		if err != nil {
			return nil, fmt.Errorf("list departments: %w", err)
		}
		rest := strings.TrimPrefix(obj.Key, deptPrefix)
		if h, ok := strings.CutSuffix(rest, "/qr"); ok {
			qrs[h] = true
		} else if strings.HasSuffix(rest, ".json") {
			records = append(records, obj.Key)
		}
	}
	out := make([]Department, 0, len(records))
	for _, key := range records {
		d, _, err := s.readDept(ctx, key)
		if record.Skip(err) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		d.HasQR = qrs[deptHash(d.Name)]
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Department returns one department's record; an unknown name is store.ErrNotFound.
func (s *Service) Department(ctx context.Context, name string) (*Department, error) {
	n, err := deptName(name)
	if err != nil {
		return nil, err
	}
	d, _, err := s.readDept(ctx, deptKey(n))
	if err != nil {
		return nil, err
	}
	if d.HasQR, err = s.hasQR(ctx, n); err != nil {
		return nil, err
	}
	return &d, nil
}

func (s *Service) hasQR(ctx context.Context, name string) (bool, error) {
	_, err := s.store.Stat(ctx, qrKey(name))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("department %q QR: %w", name, err)
	}
	return true, nil
}

func (s *Service) readDept(ctx context.Context, key string) (Department, string, error) {
	rc, obj, err := s.store.Get(ctx, key)
	if err != nil {
		return Department{}, "", fmt.Errorf("get department %s: %w", key, err)
	}
	defer rc.Close()
	b, err := readLimited(rc, 64<<10)
	if err != nil {
		return Department{}, "", fmt.Errorf("read department %s: %w", key, err)
	}
	var d Department
	if err := record.Decode(ctx, s.store, key, obj.ETag, b, &d, 64<<10); err != nil {
		return Department{}, "", fmt.Errorf("department: %w", err)
	}
	return d, obj.ETag, nil
}

func (s *Service) putDept(ctx context.Context, d Department, opts store.PutOptions) error {
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return fmt.Errorf("encode department %q: %w", d.Name, err)
	}
	opts.ContentType, opts.Size = "application/json", int64(len(b))
	if _, err := s.store.Put(ctx, deptKey(d.Name), bytes.NewReader(b), opts); err != nil {
		return fmt.Errorf("save department %q: %w", d.Name, err)
	}
	return nil
}

// saveDept is putDept, then the department's index entry.
func (s *Service) saveDept(ctx context.Context, d Department, opts store.PutOptions) error {
	if err := s.putDept(ctx, d, opts); err != nil {
		return err
	}
	s.indexDept(ctx, d)
	return nil
}

// cleanDept checks a department record and normalises its name and intro.
func cleanDept(d Department) (Department, error) {
	n, err := deptName(d.Name)
	if err != nil {
		return Department{}, fmt.Errorf("files: invalid department name %q", d.Name)
	}
	intro := strings.TrimSpace(stripControl(d.Intro, true))
	if utf8.RuneCountInString(intro) > maxIntroRunes {
		return Department{}, fmt.Errorf("files: department %q: intro is longer than %d characters", n, maxIntroRunes)
	}
	return Department{Name: n, Intro: intro, HasQR: d.HasQR, Display: d.Display}, nil
}

// SaveDepartment creates or replaces a department's record (its name and
// intro; HasQR follows whether a QR image is stored).
func (s *Service) SaveDepartment(ctx context.Context, d Department) error {
	d, err := cleanDept(d)
	if err != nil {
		return err
	}
	if d.HasQR, err = s.hasQR(ctx, d.Name); err != nil {
		return err
	}
	return s.saveDept(ctx, d, store.PutOptions{})
}

// SetDepartmentQR stores the department's WeChat group QR image: PNG or JPEG
// only (sniffed, ErrType), at most 2 MiB (ErrTooLarge), not empty (ErrEmpty).
// A department without a record gets one with an empty intro.
func (s *Service) SetDepartmentQR(ctx context.Context, name string, img io.Reader) error {
	n, err := deptName(name)
	if err != nil {
		return fmt.Errorf("files: invalid department name %q", name)
	}
	// The same sanitiser as photos: sniffed, header-checked (no pixel
	// bombs), polyglots refused, decoded and re-encoded as a PNG, so no
	// EXIF/GPS or appended bytes of the upload are kept.
	br := bufio.NewReaderSize(img, 512)
	head, _ := br.Peek(512) // a short or failed read shows up in SanitizePNG
	if t := http.DetectContentType(head); len(head) > 0 && t != "image/png" && t != "image/jpeg" {
		return fmt.Errorf("%w: %s（二维码只能是 PNG 或 JPEG 图片 / the QR code must be a PNG or JPEG image）", ErrType, t)
	}
	b, err := images.SanitizePNG(br, qrLimits())
	switch {
	case errors.Is(err, images.ErrEmpty):
		return fmt.Errorf("%w: 图片是空的 / the image is empty", ErrEmpty)
	case errors.Is(err, images.ErrTooLarge):
		return fmt.Errorf("%w: 二维码图片超过 %d MB / the QR image is larger than %d MB", ErrTooLarge, maxQR>>20, maxQR>>20)
	case err != nil && (errors.Is(err, images.ErrType) || errors.Is(err, images.ErrDimensions) || errors.Is(err, images.ErrPolyglot) ||
		errors.Is(err, images.ErrCorrupt)):
		return fmt.Errorf("%w: %v（二维码只能是 PNG 或 JPEG 图片 / the QR code must be a PNG or JPEG image）", ErrType, err)
	case err != nil:
		return fmt.Errorf("files: QR image: %w", err)
	}
	if _, err := s.store.Put(ctx, qrKey(n), bytes.NewReader(b),
		store.PutOptions{ContentType: "image/png", Size: int64(len(b))}); err != nil {
		return fmt.Errorf("save department %q QR: %w", n, err)
	}
	// Keep the record's has_qr in step (readers derive it from the image anyway).
	err = record.Retry(ctx, counterRetries+1, func(int) error {
		d, etag, err := s.readDept(ctx, deptKey(n))
		opts := store.PutOptions{IfMatch: etag}
		switch {
		case errors.Is(err, store.ErrNotFound):
			d, opts = Department{Name: n}, store.PutOptions{IfNoneMatch: true}
		case err != nil:
			return err
		case d.HasQR:
			return nil
		}
		d.HasQR = true
		err = s.saveDept(ctx, d, opts)
		if errors.Is(err, store.ErrPrecondition) || errors.Is(err, store.ErrNotFound) {
			return record.Conflict(err)
		}
		return err
	})
	return err
}

// DepartmentQR opens the department's QR image; none is store.ErrNotFound.
func (s *Service) DepartmentQR(ctx context.Context, name string) (io.ReadCloser, store.Object, error) {
	n, err := deptName(name)
	if err != nil {
		return nil, store.Object{}, err
	}
	rc, obj, err := s.store.Get(ctx, qrKey(n))
	if err != nil {
		return nil, store.Object{}, fmt.Errorf("department %q QR: %w", n, err)
	}
	return rc, obj, nil
}

// SeedDepartments creates records for names that have none (first start),
// with the given intros. Existing records are left as they are.
func (s *Service) SeedDepartments(ctx context.Context, intros map[string]string) error {
	names := make([]string, 0, len(intros))
	for name := range intros {
		names = append(names, name)
	}
	slices.Sort(names)
	var errs []error
	var created []index.Doc
	for _, name := range names {
		d, err := cleanDept(Department{Name: name, Intro: intros[name]})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if d.HasQR, err = s.hasQR(ctx, d.Name); err != nil {
			errs = append(errs, err)
			continue
		}
		switch err := s.putDept(ctx, d, store.PutOptions{IfNoneMatch: true}); {
		case err == nil:
			created = append(created, DeptDoc(d))
		case !errors.Is(err, store.ErrPrecondition):
			errs = append(errs, err)
		}
	}
	// One index write for all of them (one Meilisearch task, not one each).
	if err := s.index.Upsert(ctx, created...); err != nil {
		s.log.Warn("index seeded department intros failed; reindex will retry", "departments", len(created), "err", err)
	}
	return errors.Join(errs...)
}
