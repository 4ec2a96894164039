package record

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jinnang/jinnang/portal/store"
)

// ErrConflict marks an attempt of a conditional write that lost to a
// concurrent writer: Retry runs the attempt again. Make one with Conflict.
var ErrConflict = errors.New("record: concurrent write")

// ErrContended is wrapped by Retry's error when every attempt lost to a
// concurrent writer.
var ErrContended = errors.New("too many concurrent writes")

// maxPause bounds the pause before one attempt.
const maxPause = 64 * time.Millisecond

type conflict struct{ err error }

func (c conflict) Error() string   { return c.err.Error() }
func (c conflict) Unwrap() error   { return c.err }
func (c conflict) Is(t error) bool { return t == ErrConflict }

// Conflict marks err (the failed conditional write; nil means
// store.ErrPrecondition) as lost to a concurrent writer, for Retry.
func Conflict(err error) error {
	if err == nil {
		err = store.ErrPrecondition
	}
	return conflict{err}
}

// ConflictIf is Conflict(err) when err is a lost conditional write
// (store.ErrPrecondition), else err unchanged.
func ConflictIf(err error) error {
	if errors.Is(err, store.ErrPrecondition) && !errors.Is(err, ErrContended) {
		return Conflict(err)
	}
	return err
}

// pause is the wait before attempt n (n ≥ 1): 1 ms plus a random share of
// 4n ms, at most maxPause, so racing writers spread out more the more they collide.
func pause(n int) time.Duration {
	d := time.Millisecond + time.Duration(rand.Int64N(int64(4*n)*int64(time.Millisecond)))
	return min(d, maxPause)
}

// Retry runs fn(attempt) for attempt 0, 1, … up to attempts times while it
// returns an error marked by Conflict, pausing a little (jittered, longer
// each time) before each new attempt and stopping when ctx is done. Any
// other result of fn is returned as is. After the last lost attempt it
// returns an error wrapping ErrContended and the last conflict's cause (so
// errors.Is(err, store.ErrPrecondition) holds) but no longer ErrConflict, so
// an outer Retry does not multiply the attempts.
func Retry(ctx context.Context, attempts int, fn func(attempt int) error) error {
	var last error
	for attempt := range max(attempts, 1) {
		if attempt > 0 {
			t := time.NewTimer(pause(attempt))
			select {
			case <-ctx.Done():
				t.Stop()
				return context.Cause(ctx)
			case <-t.C:
			}
		}
		err := fn(attempt)
		var c conflict
		if !errors.As(err, &c) {
			return err
		}
		last = c.err
	}
	return fmt.Errorf("%w (%d in a row): %w", ErrContended, max(attempts, 1), last)
}
