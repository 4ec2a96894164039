package record

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/jinnang/jinnang/portal/store"
)

type counter struct {
	N int `json:"n"`
}

func TestReadWriteModify(t *testing.T) {
	ctx := t.Context()
	st, err := store.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Write(ctx, st, "c.json", counter{N: 1}, store.PutOptions{IfNoneMatch: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(ctx, st, "c.json", counter{}, store.PutOptions{IfNoneMatch: true}); !errors.Is(err, store.ErrPrecondition) {
		t.Errorf("second create-once write: %v", err)
	}
	var c counter
	if _, err := Read(ctx, st, "missing.json", &c, 1024); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing: %v", err)
	}
	// Concurrent increments: none is lost.
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if _, _, err := Modify(ctx, st, "c.json", 1024, 50, func(c *counter) error { c.N++; return nil }); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if _, err := Read(ctx, st, "c.json", &c, 1024); err != nil || c.N != 11 {
		t.Errorf("after 10 increments: %+v, %v", c, err)
	}
	// Too large or not JSON: corrupt, not retryable.
	if _, err := Write(ctx, st, "big.json", strings.Repeat("x", 100), store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(ctx, st, "big.json", &c, 50); !errors.Is(err, ErrCorrupt) {
		t.Errorf("oversized record: %v", err)
	}
	if _, err := Read(ctx, st, "big.json", &c, 1024); !errors.Is(err, ErrCorrupt) {
		t.Errorf("wrong shape: %v", err)
	}
	// change's error stops Modify without writing.
	stop := errors.New("stop")
	if _, _, err := Modify(ctx, st, "c.json", 1024, 3, func(c *counter) error { c.N = 0; return stop }); !errors.Is(err, stop) {
		t.Errorf("Modify with failing change: %v", err)
	}
	if _, err := Read(ctx, st, "c.json", &c, 1024); err != nil || c.N != 11 {
		t.Errorf("a failed change was written: %+v", c)
	}
}
