// Package points is the contributors' leaderboard: points for what people
// publish (wisdom packs, stories, adopted suggestions), a monthly board and
// badges. Nothing is stored: the board is computed from the store through
// Sources and cached in memory for a minute, so it can always be rebuilt.
package points

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Contribution kinds and what they are worth by default. Another feature
// adds its own kind by passing a Source whose contributions carry it and a
// weight for it (e.g. issue 6: KindSuggestion for adopted suggestions).
const (
	KindPack       = "pack"
	KindStory      = "story"
	KindSuggestion = "suggestion"
)

// DefaultWeights are the points per contribution kind.
var DefaultWeights = map[string]int{KindPack: 10, KindStory: 3, KindSuggestion: 5}

// Contribution is one counted publication.
type Contribution struct {
	UserID string
	Name   string // display name; may be empty
	Kind   string
	At     time.Time
	Ref    string `json:",omitempty"` // what was published ("pack-<ref>", "story-<id>"); the tally's key
}

// Source lists contributions from the store (the truth).
type Source func(ctx context.Context) ([]Contribution, error)

// Entry is one person on a board.
type Entry struct {
	Rank   int
	UserID string
	Name   string
	Points int
	Counts map[string]int // contributions by kind
}

// Board is the ranking of one month.
type Board struct {
	Month   time.Time // first instant of the month (UTC)
	Entries []Entry   // points descending; people with no points are left out
}

// Badge keys. The web layer names them (新人, 锦囊达人, 故事家, 月度之星).
const (
	BadgeNewcomer = "newcomer" // first contribution
	BadgePacks    = "packs"    // at least PacksBadge packs
	BadgeStories  = "stories"  // at least StoriesBadge stories
	BadgeStar     = "star"     // top StarTop of the current month
)

// Badge thresholds.
const (
	PacksBadge   = 5
	StoriesBadge = 10
	StarTop      = 3
	// CacheFor is how long computed contributions are reused.
	CacheFor = time.Minute
	// MaxEntries bounds a board.
	MaxEntries = 100
)

// Service computes boards and badges. It is safe for concurrent use.
type Service struct {
	weights map[string]int
	now     func() time.Time

	mu      sync.Mutex
	sources []Source
	cached  []Contribution
	at      time.Time
	gen     int           // bumped by Invalidate and AddSource
	running chan struct{} // closed when the recompute in flight ends; nil if none
	result  []Contribution
	err     error
	tally   *tally // nil: boards are computed from the sources (UseStore)
}

// New returns a Service with the given weights (nil: DefaultWeights), clock
// (nil: time.Now) and sources.
func New(weights map[string]int, now func() time.Time, sources ...Source) *Service {
	if weights == nil {
		weights = DefaultWeights
	}
	if now == nil {
		now = time.Now
	}
	return &Service{weights: weights, now: now, sources: sources}
}

// AddSource adds a source of contributions (and drops the cache).
func (s *Service) AddSource(src Source) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sources = append(s.sources, src)
	s.at = time.Time{}
	s.gen++
}

// Invalidate drops the cache, so the next board is computed afresh.
func (s *Service) Invalidate() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.at = time.Time{}
	s.gen++
	if t := s.tally; t != nil {
		t.mu.Lock()
		t.boards = map[string]cachedBoard{}
		t.mu.Unlock()
	}
}

// contributions returns every contribution, from the cache when it is
// fresh. One recompute runs at a time (single flight): requests that find
// the cache expired while it runs wait for its result instead of starting
// their own, and the mutex is not held while the sources read the store.
// The cache time is taken when the recompute ends, so a recompute longer
// than CacheFor still leaves a fresh cache behind.
func (s *Service) contributions(ctx context.Context) ([]Contribution, error) {
	s.mu.Lock()
	now := s.now()
	if !s.at.IsZero() && now.Sub(s.at) < CacheFor && now.Sub(s.at) >= 0 {
		all := s.cached
		s.mu.Unlock()
		return all, nil
	}
	if done := s.running; done != nil {
		s.mu.Unlock()
		select {
		case <-done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		s.mu.Lock()
		all, err := s.result, s.err
		s.mu.Unlock()
		return all, err
	}
	done := make(chan struct{})
	s.running = done
	sources, gen := slices.Clone(s.sources), s.gen
	s.mu.Unlock()

	var all []Contribution
	var errs []error
	for _, src := range sources {
		cs, err := src(ctx)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		all = append(all, cs...)
	}
	err := errors.Join(errs...)
	if err != nil {
		err, all = fmt.Errorf("points: %w", err), nil
	}

	s.mu.Lock()
	s.result, s.err, s.running = all, err, nil
	if err == nil && gen == s.gen {
		s.cached, s.at = all, s.now()
	}
	s.mu.Unlock()
	close(done)
	return all, err
}

// monthStart is the first instant of t's month in UTC.
func monthStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// Board returns the ranking of the month that contains month.
func (s *Service) Board(ctx context.Context, month time.Time) (*Board, error) {
	s.mu.Lock()
	t := s.tally
	s.mu.Unlock()
	if t != nil {
		return s.monthBoard(ctx, t, month)
	}
	all, err := s.contributions(ctx)
	if err != nil {
		return nil, err
	}
	return s.board(all, month), nil
}

// board ranks the contributions of the month that contains month.
func (s *Service) board(all []Contribution, month time.Time) *Board {
	from := monthStart(month)
	to := from.AddDate(0, 1, 0)
	byUser := map[string]*Entry{}
	for _, c := range all {
		w := s.weights[c.Kind]
		if w == 0 || c.At.Before(from) || !c.At.Before(to) {
			continue
		}
		e := byUser[c.UserID]
		if e == nil {
			e = &Entry{UserID: c.UserID, Counts: map[string]int{}}
			byUser[c.UserID] = e
		}
		if c.Name != "" {
			e.Name = c.Name
		}
		e.Points += w
		e.Counts[c.Kind]++
	}
	b := &Board{Month: from}
	for _, e := range byUser {
		if e.Name == "" {
			e.Name = e.UserID
		}
		b.Entries = append(b.Entries, *e)
	}
	slices.SortFunc(b.Entries, func(a, b Entry) int {
		return cmp.Or(cmp.Compare(b.Points, a.Points), strings.Compare(a.Name, b.Name), strings.Compare(a.UserID, b.UserID))
	})
	for i := range b.Entries {
		b.Entries[i].Rank = i + 1
		if i > 0 && b.Entries[i].Points == b.Entries[i-1].Points {
			b.Entries[i].Rank = b.Entries[i-1].Rank // ties share a rank
		}
	}
	if len(b.Entries) > MaxEntries {
		b.Entries = b.Entries[:MaxEntries]
	}
	return b
}

// Badges returns userID's badges, in a fixed order.
func (s *Service) Badges(ctx context.Context, userID string) ([]string, error) {
	s.mu.Lock()
	t := s.tally
	s.mu.Unlock()
	var all []Contribution
	var b *Board
	var err error
	if t != nil {
		// One person record and the month's ranking (cached), not everything.
		if all, err = s.personContributions(ctx, t, userID); err == nil {
			b, err = s.monthBoard(ctx, t, s.now())
		}
	} else if all, err = s.contributions(ctx); err == nil {
		b = s.board(all, s.now()) // the same contributions: computed once per view
	}
	if err != nil {
		return nil, err
	}
	counts := map[string]int{}
	total := 0
	for _, c := range all {
		if c.UserID == userID && s.weights[c.Kind] != 0 {
			counts[c.Kind]++
			total++
		}
	}
	badges := []string{}
	if total > 0 {
		badges = append(badges, BadgeNewcomer)
	}
	if counts[KindPack] >= PacksBadge {
		badges = append(badges, BadgePacks)
	}
	if counts[KindStory] >= StoriesBadge {
		badges = append(badges, BadgeStories)
	}
	for _, e := range b.Entries {
		if e.Rank <= StarTop && e.UserID == userID && e.Points > 0 {
			badges = append(badges, BadgeStar)
			break
		}
	}
	return badges, nil
}
