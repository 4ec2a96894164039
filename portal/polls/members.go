package polls

import (
	"context"
	"fmt"
	"strings"

	"github.com/jinnang/jinnang/portal/auth"
	"github.com/jinnang/jinnang/portal/people"
	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/record"
)

// ProfileMembers counts the members of each department: from the rosters
// of the people directory (one read per department) once it is complete,
// else from the user profiles kept by auth.Users (users/<hash>.json):
// everyone who has signed in at least once, in the department of their
// last sign-in.
func ProfileMembers(st store.Store) Members {
	dir := people.New(st, nil)
	return func(ctx context.Context) (map[string]int, error) {
		if counts, complete, err := dir.Counts(ctx); err != nil {
			return nil, err
		} else if complete {
			return counts, nil
		}
		counts := map[string]int{}
		for obj, err := range st.List(ctx, "users/") {
			if err != nil {
				return nil, fmt.Errorf("list profiles: %w", err)
			}
			name, ok := strings.CutSuffix(strings.TrimPrefix(obj.Key, "users/"), ".json")
			if !ok || strings.Contains(name, "/") {
				continue // post markers and other records under a user
			}
			var p auth.Profile
			_, err := readJSON(ctx, st, obj.Key, &p)
			if record.Skip(err) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("profile: %w", err)
			}
			counts[p.Department]++
		}
		return counts, nil
	}
}
