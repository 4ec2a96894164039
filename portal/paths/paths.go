// Package paths keeps reading paths (入职路径): ordered lists of packs and
// files that editors compose for new hires (入职第一周, 财务新人, 销售新人),
// targeted by department and audience, and each person's progress along
// them.
//
// Store layout:
//
//	paths/<id>.json              a path
//	reads/<keyed hash>.json      a read mark, create-once, keyed by HMAC(user, step)
//	pathprogress/<id>.json       per path: who read which steps (for HR's report)
//
// A read mark is the truth (one per person and pack or file, whatever path it
// is on); the per-path progress record is derived from the marks when they
// are made, so HR's page reads one object per path, and a person's page one
// mark per step (bounded by MaxSteps).
package paths

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jinnang/jinnang/portal/ids"
	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/record"
)

// Limits.
const (
	MaxSteps   = 50
	MaxTitle   = 60
	MaxIntro   = 500
	MaxTargets = 50
	// NewHireDays is how long after their first sign-in a person counts as
	// a new hire for paths with audience "new-hire".
	NewHireDays = 90

	pathPrefix     = "paths/"
	readPrefix     = "reads/"
	progressPrefix = "pathprogress/"
	maxPath        = 64 << 10
	maxProgress    = 8 << 20
	attempts       = 8
)

// Audiences a path can target.
const (
	AudienceEveryone = "everyone"
	AudienceNewHire  = "new-hire"
)

// Step kinds.
const (
	KindPack = "pack"
	KindFile = "file"
)

// ErrInvalid means a path broke a rule; the message says which.
var ErrInvalid = errors.New("paths: invalid path")

// Step is one pack or file on a path.
type Step struct {
	Kind  string `json:"kind"`
	Ref   string `json:"ref"` // pack slug or file id
	Title string `json:"title"`
}

// Key names the step's read mark.
func (s Step) Key() string { return s.Kind + ":" + s.Ref }

// Path is an ordered reading list.
type Path struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Intro string `json:"intro,omitempty"`
	// Departments it targets; empty targets every department.
	Departments []string  `json:"departments,omitempty"`
	Audience    string    `json:"audience"`
	Steps       []Step    `json:"steps"`
	By          string    `json:"by"`
	ByName      string    `json:"by_name"`
	Created     time.Time `json:"created"`
	Updated     time.Time `json:"updated"`

	ETag string `json:"-"`
}

// Person is who reads a path.
type Person struct {
	ID, Name, Department string
	// Joined is the first sign-in (zero: unknown, not a new hire).
	Joined time.Time
}

// For reports whether the path targets p at now.
func (pa *Path) For(p Person, now time.Time) bool {
	if len(pa.Departments) > 0 && !slices.Contains(pa.Departments, p.Department) {
		return false
	}
	if pa.Audience == AudienceNewHire {
		return !p.Joined.IsZero() && now.Sub(p.Joined) <= NewHireDays*24*time.Hour
	}
	return true
}

// Index returns the position of the step with key k, or -1.
func (pa *Path) Index(k string) int {
	return slices.IndexFunc(pa.Steps, func(s Step) bool { return s.Key() == k })
}

// Service stores paths and read marks. It is safe for concurrent use.
type Service struct {
	st    store.Store
	key   []byte
	clock func() time.Time
}

// New returns the paths kept in st; key (≥ 16 bytes) keys the read-mark
// names, so a mark's key says nothing about who read what.
func New(st store.Store, key []byte, clock func() time.Time) (*Service, error) {
	if len(key) < 16 {
		return nil, errors.New("paths: key shorter than 16 bytes")
	}
	if clock == nil {
		clock = time.Now
	}
	return &Service{st: st, key: key, clock: clock}, nil
}

func pathKey(id string) string     { return pathPrefix + id + ".json" }
func progressKey(id string) string { return progressPrefix + id + ".json" }

// markKey is the read mark of user and step: HMAC(key, user ∥ step).
func (s *Service) markKey(userID, stepKey string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(userID))
	m.Write([]byte{0})
	m.Write([]byte(stepKey))
	return readPrefix + hex.EncodeToString(m.Sum(nil)[:20]) + ".json"
}

// clean checks p and normalises its fields.
func clean(p *Path) error {
	p.Title = strings.TrimSpace(p.Title)
	p.Intro = strings.TrimSpace(p.Intro)
	switch n := utf8.RuneCountInString(p.Title); {
	case n == 0:
		return fmt.Errorf("%w: empty title", ErrInvalid)
	case n > MaxTitle:
		return fmt.Errorf("%w: title longer than %d", ErrInvalid, MaxTitle)
	}
	if utf8.RuneCountInString(p.Intro) > MaxIntro {
		return fmt.Errorf("%w: intro longer than %d", ErrInvalid, MaxIntro)
	}
	if p.Audience != AudienceNewHire {
		p.Audience = AudienceEveryone
	}
	var depts []string
	for _, d := range p.Departments {
		if d = strings.TrimSpace(d); d != "" && !slices.Contains(depts, d) {
			depts = append(depts, d)
		}
	}
	if len(depts) > MaxTargets {
		return fmt.Errorf("%w: more than %d departments", ErrInvalid, MaxTargets)
	}
	slices.Sort(depts)
	p.Departments = depts
	switch {
	case len(p.Steps) == 0:
		return fmt.Errorf("%w: no steps", ErrInvalid)
	case len(p.Steps) > MaxSteps:
		return fmt.Errorf("%w: more than %d steps", ErrInvalid, MaxSteps)
	}
	seen := map[string]bool{}
	for _, st := range p.Steps {
		if st.Kind != KindPack && st.Kind != KindFile || st.Ref == "" || seen[st.Key()] {
			return fmt.Errorf("%w: step %q", ErrInvalid, st.Key())
		}
		seen[st.Key()] = true
	}
	return nil
}

// Create stores a new path.
func (s *Service) Create(ctx context.Context, p Path) (*Path, error) {
	if err := clean(&p); err != nil {
		return nil, err
	}
	now := s.clock().UTC()
	p.ID, p.Created, p.Updated = ids.New(), now, now
	obj, err := record.Write(ctx, s.st, pathKey(p.ID), &p, store.PutOptions{IfNoneMatch: true})
	if err != nil {
		return nil, fmt.Errorf("paths: create: %w", err)
	}
	p.ETag = obj.ETag
	return &p, nil
}

// Update replaces path p.ID's content (If-Match ifMatch).
func (s *Service) Update(ctx context.Context, p Path, ifMatch string) (*Path, error) {
	if err := clean(&p); err != nil {
		return nil, err
	}
	cur, err := s.Get(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	if ifMatch == "" || cur.ETag != ifMatch {
		return nil, fmt.Errorf("paths: update %s: %w", p.ID, store.ErrPrecondition)
	}
	p.Created, p.By, p.ByName, p.Updated = cur.Created, cur.By, cur.ByName, s.clock().UTC()
	obj, err := record.Write(ctx, s.st, pathKey(p.ID), &p, store.PutOptions{IfMatch: ifMatch})
	if err != nil {
		return nil, fmt.Errorf("paths: update: %w", err)
	}
	p.ETag = obj.ETag
	return &p, nil
}

// Delete removes a path and its progress record (the read marks stay: they
// count for other paths too).
func (s *Service) Delete(ctx context.Context, id string) error {
	if !ids.Valid(id) {
		return fmt.Errorf("path %q: %w", id, store.ErrNotFound)
	}
	if err := s.st.Delete(ctx, pathKey(id)); err != nil {
		return err
	}
	return s.st.Delete(ctx, progressKey(id))
}

// Get returns one path.
func (s *Service) Get(ctx context.Context, id string) (*Path, error) {
	if !ids.Valid(id) {
		return nil, fmt.Errorf("path %q: %w", id, store.ErrNotFound)
	}
	var p Path
	etag, err := record.Read(ctx, s.st, pathKey(id), &p, maxPath)
	if err != nil {
		return nil, err
	}
	p.ETag = etag
	return &p, nil
}

// List returns every path, by title. Paths are few (a company has a handful
// per department), so this lists their prefix.
func (s *Service) List(ctx context.Context) ([]Path, error) {
	var out []Path
	for obj, err := range s.st.List(ctx, pathPrefix) {
		if err != nil {
			return nil, err
		}
		id, ok := strings.CutSuffix(strings.TrimPrefix(obj.Key, pathPrefix), ".json")
		if !ok || !ids.Valid(id) {
			continue
		}
		p, err := s.Get(ctx, id)
		if err != nil {
			continue // deleted meanwhile or unreadable: not a reason to hide the rest
		}
		out = append(out, *p)
	}
	slices.SortFunc(out, func(a, b Path) int { return cmp.Or(strings.Compare(a.Title, b.Title), strings.Compare(a.ID, b.ID)) })
	return out, nil
}

// For lists the paths that target person at now.
func (s *Service) For(ctx context.Context, person Person) ([]Path, error) {
	all, err := s.List(ctx)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	var out []Path
	for _, p := range all {
		if p.For(person, now) {
			out = append(out, p)
		}
	}
	return out, nil
}

// Done says which of the path's steps person has read: one Stat per step.
func (s *Service) Done(ctx context.Context, userID string, p *Path) ([]bool, error) {
	done := make([]bool, len(p.Steps))
	for i, st := range p.Steps {
		_, err := s.st.Stat(ctx, s.markKey(userID, st.Key()))
		switch {
		case err == nil:
			done[i] = true
		case !errors.Is(err, store.ErrNotFound):
			return nil, err
		}
	}
	return done, nil
}

// MarkRead records that person read the step stepKey (a create-once mark;
// reading again changes nothing) and counts it on every path that holds the
// step and targets the person. It reports whether the mark is new.
func (s *Service) MarkRead(ctx context.Context, person Person, stepKey string) (bool, error) {
	now := s.clock().UTC()
	_, err := record.Write(ctx, s.st, s.markKey(person.ID, stepKey), map[string]time.Time{"at": now}, store.PutOptions{IfNoneMatch: true})
	created := err == nil
	if err != nil && !errors.Is(err, store.ErrPrecondition) {
		return false, fmt.Errorf("paths: mark read: %w", err)
	}
	all, err := s.List(ctx)
	if err != nil {
		return created, err
	}
	for _, p := range all {
		if p.Index(stepKey) < 0 || !p.For(person, now) {
			continue
		}
		if err := s.count(ctx, &p, person, stepKey, now); err != nil {
			return created, err
		}
	}
	return created, nil
}

// Reader is one person's progress on a path, as HR sees it.
type Reader struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Department string    `json:"department"`
	Read       []string  `json:"read"` // step keys
	Last       time.Time `json:"last"`
}

type progress struct {
	Readers map[string]Reader `json:"readers"`
}

func (s *Service) count(ctx context.Context, p *Path, person Person, stepKey string, now time.Time) error {
	err := record.Retry(ctx, attempts, func(int) error {
		var pr progress
		etag, err := record.Read(ctx, s.st, progressKey(p.ID), &pr, maxProgress)
		opts := store.PutOptions{IfMatch: etag}
		switch {
		case errors.Is(err, store.ErrNotFound):
			opts = store.PutOptions{IfNoneMatch: true}
		case err != nil:
			return err
		}
		if pr.Readers == nil {
			pr.Readers = map[string]Reader{}
		}
		r := pr.Readers[person.ID]
		if slices.Contains(r.Read, stepKey) && r.Department == person.Department {
			return nil
		}
		r.ID, r.Name, r.Department, r.Last = person.ID, person.Name, person.Department, now
		if !slices.Contains(r.Read, stepKey) {
			r.Read = append(r.Read, stepKey)
		}
		pr.Readers[person.ID] = r
		_, err = record.Write(ctx, s.st, progressKey(p.ID), &pr, opts)
		if errors.Is(err, store.ErrPrecondition) || errors.Is(err, store.ErrNotFound) {
			return record.Conflict(err)
		}
		return err
	})
	if errors.Is(err, record.ErrContended) {
		return fmt.Errorf("paths: progress of %s: %w", p.ID, err)
	}
	return err
}

// Readers returns everyone who has read at least one step of the path, by id.
func (s *Service) Readers(ctx context.Context, id string) (map[string]Reader, error) {
	var pr progress
	_, err := record.Read(ctx, s.st, progressKey(id), &pr, maxProgress)
	if errors.Is(err, store.ErrNotFound) {
		return map[string]Reader{}, nil
	}
	if err != nil {
		return nil, err
	}
	if pr.Readers == nil {
		pr.Readers = map[string]Reader{}
	}
	return pr.Readers, nil
}

// Count is how many of the path's current steps r has read.
func (p *Path) Count(r Reader) int {
	n := 0
	for _, k := range r.Read {
		if p.Index(k) >= 0 {
			n++
		}
	}
	return n
}
