package auth

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/jinnang/jinnang/portal/store"
)

// State limits.
const (
	// StateTTL is how long a sign-in round trip may take.
	StateTTL = 10 * time.Minute
	// MinStateKeyLen is the shortest server key StateCodec accepts (256 bits).
	// Validate the configured secret against it at start-up: New refuses to
	// sign with a shorter key.
	MinStateKeyLen = 32
	// maxReturnLen bounds the return path kept in a state.
	maxReturnLen  = 1024
	stateIDBytes  = 16 // random id, 128 bits
	stateMACBytes = 16 // truncated HMAC-SHA256, 128 bits
	// StateLen is the length of every state string: hex id + hex MAC. WeCom
	// allows at most 128 bytes of a-zA-Z0-9 in `state`; hex keeps within both.
	StateLen = 2 * (stateIDBytes + stateMACBytes)
)

// statesPrefix is where pending states and used-state markers live in the store.
const statesPrefix = "states/"

// stateMACLabel separates this MAC from anything else the server key signs
// (the OIDC provider derives its PKCE verifier from the same secret).
const stateMACLabel = "jinnang/auth/state/v2\x00"

// StateCodec makes and checks the OAuth/OIDC `state`: signed (HMAC-SHA256
// with a server key), expiring (StateTTL), bound to a random nonce, carrying a
// same-site return path, and usable once. It is safe for concurrent use, also
// across portal processes sharing the store and key.
//
// The state string is hex(random id) + hex(HMAC(id)): short and alphanumeric,
// as WeCom requires. What it stands for — the hash of the nonce, the return
// path and the expiry — is kept in the store under states/<id>.json. The nonce
// itself goes into a short-lived cookie by the caller, which binds the round
// trip to the browser that started it (login CSRF).
type StateCodec struct {
	key   []byte
	st    store.Store
	clock Clock
}

// stateRecord is what a state stands for, kept in the store.
type stateRecord struct {
	NonceHash string `json:"nonce_hash"` // hex sha256 of the nonce
	Return    string `json:"return"`
	Exp       int64  `json:"exp"` // unix seconds
}

// usedState is the marker written when a state is consumed.
type usedState struct {
	Exp int64 `json:"exp"` // unix seconds; after it the state fails anyway
}

// NewStateCodec returns a codec signing with key (at least MinStateKeyLen
// bytes of secret randomness; New fails with a shorter one), keeping states
// in st, and reading the time from clock (nil means time.Now).
func NewStateCodec(key []byte, st store.Store, clock Clock) *StateCodec {
	return &StateCodec{key: bytes.Clone(key), st: st, clock: orNow(clock)}
}

// New returns the state string for the provider, and the nonce the caller also
// puts in a short-lived cookie (binds the round trip to this browser).
// returnTo must be a local path ("/x?y"); anything else is replaced by "/".
func (c *StateCodec) New(ctx context.Context, returnTo string) (state, nonce string, err error) {
	if len(c.key) < MinStateKeyLen {
		return "", "", fmt.Errorf("auth: state key is %d bytes, want at least %d", len(c.key), MinStateKeyLen)
	}
	idb := make([]byte, stateIDBytes)
	_, _ = rand.Read(idb) // crypto/rand.Read never fails; it crashes the program instead
	id := hex.EncodeToString(idb)
	nonce = newToken()
	rec := stateRecord{NonceHash: hashHex(nonce), Return: safeReturn(returnTo), Exp: c.clock().Add(StateTTL).Unix()}
	if _, err := writeJSON(ctx, c.st, statesPrefix+id+".json", rec, store.PutOptions{IfNoneMatch: true}); err != nil {
		return "", "", fmt.Errorf("auth: save state: %w", err)
	}
	return id + hex.EncodeToString(c.mac(id)), nonce, nil
}

// Consume verifies signature, expiry and that nonce matches, and marks the state
// used with a create-once store write (states/<id>.used), so a state works once;
// returns the return path. Failures wrap ErrRetry.
//
// A failure of the store itself is returned as is (not ErrRetry): it is the
// server's fault, not the sign-in's.
func (c *StateCodec) Consume(ctx context.Context, state, nonce string) (returnTo string, err error) {
	retry := func(why string) error { return fmt.Errorf("%w: state %s", ErrRetry, why) }
	if len(c.key) < MinStateKeyLen {
		return "", fmt.Errorf("auth: state key is %d bytes, want at least %d", len(c.key), MinStateKeyLen)
	}
	if len(state) != StateLen {
		return "", retry("missing or malformed")
	}
	id, sig := state[:2*stateIDBytes], state[2*stateIDBytes:]
	mac, err := hex.DecodeString(sig)
	if err != nil || !hmac.Equal(mac, c.mac(id)) {
		return "", retry("signature invalid")
	}
	// The MAC vouches for id: it is hex we made, safe in a key.
	var rec stateRecord
	_, err = readJSON(ctx, c.st, statesPrefix+id+".json", &rec)
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, errCorrupt):
		return "", retry("unknown or expired")
	case err != nil:
		return "", fmt.Errorf("auth: read state: %w", err)
	}
	if !c.clock().Before(time.Unix(rec.Exp, 0)) {
		return "", retry("expired")
	}
	if nonce == "" || subtle.ConstantTimeCompare([]byte(rec.NonceHash), []byte(hashHex(nonce))) != 1 {
		return "", retry("started in another browser or tab (nonce mismatch)")
	}
	_, err = writeJSON(ctx, c.st, statesPrefix+id+".used", usedState{Exp: rec.Exp}, store.PutOptions{IfNoneMatch: true})
	switch {
	case errors.Is(err, store.ErrPrecondition):
		return "", retry("already used")
	case err != nil:
		return "", fmt.Errorf("auth: mark state used: %w", err)
	}
	return safeReturn(rec.Return), nil
}

// Sweep deletes pending states and used-state markers that have expired (an
// expired state fails its check anyway); returns how many objects it removed.
func (c *StateCodec) Sweep(ctx context.Context) (int, error) {
	now := c.clock()
	var old []string
	for obj, err := range c.st.List(ctx, statesPrefix) {
		if err != nil {
			return 0, fmt.Errorf("auth: sweep states: %w", err)
		}
		var u usedState // both kinds of record carry exp
		_, err := readJSON(ctx, c.st, obj.Key, &u)
		switch {
		case errors.Is(err, store.ErrNotFound):
			continue
		case errors.Is(err, errCorrupt):
			old = append(old, obj.Key)
		case err != nil:
			return 0, fmt.Errorf("auth: sweep states: %w", err)
		case !now.Before(time.Unix(u.Exp, 0)):
			old = append(old, obj.Key)
		}
	}
	n := 0
	for _, key := range old {
		if err := c.st.Delete(ctx, key); err != nil {
			return n, fmt.Errorf("auth: sweep states: %w", err)
		}
		n++
	}
	return n, nil
}

// mac signs the state id, truncated to stateMACBytes.
func (c *StateCodec) mac(id string) []byte {
	h := hmac.New(sha256.New, c.key)
	h.Write([]byte(stateMACLabel))
	h.Write([]byte(id))
	return h.Sum(nil)[:stateMACBytes]
}

// safeReturn returns p when it is a same-site path ("/x?y#z"), else "/".
// It refuses what browsers would read as another host or a script:
// "//evil", "/\evil", "https://evil", "javascript:…", control characters.
func safeReturn(p string) string {
	if p == "" || len(p) > maxReturnLen || p[0] != '/' || strings.HasPrefix(p, "//") ||
		strings.ContainsRune(p, '\\') {
		return "/"
	}
	for _, r := range p {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return "/"
		}
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" ||
		!strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") {
		return "/"
	}
	return p
}
