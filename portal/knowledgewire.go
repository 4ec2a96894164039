package portal

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jinnang/jinnang/portal/auth"
	"github.com/jinnang/jinnang/portal/store/record"

	"github.com/jinnang/jinnang/portal/config"
	"github.com/jinnang/jinnang/portal/paths"
	"github.com/jinnang/jinnang/portal/people"
	"github.com/jinnang/jinnang/portal/store"
)

// openKnowledge builds reading paths and the people directory. Read marks
// are named by a keyed hash, so their key must be the same in every process
// and across restarts: derived from cfg.SecretKey, or (dev) from the root
// key kept in the store, as for suggestion receipts.
func openKnowledge(ctx context.Context, cfg config.Config, st store.Store) (*paths.Service, *people.Directory, error) {
	root := []byte(cfg.SecretKey)
	if len(root) == 0 {
		var err error
		if root, err = storedKey(ctx, st); err != nil {
			return nil, nil, fmt.Errorf("reading-path key: %w", err)
		}
	}
	ps, err := paths.New(st, deriveKey(root, "jinnang/paths/v1"), time.Now)
	if err != nil {
		return nil, nil, err
	}
	return ps, people.New(st, time.Now), nil
}

// knowledgeUpkeep backfills pack records once and purges the trash of packs
// deleted longer than the restore window ago.
func (a *app) knowledgeUpkeep(ctx context.Context) error {
	var errs []error
	if n, err := a.packs.Backfill(ctx); err != nil {
		errs = append(errs, fmt.Errorf("pack records backfill incomplete: %w", err))
	} else if n > 0 {
		a.log.Info("made history records for existing packs", "packs", n)
	}
	if n, err := a.people.Backfill(ctx, profiles(ctx, a.store)); err != nil {
		errs = append(errs, fmt.Errorf("directory backfill from profiles incomplete: %w", err))
	} else if n > 0 {
		a.log.Info("directory filled from sign-in profiles", "people", n)
	}
	if n, err := a.packs.PurgeDeleted(ctx); err != nil {
		errs = append(errs, fmt.Errorf("purge deleted packs: %w", err))
	} else if n > 0 {
		a.log.Info("purged packs deleted more than 30 days ago", "packs", n)
	}
	return errors.Join(errs...)
}

// profiles yields the sign-in profiles kept by auth.Users
// (users/<hash>.json), skipping the records kept under each user.
func profiles(ctx context.Context, st store.Store) func(yield func(people.Profile, error) bool) {
	return func(yield func(people.Profile, error) bool) {
		for obj, err := range st.List(ctx, "users/") {
			if err != nil {
				yield(people.Profile{}, err)
				return
			}
			name, ok := strings.CutSuffix(strings.TrimPrefix(obj.Key, "users/"), ".json")
			if !ok || strings.Contains(name, "/") {
				continue
			}
			var p auth.Profile
			if _, err := record.Read(ctx, st, obj.Key, &p, 64<<10); err != nil {
				if errors.Is(err, store.ErrNotFound) || errors.Is(err, record.ErrCorrupt) {
					continue
				}
				yield(people.Profile{}, err)
				return
			}
			if !yield(people.Profile{ID: p.ID, Name: p.Name, Department: p.Department}, nil) {
				return
			}
		}
	}
}
