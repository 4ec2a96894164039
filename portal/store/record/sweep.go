package record

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jinnang/jinnang/portal/store"
)

// SweepOrphans removes what a crashed write left behind. The objects under
// prefix are grouped by the key segment after it (prefix "stories/" groups
// stories/<id>/…); a group is an orphan when the record that owns it,
// recordKey(id), does not exist (it may lie inside the group or elsewhere)
// and every object of the group was written before the cutoff. Writers store
// a record's parts first and the record last, so a group without its record
// is either being written right now (younger than the cutoff) or was
// abandoned. It returns how many objects it removed.
func SweepOrphans(ctx context.Context, st store.Store, prefix string, recordKey func(id string) string, before time.Time) (int, error) {
	removed := 0
	var (
		id    string
		keys  []string
		young bool
		found bool // the record is inside the group
	)
	flush := func() error {
		defer func() { id, keys, young, found = "", nil, false, false }()
		if id == "" || young || found {
			return nil
		}
		if rk := recordKey(id); !strings.HasPrefix(rk, prefix+id+"/") {
			_, err := st.Stat(ctx, rk)
			if err == nil {
				return nil
			}
			if !errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("sweep %s%s: %w", prefix, id, err)
			}
		}
		for _, k := range keys {
			if err := st.Delete(ctx, k); err != nil {
				return fmt.Errorf("sweep %s: %w", k, err)
			}
			removed++
		}
		return nil
	}
	for obj, err := range st.List(ctx, prefix) {
		if err != nil {
			return removed, fmt.Errorf("sweep %s: %w", prefix, err)
		}
		g, _, ok := strings.Cut(strings.TrimPrefix(obj.Key, prefix), "/")
		if !ok {
			continue // a key directly under prefix is not a group member
		}
		if g != id {
			if err := flush(); err != nil {
				return removed, err
			}
			id = g
		}
		keys = append(keys, obj.Key)
		if !obj.ModTime.Before(before) {
			young = true
		}
		if obj.Key == recordKey(id) {
			found = true
		}
	}
	if err := flush(); err != nil {
		return removed, err
	}
	return removed, nil
}
