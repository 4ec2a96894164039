package record

import (
	"strings"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/store"
)

func TestSweepOrphans(t *testing.T) {
	ctx := t.Context()
	st, err := store.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{
		"stories/aaa/story.json", "stories/aaa/img/1.jpg", // complete
		"stories/bbb/img/1.jpg", "stories/bbb/thumb/1.jpg", // orphan
		"items/ccc.json", "images/ccc/1.jpg", // record elsewhere
		"images/ddd/1.jpg", // orphan, record elsewhere
	} {
		if _, err := st.Put(ctx, k, strings.NewReader("x"), store.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	inside := func(id string) string { return "stories/" + id + "/story.json" }
	// Nothing is older than a cutoff in the past: all groups are young.
	if n, err := SweepOrphans(ctx, st, "stories/", inside, time.Now().Add(-24*time.Hour)); err != nil || n != 0 {
		t.Fatalf("young orphans swept: %d, %v", n, err)
	}
	later := time.Now().Add(time.Minute)
	if n, err := SweepOrphans(ctx, st, "stories/", inside, later); err != nil || n != 2 {
		t.Fatalf("swept %d, %v; want the 2 objects of bbb", n, err)
	}
	if n, err := SweepOrphans(ctx, st, "images/", func(id string) string { return "items/" + id + ".json" }, later); err != nil || n != 1 {
		t.Fatalf("swept %d, %v; want images/ddd/1.jpg", n, err)
	}
	var left []string
	for o, err := range st.List(ctx, "") {
		if err != nil {
			t.Fatal(err)
		}
		left = append(left, o.Key)
	}
	want := "images/ccc/1.jpg items/ccc.json stories/aaa/img/1.jpg stories/aaa/story.json"
	if got := strings.Join(left, " "); got != want {
		t.Errorf("left %q, want %q", got, want)
	}
}
