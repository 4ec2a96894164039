package record

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/store"
)

func TestPauseBounds(t *testing.T) {
	for n := 1; n <= 40; n++ {
		hi := min(time.Duration(1+4*n)*time.Millisecond, maxPause)
		mid := (time.Millisecond + hi) / 2
		var seenLow, seenHigh bool
		for range 2000 {
			d := pause(n)
			if d < time.Millisecond || d > hi {
				t.Fatalf("pause(%d) = %v, want within [1ms, %v] (1 ms + up to 4 ms per attempt, capped)", n, d, hi)
			}
			seenLow = seenLow || d < mid
			seenHigh = seenHigh || d >= mid
		}
		if !seenLow || !seenHigh {
			t.Errorf("pause(%d) is not jittered across its range (low %v, high %v)", n, seenLow, seenHigh)
		}
	}
}

func TestRetryStopsOnSuccessAndOtherErrors(t *testing.T) {
	ctx := t.Context()
	var calls []int
	err := Retry(ctx, 5, func(attempt int) error {
		calls = append(calls, attempt)
		if attempt < 2 {
			return Conflict(nil)
		}
		return nil
	})
	if err != nil || fmt.Sprint(calls) != "[0 1 2]" {
		t.Fatalf("Retry: %v after attempts %v, want nil after [0 1 2]", err, calls)
	}
	boom := errors.New("boom")
	n := 0
	err = Retry(ctx, 5, func(int) error { n++; return boom })
	if !errors.Is(err, boom) || n != 1 {
		t.Fatalf("Retry of a non-conflict error: %v after %d calls, want boom after 1", err, n)
	}
	// A bare ErrPrecondition (not marked) is not retried either.
	n = 0
	err = Retry(ctx, 5, func(int) error { n++; return store.ErrPrecondition })
	if !errors.Is(err, store.ErrPrecondition) || n != 1 {
		t.Fatalf("Retry of an unmarked precondition: %v after %d calls", err, n)
	}
}

func TestRetryGivesUp(t *testing.T) {
	n := 0
	err := Retry(t.Context(), 4, func(attempt int) error {
		n++
		return Conflict(fmt.Errorf("write k (attempt %d): %w", attempt, store.ErrPrecondition))
	})
	if n != 4 {
		t.Fatalf("fn ran %d times, want 4", n)
	}
	if !errors.Is(err, store.ErrPrecondition) || !errors.Is(err, ErrContended) {
		t.Fatalf("give-up error %v does not wrap ErrPrecondition and ErrContended", err)
	}
	if errors.Is(err, ErrConflict) {
		t.Fatalf("give-up error %v is still a conflict: an outer Retry would retry it", err)
	}
	if want := "attempt 3"; !strings.Contains(err.Error(), want) {
		t.Fatalf("give-up error %q does not wrap the last conflict (%s)", err, want)
	}
	// Nested: the outer loop does not retry an inner give-up.
	outer := 0
	err = Retry(t.Context(), 3, func(int) error {
		outer++
		return Retry(t.Context(), 2, func(int) error { return Conflict(nil) })
	})
	if outer != 1 || !errors.Is(err, store.ErrPrecondition) {
		t.Fatalf("outer Retry ran %d times (%v), want 1", outer, err)
	}
}

func TestRetryHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	n := 0
	err := Retry(ctx, 1000, func(int) error {
		n++
		if n == 3 {
			cancel()
		}
		return Conflict(nil)
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Retry after cancel: %v, want context.Canceled", err)
	}
	if n != 3 {
		t.Fatalf("fn ran %d times, want 3 (no attempt after cancel)", n)
	}
}

// TestModifyConcurrentWriters: every one of 16 writers racing on one record
// lands (the immediate retry of the old loops lost some under -race).
func TestModifyConcurrentWriters(t *testing.T) {
	ctx := t.Context()
	st, err := store.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Write(ctx, st, "n.json", counter{}, store.PutOptions{IfNoneMatch: true}); err != nil {
		t.Fatal(err)
	}
	const writers, each = 16, 3
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for range writers {
		wg.Go(func() {
			for range each {
				if _, _, err := Modify(ctx, st, "n.json", 1024, 16, func(c *counter) error { c.N++; return nil }); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("Modify: %v", err)
	}
	var c counter
	if _, err := Read(ctx, st, "n.json", &c, 1024); err != nil {
		t.Fatal(err)
	}
	if c.N != writers*each {
		t.Fatalf("counter = %d, want %d", c.N, writers*each)
	}
}

func TestModifyGivesUp(t *testing.T) {
	ctx := t.Context()
	st, err := store.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Write(ctx, st, "n.json", counter{}, store.PutOptions{IfNoneMatch: true}); err != nil {
		t.Fatal(err)
	}
	n := 0
	_, _, err = Modify(ctx, st, "n.json", 1024, 3, func(c *counter) error {
		n++
		// A rival write between our read and our write, every time.
		_, werr := Write(ctx, st, "n.json", counter{N: 100 + n}, store.PutOptions{})
		return werr
	})
	if n != 3 || !errors.Is(err, store.ErrPrecondition) || errors.Is(err, ErrConflict) {
		t.Fatalf("Modify against a rival on every attempt: %v after %d attempts", err, n)
	}
}

func TestConflictIf(t *testing.T) {
	if err := ConflictIf(nil); err != nil {
		t.Errorf("ConflictIf(nil) = %v", err)
	}
	if err := ConflictIf(store.ErrNotFound); errors.Is(err, ErrConflict) {
		t.Errorf("ConflictIf(ErrNotFound) is a conflict")
	}
	lost := fmt.Errorf("write k: %w", store.ErrPrecondition)
	if err := ConflictIf(lost); !errors.Is(err, ErrConflict) || !errors.Is(err, store.ErrPrecondition) || err.Error() != lost.Error() {
		t.Errorf("ConflictIf(%v) = %v, want the same error marked as a conflict", lost, err)
	}
	gaveUp := Retry(t.Context(), 1, func(int) error { return Conflict(nil) })
	if err := ConflictIf(gaveUp); errors.Is(err, ErrConflict) {
		t.Errorf("ConflictIf of an inner give-up (%v) is retried again", err)
	}
}
