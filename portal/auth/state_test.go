package auth

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

func TestStateRoundTrip(t *testing.T) {
	ctx := t.Context()
	clock := newFakeClock()
	c := NewStateCodec(testKey, newDisk(t), clock.Now)
	state, nonce, err := c.New(ctx, "/packs/expense?tab=1#top")
	if err != nil {
		t.Fatal(err)
	}
	if !validToken(nonce) {
		t.Errorf("nonce %q is not a 256-bit base64url value", nonce)
	}
	// WeCom: state is at most 128 bytes of a-zA-Z0-9.
	if len(state) > 128 || strings.IndexFunc(state, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) >= 0 {
		t.Errorf("state %q is not ≤128 alphanumeric bytes", state)
	}
	if strings.Contains(state, nonce) {
		t.Error("the state reveals the nonce")
	}
	clock.Advance(StateTTL - time.Second)
	ret, err := c.Consume(ctx, state, nonce)
	if err != nil {
		t.Fatal(err)
	}
	if ret != "/packs/expense?tab=1#top" {
		t.Errorf("return = %q", ret)
	}
	// Replay: a state works once.
	if _, err := c.Consume(ctx, state, nonce); !errors.Is(err, ErrRetry) {
		t.Errorf("second Consume = %v, want ErrRetry", err)
	}
}

func TestStateRejects(t *testing.T) {
	ctx := t.Context()
	clock := newFakeClock()
	c := NewStateCodec(testKey, newDisk(t), clock.Now)
	fresh := func(t *testing.T) (string, string) {
		t.Helper()
		s, n, err := c.New(ctx, "/")
		if err != nil {
			t.Fatal(err)
		}
		return s, n
	}

	t.Run("tampered signature", func(t *testing.T) {
		state, nonce := fresh(t)
		b := []byte(state)
		b[len(b)-1] = map[bool]byte{true: '0', false: '1'}[b[len(b)-1] != '0']
		if _, err := c.Consume(ctx, string(b), nonce); !errors.Is(err, ErrRetry) {
			t.Errorf("Consume = %v, want ErrRetry", err)
		}
		// The untampered state still works: a forged attempt does not burn it.
		if _, err := c.Consume(ctx, state, nonce); err != nil {
			t.Errorf("genuine state after forgery: %v", err)
		}
	})
	t.Run("tampered id", func(t *testing.T) {
		state, nonce := fresh(t)
		b := []byte(state)
		b[0] = map[bool]byte{true: '0', false: '1'}[b[0] != '0']
		if _, err := c.Consume(ctx, string(b), nonce); !errors.Is(err, ErrRetry) {
			t.Errorf("Consume = %v, want ErrRetry", err)
		}
	})
	t.Run("signed but unknown id", func(t *testing.T) {
		id := strings.Repeat("ab", stateIDBytes)
		forged := id + hex.EncodeToString(c.mac(id)) // as if the key leaked: still needs a stored record
		if _, err := c.Consume(ctx, forged, "n"); !errors.Is(err, ErrRetry) {
			t.Errorf("Consume = %v, want ErrRetry", err)
		}
	})
	t.Run("other key", func(t *testing.T) {
		other := NewStateCodec([]byte("another key of at least 32 bytes!!"), newDisk(t), clock.Now)
		state, nonce, err := other.New(ctx, "/")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Consume(ctx, state, nonce); !errors.Is(err, ErrRetry) {
			t.Errorf("Consume = %v, want ErrRetry", err)
		}
	})
	t.Run("expired", func(t *testing.T) {
		state, nonce := fresh(t)
		clock.Advance(StateTTL)
		if _, err := c.Consume(ctx, state, nonce); !errors.Is(err, ErrRetry) || !strings.Contains(err.Error(), "expired") {
			t.Errorf("Consume = %v, want ErrRetry (expired)", err)
		}
	})
	t.Run("wrong nonce", func(t *testing.T) {
		state, nonce := fresh(t)
		_, other := fresh(t)
		for _, n := range []string{other, "", nonce[:10]} {
			if _, err := c.Consume(ctx, state, n); !errors.Is(err, ErrRetry) {
				t.Errorf("Consume(nonce %q) = %v, want ErrRetry", n, err)
			}
		}
		if _, err := c.Consume(ctx, state, nonce); err != nil {
			t.Errorf("right nonce after wrong ones: %v", err)
		}
	})
	t.Run("garbage", func(t *testing.T) {
		for _, s := range []string{"", ".", "abc", "a.b.c", strings.Repeat("A", 5000), strings.Repeat("z", StateLen)} {
			if _, err := c.Consume(ctx, s, "n"); !errors.Is(err, ErrRetry) {
				t.Errorf("Consume(%.20q) = %v, want ErrRetry", s, err)
			}
		}
	})
	t.Run("short key", func(t *testing.T) {
		short := NewStateCodec([]byte("short"), newDisk(t), clock.Now)
		if _, _, err := short.New(ctx, "/"); err == nil {
			t.Error("New with a 5-byte key succeeded")
		}
		if _, err := short.Consume(ctx, "a.b", "n"); err == nil || errors.Is(err, ErrRetry) {
			t.Errorf("Consume with a 5-byte key = %v, want a configuration error", err)
		}
	})
}

func TestStateReturnPaths(t *testing.T) {
	ctx := t.Context()
	c := NewStateCodec(testKey, newDisk(t), nil)
	tests := map[string]string{
		"/":                             "/",
		"/packs/a?b=c":                  "/packs/a?b=c",
		"/搜索?q=报销":                      "/搜索?q=报销",
		"":                              "/",
		"//evil.com":                    "/",
		"///evil.com":                   "/",
		"https://evil.com":              "/",
		"/\\evil.com":                   "/",
		"\\\\evil.com":                  "/",
		"javascript:alert(1)":           "/",
		"/ok\r\nSet-Cookie: x=1":        "/",
		"/\t/evil.com":                  "/",
		"evil.com/path":                 "/",
		"/%2F%2Fevil.com":               "/",
		"/a\x00b":                       "/",
		"/" + strings.Repeat("a", 2000): "/",
	}
	for in, want := range tests {
		state, nonce, err := c.New(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.Consume(ctx, state, nonce)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("return %q → %q, want %q", in, got, want)
		}
	}
}

func TestStateSweep(t *testing.T) {
	ctx := t.Context()
	clock := newFakeClock()
	st := newDisk(t)
	c := NewStateCodec(testKey, st, clock.Now)
	consume := func() {
		t.Helper()
		s, n, err := c.New(ctx, "/")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Consume(ctx, s, n); err != nil {
			t.Fatal(err)
		}
	}
	consume()
	clock.Advance(StateTTL / 2)
	consume()
	clock.Advance(StateTTL/2 + time.Second) // the first has expired, the second not
	n, err := c.Sweep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 { // the first state's record and its used marker
		t.Errorf("Sweep = %d, want 2", n)
	}
	left := 0
	for _, err := range st.List(ctx, statesPrefix) {
		if err != nil {
			t.Fatal(err)
		}
		left++
	}
	if left != 2 {
		t.Errorf("%d objects left, want 2 (the second state)", left)
	}
}
