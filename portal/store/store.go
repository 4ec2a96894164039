// Package store is the object-store port: the only source of truth in Jinnang.
// Every record is an object under a validated key. Two backends implement Store
// (disk, s3) and both pass the contract suite in package storetest.
package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Sentinel errors. Backends map their own errors to these; callers use errors.Is.
var (
	// ErrNotFound means no object exists under the key (also for If-Match on a missing key).
	ErrNotFound = errors.New("store: object not found")
	// ErrPrecondition means a conditional write lost: If-None-Match found an object,
	// or If-Match found a different ETag.
	ErrPrecondition = errors.New("store: precondition failed")
	// ErrInvalidKey means the key failed ValidateKey.
	ErrInvalidKey = errors.New("store: invalid key")
	// ErrInvalidRange means a GetRange offset lies beyond the end of the
	// object (or is negative).
	ErrInvalidRange = errors.New("store: invalid range")
)

// Object describes a stored object.
type Object struct {
	Key         string
	Size        int64
	ETag        string // opaque, without quotes
	ModTime     time.Time
	ContentType string
}

// PutOptions controls a write.
type PutOptions struct {
	// ContentType is stored with the object; empty means application/octet-stream.
	ContentType string
	// Size is the body length if known, or -1 (or 0 with an empty body) when unknown.
	// Backends stream either way; a known size lets S3 avoid multipart buffering.
	Size int64
	// IfNoneMatch makes the write create-once: it fails with ErrPrecondition when
	// an object already exists under the key.
	IfNoneMatch bool
	// IfMatch, when not empty, makes the write an update of exactly that version:
	// ErrNotFound if the key is missing, ErrPrecondition if its ETag differs.
	IfMatch string
}

// Store is the object-store port. Implementations are safe for concurrent use.
//
// Keys pass ValidateKey. A key should not also be a "directory" of other
// keys (objects "a" and "a/b" side by side): MinIO stores both but lists only
// one, so the contract suite leaves that case out and key schemes avoid it.
type Store interface {
	// Get opens the object for streaming. The caller closes the reader.
	Get(ctx context.Context, key string) (io.ReadCloser, Object, error)
	// GetRange streams length bytes of the object starting at offset; length
	// < 0 means to the end, and a length reaching past the end is clipped.
	// An offset equal to the size gives an empty reader; a negative offset or
	// one beyond the size gives ErrInvalidRange. Object is the whole object's
	// metadata (Size is the full size). The caller closes the reader.
	GetRange(ctx context.Context, key string, offset, length int64) (io.ReadCloser, Object, error)
	// Put streams r into the object under key and returns its new metadata.
	Put(ctx context.Context, key string, r io.Reader, opts PutOptions) (Object, error)
	// Delete removes the object. Deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// Stat returns metadata without the body.
	Stat(ctx context.Context, key string) (Object, error)
	// List yields the objects whose keys start with prefix, in lexical key order.
	// An entry's ContentType may be empty (S3 lists without metadata); Stat has it.
	List(ctx context.Context, prefix string) iter.Seq2[Object, error]
	// Ping checks that the backend is reachable (for /readyz).
	Ping(ctx context.Context) error
}

// MaxKeyLen bounds key length in bytes (S3 allows 1024).
const MaxKeyLen = 1024

// MaxSegmentLen bounds one segment of a key (between slashes) in bytes:
// file systems allow 255 bytes a name, and the disk store adds a suffix.
// Keys should not carry user text of unbounded length at all: keep a name
// in the record and a short, bounded form (or an id) in the key.
const MaxSegmentLen = 240

// ValidateKey rejects keys that could escape a prefix or confuse a backend:
// empty, too long (or with a segment over MaxSegmentLen), invalid UTF-8,
// absolute, with "..", "." or empty segments, backslashes, or control
// characters.
func ValidateKey(key string) error {
	bad := func(why string) error { return fmt.Errorf("%w %q: %s", ErrInvalidKey, key, why) }
	switch {
	case key == "":
		return bad("empty")
	case len(key) > MaxKeyLen:
		return bad("too long")
	case !utf8.ValidString(key):
		return bad("not UTF-8")
	case strings.HasPrefix(key, "/"):
		return bad("absolute path")
	case strings.ContainsRune(key, '\\'):
		return bad("backslash")
	}
	for _, r := range key {
		if unicode.IsControl(r) {
			return bad("control character")
		}
	}
	for _, seg := range strings.Split(key, "/") {
		switch seg {
		case "":
			return bad("empty path segment")
		case ".", "..":
			return bad("dot segment")
		}
		if len(seg) > MaxSegmentLen {
			return bad(fmt.Sprintf("a segment longer than %d bytes", MaxSegmentLen))
		}
	}
	return nil
}

// ValidatePrefix is ValidateKey for List prefixes: empty is allowed, and a
// trailing slash is allowed.
func ValidatePrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	return ValidateKey(strings.TrimSuffix(prefix, "/"))
}

// DefaultContentType is stored when PutOptions.ContentType is empty.
const DefaultContentType = "application/octet-stream"

func contentTypeOrDefault(ct string) string {
	if ct == "" {
		return DefaultContentType
	}
	return ct
}

// check rejects contradictory or malformed options before any byte is written.
func (o PutOptions) check() error {
	if o.IfNoneMatch && o.IfMatch != "" {
		return errors.New("store: IfNoneMatch and IfMatch are mutually exclusive")
	}
	for _, r := range o.ContentType {
		if r < 0x20 || r > 0x7e {
			return fmt.Errorf("store: content type %q: only printable ASCII is allowed", o.ContentType)
		}
	}
	if strings.ContainsAny(o.IfMatch, "\"*") {
		return fmt.Errorf("store: IfMatch %q: give a bare ETag, without quotes or wildcards", o.IfMatch)
	}
	return nil
}

// clipRange checks a GetRange request against an object of size bytes and
// returns how many bytes it covers.
func clipRange(key string, offset, length, size int64) (int64, error) {
	if offset < 0 || offset > size {
		return 0, fmt.Errorf("%w: offset %d of %q (%d bytes)", ErrInvalidRange, offset, key, size)
	}
	n := size - offset
	if length >= 0 && length < n {
		n = length
	}
	return n, nil
}
