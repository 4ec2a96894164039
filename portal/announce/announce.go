// Package announce keeps department announcements (部门公告): short Markdown
// notices that editors post for their department and administrators post
// for several departments or for everyone (全员).
//
// Store layout (one JSON object per announcement, readable by a person):
//
//	announcements/<d0-3>/<d4-5>/<d6-7>/<d8-9>/<d10-11>/<id>.json
//
// where id is <20-digit (maxInt64 − created unix nanos)>-<8 hex> and d0-3
// etc. are its leading digits (layout.go). The lexical order of keys is
// newest first, so a listing needs no index, and a listing that stops after
// a page reads a few small directories (at most 100 names each below the
// top), never one directory of every announcement.
// Keys are written create-once (If-None-Match); edits use If-Match on the
// ETag. Parsed records and their rendered HTML are cached by ETag, so a page
// view reads only the objects that changed since the last one.
package announce

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/internal/ttl"
	"github.com/jinnang/jinnang/portal/markdown"
	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/record"
)

// Limits of an announcement.
const (
	// MaxTitle bounds the title in runes.
	MaxTitle = 80
	// MaxBody bounds the Markdown body in runes.
	MaxBody = 4000
	// MaxTargets bounds how many departments one announcement names.
	MaxTargets = 50
	// MaxDeptRunes bounds one target department name in runes.
	MaxDeptRunes = 64
	// maxObject bounds the stored JSON of one announcement in bytes.
	maxObject = 64 << 10
	// createAttempts bounds retries after a (vanishingly unlikely) key collision.
	createAttempts = 3

	prefix  = "announcements/"
	suffix  = ".json"
	idDigit = 20
	idRand  = 8
	dateFmt = "2006-01-02"
)

// ErrInvalid means an Input broke a rule (empty or long title, long body,
// bad targets); the wrapped message says which.
var ErrInvalid = errors.New("announce: invalid announcement")

// Announcement is one stored announcement.
type Announcement struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Body  string `json:"body"` // Markdown, no front matter
	// Everyone targets every employee (全员); then Targets is empty.
	Everyone bool `json:"everyone"`
	// Targets are the department names, sorted, without duplicates.
	Targets []string `json:"targets"`
	Pinned  bool     `json:"pinned"`
	// Expires is the last day the announcement is shown (a date at UTC
	// midnight); zero means it never expires.
	Expires    time.Time `json:"expires,omitzero"`
	AuthorID   string    `json:"author_id"`
	AuthorName string    `json:"author_name"`
	Created    time.Time `json:"created"`
	Updated    time.Time `json:"updated,omitzero"`
	UpdatedBy  string    `json:"updated_by,omitempty"`
	// Confirm asks readers to confirm (请确认已读); Comments lets them comment.
	Confirm  bool `json:"confirm,omitempty"`
	Comments bool `json:"comments,omitempty"`

	ETag string        `json:"-"` // of the stored object, for If-Match
	HTML template.HTML `json:"-"` // the body rendered and sanitized
}

// Department is the one department the announcement belongs to, whose
// editors may change it: its only target. Announcements for everyone or for
// several departments belong to administrators only ("").
func (a *Announcement) Department() string {
	if a.Everyone || len(a.Targets) != 1 {
		return ""
	}
	return a.Targets[0]
}

// Live reports whether the announcement is shown on day now: it has no
// expiry, or its expiry date is now's date (in now's location) or later.
func (a *Announcement) Live(now time.Time) bool {
	return a.Expires.IsZero() || a.Expires.Format(dateFmt) >= now.Format(dateFmt)
}

// For reports whether the announcement is addressed to dept: it names
// dept, or it is for everyone.
func (a *Announcement) For(dept string) bool {
	return a.Everyone || (dept != "" && slices.Contains(a.Targets, dept))
}

// Input is what a person writes: the fields of a new announcement or of an edit.
type Input struct {
	Title    string
	Body     string
	Everyone bool
	Targets  []string
	Pinned   bool
	Expires  time.Time // a date; zero for none
	// Confirm asks for read receipts; Comments allows comments.
	Confirm, Comments bool
	// By and ByName name the person writing (the author on Create).
	By, ByName string
}

// Query selects announcements for a list.
type Query struct {
	// Departments selects the announcements that name any of them.
	Departments []string
	// Everyone also selects the announcements for everyone.
	Everyone bool
	// Any selects every announcement (administrators); it overrides the two above.
	Any bool
	// Now hides the announcements that expired before Now's date; the zero
	// time shows expired ones too.
	Now time.Time
	// Offset and Limit page the list; Limit ≤ 0 means no limit.
	Offset, Limit int
	// NoTotal says the caller does not use Result.Total (home): a bounded
	// page then skips counting the matches in the index.
	NoTotal bool
}

// Result is one page of a list: pinned first, then newest first.
type Result struct {
	Items []Announcement
	Total int // matches before paging
}

// Service stores and lists announcements. It is safe for concurrent use.
type Service struct {
	store store.Store
	md    *markdown.Renderer
	clock func() time.Time

	mu        sync.Mutex
	lastNanos int64             // keeps keys strictly newest-first within the process
	cache     map[string]*entry // store key → record read at its ETag

	index index.Index // nil: announcements are not searchable (see UseIndex)
	log   *slog.Logger

	layout layout // the key-layout migration check (layout.go)

	counts ttl.Cache[string, int] // index counts of recent pages (pinned.go), by s.writes
	writes int                    // bumped by every write here; drops counts
}

// entry is a parsed record as of one ETag.
type entry struct {
	etag string
	a    Announcement
}

// New returns a Service over st that renders bodies with md; clock stamps
// new announcements and edits (nil means time.Now).
func New(st store.Store, md *markdown.Renderer, clock func() time.Time) *Service {
	if clock == nil {
		clock = time.Now
	}
	return &Service{store: st, md: md, clock: clock, cache: map[string]*entry{}}
}

// Create stores a new announcement under a fresh create-once key. in.By is
// required. Invalid input is ErrInvalid.
func (s *Service) Create(ctx context.Context, in Input) (*Announcement, error) {
	if strings.TrimSpace(in.By) == "" {
		return nil, fmt.Errorf("%w: no author", ErrInvalid)
	}
	a, err := clean(in)
	if err != nil {
		return nil, err
	}
	now := s.clock().UTC()
	a.AuthorID, a.AuthorName, a.Created = in.By, strings.TrimSpace(in.ByName), now
	if a.AuthorName == "" {
		a.AuthorName = in.By
	}
	for range createAttempts {
		a.ID = s.newID(now)
		err = s.put(ctx, &a, store.PutOptions{IfNoneMatch: true})
		if !errors.Is(err, store.ErrPrecondition) {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("announce: create: %w", err)
	}
	if a.Pinned {
		s.keepPinned(ctx, a.ID, true)
	}
	return &a, nil
}

// Get returns one announcement with its ETag and HTML; an unknown or
// malformed id is store.ErrNotFound.
func (s *Service) Get(ctx context.Context, id string) (*Announcement, error) {
	if !ValidID(id) {
		return nil, fmt.Errorf("announcement %q: %w", id, store.ErrNotFound)
	}
	if err := s.ensureLayout(ctx); err != nil {
		return nil, err
	}
	a, err := s.read(ctx, key(id), "")
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// Update replaces the content of announcement id, exactly the version with
// ETag ifMatch: store.ErrPrecondition when it changed since (or ifMatch is
// empty), store.ErrNotFound when it is gone. Author and creation time are
// kept; in.By is recorded as the editor.
func (s *Service) Update(ctx context.Context, id string, in Input, ifMatch string) (*Announcement, error) {
	if !ValidID(id) {
		return nil, fmt.Errorf("announcement %q: %w", id, store.ErrNotFound)
	}
	if ifMatch == "" {
		return nil, fmt.Errorf("announce: update %s: no version given: %w", id, store.ErrPrecondition)
	}
	next, err := clean(in)
	if err != nil {
		return nil, err
	}
	cur, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if cur.ETag != ifMatch {
		return nil, fmt.Errorf("announce: update %s: edited meanwhile: %w", id, store.ErrPrecondition)
	}
	next.ID, next.AuthorID, next.AuthorName, next.Created = cur.ID, cur.AuthorID, cur.AuthorName, cur.Created
	next.Updated, next.UpdatedBy = s.clock().UTC(), in.By
	if err := s.put(ctx, &next, store.PutOptions{IfMatch: ifMatch}); err != nil {
		return nil, fmt.Errorf("announce: update: %w", err)
	}
	if next.Pinned != cur.Pinned {
		s.keepPinned(ctx, id, next.Pinned)
	}
	return &next, nil
}

// Delete removes announcement id; an unknown id is store.ErrNotFound.
func (s *Service) Delete(ctx context.Context, id string) error {
	if !ValidID(id) {
		return fmt.Errorf("announcement %q: %w", id, store.ErrNotFound)
	}
	if err := s.ensureLayout(ctx); err != nil {
		return err
	}
	k := key(id)
	if _, err := s.store.Stat(ctx, k); err != nil {
		return fmt.Errorf("announce: delete %s: %w", id, err)
	}
	if err := s.store.Delete(ctx, k); err != nil {
		return fmt.Errorf("announce: delete %s: %w", id, err)
	}
	s.mu.Lock()
	delete(s.cache, k)
	s.mu.Unlock()
	s.keepPinned(ctx, id, false)
	s.unindex(ctx, id)
	s.wrote()
	return nil
}

// List returns the announcements q selects: pinned first, then newest
// first. A page (Limit > 0) of a query for everyone costs the same however
// many announcements there are (pinned.go); otherwise List lists every key
// (newest first by construction) and reads only the objects whose ETag it
// has not seen.
func (s *Service) List(ctx context.Context, q Query) (Result, error) {
	if err := s.ensureLayout(ctx); err != nil {
		return Result{}, err
	}
	if s.index != nil && q.Limit > 0 && q.indexable() {
		return s.listPage(ctx, q)
	}
	return s.listAll(ctx, q)
}

func (s *Service) listAll(ctx context.Context, q Query) (Result, error) {
	if err := s.ensureLayout(ctx); err != nil {
		return Result{}, err
	}
	var pinned, rest []Announcement
	seen := map[string]bool{}
	for obj, err := range s.store.List(ctx, prefix) {
		if err != nil {
			return Result{}, fmt.Errorf("announce: list: %w", err)
		}
		if !isKey(obj.Key) {
			continue
		}
		seen[obj.Key] = true
		a, err := s.read(ctx, obj.Key, obj.ETag)
		if record.Skip(err) {
			continue // deleted meanwhile
		}
		if err != nil {
			return Result{}, err
		}
		if !q.matches(&a) {
			continue
		}
		if a.Pinned {
			pinned = append(pinned, a)
		} else {
			rest = append(rest, a)
		}
	}
	s.forget(seen)
	all := append(pinned, rest...)
	res := Result{Total: len(all)}
	lo := min(max(q.Offset, 0), len(all))
	hi := len(all)
	if q.Limit > 0 {
		hi = min(lo+q.Limit, hi)
	}
	res.Items = all[lo:hi]
	return res, nil
}

// matches reports whether q selects a.
func (q Query) matches(a *Announcement) bool {
	if !q.Now.IsZero() && !a.Live(q.Now) {
		return false
	}
	if q.Any || (q.Everyone && a.Everyone) {
		return true
	}
	for _, d := range q.Departments {
		if slices.Contains(a.Targets, d) {
			return true
		}
	}
	return false
}

// forget drops cached records whose keys a full listing did not see.
func (s *Service) forget(seen map[string]bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.cache {
		if !seen[k] {
			delete(s.cache, k)
		}
	}
}

// read returns the record under k, from the cache when etag (the listing's
// ETag, "" when unknown) matches, else from the store.
func (s *Service) read(ctx context.Context, k, etag string) (Announcement, error) {
	if etag != "" {
		s.mu.Lock()
		e, ok := s.cache[k]
		s.mu.Unlock()
		if ok && e.etag == etag {
			return e.a.clone(), nil
		}
	}
	rc, obj, err := s.store.Get(ctx, k)
	if err != nil {
		return Announcement{}, fmt.Errorf("announce: get %s: %w", k, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxObject+1))
	if err != nil {
		return Announcement{}, fmt.Errorf("announce: read %s: %w", k, err)
	}
	var a Announcement
	if err := record.Decode(ctx, s.store, k, obj.ETag, b, &a, maxObject); err != nil {
		return Announcement{}, fmt.Errorf("announce: %w", err)
	}
	if key(a.ID) != k {
		return Announcement{}, fmt.Errorf("announce: %s names id %q", k, a.ID)
	}
	a.ETag = obj.ETag
	if a.HTML, err = s.md.RenderBody(k, []byte(a.Body)); err != nil {
		return Announcement{}, fmt.Errorf("announce: render %s: %w", k, err)
	}
	s.remember(k, obj.ETag, a)
	return a, nil
}

// put renders a's body, writes a under its key with opts and sets its ETag.
func (s *Service) put(ctx context.Context, a *Announcement, opts store.PutOptions) error {
	html, err := s.md.RenderBody(a.ID, []byte(a.Body))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	b, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		return fmt.Errorf("encode announcement %s: %w", a.ID, err)
	}
	opts.ContentType, opts.Size = "application/json", int64(len(b))
	obj, err := s.store.Put(ctx, key(a.ID), bytes.NewReader(b), opts)
	if err != nil {
		return fmt.Errorf("save announcement %s: %w", a.ID, err)
	}
	a.ETag, a.HTML = obj.ETag, html
	s.remember(key(a.ID), obj.ETag, *a)
	s.indexOne(ctx, a)
	s.wrote()
	return nil
}

// remember caches a as the record under k at etag (bounded by maxCache).
func (s *Service) remember(k, etag string, a Announcement) {
	s.mu.Lock()
	if len(s.cache) >= maxCache {
		clear(s.cache)
	}
	s.cache[k] = &entry{etag: etag, a: a.clone()}
	s.mu.Unlock()
}

// clone copies a so callers cannot change a cached record's targets.
func (a Announcement) clone() Announcement {
	a.Targets = slices.Clone(a.Targets)
	return a
}

// newID makes the id of an announcement created at t: the inverted time
// (so newer sorts first), strictly decreasing within this process, and a
// random suffix against other processes.
func (s *Service) newID(t time.Time) string {
	s.mu.Lock()
	n := max(t.UnixNano(), s.lastNanos+1)
	s.lastNanos = n
	s.mu.Unlock()
	r := make([]byte, idRand/2)
	_, _ = rand.Read(r) // crypto/rand.Read never returns an error
	return fmt.Sprintf("%0*d-%s", idDigit, math.MaxInt64-n, hex.EncodeToString(r))
}

// ValidID reports whether id has the shape of an announcement id.
func ValidID(id string) bool {
	digits, rnd, ok := strings.Cut(id, "-")
	if !ok || len(digits) != idDigit || len(rnd) != idRand {
		return false
	}
	if _, err := strconv.ParseUint(digits, 10, 64); err != nil {
		return false
	}
	for i := 0; i < len(rnd); i++ {
		if c := rnd[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// key is the store key of announcement id (a valid id) in the bucketed layout.
func key(id string) string {
	var b strings.Builder
	b.WriteString(prefix)
	last := 0
	for _, cut := range bucketCuts {
		b.WriteString(id[last:cut])
		b.WriteByte('/')
		last = cut
	}
	b.WriteString(id)
	b.WriteString(suffix)
	return b.String()
}

// flatKey is the key of announcement id in the layout before buckets.
func flatKey(id string) string { return prefix + id + suffix }

// isKey reports whether k is an announcement's key in the bucketed layout.
func isKey(k string) bool {
	id, ok := keyID(k)
	return ok && key(id) == k
}

// keyID is the id at the end of an announcement key of either layout.
func keyID(k string) (string, bool) {
	rest, ok := strings.CutPrefix(k, prefix)
	if !ok {
		return "", false
	}
	id, ok := strings.CutSuffix(rest[strings.LastIndex(rest, "/")+1:], suffix)
	return id, ok && ValidID(id)
}

// clean checks in and returns the announcement fields it sets.
func clean(in Input) (Announcement, error) {
	title := strings.TrimSpace(stripControl(in.Title, false))
	switch n := utf8.RuneCountInString(title); {
	case n == 0:
		return Announcement{}, fmt.Errorf("%w: empty title", ErrInvalid)
	case n > MaxTitle:
		return Announcement{}, fmt.Errorf("%w: title longer than %d characters", ErrInvalid, MaxTitle)
	}
	body := strings.TrimSpace(stripControl(strings.ReplaceAll(in.Body, "\r\n", "\n"), true))
	if utf8.RuneCountInString(body) > MaxBody {
		return Announcement{}, fmt.Errorf("%w: body longer than %d characters", ErrInvalid, MaxBody)
	}
	targets, err := cleanTargets(in.Everyone, in.Targets)
	if err != nil {
		return Announcement{}, err
	}
	a := Announcement{Title: title, Body: body, Everyone: in.Everyone, Targets: targets, Pinned: in.Pinned, Confirm: in.Confirm, Comments: in.Comments}
	if !in.Expires.IsZero() {
		y, m, d := in.Expires.Date()
		a.Expires = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	}
	return a, nil
}

// cleanTargets sorts and de-duplicates the target departments and checks
// that there is at least one, or everyone and none.
func cleanTargets(everyone bool, targets []string) ([]string, error) {
	out := make([]string, 0, len(targets))
	for _, t := range targets {
		t = strings.TrimSpace(t)
		if !ValidDepartment(t) {
			return nil, fmt.Errorf("%w: department %q", ErrInvalid, t)
		}
		out = append(out, t)
	}
	slices.Sort(out)
	out = slices.Compact(out)
	switch {
	case everyone && len(out) > 0:
		return nil, fmt.Errorf("%w: for everyone and for departments at once", ErrInvalid)
	case !everyone && len(out) == 0:
		return nil, fmt.Errorf("%w: no department and not for everyone", ErrInvalid)
	case len(out) > MaxTargets:
		return nil, fmt.Errorf("%w: more than %d departments", ErrInvalid, MaxTargets)
	case everyone:
		return nil, nil
	}
	return out, nil
}

// ValidDepartment reports whether name can be a target: 1 to MaxDeptRunes
// runes, valid UTF-8, no control or format characters, no surrounding spaces.
func ValidDepartment(name string) bool {
	return name != "" && utf8.ValidString(name) && strings.TrimSpace(name) == name &&
		utf8.RuneCountInString(name) <= MaxDeptRunes && stripControl(name, false) == name
}

// stripControl drops control and format characters (keeping newlines and
// tabs when multiline) and invalid UTF-8.
func stripControl(s string, multiline bool) string {
	return strings.Map(func(r rune) rune {
		if multiline && (r == '\n' || r == '\t') {
			return r
		}
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
}
