package auth

import (
	"sync"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/internal/miniotest"
	"github.com/jinnang/jinnang/portal/store"
)

// fakeClock is a settable clock, safe for concurrent use.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newDisk returns an empty disk store in a temp directory.
func newDisk(t *testing.T) store.Store {
	t.Helper()
	st, err := store.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// eachStore runs test against a disk store and a real MinIO store (skipped
// when no minio binary is installed).
func eachStore(t *testing.T, test func(t *testing.T, newStore func(t *testing.T) store.Store)) {
	t.Run("disk", func(t *testing.T) { test(t, newDisk) })
	t.Run("minio", func(t *testing.T) {
		cfg := miniotest.Start(t)
		test(t, func(t *testing.T) store.Store {
			st, err := store.NewS3(t.Context(), miniotest.NewBucket(cfg))
			if err != nil {
				t.Fatal(err)
			}
			return st
		})
	})
}
