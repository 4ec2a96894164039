package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/record"
)

// Session is a signed-in browser, stored as JSON under
// sessions/<hex sha256(token)>.json: the store holds only hashes of the
// tokens, so a leaked bucket does not leak live sessions.
type Session struct {
	User    User      `json:"user"`
	CSRF    string    `json:"csrf"` // 256-bit random, base64url; per session
	Lang    string    `json:"lang"` // "zh" or "en" or ""
	Created time.Time `json:"created"`
	Seen    time.Time `json:"seen"` // last activity (updated at most once a minute)
}

// SessionOptions tunes Sessions; zero values take the defaults.
type SessionOptions struct {
	Idle     time.Duration // default 12h: no activity for this long ends the session
	Absolute time.Duration // default 7*24h: a session never lives longer
	Clock    Clock         // default time.Now
	// CacheTTL is how long Get trusts a session it read from the store
	// without reading it again (default DefaultCacheTTL; negative: never).
	// Destroy and Update in this process take effect at once; a session
	// destroyed by another process stops working here within CacheTTL.
	CacheTTL time.Duration
}

// Session defaults and limits.
const (
	// DefaultIdle ends a session after this long without a request.
	DefaultIdle = 12 * time.Hour
	// DefaultAbsolute ends every session this long after sign-in.
	DefaultAbsolute = 7 * 24 * time.Hour
	// DefaultCacheTTL bounds how long a session destroyed by another portal
	// process (sign-out there) keeps working in this one.
	DefaultCacheTTL = 5 * time.Second
	// maxCached bounds the session cache; when full it is emptied.
	maxCached = 10000
	// seenEvery is how stale Seen may get before Get writes it again, so a
	// busy session costs one store write a minute, not one per request.
	seenEvery = time.Minute
	// tokenBytes is the entropy of session tokens and CSRF tokens (256 bits).
	tokenBytes = 32
	// updateAttempts bounds the read-modify-write retries of Update.
	updateAttempts = 5
)

// sessionsPrefix is where session records live in the store.
const sessionsPrefix = "sessions/"

// tokenLen is the length of a base64url (unpadded) 256-bit token.
var tokenLen = base64.RawURLEncoding.EncodedLen(tokenBytes)

// Sessions keeps sessions in the object store, so any number of portal
// processes can serve the same browser. It is safe for concurrent use.
type Sessions struct {
	st       store.Store
	idle     time.Duration
	absolute time.Duration
	clock    Clock
	ttl      time.Duration // of cache entries; <= 0: no cache

	mu    sync.Mutex
	cache map[string]cachedSession // by store key
}

// cachedSession is a session record as last read from (or written to) the store.
type cachedSession struct {
	sess Session
	at   time.Time // when it was read
}

// NewSessions returns sessions kept in st; zero options take the defaults.
func NewSessions(st store.Store, opts SessionOptions) *Sessions {
	s := &Sessions{st: st, idle: opts.Idle, absolute: opts.Absolute, clock: orNow(opts.Clock), ttl: opts.CacheTTL, cache: map[string]cachedSession{}}
	if s.ttl == 0 {
		s.ttl = DefaultCacheTTL
	}
	if s.idle <= 0 {
		s.idle = DefaultIdle
	}
	if s.absolute <= 0 {
		s.absolute = DefaultAbsolute
	}
	return s
}

// Create makes a NEW session (fresh 256-bit random token, base64url, create-once
// write) — always a new token at login, never reusing one (session fixation).
func (s *Sessions) Create(ctx context.Context, u User) (token string, sess *Session, err error) {
	token = newToken()
	now := s.clock()
	sess = &Session{User: u, CSRF: newToken(), Created: now, Seen: now}
	if _, err := writeJSON(ctx, s.st, sessionKey(token), sess, store.PutOptions{IfNoneMatch: true}); err != nil {
		// A collision of 256-bit random tokens does not happen; a
		// precondition failure here is a store fault like any other.
		return "", nil, fmt.Errorf("auth: create session: %w", err)
	}
	return token, sess, nil
}

// Get returns the live session for token; ErrNoSession when the token is malformed,
// unknown, expired (idle or absolute; an expired record is deleted) or destroyed.
// It refreshes Seen when older than a minute (If-Match write; losing the race is fine).
func (s *Sessions) Get(ctx context.Context, token string) (*Session, error) {
	if !validToken(token) {
		return nil, ErrNoSession
	}
	key := sessionKey(token)
	now := s.clock()
	if sess, ok := s.cached(key, now); ok {
		return sess, nil
	}
	sess, etag, err := s.read(ctx, key)
	if err != nil {
		return nil, err
	}
	if s.expired(sess, now) {
		if err := s.st.Delete(ctx, key); err != nil {
			return nil, errors.Join(ErrNoSession, fmt.Errorf("auth: delete expired session: %w", err))
		}
		return nil, ErrNoSession
	}
	if now.Sub(sess.Seen) < seenEvery {
		s.remember(key, sess, now)
		return sess, nil
	}
	fresh := *sess
	fresh.Seen = now
	_, err = writeJSON(ctx, s.st, key, &fresh, store.PutOptions{IfMatch: etag})
	switch {
	case err == nil:
		s.remember(key, &fresh, now)
		return &fresh, nil
	case errors.Is(err, store.ErrPrecondition):
		// Another request refreshed (or updated) the session first; the
		// record it wrote is at least as recent as ours.
		return sess, nil
	case errors.Is(err, store.ErrNotFound):
		// Destroyed (logged out) between our read and write.
		return nil, ErrNoSession
	default:
		return nil, fmt.Errorf("auth: refresh session: %w", err)
	}
}

// Update saves changed fields (Lang, User) of the session behind token.
// Created, Seen and CSRF are kept as stored; ErrNoSession when the session
// is gone or expired.
func (s *Sessions) Update(ctx context.Context, token string, sess *Session) error {
	if !validToken(token) || sess == nil {
		return ErrNoSession
	}
	key := sessionKey(token)
	s.forget(key)
	defer s.forget(key) // a Get racing with this Update may have cached the old record
	err := record.Retry(ctx, updateAttempts, func(int) error {
		cur, etag, err := s.read(ctx, key)
		if err != nil {
			return err
		}
		if s.expired(cur, s.clock()) {
			return ErrNoSession
		}
		cur.Lang = sess.Lang
		cur.User = sess.User
		_, err = writeJSON(ctx, s.st, key, cur, store.PutOptions{IfMatch: etag})
		switch {
		case err == nil:
			return nil
		case errors.Is(err, store.ErrPrecondition):
			return record.Conflict(err) // a concurrent refresh of Seen; read again
		case errors.Is(err, store.ErrNotFound):
			return ErrNoSession
		default:
			return fmt.Errorf("auth: update session: %w", err)
		}
	})
	if errors.Is(err, record.ErrContended) {
		return fmt.Errorf("auth: update session: %w", err)
	}
	return err
}

// Destroy ends the session for real: the record is deleted, so replaying the
// cookie afterwards gets ErrNoSession. Destroying an unknown or malformed
// token is not an error: there is nothing to end.
func (s *Sessions) Destroy(ctx context.Context, token string) error {
	if !validToken(token) {
		return nil
	}
	key := sessionKey(token)
	s.forget(key)
	err := s.st.Delete(ctx, key)
	s.forget(key) // a Get racing with this Destroy may have cached the record
	if err != nil {
		return fmt.Errorf("auth: destroy session: %w", err)
	}
	return nil
}

// cached returns a copy of the session under key when it was read from the
// store less than the cache TTL ago, is not expired and does not need its
// Seen refreshed (those go to the store).
func (s *Sessions) cached(key string, now time.Time) (*Session, bool) {
	if s.ttl <= 0 {
		return nil, false
	}
	s.mu.Lock()
	e, ok := s.cache[key]
	if ok && (now.Sub(e.at) >= s.ttl || now.Before(e.at) || s.expired(&e.sess, now) || now.Sub(e.sess.Seen) >= seenEvery) {
		delete(s.cache, key)
		ok = false
	}
	s.mu.Unlock()
	if !ok {
		return nil, false
	}
	sess := e.sess
	sess.User.EditorOf = slices.Clone(sess.User.EditorOf)
	return &sess, true
}

// remember caches a copy of sess, read from or written to the store at now.
func (s *Sessions) remember(key string, sess *Session, now time.Time) {
	if s.ttl <= 0 {
		return
	}
	e := cachedSession{sess: *sess, at: now}
	e.sess.User.EditorOf = slices.Clone(sess.User.EditorOf)
	s.mu.Lock()
	if len(s.cache) >= maxCached {
		clear(s.cache)
	}
	s.cache[key] = e
	s.mu.Unlock()
}

// forget drops the cached session under key.
func (s *Sessions) forget(key string) {
	s.mu.Lock()
	delete(s.cache, key)
	s.mu.Unlock()
}

// Sweep deletes expired session records; returns how many. Records that
// cannot be decoded are no session either and are deleted too.
// Run it now and then (hourly is plenty): Get already refuses expired
// sessions, Sweep only reclaims the space of those never used again.
func (s *Sessions) Sweep(ctx context.Context) (int, error) {
	now := s.clock()
	var expired []string
	for obj, err := range s.st.List(ctx, sessionsPrefix) {
		if err != nil {
			return 0, fmt.Errorf("auth: sweep sessions: %w", err)
		}
		if !isSessionKey(obj.Key) {
			continue
		}
		var sess Session
		_, err := readJSON(ctx, s.st, obj.Key, &sess)
		switch {
		case errors.Is(err, store.ErrNotFound):
			continue // destroyed meanwhile
		case errors.Is(err, errCorrupt):
			expired = append(expired, obj.Key)
		case err != nil:
			return 0, fmt.Errorf("auth: sweep sessions: %w", err)
		case s.expired(&sess, now):
			expired = append(expired, obj.Key)
		}
	}
	n := 0
	for _, key := range expired {
		if err := s.st.Delete(ctx, key); err != nil {
			return n, fmt.Errorf("auth: sweep sessions: %w", err)
		}
		n++
	}
	return n, nil
}

// read loads the session record under key; ErrNoSession when it is missing
// or not a session.
func (s *Sessions) read(ctx context.Context, key string) (*Session, string, error) {
	var sess Session
	etag, err := readJSON(ctx, s.st, key, &sess)
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, errCorrupt):
		return nil, "", ErrNoSession // a corrupt record is no session; Sweep removes it
	case err != nil:
		return nil, "", fmt.Errorf("auth: read session: %w", err)
	case sess.Created.IsZero() || sess.Seen.IsZero() || sess.CSRF == "":
		return nil, "", ErrNoSession
	}
	return &sess, etag, nil
}

// expired reports whether sess has been idle too long or lived too long.
func (s *Sessions) expired(sess *Session, now time.Time) bool {
	return now.Sub(sess.Seen) > s.idle || now.Sub(sess.Created) > s.absolute
}

// sessionKey is the store key of the session behind token.
func sessionKey(token string) string { return sessionsPrefix + hashHex(token) + ".json" }

// isSessionKey reports whether key has the shape sessionKey produces.
func isSessionKey(key string) bool {
	h, ok := strings.CutPrefix(key, sessionsPrefix)
	if !ok {
		return false
	}
	h, ok = strings.CutSuffix(h, ".json")
	return ok && isLowerHex(h, 64)
}

// isLowerHex reports whether s is n lowercase hex digits.
func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := range len(s) {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// newToken returns 256 random bits, base64url without padding.
func newToken() string {
	b := make([]byte, tokenBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error; it crashes the program instead
	return base64.RawURLEncoding.EncodeToString(b)
}

// validToken reports whether token has exactly the shape newToken produces,
// checked before any store access so junk cookies cost nothing.
func validToken(token string) bool {
	if len(token) != tokenLen {
		return false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(token)
	return err == nil && len(b) == tokenBytes
}
