// Package record reads and writes the small JSON records that domain
// packages keep in a store.Store (sessions, votes, suggestions, profiles…),
// with a size bound on reads and a conditional read-modify-write.
package record

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/jinnang/jinnang/portal/store"
)

// ErrCorrupt marks a record that was read but is too large or not valid JSON
// of the expected shape: unlike a failed read, retrying will not help.
var ErrCorrupt = errors.New("corrupt record")

// Read decodes the JSON object under key into v and returns its ETag. At most
// limit bytes are read: a corrupted or hostile object must not make a request
// read megabytes. A missing key yields an error wrapping store.ErrNotFound;
// a corrupt record (ErrCorrupt) still returns its ETag, so that a repair can
// replace exactly that version. Read does not report; ReadReported does.
func Read(ctx context.Context, st store.Store, key string, v any, limit int64) (etag string, err error) {
	rc, obj, err := st.Get(ctx, key)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", key, err)
	}
	defer func() {
		if cerr := rc.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close %s: %w", key, cerr)
		}
	}()
	b, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", key, err)
	}
	if int64(len(b)) > limit {
		return obj.ETag, fmt.Errorf("read %s: %w: larger than %d bytes", key, ErrCorrupt, limit)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return obj.ETag, fmt.Errorf("decode %s: %w: %w", key, ErrCorrupt, err)
	}
	return obj.ETag, nil
}

// Write encodes v and stores it under key with the given conditions.
func Write(ctx context.Context, st store.Store, key string, v any, opts store.PutOptions) (store.Object, error) {
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

// Modify applies change to the record under key with a conditional
// read-modify-write (If-Match), retried up to attempts times when a
// concurrent write wins (pausing a little between attempts, see Retry).
// It returns the new record and its ETag.
func Modify[T any](ctx context.Context, st store.Store, key string, limit int64, attempts int, change func(*T) error) (*T, string, error) {
	var (
		out  *T
		etag string
	)
	err := Retry(ctx, attempts, func(int) error {
		var v T
		tag, err := Read(ctx, st, key, &v, limit)
		if err != nil {
			return err
		}
		if err := change(&v); err != nil {
			return err
		}
		obj, err := Write(ctx, st, key, &v, store.PutOptions{IfMatch: tag})
		switch {
		case err == nil:
			out, etag = &v, obj.ETag
			return nil
		case errors.Is(err, store.ErrPrecondition):
			return Conflict(err)
		default:
			return err
		}
	})
	if errors.Is(err, ErrContended) {
		return nil, "", fmt.Errorf("update %s: %w", key, err)
	}
	if err != nil {
		return nil, "", err
	}
	return out, etag, nil
}
