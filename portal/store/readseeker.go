package store

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// ReadSeekCloser is an io.ReadSeeker that holds resources until closed.
type ReadSeekCloser interface {
	io.ReadSeeker
	io.Closer
}

// errClosed is returned by Read and Seek after Close.
var errClosed = errors.New("store: read seeker closed")

// NewReadSeeker adapts the object obj (as returned by Stat, Get or GetRange)
// to io.ReadSeeker, e.g. for http.ServeContent. Seek is free: it only moves
// the offset, so Seek(0, io.SeekEnd) answers obj.Size without I/O. Read
// lazily opens GetRange at the current offset and reuses that stream while
// reads are sequential; a Seek elsewhere closes it and the next Read opens a
// new one. If the object's ETag no longer matches obj.ETag when a stream is
// opened, Read fails with ErrPrecondition rather than splice two versions.
// Close releases the open stream. ctx bounds every GetRange. The result is
// not safe for concurrent use.
func NewReadSeeker(ctx context.Context, st Store, obj Object) ReadSeekCloser {
	return &readSeeker{ctx: ctx, st: st, obj: obj}
}

type readSeeker struct {
	ctx    context.Context
	st     Store
	obj    Object
	off    int64         // offset of the next Read
	rc     io.ReadCloser // open stream positioned at off, or nil
	closed bool
}

// Read reads from the current offset, opening a stream there if needed.
func (r *readSeeker) Read(p []byte) (int, error) {
	if r.closed {
		return 0, errClosed
	}
	if r.off >= r.obj.Size {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	if r.rc == nil {
		rc, cur, err := r.st.GetRange(r.ctx, r.obj.Key, r.off, -1)
		if err != nil {
			return 0, err
		}
		if cur.ETag != r.obj.ETag {
			return 0, errors.Join(
				fmt.Errorf("%w: %q changed from ETag %s to %s while reading", ErrPrecondition, r.obj.Key, r.obj.ETag, cur.ETag),
				rc.Close())
		}
		r.rc = rc
	}
	if rest := r.obj.Size - r.off; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := r.rc.Read(p)
	r.off += int64(n)
	if errors.Is(err, io.EOF) && r.off < r.obj.Size {
		// The stream ended before the size the object claims.
		err = fmt.Errorf("store: read %q: %w at %d of %d bytes", r.obj.Key, io.ErrUnexpectedEOF, r.off, r.obj.Size)
	}
	return n, err
}

// Seek sets the offset for the next Read without any I/O. Offsets past the
// end are allowed (Read then reports io.EOF); negative ones are not.
func (r *readSeeker) Seek(offset int64, whence int) (int64, error) {
	if r.closed {
		return 0, errClosed
	}
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = r.off + offset
	case io.SeekEnd:
		abs = r.obj.Size + offset
	default:
		return 0, fmt.Errorf("store: seek %q: invalid whence %d", r.obj.Key, whence)
	}
	if abs < 0 {
		return 0, fmt.Errorf("store: seek %q: negative position %d", r.obj.Key, abs)
	}
	if abs != r.off && r.rc != nil {
		err := r.rc.Close()
		r.rc = nil
		if err != nil {
			return 0, fmt.Errorf("store: seek %q: close stream: %w", r.obj.Key, err)
		}
	}
	r.off = abs
	return abs, nil
}

// Close releases the open stream, if any. Closing twice is not an error.
func (r *readSeeker) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	if r.rc == nil {
		return nil
	}
	err := r.rc.Close()
	r.rc = nil
	if err != nil {
		return fmt.Errorf("store: close %q: %w", r.obj.Key, err)
	}
	return nil
}
