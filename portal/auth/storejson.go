package auth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jinnang/jinnang/portal/store"
)

// maxRecord bounds the size of the JSON records this package reads back from
// the store (sessions, profiles, posts, used states): they are small, and a
// corrupted or hostile object must not make a request read megabytes.
const maxRecord = 64 << 10

// errCorrupt marks a record that was read but is not valid JSON of the
// expected shape or is too large: unlike a read failure, retrying won't help.
var errCorrupt = errors.New("corrupt record")

// readJSON decodes the JSON object under key into v and returns its ETag.
// A missing key yields an error wrapping store.ErrNotFound.
func readJSON(ctx context.Context, st store.Store, key string, v any) (etag string, err error) {
	rc, obj, err := st.Get(ctx, key)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", key, err)
	}
	defer func() {
		if cerr := rc.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close %s: %w", key, cerr)
		}
	}()
	b, err := io.ReadAll(io.LimitReader(rc, maxRecord+1))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", key, err)
	}
	if len(b) > maxRecord {
		return "", fmt.Errorf("read %s: %w: larger than %d bytes", key, errCorrupt, maxRecord)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return "", fmt.Errorf("decode %s: %w: %w", key, errCorrupt, err)
	}
	return obj.ETag, nil
}

// writeJSON encodes v and stores it under key with the given conditions.
func writeJSON(ctx context.Context, st store.Store, key string, v any, opts store.PutOptions) (store.Object, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return store.Object{}, fmt.Errorf("encode %s: %w", key, err)
	}
	opts.ContentType = "application/json"
	opts.Size = int64(len(b))
	obj, err := st.Put(ctx, key, bytes.NewReader(b), opts)
	if err != nil {
		return store.Object{}, fmt.Errorf("write %s: %w", key, err)
	}
	return obj, nil
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
