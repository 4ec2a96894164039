// Package reports is 一线上报: a front-line employee reports what they see
// (text and a short video) to the managers of a department (its editors)
// rather than to the public feed. A report has a status (已收到/处理中/已解决)
// and a reply thread between the reporter and the managers.
//
// Store layout:
//
//	reports/items/<id>.json                 the report (Report as JSON); create-once, then If-Match
//	reports/dept/<hex sha256(dept)[:32]>/<id>  a marker: the report is addressed to that department
//	reports/by/<hex sha256(user)[:32]>/<id>    a marker: the reporter's own reports
package reports

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jinnang/jinnang/portal/ids"
	"github.com/jinnang/jinnang/portal/images"
	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/record"
)

// Limits.
const (
	MaxText     = 1000 // runes of a report or a reply
	MaxMessages = 200  // replies per report
	// MaxList bounds how many reports a list reads (newest ids are not
	// ordered by time: the list is sorted after reading).
	MaxList        = 200
	recordLimit    = 1 << 20
	updateAttempts = 5
)

// Status is where a report stands.
type Status string

// The statuses.
const (
	StatusReceived   Status = "received"    // 已收到
	StatusInProgress Status = "in_progress" // 处理中
	StatusResolved   Status = "resolved"    // 已解决
)

// Statuses are the statuses in order.
var Statuses = []Status{StatusReceived, StatusInProgress, StatusResolved}

// Sentinel errors.
var (
	// ErrInvalid means the input breaks a limit.
	ErrInvalid = errors.New("reports: invalid input")
	// ErrForbidden means the user may not see or change the report.
	ErrForbidden = errors.New("reports: not allowed")
)

// Message is one reply in a report's thread.
type Message struct {
	By      string    `json:"by"`
	Name    string    `json:"name"`
	Manager bool      `json:"manager"` // a manager of the department wrote it
	Text    string    `json:"text"`
	At      time.Time `json:"at"`
}

// Report is one front-line report.
type Report struct {
	ID         string    `json:"id"`
	Reporter   string    `json:"reporter"`
	Name       string    `json:"name"`
	From       string    `json:"from"`       // the reporter's department
	Department string    `json:"department"` // addressed to its managers
	Text       string    `json:"text"`
	VideoJob   string    `json:"video,omitempty"` // media job of the video
	Images     []Image   `json:"images,omitempty"`
	Status     Status    `json:"status"`
	Thread     []Message `json:"thread,omitempty"`
	Created    time.Time `json:"created"`
	Updated    time.Time `json:"updated"`
	ETag       string    `json:"-"`
}

// Image is one stored photo of a report (re-encoded by package images).
type Image struct {
	N      int `json:"n"` // 1-based
	Width  int `json:"w"`
	Height int `json:"h"`
}

// MaxImages is how many photos a report may carry.
const MaxImages = 9

func imageKey(id string, n int, thumb bool) string {
	if thumb {
		return fmt.Sprintf("reports/items/%s/thumb/%d.jpg", id, n)
	}
	return fmt.Sprintf("reports/items/%s/img/%d.jpg", id, n)
}

// Photo opens photo n of a report, or its thumbnail.
func (s *Service) Photo(ctx context.Context, id string, n int, thumb bool) (io.ReadCloser, store.Object, error) {
	if !ids.Valid(id) || n < 1 || n > MaxImages {
		return nil, store.Object{}, fmt.Errorf("report %q photo %d: %w", id, n, store.ErrNotFound)
	}
	return s.st.Get(ctx, imageKey(id, n, thumb))
}

// Person is who reports or replies.
type Person struct{ ID, Name, Department string }

// Service keeps reports in the store.
type Service struct {
	st  store.Store
	now func() time.Time
}

// New returns the service over st; now nil means time.Now.
func New(st store.Store, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{st: st, now: now}
}

func hash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])[:32]
}

func itemKey(id string) string          { return "reports/items/" + id + ".json" }
func deptPrefix(dept string) string     { return "reports/dept/" + hash(dept) + "/" }
func reporterPrefix(user string) string { return "reports/by/" + hash(user) + "/" }

func checkText(text string, empty bool) (string, error) {
	text = strings.TrimSpace(strings.ToValidUTF8(strings.ReplaceAll(text, "\r\n", "\n"), ""))
	if n := utf8.RuneCountInString(text); n > MaxText {
		return "", fmt.Errorf("%w: %d characters, at most %d", ErrInvalid, n, MaxText)
	}
	if text == "" && !empty {
		return "", fmt.Errorf("%w: empty", ErrInvalid)
	}
	return text, nil
}

// Create stores a report to department's managers with its photos
// (processed by images.Process). It needs text, a photo or a video.
func (s *Service) Create(ctx context.Context, by Person, department, text, videoJob string, imgs ...images.Result) (*Report, error) {
	if len(imgs) > MaxImages {
		return nil, fmt.Errorf("%w: at most %d photos", ErrInvalid, MaxImages)
	}
	text, err := checkText(text, videoJob != "" || len(imgs) > 0)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(department) == "" || by.ID == "" {
		return nil, fmt.Errorf("%w: no department or reporter", ErrInvalid)
	}
	now := s.now().UTC()
	r := &Report{ID: ids.New(), Reporter: by.ID, Name: by.Name, From: by.Department, Department: department,
		Text: text, VideoJob: videoJob, Status: StatusReceived, Created: now, Updated: now}
	for i, im := range imgs {
		for _, thumb := range []bool{false, true} {
			b := im.Full
			if thumb {
				b = im.Thumb
			}
			if _, err := s.st.Put(ctx, imageKey(r.ID, i+1, thumb), bytes.NewReader(b), store.PutOptions{ContentType: "image/jpeg", Size: int64(len(b)), IfNoneMatch: true}); err != nil {
				return nil, fmt.Errorf("reports: store photo %d: %w", i+1, err)
			}
		}
		r.Images = append(r.Images, Image{N: i + 1, Width: im.Width, Height: im.Height})
	}
	if err := s.put(ctx, r, store.PutOptions{IfNoneMatch: true}); err != nil {
		return nil, err
	}
	for _, k := range []string{deptPrefix(department) + r.ID, reporterPrefix(by.ID) + r.ID} {
		if _, err := s.st.Put(ctx, k, strings.NewReader(""), store.PutOptions{ContentType: "text/plain"}); err != nil {
			return nil, fmt.Errorf("reports: index %s: %w", k, err)
		}
	}
	return r, nil
}

// Get reads a report; a malformed id is store.ErrNotFound.
func (s *Service) Get(ctx context.Context, id string) (*Report, error) {
	if !ids.Valid(id) {
		return nil, fmt.Errorf("report %q: %w", id, store.ErrNotFound)
	}
	var r Report
	etag, err := record.ReadReported(ctx, s.st, itemKey(id), &r, recordLimit)
	if err != nil {
		return nil, fmt.Errorf("report %q: %w", id, err)
	}
	r.ETag = etag
	return &r, nil
}

// ForDepartment lists the reports addressed to department, newest first
// (at most MaxList).
func (s *Service) ForDepartment(ctx context.Context, department string) ([]*Report, error) {
	return s.list(ctx, deptPrefix(department))
}

// Mine lists the reports of a reporter, newest first (at most MaxList).
func (s *Service) Mine(ctx context.Context, userID string) ([]*Report, error) {
	return s.list(ctx, reporterPrefix(userID))
}

func (s *Service) list(ctx context.Context, prefix string) ([]*Report, error) {
	var out []*Report
	for obj, err := range s.st.List(ctx, prefix) {
		if err != nil {
			return nil, fmt.Errorf("reports: list: %w", err)
		}
		r, err := s.Get(ctx, strings.TrimPrefix(obj.Key, prefix))
		if record.Skip(err) || errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if out = append(out, r); len(out) == MaxList {
			break
		}
	}
	slices.SortFunc(out, func(a, b *Report) int { return b.Created.Compare(a.Created) })
	return out, nil
}

// Reply adds a message to the thread; manager says a manager wrote it.
func (s *Service) Reply(ctx context.Context, id string, by Person, manager bool, text string) (*Report, error) {
	text, err := checkText(text, false)
	if err != nil {
		return nil, err
	}
	return s.update(ctx, id, func(r *Report) error {
		if len(r.Thread) >= MaxMessages {
			return fmt.Errorf("%w: at most %d replies", ErrInvalid, MaxMessages)
		}
		r.Thread = append(r.Thread, Message{By: by.ID, Name: by.Name, Manager: manager, Text: text, At: s.now().UTC()})
		return nil
	})
}

// SetStatus changes the status (managers).
func (s *Service) SetStatus(ctx context.Context, id string, st Status) (*Report, error) {
	if !slices.Contains(Statuses, st) {
		return nil, fmt.Errorf("%w: status %q", ErrInvalid, st)
	}
	return s.update(ctx, id, func(r *Report) error { r.Status = st; return nil })
}

func (s *Service) update(ctx context.Context, id string, change func(*Report) error) (*Report, error) {
	var out *Report
	err := record.Retry(ctx, updateAttempts, func(int) error {
		r, err := s.Get(ctx, id)
		if err != nil {
			return err
		}
		if err := change(r); err != nil {
			return err
		}
		r.Updated = s.now().UTC()
		err = s.put(ctx, r, store.PutOptions{IfMatch: r.ETag})
		if errors.Is(err, store.ErrPrecondition) {
			return record.Conflict(err)
		}
		out = r
		return err
	})
	if errors.Is(err, record.ErrContended) {
		return nil, fmt.Errorf("report %s: %w", id, err)
	}
	if err != nil && out == nil {
		return nil, err
	}
	return out, err
}

func (s *Service) put(ctx context.Context, r *Report, opts store.PutOptions) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	opts.ContentType, opts.Size = "application/json", int64(len(b))
	obj, err := s.st.Put(ctx, itemKey(r.ID), bytes.NewReader(b), opts)
	if err != nil {
		return fmt.Errorf("reports: save %s: %w", r.ID, err)
	}
	r.ETag = obj.ETag
	return nil
}
