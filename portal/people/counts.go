package people

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/record"
)

// countsKey is a derived record: how many members each department has, so
// that Counts reads one object instead of one roster per department. Each
// roster write sets its department's count from the roster read again
// inside an If-Match loop (so of two racing writes the last one counts the
// newest roster); it is rebuilt from the rosters when missing or corrupt,
// and by RebuildCounts.
const countsKey = prefix + "counts.json"

type counts struct {
	Members map[string]int `json:"members"`
}

// setCount brings dept's count in the counts record in line with its
// roster. A missing record is left missing (the next Counts builds it).
func (d *Directory) setCount(ctx context.Context, dept string) error {
	err := record.Retry(ctx, attempts, func(int) error {
		var c counts
		etag, err := record.Read(ctx, d.st, countsKey, &c, maxPerson*64)
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, record.ErrCorrupt) {
			return nil
		}
		if err != nil {
			return err
		}
		var r roster
		if _, err := record.Read(ctx, d.st, rosterKey(dept), &r, maxRoster); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if c.Members == nil {
			c.Members = map[string]int{}
		}
		n, had := c.Members[dept]
		if n == len(r.Members) && (had || n == 0) {
			return nil
		}
		if len(r.Members) == 0 {
			delete(c.Members, dept)
		} else {
			c.Members[dept] = len(r.Members)
		}
		_, err = record.Write(ctx, d.st, countsKey, &c, store.PutOptions{IfMatch: etag})
		if errors.Is(err, store.ErrPrecondition) || errors.Is(err, store.ErrNotFound) {
			return record.Conflict(err)
		}
		return err
	})
	if errors.Is(err, record.ErrContended) {
		return fmt.Errorf("people: counts: %w", err)
	}
	return err
}

// keepCount runs setCount after a roster write; on failure the counts
// record is dropped so the next Counts rebuilds it rather than reading it
// wrong.
func (d *Directory) keepCount(ctx context.Context, dept string) {
	if err := d.setCount(ctx, dept); err != nil {
		_ = d.st.Delete(context.WithoutCancel(ctx), countsKey)
	}
}

// rosterCounts counts the members of every department from the rosters
// (one read per department and one for the names).
func (d *Directory) rosterCounts(ctx context.Context) (map[string]int, error) {
	names, err := d.Departments(ctx)
	if err != nil {
		return nil, fmt.Errorf("people: counts: %w", err)
	}
	out := make(map[string]int, len(names))
	for _, dept := range names {
		var r roster
		_, err := record.Read(ctx, d.st, rosterKey(dept), &r, maxRoster)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("people: members of %q: %w", dept, err)
		}
		if len(r.Members) > 0 {
			out[dept] = len(r.Members)
		}
	}
	return out, nil
}

// RebuildCounts recounts the counts record from the rosters (reindex).
func (d *Directory) RebuildCounts(ctx context.Context) error {
	m, err := d.rosterCounts(ctx)
	if err != nil {
		return err
	}
	_, err = record.Write(ctx, d.st, countsKey, &counts{Members: m}, store.PutOptions{})
	return err
}

// Counts returns how many members each department has, from the counts
// record (built from the rosters when missing), and whether the directory
// is complete: false until Backfill has run on this store, when people who
// signed in before the directory existed may be missing.
func (d *Directory) Counts(ctx context.Context) (map[string]int, bool, error) {
	if _, err := d.st.Stat(ctx, backfillMarker); errors.Is(err, store.ErrNotFound) {
		return nil, false, nil
	} else if err != nil {
		return nil, false, fmt.Errorf("people: counts: %w", err)
	}
	var c counts
	_, err := record.Read(ctx, d.st, countsKey, &c, maxPerson*64)
	if err == nil {
		if c.Members == nil {
			c.Members = map[string]int{}
		}
		return c.Members, true, nil
	}
	if !errors.Is(err, store.ErrNotFound) && !errors.Is(err, record.ErrCorrupt) {
		return nil, false, fmt.Errorf("people: counts: %w", err)
	}
	m, err := d.rosterCounts(ctx)
	if err != nil {
		return nil, false, err
	}
	// Create-once: a concurrent rebuild or update may win.
	if _, err := record.Write(ctx, d.st, countsKey, &counts{Members: maps.Clone(m)}, store.PutOptions{IfNoneMatch: true}); err != nil && !errors.Is(err, store.ErrPrecondition) {
		return nil, false, fmt.Errorf("people: counts: %w", err)
	}
	return m, true, nil
}
