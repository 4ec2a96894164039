package suggest

import (
	"context"

	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/record"
)

// maxRecord bounds a record read back from the store: a corrupted or hostile
// object must not make a request read megabytes.
const maxRecord = 1 << 20

// updateAttempts bounds the retries of a conditional read-modify-write.
const updateAttempts = 8

// readJSON decodes the JSON object under key into v and returns its ETag.
func readJSON(ctx context.Context, st store.Store, key string, v any) (string, error) {
	return record.ReadReported(ctx, st, key, v, maxRecord)
}

// writeJSON encodes v and stores it under key with the given conditions.
func writeJSON(ctx context.Context, st store.Store, key string, v any, opts store.PutOptions) (store.Object, error) {
	return record.Write(ctx, st, key, v, opts)
}

// modify applies change to the record under key with If-Match, retrying
// when a concurrent write wins.
func modify[T any](ctx context.Context, st store.Store, key string, change func(*T) error) (*T, string, error) {
	return record.Modify(ctx, st, key, maxRecord, updateAttempts, change)
}
