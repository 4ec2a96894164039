package auth

import (
	"errors"
	"testing"
	"time"
)

// TestSessionCacheAcrossProcesses: two Sessions over one store are two
// portal processes. A sign-out in one ends the session there at once and in
// the other once its cache entry is older than CacheTTL; Update is seen at
// once by the process that made it.
func TestSessionCacheAcrossProcesses(t *testing.T) {
	ctx := t.Context()
	st := newDisk(t)
	clock := newFakeClock()
	const ttl = 5 * time.Second
	a := NewSessions(st, SessionOptions{Clock: clock.Now, CacheTTL: ttl})
	b := NewSessions(st, SessionOptions{Clock: clock.Now, CacheTTL: ttl})
	token, _, err := a.Create(ctx, zhang)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(ctx, token); err != nil { // b caches the session
		t.Fatal(err)
	}
	got, err := b.Get(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	got.User.EditorOf[0] = "changed by a caller" // callers get copies
	got.Lang = "en"
	if again, err := b.Get(ctx, token); err != nil || again.User.EditorOf[0] != "财务部" || again.Lang != "" {
		t.Fatalf("cached session changed by a caller: %+v %v", again, err)
	}

	if err := a.Destroy(ctx, token); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Get(ctx, token); !errors.Is(err, ErrNoSession) {
		t.Errorf("Get after Destroy in the same process: %v, want ErrNoSession", err)
	}
	clock.Advance(ttl - time.Second)
	if _, err := b.Get(ctx, token); err != nil {
		t.Logf("other process refused the destroyed session before the TTL (allowed): %v", err)
	}
	clock.Advance(time.Second)
	if _, err := b.Get(ctx, token); !errors.Is(err, ErrNoSession) {
		t.Errorf("other process, CacheTTL after Destroy: %v, want ErrNoSession", err)
	}

	// Update in one process is seen there at once.
	token, sess, err := a.Create(ctx, zhang)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Get(ctx, token); err != nil {
		t.Fatal(err)
	}
	sess.Lang = "en"
	if err := a.Update(ctx, token, sess); err != nil {
		t.Fatal(err)
	}
	if got, err := a.Get(ctx, token); err != nil || got.Lang != "en" {
		t.Errorf("Get after Update: %+v %v, want lang en", got, err)
	}

	// Without a cache, another process sees the sign-out at once.
	c := NewSessions(st, SessionOptions{Clock: clock.Now, CacheTTL: -1})
	if _, err := c.Get(ctx, token); err != nil {
		t.Fatal(err)
	}
	if err := a.Destroy(ctx, token); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(ctx, token); !errors.Is(err, ErrNoSession) {
		t.Errorf("uncached Get after Destroy elsewhere: %v, want ErrNoSession", err)
	}
}
