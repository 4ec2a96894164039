package outbox

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/jinnang/jinnang/portal/store"
)

func TestAddReplay(t *testing.T) {
	ctx := t.Context()
	st, err := store.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	o := New(st, "outbox/things/")
	for _, id := range []string{"a", "b", "a", "BAD"} { // a twice: one entry
		if err := o.Add(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	valid := func(id string) bool { return id != "BAD" }
	down := errors.New("index down")
	n, err := o.Replay(ctx, valid, func(context.Context, string) error { return down }, log)
	if !errors.Is(err, down) || n != 1 { // "BAD" sorts first and is dropped; "a" fails
		t.Fatalf("replay while down: n=%d err=%v; want 1 cleared and the failure", n, err)
	}
	var synced []string
	n, err = o.Replay(ctx, valid, func(_ context.Context, id string) error { synced = append(synced, id); return nil }, log)
	if err != nil || n != 2 || len(synced) != 2 || synced[0] != "a" || synced[1] != "b" {
		t.Fatalf("replay: n=%d err=%v synced=%v; want a and b synced once and cleared", n, err, synced)
	}
	for _, err := range st.List(ctx, "outbox/") {
		t.Fatalf("entries left after replay (err %v)", err)
	}
}
