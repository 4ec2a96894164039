package stories

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/jinnang/jinnang/portal/store"
)

// TestIDsFromMarkersNotEveryLikeKey: the story IDs come from one marker
// per story (a bounded listing), not from walking every like and comment
// key under stories/; stories from before the markers are found by the
// first walk, which builds them.
func TestIDsFromMarkersNotEveryLikeKey(t *testing.T) {
	disk, err := store.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cs := store.Counting(disk)
	s, _ := newService(t, cs)
	ctx := context.Background()
	var want []string
	for i := range 4 {
		st := create(t, s, alice, fmt.Sprintf("故事%d", i), 0)
		want = append(want, st.ID)
		for j := range 30 {
			if _, err := s.Like(ctx, st.ID, fmt.Sprintf("dev:u%02d", j)); err != nil {
				t.Fatal(err)
			}
		}
	}
	// A story from before the markers: its marker is missing.
	if err := cs.Delete(ctx, idMarkerKey(want[0])); err != nil {
		t.Fatal(err)
	}
	slices.Sort(want)
	got, err := s.ids(ctx) // no built marker yet: walks and builds
	slices.Sort(got)
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("first ids = %v, %v; want %v", got, err, want)
	}
	cs.Reset()
	got, err = s.ids(ctx)
	slices.Sort(got)
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("ids = %v, %v; want %v", got, err, want)
	}
	if c := cs.Counts(); c.Listed > int64(len(want)) || c.Ops() > 2 {
		t.Errorf("ids with 120 likes stored listed %d keys in %d ops, want ≤ %d keys in 2 ops", c.Listed, c.Ops(), len(want))
	}
	n, err := s.Reindex(ctx, nil)
	if err != nil || n != len(want) {
		t.Errorf("Reindex = %d, %v; want %d", n, err, len(want))
	}
}
