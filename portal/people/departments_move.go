package people

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/record"
)

// MoveDepartment moves every member of department from into department to
// (a merge of departments): each person's record and both rosters (Join),
// then from leaves the department list. It reads from's roster, so a move
// cut short is finished by running it again. It returns how many people
// moved.
func (d *Directory) MoveDepartment(ctx context.Context, from, to string) (int, error) {
	if from == to {
		return 0, fmt.Errorf("people: move department %q into itself", from)
	}
	members, err := d.Members(ctx, from)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, m := range members {
		var p person
		_, err := record.Read(ctx, d.st, personKey(m.ID), &p, maxPerson)
		switch {
		case err == nil && p.Department != from:
			// Listed under from but already elsewhere: drop the stale entry.
			if err := d.upsert(ctx, rosterKey(from), from, func(r *roster) { delete(r.Members, m.ID) }); err != nil {
				return n, err
			}
			continue
		case err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, record.ErrCorrupt):
			return n, fmt.Errorf("people: move department: %w", err)
		}
		if err := d.Join(ctx, m.ID, m.Name, to); err != nil {
			return n, fmt.Errorf("people: move department: %w", err)
		}
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, record.ErrCorrupt) {
			// Join did not know the old roster: take the entry out of from's.
			if err := d.upsert(ctx, rosterKey(from), from, func(r *roster) { delete(r.Members, m.ID) }); err != nil {
				return n, err
			}
		}
		n++
	}
	return n, d.removeDepartment(ctx, from)
}

// removeDepartment takes dept off the department list.
func (d *Directory) removeDepartment(ctx context.Context, dept string) error {
	err := record.Retry(ctx, attempts, func(int) error {
		var names []string
		etag, err := record.Read(ctx, d.st, deptsKey, &names, maxPerson*64)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("people: departments: %w", err)
		}
		i := slices.Index(names, dept)
		if i < 0 {
			return nil
		}
		names = slices.Delete(names, i, i+1)
		_, err = record.Write(ctx, d.st, deptsKey, names, store.PutOptions{IfMatch: etag})
		if errors.Is(err, store.ErrPrecondition) || errors.Is(err, store.ErrNotFound) {
			return record.Conflict(err)
		}
		return err
	})
	if errors.Is(err, record.ErrContended) {
		return fmt.Errorf("people: departments: %w", err)
	}
	return err
}
