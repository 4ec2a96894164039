package wecom

import (
	"context"
	"sync"
	"time"

	"github.com/jinnang/jinnang/portal/auth"
)

// refreshEarly is how long before its announced expiry a cached access_token
// is replaced, so a token never expires between the check and the call.
const refreshEarly = 5 * time.Minute

// tokenCache holds the app's access_token. Concurrent callers that find no
// valid token share one fetch (single flight), as WeCom rate-limits gettoken.
type tokenCache struct {
	clock auth.Clock
	fetch func(context.Context) (string, time.Duration, error)

	mu       sync.Mutex
	token    string
	renewAt  time.Time
	inflight *tokenCall
}

// tokenCall is one fetch in progress; done is closed when token/err are set.
type tokenCall struct {
	done  chan struct{}
	token string
	err   error
}

func newTokenCache(clock auth.Clock, fetch func(context.Context) (string, time.Duration, error)) *tokenCache {
	return &tokenCache{clock: clock, fetch: fetch}
}

// get returns a valid token, fetching one when none is cached or the cached
// one is due for renewal.
func (c *tokenCache) get(ctx context.Context) (string, error) {
	c.mu.Lock()
	if c.token != "" && c.clock().Before(c.renewAt) {
		t := c.token
		c.mu.Unlock()
		return t, nil
	}
	call := c.inflight
	if call == nil {
		call = &tokenCall{done: make(chan struct{})}
		c.inflight = call
		// The fetch outlives a caller that gives up: the others still wait on it.
		go c.run(context.WithoutCancel(ctx), call)
	}
	c.mu.Unlock()

	select {
	case <-call.done:
		return call.token, call.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func (c *tokenCache) run(ctx context.Context, call *tokenCall) {
	token, ttl, err := c.fetch(ctx)
	c.mu.Lock()
	if err == nil {
		early := min(refreshEarly, ttl/2)
		c.token, c.renewAt = token, c.clock().Add(ttl-early)
	}
	c.inflight = nil
	c.mu.Unlock()
	call.token, call.err = token, err
	close(call.done)
}

// invalidate drops token if it is still the cached one (WeCom said it is
// invalid or expired). A newer token fetched meanwhile is kept.
func (c *tokenCache) invalidate(token string) {
	c.mu.Lock()
	if c.token == token {
		c.token = ""
	}
	c.mu.Unlock()
}

// Tokens is the app's access_token cache, shared by everything that calls
// WeCom as the app: sign-in, application messages, directory sync. Get it
// from a Provider (Provider.Tokens) when WeCom is the sign-in provider, or
// from NewTokens when another provider signs people in; either way a
// process keeps one cache per app.
type Tokens struct {
	cache *tokenCache
}

// Token returns a valid access_token, fetching one when none is cached or
// the cached one is due for renewal. Concurrent callers share one fetch.
func (t *Tokens) Token(ctx context.Context) (string, error) { return t.cache.get(ctx) }

// Invalidate drops token if it is still the cached one: WeCom answered
// 40014, 42001 or 40082 for it. The next Token fetches a new one.
func (t *Tokens) Invalidate(token string) { t.cache.invalidate(token) }

// IsTokenError reports whether WeCom's errcode says the access_token is
// invalid or expired (40014, 42001, 40082), so the caller should invalidate
// it and retry once.
func IsTokenError(code int) bool {
	return code == errInvalidToken || code == errExpiredToken || code == errInvalidToken2
}
