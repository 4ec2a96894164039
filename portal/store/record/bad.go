package record

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jinnang/jinnang/portal/store"
)

// Bad is a record that could not be read, as the admin health page lists it.
type Bad struct {
	Key    string    `json:"key"`
	Reason string    `json:"reason"`
	ETag   string    `json:"etag"` // of the bad object: a new write clears the report
	At     time.Time `json:"at"`   // when it was first reported
}

// badPrefix holds one marker per bad record, named by a hash of its key, so
// every portal process reports to the same place.
const badPrefix = "health/bad/"

const (
	maxReason    = 300
	maxBadMarker = 4 << 10
)

type quietKey struct{}

type loggerKey struct{}

// WithLogger returns a context whose bad-record reports go to log (without
// one they go to slog's default logger).
func WithLogger(ctx context.Context, log *slog.Logger) context.Context {
	return context.WithValue(ctx, loggerKey{}, log)
}

func loggerOf(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey{}).(*slog.Logger); ok && l != nil {
		return l
	}
	return slog.Default()
}

// Quiet returns a context under which Report neither logs nor writes: the
// anonymous routes use it, so no trace of a visit is kept.
func Quiet(ctx context.Context) context.Context { return context.WithValue(ctx, quietKey{}, true) }

func badKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return badPrefix + hex.EncodeToString(sum[:16]) + ".json"
}

// Report notes that the object under key (version etag) is a record that
// cannot be read (err, usually wrapping ErrCorrupt): it logs it (to the
// logger of WithLogger) and keeps a marker for the admin health page, once
// per version of the object. Lists call it and skip the record; it never
// fails (a failure to write the marker is logged).
func Report(ctx context.Context, st store.Store, key, etag string, err error) {
	if q, _ := ctx.Value(quietKey{}).(bool); q {
		return
	}
	mk := badKey(key)
	var cur Bad
	if _, rerr := Read(ctx, st, mk, &cur, maxBadMarker); rerr == nil && cur.ETag == etag {
		return // already reported
	}
	reason := strings.ToValidUTF8(err.Error(), "\uFFFD")
	if utf8.RuneCountInString(reason) > maxReason {
		reason = string([]rune(reason)[:maxReason]) + "…"
	}
	loggerOf(ctx).LogAttrs(ctx, slog.LevelWarn, "skipping a record that cannot be read; see /admin/health",
		slog.String("key", key), slog.String("reason", reason))
	b, _ := json.Marshal(Bad{Key: key, Reason: reason, ETag: etag, At: time.Now().UTC()})
	if _, werr := st.Put(context.WithoutCancel(ctx), mk, bytes.NewReader(b), store.PutOptions{ContentType: "application/json", Size: int64(len(b))}); werr != nil {
		loggerOf(ctx).Warn("could not keep the bad-record report", "key", key, "err", werr)
	}
}

// Skip reports whether a list should skip a record whose read failed with
// err: the record is corrupt (reported, see Report) or was deleted
// meanwhile. Other errors (the store is down) fail the list.
func Skip(err error) bool {
	return errors.Is(err, ErrCorrupt) || errors.Is(err, store.ErrNotFound)
}

// BadRecords returns the reported bad records, newest first, at most limit.
// A report whose object was deleted or rewritten since is dropped: the new
// version is reported again if it is still bad.
func BadRecords(ctx context.Context, st store.Store, limit int) ([]Bad, error) {
	var out []Bad
	for obj, err := range st.List(ctx, badPrefix) {
		if err != nil {
			return nil, fmt.Errorf("list bad records: %w", err)
		}
		var b Bad
		if _, err := Read(ctx, st, obj.Key, &b, maxBadMarker); err != nil {
			if errors.Is(err, ErrCorrupt) {
				_ = st.Delete(ctx, obj.Key) // a broken marker is worthless
				continue
			}
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			return nil, err
		}
		cur, err := st.Stat(ctx, b.Key)
		switch {
		case errors.Is(err, store.ErrNotFound) || err == nil && cur.ETag != b.ETag:
			if derr := st.Delete(ctx, obj.Key); derr != nil {
				return nil, fmt.Errorf("clear bad-record report: %w", derr)
			}
			continue
		case err != nil:
			return nil, fmt.Errorf("check bad record %s: %w", b.Key, err)
		}
		out = append(out, b)
		if len(out) >= limit {
			break
		}
	}
	for i := 1; i < len(out); i++ { // newest first (few entries)
		for j := i; j > 0 && out[j].At.After(out[j-1].At); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out, nil
}

// ReadReported is Read that also reports a corrupt record (see Report).
func ReadReported(ctx context.Context, st store.Store, key string, v any, limit int64) (string, error) {
	etag, err := Read(ctx, st, key, v, limit)
	if errors.Is(err, ErrCorrupt) {
		Report(ctx, st, key, etag, err)
	}
	return etag, err
}

// Decode decodes b (the object under key, version etag, at most limit
// bytes) into v like Read, reporting a corrupt record. It serves readers
// that fetch the bytes themselves (caches, Markdown).
func Decode(ctx context.Context, st store.Store, key, etag string, b []byte, v any, limit int64) error {
	var err error
	if int64(len(b)) > limit {
		err = fmt.Errorf("read %s: %w: larger than %d bytes", key, ErrCorrupt, limit)
	} else if jerr := json.Unmarshal(b, v); jerr != nil {
		err = fmt.Errorf("decode %s: %w: %w", key, ErrCorrupt, jerr)
	}
	if err != nil {
		Report(ctx, st, key, etag, err)
	}
	return err
}
