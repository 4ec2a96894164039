package suggest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/record"
)

// The inbox lists suggestions newest first from day markers, without
// reading every suggestion. Each suggestion has two, both holding nothing:
//
//	suggest/days/YYYY-MM-DD/<ref>.json   on its submission date (oldest first)
//	suggest/newest/<m><d>/<ref[:2]>/<ref>.json   the same date inverted: m = 999999−YYYYMM,
//	                                     d = 99−DD, so a listing yields the newest first
//	                                     (<ref[:2]>: no directory of the disk store
//	                                     holds more than a few hundred markers)
//
// Their keys hold only the date (never a time) and the ref the record's own
// key already carries: within a day the order is the ref's, which says
// nothing about who came first. A page walks the newest-first markers of one
// month at a time, backwards, and stops when it is full, so its cost does not
// grow with the history or with a busy month; the first oldest-first marker
// bounds how far back it goes. newestDone records that every suggestion has
// its newest-first marker (written by RebuildInbox, which the first call
// runs when it is missing: stores from before these markers).
const (
	daysPrefix   = "suggest/days/"
	newestPrefix = "suggest/newest/"
	newestDone   = "suggest/newest.done"
)

// Inbox page limits.
const (
	// InboxPage is the most suggestions one inbox page shows.
	InboxPage = 15
	// inboxScan is the most suggestions one page reads to apply its filter.
	inboxScan = 200
	// inboxMonths is the most month listings one page makes.
	inboxMonths = 24
)

func dayMarker(date, ref string) string { return daysPrefix + date + "/" + ref + ".json" }

// newestMonth is the newest-first marker prefix of month (YYYY-MM).
func newestMonth(month time.Time) string {
	return fmt.Sprintf("%s%06d", newestPrefix, 999999-(month.Year()*100+int(month.Month())))
}

// newestMarker is the newest-first marker of a suggestion made on date
// (YYYY-MM-DD); "" for a malformed date.
func newestMarker(date, ref string) string {
	d, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return ""
	}
	if len(ref) < 2 {
		return ""
	}
	return fmt.Sprintf("%s%02d/%s/%s.json", newestMonth(d), 99-d.Day(), ref[:2], ref)
}

// newestMonthOf is the month of a newest-first marker key or month prefix.
func newestMonthOf(key string) (time.Time, bool) {
	rest := strings.TrimPrefix(key, newestPrefix)
	if len(rest) < 6 {
		return time.Time{}, false
	}
	n, err := strconv.Atoi(rest[:6])
	if err != nil || n < 0 {
		return time.Time{}, false
	}
	ym := 999999 - n
	if ym%100 < 1 || ym%100 > 12 {
		return time.Time{}, false
	}
	return time.Date(ym/100, time.Month(ym%100), 1, 0, 0, 0, 0, time.UTC), true
}

// markDay writes the day markers of a suggestion (create-once; an existing
// marker is fine).
func (s *Service) markDay(ctx context.Context, date, ref string) error {
	for _, k := range []string{dayMarker(date, ref), newestMarker(date, ref)} {
		if k == "" {
			continue
		}
		_, err := writeJSON(ctx, s.st, k, struct{}{}, store.PutOptions{IfNoneMatch: true})
		if err != nil && !errors.Is(err, store.ErrPrecondition) {
			return err
		}
	}
	return nil
}

// markNewestFresh records that the newest-first markers are complete when
// there are no suggestions yet (a box is opened before anything can be
// submitted to it), so a new store never pays RebuildInbox.
func (s *Service) markNewestFresh(ctx context.Context) error {
	if s.newest.Load() {
		return nil
	}
	if item, err := s.firstKey(ctx, itemPrefix); err != nil || item != "" {
		return err
	}
	_, err := writeJSON(ctx, s.st, newestDone, struct{}{}, store.PutOptions{IfNoneMatch: true})
	if errors.Is(err, store.ErrPrecondition) {
		err = nil
	}
	return err
}

// InboxResult is one page of the inbox.
type InboxResult struct {
	Items []Suggestion // newest submission date first
	// Next continues the listing (pass it as before); empty on the last page.
	Next string
	// Capped says the scan limit ended the page before it was full.
	Capped bool
}

// Inbox returns up to InboxPage suggestions matching f, by submission date
// newest first, continuing after the cursor before (empty: the newest). It
// walks the newest-first markers a month at a time, backwards, and reads
// only the suggestions it looks at (at most inboxScan), so its cost is
// bounded by the page, not by the history. Stores written before the
// markers existed get them once (RebuildInbox) on the first call.
func (s *Service) Inbox(ctx context.Context, f Filter, before string) (InboxResult, error) {
	month, _ := time.Parse("2006-01", s.clock().AddDate(0, 0, 1).Format("2006-01"))
	if before != "" {
		m, ok := newestMonthOf(before)
		if !strings.HasPrefix(before, newestPrefix) || !ok || strings.Contains(before, "..") {
			return InboxResult{}, fmt.Errorf("%w: inbox cursor %q", ErrInvalid, before)
		}
		month = m
	}
	// The oldest marker only bounds the walk: one this process saw is kept
	// (a newer oldest, after deletes, costs at most some empty listings).
	oldest, _ := s.oldest.Load().(string)
	if oldest == "" {
		var err error
		if oldest, err = s.firstKey(ctx, daysPrefix); err != nil {
			return InboxResult{}, err
		}
	}
	rebuild := oldest == ""
	if rebuild {
		if item, err := s.firstKey(ctx, itemPrefix); err != nil || item == "" {
			return InboxResult{Items: []Suggestion{}}, err
		}
	} else if !s.newest.Load() {
		rc, _, err := s.st.Get(ctx, newestDone)
		switch {
		case errors.Is(err, store.ErrNotFound):
			rebuild = true
		case err != nil:
			return InboxResult{}, fmt.Errorf("suggest: inbox: %w", err)
		default:
			_ = rc.Close()
		}
	}
	if rebuild {
		if _, err := s.RebuildInbox(ctx); err != nil {
			return InboxResult{}, err
		}
		var err error
		if oldest, err = s.firstKey(ctx, daysPrefix); err != nil || oldest == "" {
			return InboxResult{Items: []Suggestion{}}, err
		}
	}
	s.newest.Store(true)
	s.oldest.Store(oldest)
	oldestMonth := monthOf(oldest)
	res := InboxResult{Items: []Suggestion{}}
	scanned, last := 0, ""
	for months := 0; month.Format("2006-01") >= oldestMonth; months++ {
		if months >= inboxMonths {
			res.Capped, res.Next = true, newestMonth(month)
			return res, nil
		}
		for obj, err := range s.st.List(ctx, newestMonth(month)) {
			if err != nil {
				return InboxResult{}, fmt.Errorf("suggest: inbox: %w", err)
			}
			if before != "" && obj.Key <= before {
				continue // at or before the cursor (newer)
			}
			if len(res.Items) >= InboxPage || scanned >= inboxScan {
				// Older markers remain: continue below the last one looked at.
				res.Next, res.Capped = last, len(res.Items) < InboxPage
				return res, nil
			}
			scanned++
			last = obj.Key
			ref := strings.TrimSuffix(obj.Key[strings.LastIndex(obj.Key, "/")+1:], ".json")
			sg, err := s.Get(ctx, ref)
			if record.Skip(err) {
				continue
			}
			if err != nil {
				return InboxResult{}, fmt.Errorf("suggest: inbox: %w", err)
			}
			if (f.Box != "" && sg.Box != f.Box) || (f.Status != "" && sg.Status != f.Status) || (f.Category != "" && sg.Category != f.Category) {
				continue
			}
			res.Items = append(res.Items, *sg)
		}
		month = month.AddDate(0, -1, 0)
	}
	return res, nil
}

// monthOf is the YYYY-MM of a day marker key.
func monthOf(key string) string {
	rest := strings.TrimPrefix(key, daysPrefix)
	if len(rest) < 7 {
		return ""
	}
	return rest[:7]
}

// firstKey is the first key under prefix, or "" (one LIST request).
func (s *Service) firstKey(ctx context.Context, prefix string) (string, error) {
	for obj, err := range s.st.List(ctx, prefix) {
		if err != nil {
			return "", fmt.Errorf("suggest: list %s: %w", prefix, err)
		}
		return obj.Key, nil
	}
	return "", nil
}

// RebuildInbox writes the day marker of every suggestion that lacks one
// (they are derived from the records' dates); reindex runs it. It returns
// how many suggestions it saw.
func (s *Service) RebuildInbox(ctx context.Context) (int, error) {
	n := 0
	err := s.each(ctx, func(sg Suggestion) error {
		if _, err := time.Parse(time.DateOnly, sg.Date); err != nil {
			return nil
		}
		if err := s.markDay(ctx, sg.Date, sg.Ref); err != nil {
			return err
		}
		n++
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("suggest: rebuild inbox: %w", err)
	}
	if _, err := writeJSON(ctx, s.st, newestDone, struct{}{}, store.PutOptions{}); err != nil {
		return n, fmt.Errorf("suggest: rebuild inbox: %w", err)
	}
	return n, nil
}
