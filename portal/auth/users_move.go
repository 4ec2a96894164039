package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/jinnang/jinnang/portal/store"
)

// MoveDepartment sets the department of userID's profile to to when it is
// from (a merge of departments; the next sign-in sets it from the identity
// provider again). It reports whether the profile changed; a user without
// a profile is no change.
func (u *Users) MoveDepartment(ctx context.Context, userID, from, to string) (bool, error) {
	p, err := u.Get(ctx, userID)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, errCorrupt) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if p.Department != from {
		return false, nil
	}
	changed := false
	_, err = u.modify(ctx, userID, false, func(p *Profile) {
		if p.Department == from {
			p.Department, changed = to, true
		}
	})
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("auth: move department of %s: %w", userID, err)
	}
	return changed, nil
}
