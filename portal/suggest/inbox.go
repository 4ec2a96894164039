package suggest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/record"
)

// The inbox lists suggestions newest first from day markers, without
// reading every suggestion:
//
//	suggest/days/YYYY-MM-DD/<ref>.json   {} — one per suggestion, on its submission date
//
// A marker holds nothing, and its key only the date (never a time) and the
// ref the record's own key already carries: within a day the order is the
// ref's, which says nothing about who came first.
const daysPrefix = "suggest/days/"

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

// markDay writes the day marker of a suggestion (create-once; an existing
// marker is fine).
func (s *Service) markDay(ctx context.Context, date, ref string) error {
	_, err := writeJSON(ctx, s.st, dayMarker(date, ref), struct{}{}, store.PutOptions{IfNoneMatch: true})
	if errors.Is(err, store.ErrPrecondition) {
		return nil
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
// newest first, continuing before the cursor before (empty: the newest). It
// lists one month of day markers at a time, backwards, and reads only the
// suggestions it looks at (at most inboxScan), so its cost is bounded by
// the page, not by the history. Stores written before the markers existed
// get them once (RebuildInbox) on the first call.
func (s *Service) Inbox(ctx context.Context, f Filter, before string) (InboxResult, error) {
	if before != "" && (!strings.HasPrefix(before, daysPrefix) || !strings.HasSuffix(before, ".json")) {
		return InboxResult{}, fmt.Errorf("%w: inbox cursor %q", ErrInvalid, before)
	}
	oldest, err := s.firstKey(ctx, daysPrefix)
	if err != nil {
		return InboxResult{}, err
	}
	if oldest == "" {
		if item, err := s.firstKey(ctx, itemPrefix); err != nil || item == "" {
			return InboxResult{Items: []Suggestion{}}, err
		}
		if _, err := s.RebuildInbox(ctx); err != nil {
			return InboxResult{}, err
		}
		if oldest, err = s.firstKey(ctx, daysPrefix); err != nil || oldest == "" {
			return InboxResult{Items: []Suggestion{}}, err
		}
	}
	oldestMonth := monthOf(oldest)
	month, _ := time.Parse("2006-01", s.clock().AddDate(0, 0, 1).Format("2006-01"))
	if before != "" {
		if m, err := time.Parse("2006-01", monthOf(before)); err == nil {
			month = m
		}
	}
	res := InboxResult{Items: []Suggestion{}}
	scanned, last := 0, ""
	for months := 0; month.Format("2006-01") >= oldestMonth; months++ {
		if months >= inboxMonths {
			res.Capped, res.Next = true, daysPrefix+month.Format("2006-01")+"-99/"+strings.Repeat("f", 64)+".json"
			return res, nil
		}
		var keys []string
		for obj, err := range s.st.List(ctx, daysPrefix+month.Format("2006-01")) {
			if err != nil {
				return InboxResult{}, fmt.Errorf("suggest: inbox: %w", err)
			}
			if before == "" || obj.Key < before {
				keys = append(keys, obj.Key)
			}
		}
		slices.Sort(keys)
		for i := len(keys) - 1; i >= 0; i-- {
			if len(res.Items) >= InboxPage || scanned >= inboxScan {
				// Older markers remain: continue below the last one looked at.
				res.Next, res.Capped = last, len(res.Items) < InboxPage
				return res, nil
			}
			scanned++
			last = keys[i]
			ref := strings.TrimSuffix(keys[i][strings.LastIndex(keys[i], "/")+1:], ".json")
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
	return n, nil
}
