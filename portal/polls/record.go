package polls

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/jinnang/jinnang/portal/store"
)

// maxRecord bounds a record read back from the store: a corrupted or hostile
// object must not make a request read megabytes.
const maxRecord = 1 << 20

// updateAttempts bounds the retries of a conditional read-modify-write.
const updateAttempts = 8

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
		return "", fmt.Errorf("read %s: larger than %d bytes", key, maxRecord)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return "", fmt.Errorf("decode %s: %w", key, err)
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

// modify applies change to the record under key with a conditional
// read-modify-write (If-Match), retried when a concurrent write wins.
func modify[T any](ctx context.Context, st store.Store, key string, change func(*T) error) (*T, string, error) {
	for range updateAttempts {
		var v T
		etag, err := readJSON(ctx, st, key, &v)
		if err != nil {
			return nil, "", err
		}
		if err := change(&v); err != nil {
			return nil, "", err
		}
		obj, err := writeJSON(ctx, st, key, &v, store.PutOptions{IfMatch: etag})
		switch {
		case err == nil:
			return &v, obj.ETag, nil
		case errors.Is(err, store.ErrPrecondition):
			continue
		default:
			return nil, "", err
		}
	}
	return nil, "", fmt.Errorf("update %s: %d concurrent writes in a row: %w", key, updateAttempts, store.ErrPrecondition)
}
