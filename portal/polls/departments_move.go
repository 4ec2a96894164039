package polls

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/record"
)

// MoveDepartment moves department from into to in every poll (a merge of
// departments): the audience and the owning department of each poll, the
// department of each vote cast from from, and the per-department counts
// of the tally. Each record is rewritten with If-Match, only when it
// names from, so a move cut short is finished by running it again. It
// returns how many polls changed.
func (s *Service) MoveDepartment(ctx context.Context, from, to string) (int, error) {
	if from == "" || to == "" || from == to {
		return 0, fmt.Errorf("%w: move department %q into %q", ErrInvalid, from, to)
	}
	entries, err := s.catalog(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range entries {
		changed, err := s.movePoll(ctx, e.id, from, to)
		if err != nil {
			return n, err
		}
		if changed {
			n++
		}
	}
	return n, nil
}

// movePoll moves from into to in one poll, its votes and its tally.
func (s *Service) movePoll(ctx context.Context, id, from, to string) (bool, error) {
	changed := false
	p, _, err := modify(ctx, s.st, pollKey(id), func(p *Poll) error {
		i := slices.Index(p.Departments, from)
		if i < 0 && p.OwnerDept != from {
			return errUnchanged
		}
		if i >= 0 {
			p.Departments[i] = to
			slices.Sort(p.Departments)
			p.Departments = slices.Compact(p.Departments)
		}
		if p.OwnerDept == from {
			p.OwnerDept = to
		}
		changed = true
		return nil
	})
	switch {
	case errors.Is(err, errUnchanged):
		if p, err = s.Get(ctx, id); err != nil {
			return false, skipGone(err)
		}
	case err != nil:
		return false, skipGone(err)
	}
	var t tally
	_, err = readJSON(ctx, s.st, tallyKey(id), &t)
	missing := errors.Is(err, store.ErrNotFound) || errors.Is(err, record.ErrCorrupt)
	if err != nil && !missing {
		return changed, fmt.Errorf("polls: move department: tally of %s: %w", id, err)
	}
	if !missing && t.ByDept[from] == 0 {
		return changed, nil
	}
	// Votes first, then the tally: a tally rebuilt from the votes agrees.
	moved, err := s.moveVotes(ctx, id, from, to)
	if err != nil {
		return changed, err
	}
	if missing {
		return changed || moved > 0, nil // the next Results counts the moved votes
	}
	_, _, err = modify(ctx, s.st, tallyKey(id), func(t *tally) error {
		if t.ByDept[from] == 0 {
			return errUnchanged
		}
		t.fit(p)
		t.ByDept[to] += t.ByDept[from]
		delete(t.ByDept, from)
		return nil
	})
	if err != nil && !errors.Is(err, errUnchanged) && !errors.Is(err, store.ErrNotFound) {
		return changed, fmt.Errorf("polls: move department: tally of %s: %w", id, err)
	}
	return true, nil
}

// moveVotes sets the department of p's votes cast from from to to.
func (s *Service) moveVotes(ctx context.Context, id, from, to string) (int, error) {
	var keys []string
	for obj, err := range s.st.List(ctx, votesPrefix(id)) {
		if err != nil {
			return 0, fmt.Errorf("polls: move department: votes of %s: %w", id, err)
		}
		keys = append(keys, obj.Key)
	}
	n := 0
	for _, k := range keys {
		_, _, err := modify(ctx, s.st, k, func(v *Vote) error {
			if v.Department != from {
				return errUnchanged
			}
			v.Department = to
			return nil
		})
		switch {
		case err == nil:
			n++
		case errors.Is(err, errUnchanged), record.Skip(err), errors.Is(err, store.ErrNotFound):
		default:
			return n, fmt.Errorf("polls: move department: vote of %s: %w", id, err)
		}
	}
	return n, nil
}

// errUnchanged stops a modify that has nothing to write.
var errUnchanged = errors.New("polls: unchanged")

// skipGone treats a poll deleted meanwhile as nothing to move.
func skipGone(err error) error {
	if errors.Is(err, store.ErrNotFound) || record.Skip(err) {
		return nil
	}
	return fmt.Errorf("polls: move department: %w", err)
}
