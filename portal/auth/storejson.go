package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/record"
)

// maxRecord bounds the size of the JSON records this package reads back from
// the store (sessions, profiles, posts, used states): they are small, and a
// corrupted or hostile object must not make a request read megabytes.
const maxRecord = 64 << 10

// errCorrupt marks a record that was read but is not valid JSON of the
// expected shape or is too large: unlike a read failure, retrying won't help.
var errCorrupt = record.ErrCorrupt

// readJSON decodes the JSON object under key into v and returns its ETag.
// A missing key yields an error wrapping store.ErrNotFound.
func readJSON(ctx context.Context, st store.Store, key string, v any) (string, error) {
	return record.ReadReported(ctx, st, key, v, maxRecord)
}

// writeJSON encodes v and stores it under key with the given conditions.
func writeJSON(ctx context.Context, st store.Store, key string, v any, opts store.PutOptions) (store.Object, error) {
	return record.Write(ctx, st, key, v, opts)
}

// hashHex is the hex SHA-256 of s: how secrets and personal ids become keys.
func hashHex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// orNow returns clock, or time.Now when clock is nil.
func orNow(clock Clock) Clock {
	if clock == nil {
		return time.Now
	}
	return clock
}
