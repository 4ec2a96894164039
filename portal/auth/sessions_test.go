package auth

import (
	"encoding/base64"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/store"
)

func TestSessions(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) store.Store) {
		t.Run("lifecycle", func(t *testing.T) { testSessionLifecycle(t, newStore(t)) })
		t.Run("fixation", func(t *testing.T) { testSessionFixation(t, newStore(t)) })
		t.Run("timeouts", func(t *testing.T) { testSessionTimeouts(t, newStore(t)) })
		t.Run("refresh", func(t *testing.T) { testSessionRefresh(t, newStore(t)) })
		t.Run("concurrent", func(t *testing.T) { testSessionConcurrent(t, newStore(t)) })
		t.Run("sweep", func(t *testing.T) { testSessionSweep(t, newStore(t)) })
	})
}

var zhang = User{ID: "wecom:ZhangWei", Name: "张伟", Department: "财务部", EditorOf: []string{"财务部"}}

func testSessionLifecycle(t *testing.T, st store.Store) {
	ctx := t.Context()
	clock := newFakeClock()
	s := NewSessions(st, SessionOptions{Clock: clock.Now})

	token, sess, err := s.Create(ctx, zhang)
	if err != nil {
		t.Fatal(err)
	}
	if !validToken(token) || !validToken(sess.CSRF) || token == sess.CSRF {
		t.Fatalf("token %q, csrf %q: want two distinct 256-bit base64url values", token, sess.CSRF)
	}
	if !sess.Created.Equal(clock.Now()) || !sess.Seen.Equal(clock.Now()) {
		t.Errorf("created %v seen %v, want %v", sess.Created, sess.Seen, clock.Now())
	}

	// The store holds the hash of the token, never the token.
	for obj, err := range st.List(ctx, "") {
		if err != nil {
			t.Fatal(err)
		}
		if obj.Key != sessionKey(token) {
			t.Errorf("unexpected object %s", obj.Key)
		}
		if strings.Contains(obj.Key, token) {
			t.Errorf("key %s contains the token", obj.Key)
		}
		rc, _, err := st.Get(ctx, obj.Key)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		if err := rc.Close(); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), token) {
			t.Error("record contains the token")
		}
	}

	got, err := s.Get(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	if got.User.ID != zhang.ID || got.User.Name != "张伟" || !got.User.CanEdit("财务部") || got.CSRF != sess.CSRF {
		t.Errorf("Get = %+v, want the created session", got)
	}

	got.Lang = "en"
	got.User.Name = "Zhang Wei"
	got.CSRF = "attacker-chosen"
	if err := s.Update(ctx, token, got); err != nil {
		t.Fatal(err)
	}
	got, err = s.Get(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	if got.Lang != "en" || got.User.Name != "Zhang Wei" {
		t.Errorf("after Update: lang %q name %q", got.Lang, got.User.Name)
	}
	if got.CSRF != sess.CSRF {
		t.Error("Update changed the CSRF token")
	}

	if err := s.Destroy(ctx, token); err != nil {
		t.Fatal(err)
	}
	// Logout replay: the old cookie is worthless.
	if _, err := s.Get(ctx, token); !errors.Is(err, ErrNoSession) {
		t.Errorf("Get after Destroy: %v, want ErrNoSession", err)
	}
	if err := s.Update(ctx, token, got); !errors.Is(err, ErrNoSession) {
		t.Errorf("Update after Destroy: %v, want ErrNoSession", err)
	}
	if err := s.Destroy(ctx, token); err != nil {
		t.Errorf("second Destroy: %v", err)
	}
}

func testSessionFixation(t *testing.T, st store.Store) {
	ctx := t.Context()
	s := NewSessions(st, SessionOptions{})
	t1, _, err := s.Create(ctx, zhang)
	if err != nil {
		t.Fatal(err)
	}
	t2, _, err := s.Create(ctx, zhang)
	if err != nil {
		t.Fatal(err)
	}
	if t1 == t2 {
		t.Fatal("two logins got the same token")
	}
	// A token an attacker planted (well-formed but never issued) is refused.
	planted := base64.RawURLEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	if _, err := s.Get(ctx, planted); !errors.Is(err, ErrNoSession) {
		t.Errorf("Get(planted) = %v, want ErrNoSession", err)
	}
	// Malformed tokens are refused before any store access.
	for _, bad := range []string{
		"", "x", t1 + "A", t1[:len(t1)-1], strings.Repeat("=", len(t1)),
		t1[:len(t1)-1] + "+", t1[:len(t1)-1] + "/", t1[:10] + "\n" + t1[11:], "../../etc/passwd",
	} {
		if _, err := s.Get(ctx, bad); !errors.Is(err, ErrNoSession) {
			t.Errorf("Get(%q) = %v, want ErrNoSession", bad, err)
		}
	}
}

func testSessionTimeouts(t *testing.T, st store.Store) {
	ctx := t.Context()
	clock := newFakeClock()
	s := NewSessions(st, SessionOptions{Idle: time.Hour, Absolute: 3 * time.Hour, Clock: clock.Now})

	// Idle: an hour of activity keeps it; an hour and a bit of silence ends it.
	idle, _, err := s.Create(ctx, zhang)
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(59 * time.Minute)
	if _, err := s.Get(ctx, idle); err != nil {
		t.Fatalf("Get before idle timeout: %v", err)
	}
	clock.Advance(59 * time.Minute) // still within an hour of the last Get
	if _, err := s.Get(ctx, idle); err != nil {
		t.Fatalf("Get after activity: %v", err)
	}
	clock.Advance(61 * time.Minute)
	if _, err := s.Get(ctx, idle); !errors.Is(err, ErrNoSession) {
		t.Fatalf("Get after idle timeout: %v, want ErrNoSession", err)
	}
	if _, err := st.Stat(ctx, sessionKey(idle)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("expired record still stored: %v", err)
	}

	// Absolute: steady activity does not extend a session past 3h.
	abs, _, err := s.Create(ctx, zhang)
	if err != nil {
		t.Fatal(err)
	}
	for range 6 {
		clock.Advance(30 * time.Minute)
		if _, err := s.Get(ctx, abs); err != nil {
			t.Fatalf("Get within absolute lifetime: %v", err)
		}
	}
	clock.Advance(time.Minute)
	if _, err := s.Get(ctx, abs); !errors.Is(err, ErrNoSession) {
		t.Fatalf("Get after absolute timeout: %v, want ErrNoSession", err)
	}
}

func testSessionRefresh(t *testing.T, st store.Store) {
	ctx := t.Context()
	clock := newFakeClock()
	s := NewSessions(st, SessionOptions{Clock: clock.Now})
	token, _, err := s.Create(ctx, zhang)
	if err != nil {
		t.Fatal(err)
	}
	before, err := st.Stat(ctx, sessionKey(token))
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(30 * time.Second)
	got, err := s.Get(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	after, err := st.Stat(ctx, sessionKey(token))
	if err != nil {
		t.Fatal(err)
	}
	if after.ETag != before.ETag {
		t.Error("Get within a minute of the last write rewrote the record")
	}
	if got.Seen.Equal(clock.Now()) {
		t.Error("Seen refreshed within a minute")
	}
	clock.Advance(time.Minute)
	got, err = s.Get(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Seen.Equal(clock.Now()) {
		t.Errorf("Seen = %v, want %v", got.Seen, clock.Now())
	}
	stored, _, err := s.read(ctx, sessionKey(token))
	if err != nil {
		t.Fatal(err)
	}
	if !stored.Seen.Equal(clock.Now()) {
		t.Errorf("stored Seen = %v, want %v", stored.Seen, clock.Now())
	}
}

func testSessionConcurrent(t *testing.T, st store.Store) {
	ctx := t.Context()
	clock := newFakeClock()
	s := NewSessions(st, SessionOptions{Clock: clock.Now})
	token, _, err := s.Create(ctx, zhang)
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Minute) // every Get below wants to refresh Seen
	var wg sync.WaitGroup
	errs := make(chan error, 17)
	for range 16 {
		wg.Go(func() {
			sess, err := s.Get(ctx, token)
			if err == nil && sess.User.ID != zhang.ID {
				err = errors.New("wrong user " + sess.User.ID)
			}
			errs <- err
		})
	}
	wg.Go(func() {
		sess := &Session{User: zhang, Lang: "zh"}
		errs <- s.Update(ctx, token, sess)
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	got, err := s.Get(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Seen.Equal(clock.Now()) || got.Lang != "zh" {
		t.Errorf("after concurrent Gets and Update: seen %v lang %q", got.Seen, got.Lang)
	}
}

func testSessionSweep(t *testing.T, st store.Store) {
	ctx := t.Context()
	clock := newFakeClock()
	s := NewSessions(st, SessionOptions{Idle: time.Hour, Clock: clock.Now})
	old, _, err := s.Create(ctx, zhang)
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(50 * time.Minute)
	live, _, err := s.Create(ctx, zhang)
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(20 * time.Minute)
	n, err := s.Sweep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("Sweep = %d, want 1", n)
	}
	if _, err := st.Stat(ctx, sessionKey(old)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("expired session kept: %v", err)
	}
	if _, err := s.Get(ctx, live); err != nil {
		t.Errorf("live session swept: %v", err)
	}
}

func TestCheckCSRF(t *testing.T) {
	sess := &Session{CSRF: newToken()}
	tests := []struct {
		name      string
		sess      *Session
		submitted string
		want      bool
	}{
		{"match", sess, sess.CSRF, true},
		{"mismatch", sess, newToken(), false},
		{"prefix", sess, sess.CSRF[:20], false},
		{"empty submitted", sess, "", false},
		{"empty session token", &Session{}, "", false},
		{"nil session", nil, sess.CSRF, false},
	}
	for _, tt := range tests {
		if got := CheckCSRF(tt.sess, tt.submitted); got != tt.want {
			t.Errorf("%s: CheckCSRF = %v, want %v", tt.name, got, tt.want)
		}
	}
}
