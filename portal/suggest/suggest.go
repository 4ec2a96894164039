// Package suggest is the anonymous suggestion box (意见箱): boxes that admins
// open, suggestions anyone may drop in without signing in, a receipt code
// that is the submitter's only link back to their suggestion, and the
// handling team's replies, statuses and public answers.
//
// Anonymity is by construction: nothing here takes an address, a user agent,
// a cookie or a user; times are kept as dates (YYYY-MM-DD) only; and the
// receipt code is stored only as a slow hash.
//
// Store layout:
//
//	suggest/boxes/<id>.json               a box (title, intro, categories)
//	suggest/items/<ref>.json              a suggestion; ref = hex HMAC(key, code)
//	suggest/images/<ref>/<n>.jpg          image n of a suggestion (re-encoded, no metadata)
//	suggest/images/<ref>/<n>-thumb.jpg    its 360 px thumbnail
//	suggest/answers/<box>/<date>-<r>.json a public answer (公开回复) of a box
//
// Images live in their suggestion's key space: only the handling team (who
// list refs) and the holder of the receipt code (whose code gives the ref)
// reach them. They arrive already re-encoded by package images, so no
// original upload, EXIF, GPS or camera detail is ever stored, and their
// names carry a position only.
package suggest

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/jinnang/jinnang/portal/images"
	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/record"
)

// Status is where a suggestion stands.
type Status string

// The statuses, in their usual order.
const (
	StatusReceived   Status = "received"   // 已收到
	StatusProcessing Status = "processing" // 处理中
	StatusReplied    Status = "replied"    // 已回复
	StatusAdopted    Status = "adopted"    // 已采纳
)

// Statuses lists every status in order.
var Statuses = []Status{StatusReceived, StatusProcessing, StatusReplied, StatusAdopted}

// Valid reports whether st is one of Statuses.
func (st Status) Valid() bool { return slices.Contains(Statuses, st) }

// Authors of a thread message.
const (
	FromSubmitter = "submitter"
	FromTeam      = "team"
)

// Limits, in characters (runes).
const (
	MaxTitle      = 60
	MaxIntro      = 1000
	MaxCategories = 12
	MaxCategory   = 20
	MaxBody       = 4000
	MaxMessage    = 2000
	// MaxThread bounds the messages of one suggestion.
	MaxThread = 100
)

// Errors.
var (
	// ErrInvalid means the input breaks a limit or names an unknown
	// category or status; the wrapped message says which.
	ErrInvalid = errors.New("suggest: invalid input")
	// ErrBadCode means no suggestion matches a receipt code. It is the
	// same answer for a malformed code, an unknown one and a wrong one.
	ErrBadCode = errors.New("suggest: no suggestion for this receipt code")
	// ErrClosed means the box no longer takes suggestions.
	ErrClosed = errors.New("suggest: the box is closed")
)

// Box is a suggestion box.
type Box struct {
	ID         string   `json:"id"`
	Title      string   `json:"title"`
	Intro      string   `json:"intro"`
	Categories []string `json:"categories,omitempty"`
	Created    string   `json:"created"` // YYYY-MM-DD
	Closed     bool     `json:"closed,omitempty"`
}

// Message is one message of a suggestion's thread. It names no person:
// From is FromSubmitter or FromTeam.
type Message struct {
	From string `json:"from"`
	Body string `json:"body"`
	Date string `json:"date"` // YYYY-MM-DD
}

// KDF are the argon2id parameters of a receipt hash.
type KDF struct {
	Time    uint32 `json:"t"`
	Memory  uint32 `json:"m"` // KiB
	Threads uint8  `json:"p"`
}

// DefaultKDF is argon2id with 19 MiB and two passes (the OWASP minimum):
// tens of milliseconds a check, affordable behind a rate limit.
var DefaultKDF = KDF{Time: 2, Memory: 19 * 1024, Threads: 1}

// Suggestion is one anonymous suggestion. It holds no identity of the
// submitter, and its times are dates.
type Suggestion struct {
	Ref      string    `json:"-"` // store name, hex HMAC of the receipt code
	Box      string    `json:"box"`
	Category string    `json:"category,omitempty"`
	Body     string    `json:"body"`
	Date     string    `json:"date"`    // submitted, YYYY-MM-DD
	Updated  string    `json:"updated"` // last change, YYYY-MM-DD
	Status   Status    `json:"status"`
	Thread   []Message `json:"thread,omitempty"`
	AnswerID string    `json:"answer,omitempty"` // the public answer made of it
	Images   []Image   `json:"images,omitempty"` // attached images, in order

	Salt []byte `json:"salt"` // argon2id salt, per record
	Hash []byte `json:"hash"` // argon2id(code, salt)
	KDF  KDF    `json:"kdf"`

	// Video is the media job of the attached video (re-encoded, nothing of
	// the device kept), "" for none.
	Video string `json:"video,omitempty"`
}

// Waiting reports whether the submitter spoke last (or nobody answered yet).
func (s *Suggestion) Waiting() bool {
	if len(s.Thread) == 0 {
		return s.Status == StatusReceived
	}
	return s.Thread[len(s.Thread)-1].From == FromSubmitter
}

// Answer is a public answer (公开回复), shown to everyone on the box page.
type Answer struct {
	ID       string `json:"id"`
	Box      string `json:"box"`
	Category string `json:"category,omitempty"`
	Question string `json:"question"`
	Answer   string `json:"answer"`
	Date     string `json:"date"`
}

// Filter narrows List. Empty fields match everything.
type Filter struct {
	Box      string
	Status   Status
	Category string
}

// Service keeps boxes and suggestions in the store. It is safe for
// concurrent use.
type Service struct {
	st    store.Store
	key   []byte
	clock func() time.Time
	kdf   KDF
	dummy []byte // salt of the hash run when a code matches nothing
	// newest says the newest-first markers are complete (inbox.go): seen
	// once per process.
	newest atomic.Bool
	oldest atomic.Value // string: the oldest day marker seen (inbox.go)
}

// Options configure a Service.
type Options struct {
	// Clock gives today's date; nil means time.Now.
	Clock func() time.Time
	// KDF of new receipt hashes; zero means DefaultKDF.
	KDF KDF
}

// New returns the service over st. key (at least 32 bytes) is the server
// key of the receipt lookup and of the anonymous form tokens; it must stay
// the same across restarts and processes, or receipts stop working.
func New(st store.Store, key []byte, opts Options) (*Service, error) {
	if len(key) < 32 {
		return nil, fmt.Errorf("suggest: key of %d bytes; give at least 32", len(key))
	}
	s := &Service{st: st, key: slices.Clone(key), clock: opts.Clock, kdf: opts.KDF}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.kdf == (KDF{}) {
		s.kdf = DefaultKDF
	}
	s.dummy = s.mac("dummy-salt")[:16]
	return s, nil
}

const (
	boxPrefix    = "suggest/boxes/"
	itemPrefix   = "suggest/items/"
	answerPrefix = "suggest/answers/"
)

// today is the date of now, the only time this package stores.
func (s *Service) today() string { return s.clock().Format(time.DateOnly) }

// mac is the HMAC-SHA256 of msg under the server key.
func (s *Service) mac(msg string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// FormToken is today's anti-forgery token of an anonymous form for purpose
// (a box ID, "receipt"): HMAC(key, purpose + date). It is stateless and
// carries no identity: every visitor of a form gets the same token that day.
func (s *Service) FormToken(purpose string) string { return s.formToken(purpose, s.clock()) }

// formToken is the form token of purpose on day.
func (s *Service) formToken(purpose string, day time.Time) string {
	return hex.EncodeToString(s.mac("form\x00" + purpose + "\x00" + day.Format(time.DateOnly)))[:32]
}

// CheckFormToken reports whether tok is the form token of purpose for today
// or yesterday (a form opened before midnight still posts).
func (s *Service) CheckFormToken(purpose, tok string) bool {
	now := s.clock()
	ok := 0
	for _, d := range []time.Time{now, now.AddDate(0, 0, -1)} {
		ok |= subtle.ConstantTimeCompare([]byte(s.formToken(purpose, d)), []byte(tok))
	}
	return ok == 1
}

// newID is 8 random characters of the lowercase code alphabet: box IDs.
func newID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error
	for i := range b {
		b[i] = strings.ToLower(codeAlphabet)[b[i]&31]
	}
	return string(b)
}

// ValidBoxID reports whether id has the shape of a box ID.
func ValidBoxID(id string) bool {
	if len(id) != 8 {
		return false
	}
	for _, r := range id {
		if !strings.ContainsRune(strings.ToLower(codeAlphabet), r) {
			return false
		}
	}
	return true
}

// CleanText trims s, normalises line ends and drops control characters
// other than newlines and tabs.
func CleanText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' || !unicode.IsControl(r) {
			return r
		}
		return -1
	}, s)
	return strings.TrimSpace(s)
}

// checkLen is ErrInvalid when s is empty (and required) or longer than n runes.
func checkLen(field, s string, n int, required bool) error {
	switch c := utf8.RuneCountInString(s); {
	case c == 0 && required:
		return fmt.Errorf("%w: %s is empty", ErrInvalid, field)
	case c > n:
		return fmt.Errorf("%w: %s has %d characters, more than %d", ErrInvalid, field, c, n)
	}
	return nil
}

// CreateBox opens a new box.
func (s *Service) CreateBox(ctx context.Context, title, intro string, categories []string) (*Box, error) {
	b := &Box{Title: CleanText(title), Intro: CleanText(intro), Created: s.today()}
	for _, c := range categories {
		if c = strings.TrimSpace(CleanText(c)); c != "" && !slices.Contains(b.Categories, c) {
			b.Categories = append(b.Categories, c)
		}
	}
	if err := cmp.Or(checkLen("title", b.Title, MaxTitle, true), checkLen("intro", b.Intro, MaxIntro, false)); err != nil {
		return nil, err
	}
	if len(b.Categories) > MaxCategories {
		return nil, fmt.Errorf("%w: %d categories, more than %d", ErrInvalid, len(b.Categories), MaxCategories)
	}
	for _, c := range b.Categories {
		if err := checkLen("category", c, MaxCategory, true); err != nil {
			return nil, err
		}
	}
	for range updateAttempts {
		b.ID = newID()
		_, err := writeJSON(ctx, s.st, boxPrefix+b.ID+".json", b, store.PutOptions{IfNoneMatch: true})
		if errors.Is(err, store.ErrPrecondition) {
			continue // an ID collision: draw again
		}
		if err != nil {
			return nil, fmt.Errorf("suggest: create box: %w", err)
		}
		if err := s.markNewestFresh(ctx); err != nil {
			return nil, fmt.Errorf("suggest: create box: %w", err)
		}
		return b, nil
	}
	return nil, fmt.Errorf("suggest: create box: %d ID collisions in a row", updateAttempts)
}

// Box returns a box; an error wrapping store.ErrNotFound when there is none.
func (s *Service) Box(ctx context.Context, id string) (*Box, error) {
	if !ValidBoxID(id) {
		return nil, fmt.Errorf("suggest: box %q: %w", id, store.ErrNotFound)
	}
	var b Box
	if _, err := readJSON(ctx, s.st, boxPrefix+id+".json", &b); err != nil {
		return nil, fmt.Errorf("suggest: box %s: %w", id, err)
	}
	return &b, nil
}

// SetClosed closes or reopens a box.
func (s *Service) SetClosed(ctx context.Context, id string, closed bool) (*Box, error) {
	if !ValidBoxID(id) {
		return nil, fmt.Errorf("suggest: box %q: %w", id, store.ErrNotFound)
	}
	b, _, err := modify(ctx, s.st, boxPrefix+id+".json", func(b *Box) error { b.Closed = closed; return nil })
	if err != nil {
		return nil, fmt.Errorf("suggest: close box %s: %w", id, err)
	}
	return b, nil
}

// Boxes lists every box, newest first.
func (s *Service) Boxes(ctx context.Context) ([]Box, error) {
	out := []Box{}
	for obj, err := range s.st.List(ctx, boxPrefix) {
		if err != nil {
			return nil, fmt.Errorf("suggest: list boxes: %w", err)
		}
		var b Box
		_, err := readJSON(ctx, s.st, obj.Key, &b)
		if record.Skip(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("suggest: list boxes: %w", err)
		}
		out = append(out, b)
	}
	slices.SortStableFunc(out, func(a, b Box) int {
		return cmp.Or(strings.Compare(b.Created, a.Created), strings.Compare(a.Title, b.Title))
	})
	return out, nil
}

// Submit drops a suggestion into a box and returns its receipt code (shown
// once, never stored) and the record. imgs (at most MaxImages) are images
// already processed by images.Process: they are stored before the record,
// under its ref, and removed again when the record cannot be written.
func (s *Service) Submit(ctx context.Context, boxID, category, body string, imgs ...images.Result) (string, *Suggestion, error) {
	return s.SubmitVideo(ctx, boxID, category, body, "", imgs...)
}

// SubmitVideo is Submit with a video attached: videoJob is its media job
// (queued anonymously), "" for none.
func (s *Service) SubmitVideo(ctx context.Context, boxID, category, body, videoJob string, imgs ...images.Result) (string, *Suggestion, error) {
	b, err := s.Box(ctx, boxID)
	if err != nil {
		return "", nil, err
	}
	if b.Closed {
		return "", nil, fmt.Errorf("suggest: box %s: %w", boxID, ErrClosed)
	}
	body, category = CleanText(body), strings.TrimSpace(category)
	if err := checkLen("body", body, MaxBody, true); err != nil {
		return "", nil, err
	}
	if category != "" && !slices.Contains(b.Categories, category) {
		return "", nil, fmt.Errorf("%w: box %s has no category %q", ErrInvalid, boxID, category)
	}
	if err := checkImages(imgs); err != nil {
		return "", nil, err
	}
	today := s.today()
	sg := &Suggestion{Box: boxID, Category: category, Body: body, Date: today, Updated: today, Status: StatusReceived, KDF: s.kdf, Video: videoJob}
	for range updateAttempts {
		code := newCode()
		sg.Salt = make([]byte, 16)
		_, _ = rand.Read(sg.Salt) // crypto/rand.Read never returns an error
		sg.Hash = s.kdf.hash(code, sg.Salt)
		sg.Ref = s.ref(code)
		stored, written, err := s.putImages(ctx, sg.Ref, imgs)
		if err != nil {
			if errors.Is(err, store.ErrPrecondition) && !errors.Is(err, errDiscard) {
				continue // the ref is taken: practically never
			}
			return "", nil, fmt.Errorf("suggest: submit to %s: %w", boxID, err)
		}
		sg.Images = stored
		// The day marker first: the inbox skips a marker whose record is
		// missing, but would not see a record without a marker.
		if err = s.markDay(ctx, today, sg.Ref); err == nil {
			_, err = writeJSON(ctx, s.st, itemPrefix+sg.Ref+".json", sg, store.PutOptions{IfNoneMatch: true})
		}
		if err != nil {
			if derr := s.discard(ctx, written); derr != nil {
				return "", nil, fmt.Errorf("suggest: submit to %s: %w", boxID, errors.Join(err, derr))
			}
			if errors.Is(err, store.ErrPrecondition) {
				continue // 100 random bits collided: practically never
			}
			return "", nil, fmt.Errorf("suggest: submit to %s: %w", boxID, err)
		}
		return FormatCode(code), sg, nil
	}
	return "", nil, fmt.Errorf("suggest: submit to %s: %d code collisions in a row", boxID, updateAttempts)
}

// ref is the store name of the suggestion of a normalised code.
func (s *Service) ref(code string) string {
	return hex.EncodeToString(s.mac("receipt\x00" + code))
}

// hash is argon2id of the normalised code.
func (k KDF) hash(code string, salt []byte) []byte {
	return argon2.IDKey([]byte(code), salt, k.Time, k.Memory, k.Threads, 32)
}

// Lookup finds the suggestion of a receipt code.
//
// The lookup is split in two. The record's store name is a fast keyed hash,
// HMAC-SHA256(server key, code): it finds the record in one read (no scan,
// no per-record slow hash), and without the server key the names in a bucket
// say nothing. The record itself holds an argon2id hash of the code with a
// per-record salt, and that hash must verify: so the code is never stored in
// a form that is cheap to test, and should the server key leak together
// with the store, every guess still costs a slow hash. A code that matches
// nothing still runs one argon2id (over a dummy salt) and one constant-time
// compare, so a wrong code and a right one take the same kind of time and
// get the same ErrBadCode.
func (s *Service) Lookup(ctx context.Context, code string) (*Suggestion, error) {
	norm, ok := NormalizeCode(code)
	var sg Suggestion
	var err error
	if ok {
		_, err = readJSON(ctx, s.st, itemPrefix+s.ref(norm)+".json", &sg)
	} else {
		err = fmt.Errorf("malformed code: %w", store.ErrNotFound)
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		hmac.Equal(s.kdf.hash(norm, s.dummy), s.dummy) // the same work as a real check
		return nil, ErrBadCode
	case err != nil:
		return nil, fmt.Errorf("suggest: lookup: %w", err)
	}
	k := sg.KDF
	if k == (KDF{}) {
		k = DefaultKDF
	}
	if !hmac.Equal(k.hash(norm, sg.Salt), sg.Hash) {
		return nil, ErrBadCode
	}
	sg.Ref = s.ref(norm)
	return &sg, nil
}

// FollowUp adds a message of the submitter, who proves themselves with the
// receipt code.
func (s *Service) FollowUp(ctx context.Context, code, body string) (*Suggestion, error) {
	sg, err := s.Lookup(ctx, code)
	if err != nil {
		return nil, err
	}
	return s.addMessage(ctx, sg.Ref, FromSubmitter, body, "")
}

// Get returns a suggestion by its ref (for the handling team).
func (s *Service) Get(ctx context.Context, ref string) (*Suggestion, error) {
	if !validRef(ref) {
		return nil, fmt.Errorf("suggest: suggestion %q: %w", ref, store.ErrNotFound)
	}
	var sg Suggestion
	if _, err := readJSON(ctx, s.st, itemPrefix+ref+".json", &sg); err != nil {
		return nil, fmt.Errorf("suggest: suggestion %s: %w", ref, err)
	}
	sg.Ref = ref
	return &sg, nil
}

// validRef reports whether ref is 64 lowercase hex digits.
func validRef(ref string) bool {
	if len(ref) != 64 {
		return false
	}
	_, err := hex.DecodeString(ref)
	return err == nil && strings.ToLower(ref) == ref
}

// List returns the suggestions matching f, newest first.
func (s *Service) List(ctx context.Context, f Filter) ([]Suggestion, error) {
	out := []Suggestion{}
	err := s.each(ctx, func(sg Suggestion) error {
		if (f.Box != "" && sg.Box != f.Box) || (f.Status != "" && sg.Status != f.Status) || (f.Category != "" && sg.Category != f.Category) {
			return nil
		}
		out = append(out, sg)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("suggest: list: %w", err)
	}
	slices.SortStableFunc(out, func(a, b Suggestion) int {
		return cmp.Or(strings.Compare(b.Updated, a.Updated), strings.Compare(b.Date, a.Date), strings.Compare(a.Ref, b.Ref))
	})
	return out, nil
}

// each calls fn with every suggestion record (Ref set), in key order,
// passing over the records record.Skip says to skip; it stops at fn's
// first error.
func (s *Service) each(ctx context.Context, fn func(Suggestion) error) error {
	for obj, err := range s.st.List(ctx, itemPrefix) {
		if err != nil {
			return err
		}
		ref, ok := strings.CutSuffix(strings.TrimPrefix(obj.Key, itemPrefix), ".json")
		if !ok || !validRef(ref) {
			continue
		}
		var sg Suggestion
		_, err := readJSON(ctx, s.st, obj.Key, &sg)
		if record.Skip(err) {
			continue
		}
		if err != nil {
			return err
		}
		sg.Ref = ref
		if err := fn(sg); err != nil {
			return err
		}
	}
	return nil
}

// Reply adds a message of the handling team. A suggestion that was only
// received or in process becomes replied.
func (s *Service) Reply(ctx context.Context, ref, body string) (*Suggestion, error) {
	return s.addMessage(ctx, ref, FromTeam, body, StatusReplied)
}

// addMessage appends a thread message; promote, when set, is the status a
// received or processing suggestion moves to.
func (s *Service) addMessage(ctx context.Context, ref, from, body string, promote Status) (*Suggestion, error) {
	body = CleanText(body)
	if err := checkLen("message", body, MaxMessage, true); err != nil {
		return nil, err
	}
	if !validRef(ref) {
		return nil, fmt.Errorf("suggest: suggestion %q: %w", ref, store.ErrNotFound)
	}
	today := s.today()
	sg, _, err := modify(ctx, s.st, itemPrefix+ref+".json", func(sg *Suggestion) error {
		if len(sg.Thread) >= MaxThread {
			return fmt.Errorf("%w: the thread has %d messages already", ErrInvalid, MaxThread)
		}
		sg.Thread = append(sg.Thread, Message{From: from, Body: body, Date: today})
		sg.Updated = today
		if promote != "" && (sg.Status == StatusReceived || sg.Status == StatusProcessing) {
			sg.Status = promote
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("suggest: message on %s: %w", ref, err)
	}
	sg.Ref = ref
	return sg, nil
}

// SetStatus changes a suggestion's status.
func (s *Service) SetStatus(ctx context.Context, ref string, st Status) (*Suggestion, error) {
	if !st.Valid() {
		return nil, fmt.Errorf("%w: status %q", ErrInvalid, st)
	}
	if !validRef(ref) {
		return nil, fmt.Errorf("suggest: suggestion %q: %w", ref, store.ErrNotFound)
	}
	today := s.today()
	sg, _, err := modify(ctx, s.st, itemPrefix+ref+".json", func(sg *Suggestion) error {
		sg.Status, sg.Updated = st, today
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("suggest: status of %s: %w", ref, err)
	}
	sg.Ref = ref
	return sg, nil
}

// Publish makes a public answer (公开回复) of a suggestion: question (the
// suggestion as the team words it for everyone; empty means its text) and
// answer, listed on the box page. Publishing again replaces the answer.
func (s *Service) Publish(ctx context.Context, ref, question, answer string) (*Answer, error) {
	sg, err := s.Get(ctx, ref)
	if err != nil {
		return nil, err
	}
	question, answer = CleanText(question), CleanText(answer)
	if question == "" {
		question = sg.Body
	}
	if err := cmp.Or(checkLen("question", question, MaxBody, true), checkLen("answer", answer, MaxMessage, true)); err != nil {
		return nil, err
	}
	a := &Answer{ID: sg.AnswerID, Box: sg.Box, Category: sg.Category, Question: question, Answer: answer, Date: s.today()}
	if a.ID == "" {
		r := make([]byte, 4)
		_, _ = rand.Read(r) // crypto/rand.Read never returns an error
		a.ID = strings.ReplaceAll(a.Date, "-", "") + "-" + hex.EncodeToString(r)
	}
	if _, err := writeJSON(ctx, s.st, answerKey(a.Box, a.ID), a, store.PutOptions{}); err != nil {
		return nil, fmt.Errorf("suggest: publish %s: %w", ref, err)
	}
	if sg.AnswerID != a.ID {
		if _, _, err := modify(ctx, s.st, itemPrefix+ref+".json", func(sg *Suggestion) error {
			sg.AnswerID = a.ID
			return nil
		}); err != nil {
			return nil, fmt.Errorf("suggest: publish %s: link the answer: %w", ref, err)
		}
	}
	return a, nil
}

// answerKey is the store key of a public answer.
func answerKey(box, id string) string { return answerPrefix + box + "/" + id + ".json" }

// Answers lists a box's public answers, newest first.
func (s *Service) Answers(ctx context.Context, boxID string) ([]Answer, error) {
	out := []Answer{}
	if !ValidBoxID(boxID) {
		return out, nil
	}
	for obj, err := range s.st.List(ctx, answerPrefix+boxID+"/") {
		if err != nil {
			return nil, fmt.Errorf("suggest: answers of %s: %w", boxID, err)
		}
		var a Answer
		_, err := readJSON(ctx, s.st, obj.Key, &a)
		if record.Skip(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("suggest: answers of %s: %w", boxID, err)
		}
		out = append(out, a)
	}
	slices.Reverse(out) // keys start with the date
	return out, nil
}
