// Package audit is Jinnang's append-only log of who did what: sign-ins,
// saves, moderation, admin actions. Each entry is its own create-once object
// in the store, so entries are never overwritten and any number of portal
// processes can record at once.
package audit

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/jinnang/jinnang/portal/store"
)

// Entry is one audited action.
type Entry struct {
	At    time.Time `json:"at"`
	Actor string    `json:"actor"` // user ID
	// ActorName is the actor's display name when the entry was recorded;
	// empty in entries from before it was kept.
	ActorName string `json:"actor_name,omitempty"`
	Action    string `json:"action"` // e.g. "pack.save", "admin.reindex", "auth.login"
	Target    string `json:"target"` // e.g. "pack:expense-reimbursement"
	Detail    string `json:"detail"`
}

// Limits.
const (
	// MaxEntry bounds the encoded size of one entry.
	MaxEntry = 16 << 10
	// prefix is where entries live in the store.
	prefix = "audit/"
	// recordAttempts bounds retries after a (vanishingly unlikely) key collision.
	recordAttempts = 3
)

// Log is the audit log kept in a store, under
// audit/YYYY/MM/DD/<20-digit unix nanos>-<8 hex random>.json (UTC), so the
// lexical order of keys is chronological. It is safe for concurrent use.
type Log struct {
	st    store.Store
	clock func() time.Time
}

// New returns the log kept in st; clock stamps entries recorded without a
// time (nil means time.Now). An auth.Clock can be passed as is.
func New(st store.Store, clock func() time.Time) *Log {
	if clock == nil {
		clock = time.Now
	}
	return &Log{st: st, clock: clock}
}

// Record appends e to the log with a create-once write. At is filled when
// zero. Action is required.
func (l *Log) Record(ctx context.Context, e Entry) error {
	if e.Action == "" {
		return errors.New("audit: record: empty action")
	}
	if e.At.IsZero() {
		e.At = l.clock()
	}
	e.At = e.At.UTC()
	if e.At.UnixNano() < 0 || e.At.Year() > 2262 {
		return fmt.Errorf("audit: record %s: time %s out of range", e.Action, e.At)
	}
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("audit: encode %s: %w", e.Action, err)
	}
	if len(b) > MaxEntry {
		return fmt.Errorf("audit: record %s: entry of %d bytes is larger than %d", e.Action, len(b), MaxEntry)
	}
	for range recordAttempts {
		_, err = l.st.Put(ctx, entryKey(e.At), bytes.NewReader(b), store.PutOptions{
			ContentType: "application/json",
			Size:        int64(len(b)),
			IfNoneMatch: true,
		})
		if !errors.Is(err, store.ErrPrecondition) {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("audit: record %s: %w", e.Action, err)
	}
	return nil
}

// List returns the newest limit entries, newest first, walking day
// prefixes backwards (see Page) without a scan cap. limit ≤ 0 returns none.
func (l *Log) List(ctx context.Context, limit int) ([]Entry, error) {
	entries := []Entry{}
	if limit <= 0 {
		return entries, nil
	}
	w := walk{l: l, limit: limit}
	if err := w.run(ctx); err != nil {
		return nil, err
	}
	return append(entries, w.entries...), nil
}

// read loads one entry.
func (l *Log) read(ctx context.Context, key string) (e Entry, err error) {
	rc, _, err := l.st.Get(ctx, key)
	if err != nil {
		return Entry{}, fmt.Errorf("audit: read %s: %w", key, err)
	}
	defer func() {
		if cerr := rc.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("audit: close %s: %w", key, cerr)
		}
	}()
	b, err := io.ReadAll(io.LimitReader(rc, MaxEntry+1))
	if err != nil {
		return Entry{}, fmt.Errorf("audit: read %s: %w", key, err)
	}
	if len(b) > MaxEntry {
		return Entry{}, fmt.Errorf("audit: read %s: larger than %d bytes", key, MaxEntry)
	}
	if err := json.Unmarshal(b, &e); err != nil {
		return Entry{}, fmt.Errorf("audit: decode %s: %w", key, err)
	}
	return e, nil
}

// entryKey is a fresh key for an entry at t (UTC).
func entryKey(t time.Time) string {
	r := make([]byte, 4)
	_, _ = rand.Read(r) // crypto/rand.Read never returns an error
	return fmt.Sprintf("%s%s/%020d-%s.json", prefix, t.Format("2006/01/02"), t.UnixNano(), hex.EncodeToString(r))
}

// isEntryKey reports whether key has the shape entryKey produces.
func isEntryKey(key string) bool {
	rest, ok := strings.CutPrefix(key, prefix)
	if !ok {
		return false
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 4 || len(parts[0]) != 4 || len(parts[1]) != 2 || len(parts[2]) != 2 {
		return false
	}
	name, ok := strings.CutSuffix(parts[3], ".json")
	nanos, rnd, cut := strings.Cut(name, "-")
	if !ok || !cut || len(nanos) != 20 || len(rnd) != 8 {
		return false
	}
	if _, err := strconv.ParseUint(nanos, 10, 64); err != nil {
		return false
	}
	_, err := hex.DecodeString(rnd)
	return err == nil
}
