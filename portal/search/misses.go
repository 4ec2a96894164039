package search

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jinnang/jinnang/portal/index/lang"
	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/record"
)

// Bounds of the miss counts: the store cost does not grow with traffic.
const (
	missPrefix = "search/misses/"
	// MaxMissQueries is how many distinct queries one week keeps; later
	// new ones are not counted (the ones kept still are).
	MaxMissQueries = 1000
	// maxMissRunes bounds a counted query.
	maxMissRunes = 50
	// maxMissBytes bounds a week's record when read.
	maxMissBytes   = 1 << 20
	modifyAttempts = 5
	// TopMisses is how many queries a week shows.
	TopMisses = 50
)

// Count is how often a query found nothing (Zero) or only partial matches
// (Low) in a week.
type Count struct {
	Zero int `json:"zero"`
	Low  int `json:"low"`
}

// weekRecord is one week's object: query → counts. It holds no user
// identity, no time finer than the week, no address.
type weekRecord struct {
	Week    string            `json:"week"`
	Queries map[string]*Count `json:"queries"`
}

// Miss is one counted query.
type Miss struct {
	Query     string
	Zero, Low int
}

// Week is one week's most frequent misses.
type Week struct {
	Week   string    // e.g. 2026-W09
	Start  time.Time // its Monday
	Misses []Miss    // most frequent first, at most TopMisses
	Total  int       // distinct queries counted
}

// WeekKey names the ISO week of t, e.g. 2026-W09.
func WeekKey(t time.Time) string {
	y, w := t.ISOWeek()
	return fmt.Sprintf("%04d-W%02d", y, w)
}

func weekStart(t time.Time) time.Time {
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
	return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
}

// Record counts a submitted query that found nothing (hits 0) or only
// partial matches (weak); other queries are not counted. Counts are kept
// in memory until Flush.
func (s *Service) Record(query string, hits int, weak bool) {
	if hits > 0 && !weak {
		return
	}
	q := strings.Join(strings.Fields(lang.Normalize(query)), " ")
	if q == "" {
		return
	}
	if utf8.RuneCountInString(q) > maxMissRunes {
		q = string([]rune(q)[:maxMissRunes])
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	wk := WeekKey(s.now())
	m := s.pending[wk]
	if m == nil {
		m = map[string]*Count{}
		s.pending[wk] = m
	}
	c := m[q]
	if c == nil {
		if len(m) >= MaxMissQueries {
			return
		}
		c = &Count{}
		m[q] = c
	}
	if hits == 0 {
		c.Zero++
	} else {
		c.Low++
	}
}

// Flush merges the counts kept in memory into the week objects, one
// conditional read-modify-write per week. Counts that could not be written
// are kept for the next Flush.
func (s *Service) Flush(ctx context.Context) error {
	s.mu.Lock()
	taken := s.pending
	s.pending = map[string]map[string]*Count{}
	s.mu.Unlock()
	var errs []error
	for wk, counts := range taken {
		if err := s.merge(ctx, wk, counts); err != nil {
			errs = append(errs, err)
			s.mu.Lock()
			for q, c := range counts {
				if p := s.pending[wk]; p == nil {
					s.pending[wk] = map[string]*Count{}
				}
				if cur := s.pending[wk][q]; cur != nil {
					cur.Zero += c.Zero
					cur.Low += c.Low
				} else {
					s.pending[wk][q] = c
				}
			}
			s.mu.Unlock()
		}
	}
	return errors.Join(errs...)
}

func (s *Service) merge(ctx context.Context, wk string, counts map[string]*Count) error {
	key := missPrefix + wk + ".json"
	add := func(r *weekRecord) {
		if r.Queries == nil {
			r.Queries = map[string]*Count{}
		}
		r.Week = wk
		for q, c := range counts {
			cur := r.Queries[q]
			if cur == nil {
				if len(r.Queries) >= MaxMissQueries {
					continue
				}
				cur = &Count{}
				r.Queries[q] = cur
			}
			cur.Zero += c.Zero
			cur.Low += c.Low
		}
	}
	err := record.Retry(ctx, modifyAttempts, func(int) error {
		_, _, err := record.Modify(ctx, s.store, key, maxMissBytes, 1, func(r *weekRecord) error {
			add(r)
			return nil
		})
		switch {
		case err == nil:
			return nil
		case errors.Is(err, store.ErrNotFound):
			var r weekRecord
			add(&r)
			_, err = record.Write(ctx, s.store, key, &r, store.PutOptions{IfNoneMatch: true})
			if err == nil {
				return nil
			}
			if !errors.Is(err, store.ErrPrecondition) {
				return fmt.Errorf("search misses %s: %w", wk, err)
			}
			return record.Conflict(err)
		case errors.Is(err, store.ErrPrecondition):
			return record.Conflict(err)
		default:
			return fmt.Errorf("search misses %s: %w", wk, err)
		}
	})
	if errors.Is(err, record.ErrContended) {
		return fmt.Errorf("search misses %s: %w", wk, err)
	}
	return err
}

// Misses returns the last weeks weeks (this one first), each with its most
// frequent misses; a week without a record has none. Counts still in memory
// are flushed first.
func (s *Service) Misses(ctx context.Context, weeks int) ([]Week, error) {
	if err := s.Flush(ctx); err != nil {
		s.log.Warn("flush search misses", "err", err)
	}
	now := s.now()
	out := make([]Week, 0, weeks)
	for i := range weeks {
		t := now.AddDate(0, 0, -7*i)
		w := Week{Week: WeekKey(t), Start: weekStart(t)}
		var r weekRecord
		_, err := record.Read(ctx, s.store, missPrefix+w.Week+".json", &r, maxMissBytes)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return nil, err
		default:
			for q, c := range r.Queries {
				if c != nil {
					w.Misses = append(w.Misses, Miss{Query: q, Zero: c.Zero, Low: c.Low})
				}
			}
		}
		slices.SortFunc(w.Misses, func(a, b Miss) int {
			if c := cmp.Compare(b.Zero+b.Low, a.Zero+a.Low); c != 0 {
				return c
			}
			if c := cmp.Compare(b.Zero, a.Zero); c != 0 {
				return c
			}
			return strings.Compare(a.Query, b.Query)
		})
		w.Total = len(w.Misses)
		w.Misses = w.Misses[:min(len(w.Misses), TopMisses)]
		out = append(out, w)
	}
	return out, nil
}
