// Package polls is polls and questionnaires (投票/问卷): single and multiple
// choice and short text questions, an audience of departments, a deadline,
// and one vote per employee.
//
// A vote is a create-once object whose name is a keyed hash of poll and
// user, polls/<id>/votes/<hex HMAC(key, poll ID, user ID)>.json: the
// conditional write makes a second vote fail however many portal processes
// race, and without the server key no one can tell whose vote an object is.
// In anonymous mode the vote holds no user; in named mode it does, which the
// poll page says before anyone votes. Both keep the voter's department, for
// the "not yet voted" counts.
//
// Store layout:
//
//	polls/<id>/poll.json          the poll
//	polls/<id>/votes/<hash>.json  one vote
//	polls/<id>/tally.json         the counts of the votes (derived; see tally)
package polls

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jinnang/jinnang/portal/auth"
	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/record"
)

// Kind is the kind of a question.
type Kind string

// The question kinds.
const (
	Single   Kind = "single"   // pick one option
	Multiple Kind = "multiple" // pick any number of options
	Text     Kind = "text"     // a short text answer
)

// Mode says whether votes name their voter.
type Mode string

// The modes.
const (
	Anonymous Mode = "anonymous"
	Named     Mode = "named"
)

// Limits, in characters (runes) or items.
const (
	MaxTitle     = 80
	MaxIntro     = 2000
	MaxQuestions = 20
	MaxQuestion  = 200
	MaxOptions   = 20
	MaxOption    = 60
	MaxText      = 500
	MaxDepts     = 50
)

// Errors.
var (
	// ErrInvalid means a poll or a vote breaks a rule; the wrapped message says which.
	ErrInvalid = errors.New("polls: invalid input")
	// ErrVoted means the user has voted on this poll already.
	ErrVoted = errors.New("polls: already voted")
	// ErrClosed means the deadline has passed.
	ErrClosed = errors.New("polls: the poll is closed")
	// ErrNotInAudience means the poll is not addressed to the user's department.
	ErrNotInAudience = errors.New("polls: not in the audience")
)

// Question is one question of a poll.
type Question struct {
	Text    string   `json:"text"`
	Kind    Kind     `json:"kind"`
	Options []string `json:"options,omitempty"` // choice questions only
	// Optional questions may be left unanswered.
	Optional bool `json:"optional,omitempty"`
}

// Poll is a poll or questionnaire.
type Poll struct {
	ID          string     `json:"id"`
	Title       string     `json:"title"`
	Intro       string     `json:"intro,omitempty"`
	Questions   []Question `json:"questions"`
	Departments []string   `json:"departments,omitempty"` // the audience; empty means everyone
	Deadline    time.Time  `json:"deadline"`
	Mode        Mode       `json:"mode"`
	Owner       string     `json:"owner"`      // user ID of the creator (creators are not anonymous)
	OwnerDept   string     `json:"owner_dept"` // the department the poll belongs to ("" for admin polls)
	Created     string     `json:"created"`    // YYYY-MM-DD
}

// Includes reports whether a member of dept is in the poll's audience.
func (p *Poll) Includes(dept string) bool {
	return len(p.Departments) == 0 || slices.Contains(p.Departments, dept)
}

// Open reports whether the poll takes votes at now.
func (p *Poll) Open(now time.Time) bool { return now.Before(p.Deadline) }

// CanManage reports whether u may see the poll's full results and counts:
// its creator, admins, and editors of its department.
func (p *Poll) CanManage(u *auth.User) bool {
	return u != nil && (u.ID == p.Owner || u.IsAdmin() || (p.OwnerDept != "" && u.CanEdit(p.OwnerDept)))
}

// Answer is the answer to one question: option indexes for choices, text
// for text questions.
type Answer struct {
	Choices []int  `json:"choices,omitempty"`
	Text    string `json:"text,omitempty"`
}

// Vote is one stored vote.
type Vote struct {
	Department string   `json:"department"`
	User       string   `json:"user,omitempty"` // named mode only
	Name       string   `json:"name,omitempty"` // named mode only
	Answers    []Answer `json:"answers"`
	Date       string   `json:"date"` // YYYY-MM-DD
}

// Members counts the employees of each department (the denominator of the
// "not yet voted" counts).
type Members func(ctx context.Context) (map[string]int, error)

// Service keeps polls and votes in the store. It is safe for concurrent use.
type Service struct {
	st      store.Store
	key     []byte
	clock   func() time.Time
	members Members

	cat catalogCache // the catalogue listed recently (catalog.go)
}

// New returns the service over st. key (at least 32 bytes) names votes; it
// must stay the same across restarts, or people could vote again. members
// may be nil (no "not yet voted" counts); a nil clock means time.Now.
func New(st store.Store, key []byte, members Members, clock func() time.Time) (*Service, error) {
	if len(key) < 32 {
		return nil, fmt.Errorf("polls: key of %d bytes; give at least 32", len(key))
	}
	if clock == nil {
		clock = time.Now
	}
	return &Service{st: st, key: slices.Clone(key), clock: clock, members: members}, nil
}

const prefix = "polls/"

func pollKey(id string) string { return prefix + id + "/poll.json" }
func votesPrefix(id string) string {
	return prefix + id + "/votes/"
}

// voteKey names the vote of userID on poll id by a keyed hash.
func (s *Service) voteKey(id, userID string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("vote\x00" + id + "\x00" + userID))
	return votesPrefix(id) + hex.EncodeToString(m.Sum(nil)) + ".json"
}

// ValidID reports whether id has the shape of a poll ID (12 lowercase hex).
func ValidID(id string) bool {
	if len(id) != 12 {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil && strings.ToLower(id) == id
}

// clean trims s and drops control characters (newlines too unless multiline).
func clean(s string, multiline bool) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.Map(func(r rune) rune {
		if (multiline && r == '\n') || !unicode.IsControl(r) {
			return r
		}
		return -1
	}, s)
	return strings.TrimSpace(s)
}

// FieldError is an ErrInvalid that names the field and the rule it broke, so
// a UI can say it in its own language. errors.Is(err, ErrInvalid) holds.
type FieldError struct {
	Field    string // FieldTitle, FieldIntro, FieldQuestions, FieldQuestion, FieldOption, FieldMode, FieldDeadline, FieldDepartments
	Question int    // 1-based question number for FieldQuestion and FieldOption
	Rule     string // RuleEmpty, RuleLong, RuleCount, RuleKind
	N, Max   int    // what was given and the limit (RuleLong, RuleCount)
	msg      string // the English message
}

// Fields and rules of a FieldError.
const (
	FieldTitle       = "title"
	FieldIntro       = "intro"
	FieldQuestions   = "questions" // the list: none, or too many
	FieldQuestion    = "question"  // the text of one question
	FieldOption      = "option"    // the options of one question
	FieldMode        = "mode"
	FieldDeadline    = "deadline"
	FieldDepartments = "departments"
	FieldAnswer      = "answer" // a text answer when voting

	RuleEmpty = "empty"
	RuleLong  = "long"
	RuleCount = "count"
	RuleKind  = "kind"
)

func (e *FieldError) Error() string { return ErrInvalid.Error() + ": " + e.msg }
func (e *FieldError) Unwrap() error { return ErrInvalid }

func fieldErr(field string, q int, rule string, n, max int, format string, args ...any) error {
	return &FieldError{Field: field, Question: q, Rule: rule, N: n, Max: max, msg: fmt.Sprintf(format, args...)}
}

// checkLen is ErrInvalid when s is empty (and required) or longer than n runes;
// name is the field in the English message.
func checkLen(field string, q int, name, s string, n int, required bool) error {
	switch c := utf8.RuneCountInString(s); {
	case c == 0 && required:
		return fieldErr(field, q, RuleEmpty, 0, n, "%s is empty", name)
	case c > n:
		return fieldErr(field, q, RuleLong, c, n, "%s has %d characters, more than %d", name, c, n)
	}
	return nil
}

// Validate cleans p and checks it against the limits.
func (p *Poll) Validate() error {
	p.Title, p.Intro = clean(p.Title, false), clean(p.Intro, true)
	if err := cmp.Or(checkLen(FieldTitle, 0, "title", p.Title, MaxTitle, true), checkLen(FieldIntro, 0, "intro", p.Intro, MaxIntro, false)); err != nil {
		return err
	}
	switch n := len(p.Questions); {
	case n == 0:
		return fieldErr(FieldQuestions, 0, RuleEmpty, 0, MaxQuestions, "no questions")
	case n > MaxQuestions:
		return fieldErr(FieldQuestions, 0, RuleCount, n, MaxQuestions, "%d questions, more than %d", n, MaxQuestions)
	case p.Mode != Anonymous && p.Mode != Named:
		return fieldErr(FieldMode, 0, RuleKind, 0, 0, "mode %q", p.Mode)
	case p.Deadline.IsZero():
		return fieldErr(FieldDeadline, 0, RuleEmpty, 0, 0, "no deadline")
	case len(p.Departments) > MaxDepts:
		return fieldErr(FieldDepartments, 0, RuleCount, len(p.Departments), MaxDepts, "%d departments, more than %d", len(p.Departments), MaxDepts)
	}
	for i := range p.Questions {
		q := &p.Questions[i]
		q.Text = clean(q.Text, false)
		if err := checkLen(FieldQuestion, i+1, fmt.Sprintf("question %d", i+1), q.Text, MaxQuestion, true); err != nil {
			return err
		}
		switch q.Kind {
		case Text:
			q.Options = nil
		case Single, Multiple:
			var opts []string
			for _, o := range q.Options {
				if o = clean(o, false); o != "" && !slices.Contains(opts, o) {
					opts = append(opts, o)
				}
			}
			q.Options = opts
			if len(opts) < 2 || len(opts) > MaxOptions {
				return fieldErr(FieldOption, i+1, RuleCount, len(opts), MaxOptions, "question %d has %d options; give 2 to %d", i+1, len(opts), MaxOptions)
			}
			for _, o := range opts {
				if err := checkLen(FieldOption, i+1, fmt.Sprintf("an option of question %d", i+1), o, MaxOption, true); err != nil {
					return err
				}
			}
		default:
			return fieldErr(FieldQuestion, i+1, RuleKind, 0, 0, "question %d has kind %q", i+1, q.Kind)
		}
	}
	var depts []string
	for _, d := range p.Departments {
		if d = clean(d, false); d != "" && !slices.Contains(depts, d) {
			depts = append(depts, d)
		}
	}
	slices.Sort(depts)
	p.Departments = depts
	return nil
}

// Create stores a new poll; it fills ID and Created.
func (s *Service) Create(ctx context.Context, p Poll) (*Poll, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	p.Created = s.clock().Format(time.DateOnly)
	for range updateAttempts {
		b := make([]byte, 6)
		_, _ = rand.Read(b) // crypto/rand.Read never returns an error
		p.ID = hex.EncodeToString(b)
		// The catalogue marker first: the list skips a marker without a
		// poll, but would not see a poll without a marker.
		if err := s.markCatalog(ctx, &p); err != nil {
			return nil, fmt.Errorf("polls: create: %w", err)
		}
		_, err := writeJSON(ctx, s.st, pollKey(p.ID), &p, store.PutOptions{IfNoneMatch: true})
		if errors.Is(err, store.ErrPrecondition) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("polls: create: %w", err)
		}
		// An empty tally, which each vote updates; if this write fails the
		// first Results builds it from the votes.
		_, _ = writeJSON(ctx, s.st, tallyKey(p.ID), &tally{}, store.PutOptions{IfNoneMatch: true})
		return &p, nil
	}
	return nil, fmt.Errorf("polls: create: %d ID collisions in a row", updateAttempts)
}

// Get returns a poll; an error wrapping store.ErrNotFound when there is none.
func (s *Service) Get(ctx context.Context, id string) (*Poll, error) {
	if !ValidID(id) {
		return nil, fmt.Errorf("polls: poll %q: %w", id, store.ErrNotFound)
	}
	var p Poll
	if _, err := readJSON(ctx, s.st, pollKey(id), &p); err != nil {
		return nil, fmt.Errorf("polls: poll %s: %w", id, err)
	}
	return &p, nil
}

// HasVoted reports whether u voted on p.
func (s *Service) HasVoted(ctx context.Context, p *Poll, userID string) (bool, error) {
	_, err := s.st.Stat(ctx, s.voteKey(p.ID, userID))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, store.ErrNotFound):
		return false, nil
	}
	return false, fmt.Errorf("polls: vote of poll %s: %w", p.ID, err)
}

// CheckAnswers cleans answers and checks them against p's questions: one
// answer per question, a single choice for single, distinct valid choices
// for multiple, at most MaxText characters of text. Every question must be
// answered unless it is Optional.
func (p *Poll) CheckAnswers(answers []Answer) error {
	if len(answers) != len(p.Questions) {
		return fmt.Errorf("%w: %d answers to %d questions", ErrInvalid, len(answers), len(p.Questions))
	}
	for i, q := range p.Questions {
		a := &answers[i]
		if q.Optional && len(a.Choices) == 0 && clean(a.Text, true) == "" {
			a.Choices, a.Text = nil, ""
			continue // an optional question left blank
		}
		switch q.Kind {
		case Text:
			a.Choices = nil
			a.Text = clean(a.Text, true)
			if err := checkLen(FieldAnswer, i+1, fmt.Sprintf("answer %d", i+1), a.Text, MaxText, true); err != nil {
				return err
			}
		default:
			a.Text = ""
			slices.Sort(a.Choices)
			a.Choices = slices.Compact(a.Choices)
			if len(a.Choices) == 0 || (q.Kind == Single && len(a.Choices) != 1) {
				return fmt.Errorf("%w: question %d needs %s", ErrInvalid, i+1, map[Kind]string{Single: "one choice", Multiple: "a choice"}[q.Kind])
			}
			for _, c := range a.Choices {
				if c < 0 || c >= len(q.Options) {
					return fmt.Errorf("%w: question %d has no option %d", ErrInvalid, i+1, c)
				}
			}
		}
	}
	return nil
}

// Vote records u's vote with a create-once write: ErrVoted when u voted
// already (also when two requests race), ErrClosed after the deadline,
// ErrNotInAudience when the poll is not addressed to u's department.
func (s *Service) Vote(ctx context.Context, p *Poll, u auth.User, answers []Answer) error {
	if !p.Open(s.clock()) {
		return fmt.Errorf("polls: vote on %s: %w", p.ID, ErrClosed)
	}
	if !p.Includes(u.Department) {
		return fmt.Errorf("polls: vote on %s by a member of %q: %w", p.ID, u.Department, ErrNotInAudience)
	}
	answers = slices.Clone(answers)
	if err := p.CheckAnswers(answers); err != nil {
		return err
	}
	v := Vote{Department: u.Department, Answers: answers, Date: s.clock().Format(time.DateOnly)}
	if p.Mode == Named {
		v.User, v.Name = u.ID, u.Name
	}
	_, err := writeJSON(ctx, s.st, s.voteKey(p.ID, u.ID), &v, store.PutOptions{IfNoneMatch: true})
	if errors.Is(err, store.ErrPrecondition) {
		return fmt.Errorf("polls: vote on %s: %w", p.ID, ErrVoted)
	}
	if err != nil {
		return fmt.Errorf("polls: vote on %s: %w", p.ID, err)
	}
	s.countVote(ctx, p, &v)
	return nil
}

// TextAnswer is one short-text answer in the results; Name is empty in
// anonymous mode.
type TextAnswer struct {
	Text string
	Name string
}

// QuestionResult is the tally of one question.
type QuestionResult struct {
	Question Question
	Counts   []int        // per option (choice questions)
	Texts    []TextAnswer // text questions, sorted by text
	Answered int          // votes that answered it
	// TextsOmitted is how many text answers the tally does not keep
	// (beyond MaxTallyTexts).
	TextsOmitted int
}

// DeptCount is a department's member, vote and missing-vote counts.
type DeptCount struct {
	Department string
	Members    int
	Voted      int
	NotVoted   int
}

// Results is the tally of a poll.
type Results struct {
	Votes     int
	Questions []QuestionResult
	Depts     []DeptCount // the audience's departments, sorted by name
}

// Results is the tally of p from its tally record (one read), rebuilt
// from the votes when the record is missing. In anonymous mode text
// answers carry no names (the votes hold none).
func (s *Service) Results(ctx context.Context, p *Poll) (*Results, error) {
	var t tally
	_, err := readJSON(ctx, s.st, tallyKey(p.ID), &t)
	switch {
	case errors.Is(err, store.ErrNotFound) || errors.Is(err, record.ErrCorrupt):
		rebuilt, rerr := s.countVotes(ctx, p)
		if rerr != nil {
			return nil, rerr
		}
		t = *rebuilt
		// Create-once: a concurrent vote's update or another rebuild may win.
		if _, werr := writeJSON(ctx, s.st, tallyKey(p.ID), &t, store.PutOptions{IfNoneMatch: true}); werr != nil && !errors.Is(werr, store.ErrPrecondition) {
			return nil, fmt.Errorf("polls: tally of %s: %w", p.ID, werr)
		}
	case err != nil:
		return nil, fmt.Errorf("polls: tally of %s: %w", p.ID, err)
	}
	return s.results(ctx, p, &t)
}

// results turns a tally into Results with the department counts.
func (s *Service) results(ctx context.Context, p *Poll, t *tally) (*Results, error) {
	t.fit(p)
	r := &Results{Votes: t.Votes, Questions: make([]QuestionResult, len(p.Questions))}
	for i, q := range p.Questions {
		r.Questions[i] = QuestionResult{Question: q, Counts: t.Counts[i], Texts: t.Texts[i], TextsOmitted: t.Omitted[i], Answered: t.Answered[i]}
	}
	byDept := t.ByDept
	if s.members != nil {
		members, err := s.members(ctx)
		if err != nil {
			return nil, fmt.Errorf("polls: members: %w", err)
		}
		depts := p.Departments
		if len(depts) == 0 {
			for d := range members {
				depts = append(depts, d)
			}
			for d := range byDept {
				if _, ok := members[d]; !ok {
					depts = append(depts, d)
				}
			}
			slices.Sort(depts)
		}
		for _, d := range depts {
			dc := DeptCount{Department: d, Members: members[d], Voted: byDept[d]}
			dc.NotVoted = max(dc.Members-dc.Voted, 0)
			r.Depts = append(r.Depts, dc)
		}
	}
	return r, nil
}
