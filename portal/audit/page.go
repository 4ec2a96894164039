package audit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Page limits.
const (
	// MaxPage is the most entries one page holds.
	MaxPage = 50
	// MaxScan is the most entries one page reads to apply its filters.
	MaxScan = 2000
	// MaxScanDays is the most day prefixes one page lists.
	MaxScanDays = 400
	// skew is how far ahead of the log's clock another process's clock may
	// be: a walk starts on the day of clock()+skew.
	skew = 10 * time.Minute
)

// ErrCursor means a Query.Before is not a cursor Page returned.
var ErrCursor = errors.New("audit: invalid cursor")

// Query selects one page of the log, newest first.
type Query struct {
	// Before continues a listing: only entries older than the cursor, as
	// returned in Page.Next. Empty starts at the newest entry. A day
	// "YYYY/MM/DD/" is also a cursor: entries before that day.
	Before string
	// Action and Actor keep only entries with exactly that action or actor.
	Action, Actor string
	// Kind keeps only entries of one area: the action is Kind or starts
	// with Kind + "." ("story" keeps story.create and story.comment).
	Kind string
	// Limit is the page size; ≤ 0 or over MaxPage means MaxPage.
	Limit int
}

// Page is one page of the log.
type Page struct {
	Entries []Entry // newest first
	// Next is the cursor of the following (older) page; empty when no older
	// entries remain.
	Next string
	// Capped says the scan limits (MaxScan, MaxScanDays) ended the page
	// before it was full: older entries may still match; follow Next.
	Capped bool
}

// Page returns up to q.Limit entries matching q, newest first. It walks day
// prefixes backwards from today (or from the cursor), skipping empty months
// and years with one probe each, reads entries newest first and stops when
// the page is full or a scan limit is reached, so its store work is bounded
// by the page, not by the size of the log.
func (l *Log) Page(ctx context.Context, q Query) (Page, error) {
	if q.Limit <= 0 || q.Limit > MaxPage {
		q.Limit = MaxPage
	}
	w := walk{l: l, limit: q.Limit, action: q.Action, actor: q.Actor, kind: q.Kind, maxScan: MaxScan, maxDays: MaxScanDays}
	if q.Before != "" {
		day, bound, err := parseCursor(q.Before)
		if err != nil {
			return Page{}, err
		}
		w.start, w.bound = day, bound
	}
	if err := w.run(ctx); err != nil {
		return Page{}, err
	}
	p := Page{Entries: w.entries, Capped: w.capped}
	if w.more {
		p.Next = strings.TrimPrefix(w.next, prefix)
	}
	if p.Entries == nil {
		p.Entries = []Entry{}
	}
	return p, nil
}

// parseCursor checks a cursor ("YYYY/MM/DD/" or a key without the prefix)
// and returns its day and the key bound it stands for.
func parseCursor(c string) (time.Time, string, error) {
	if len(c) < len("2006/01/02/") || c[10] != '/' {
		return time.Time{}, "", fmt.Errorf("%w %q", ErrCursor, c)
	}
	day, err := time.Parse("2006/01/02", c[:10])
	if err != nil || (len(c) > 11 && !isEntryKey(prefix+c)) {
		return time.Time{}, "", fmt.Errorf("%w %q", ErrCursor, c)
	}
	return day, prefix + c, nil
}

// walk is one backwards walk over the day prefixes.
type walk struct {
	l             *Log
	limit         int
	action, actor string
	kind          string
	maxScan       int       // 0: no cap
	maxDays       int       // 0: no cap
	start         time.Time // first day; zero: today
	bound         string    // only keys < bound; empty: all

	entries []Entry
	next    string // the lowest key position processed: the next page's bound
	more    bool   // older entries may remain
	capped  bool
}

func dayPrefix(t time.Time) string { return prefix + t.Format("2006/01/02") + "/" }

// first returns the first entry key under p, if any, with one LIST request.
func (w *walk) first(ctx context.Context, p string) (string, error) {
	for obj, err := range w.l.st.List(ctx, p) {
		if err != nil {
			return "", fmt.Errorf("audit: list %s: %w", p, err)
		}
		if isEntryKey(obj.Key) {
			return obj.Key, nil
		}
	}
	return "", nil
}

func (w *walk) run(ctx context.Context) error {
	oldestKey, err := w.first(ctx, prefix)
	if err != nil || oldestKey == "" {
		return err
	}
	oldest, _ := time.Parse("2006/01/02", oldestKey[len(prefix):len(prefix)+10])
	day := w.start
	if day.IsZero() {
		day = w.l.clock().Add(skew).UTC()
	}
	day = time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
	if w.bound == "" {
		w.bound = dayPrefix(day.AddDate(0, 0, 1))
	}
	scanned, days := 0, 0
	probedMonth, probedYear := "", "" // the last month/year found to hold entries
	for !day.Before(oldest) {
		if w.maxDays > 0 && days >= w.maxDays {
			w.capped, w.more, w.next = true, true, w.bound
			return nil
		}
		if m := day.Format("2006/01"); m != probedMonth {
			days++
			k, err := w.first(ctx, prefix+m+"/")
			if err != nil {
				return err
			}
			if k == "" {
				// An empty month: is the whole year empty?
				if y := day.Format("2006"); y != probedYear {
					days++
					k, err := w.first(ctx, prefix+y+"/")
					if err != nil {
						return err
					}
					if k == "" {
						day = time.Date(day.Year(), 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -1)
						w.bound = dayPrefix(day.AddDate(0, 0, 1))
						continue
					}
					probedYear = y
				}
				day = time.Date(day.Year(), day.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -1)
				w.bound = dayPrefix(day.AddDate(0, 0, 1))
				continue
			}
			probedMonth = m
		}
		days++
		var keys []string
		for obj, err := range w.l.st.List(ctx, dayPrefix(day)) {
			if err != nil {
				return fmt.Errorf("audit: list %s: %w", dayPrefix(day), err)
			}
			if obj.Key < w.bound && isEntryKey(obj.Key) {
				keys = append(keys, obj.Key)
			}
		}
		slices.Sort(keys)
		for i := len(keys) - 1; i >= 0; i-- {
			if w.maxScan > 0 && scanned >= w.maxScan {
				w.capped, w.more, w.next = true, true, w.bound
				return nil
			}
			scanned++
			e, err := w.l.read(ctx, keys[i])
			if err != nil {
				return err
			}
			w.bound = keys[i]
			if (w.action != "" && e.Action != w.action) || (w.actor != "" && e.Actor != w.actor) ||
				(w.kind != "" && e.Action != w.kind && !strings.HasPrefix(e.Action, w.kind+".")) {
				continue
			}
			w.entries = append(w.entries, e)
			if len(w.entries) >= w.limit {
				w.next = w.bound
				w.more = i > 0 || day.After(oldest)
				return nil
			}
		}
		w.bound = dayPrefix(day)
		day = day.AddDate(0, 0, -1)
	}
	return nil
}
