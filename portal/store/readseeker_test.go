package store_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/jinnang/jinnang/portal/store"
)

// countingStore records the calls that reach the wrapped store.
type countingStore struct {
	store.Store
	mu     sync.Mutex
	ranges [][2]int64 // offset, length of each GetRange
	others int        // Get and Stat calls
}

func (c *countingStore) GetRange(ctx context.Context, key string, offset, length int64) (io.ReadCloser, store.Object, error) {
	c.mu.Lock()
	c.ranges = append(c.ranges, [2]int64{offset, length})
	c.mu.Unlock()
	return c.Store.GetRange(ctx, key, offset, length)
}

func (c *countingStore) Get(ctx context.Context, key string) (io.ReadCloser, store.Object, error) {
	c.mu.Lock()
	c.others++
	c.mu.Unlock()
	return c.Store.Get(ctx, key)
}

func (c *countingStore) Stat(ctx context.Context, key string) (store.Object, error) {
	c.mu.Lock()
	c.others++
	c.mu.Unlock()
	return c.Store.Stat(ctx, key)
}

func (c *countingStore) calls() ([][2]int64, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([][2]int64(nil), c.ranges...), c.others
}

// newCounted returns a disk store wrapped in a counter holding one object
// with body, and the object's metadata.
func newCounted(t *testing.T, body string) (*countingStore, store.Object) {
	t.Helper()
	d := newDisk(t)
	obj, err := d.Put(t.Context(), "f/report.txt", strings.NewReader(body), store.PutOptions{Size: int64(len(body))})
	if err != nil {
		t.Fatal(err)
	}
	return &countingStore{Store: d}, obj
}

func seek(t *testing.T, rs io.Seeker, offset int64, whence int, want int64) {
	t.Helper()
	got, err := rs.Seek(offset, whence)
	if err != nil {
		t.Fatalf("Seek(%d, %d): %v", offset, whence, err)
	}
	if got != want {
		t.Fatalf("Seek(%d, %d) = %d, want %d", offset, whence, got, want)
	}
}

func readN(t *testing.T, r io.Reader, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		t.Fatalf("read %d bytes: %v", n, err)
	}
	return string(b)
}

func TestReadSeekerSeekEndIsFree(t *testing.T) {
	cs, obj := newCounted(t, "0123456789")
	rs := store.NewReadSeeker(t.Context(), cs, obj)
	seek(t, rs, 0, io.SeekEnd, 10)
	seek(t, rs, -3, io.SeekEnd, 7)
	seek(t, rs, 2, io.SeekCurrent, 9)
	seek(t, rs, 0, io.SeekStart, 0)
	if err := rs.Close(); err != nil {
		t.Fatal(err)
	}
	if ranges, others := cs.calls(); len(ranges) != 0 || others != 0 {
		t.Fatalf("seeking cost %d GetRange and %d other calls, want none", len(ranges), others)
	}
}

func TestReadSeekerSequentialReadsReuseStream(t *testing.T) {
	body := strings.Repeat("锦囊妙计", 1000) // 12000 bytes
	cs, obj := newCounted(t, body)
	rs := store.NewReadSeeker(t.Context(), cs, obj)
	defer func() {
		if err := rs.Close(); err != nil {
			t.Error(err)
		}
	}()
	var got bytes.Buffer
	buf := make([]byte, 100) // many small reads
	for {
		n, err := rs.Read(buf)
		got.Write(buf[:n])
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if got.String() != body {
		t.Fatalf("read %d bytes that differ from the object", got.Len())
	}
	ranges, others := cs.calls()
	if len(ranges) != 1 || ranges[0] != [2]int64{0, -1} || others != 0 {
		t.Fatalf("calls: GetRange %v and %d others; want one GetRange(0, -1)", ranges, others)
	}
}

func TestReadSeekerSeekReopens(t *testing.T) {
	cs, obj := newCounted(t, "0123456789abcdef")
	rs := store.NewReadSeeker(t.Context(), cs, obj)
	defer func() {
		if err := rs.Close(); err != nil {
			t.Error(err)
		}
	}()
	seek(t, rs, 4, io.SeekStart, 4)
	if got := readN(t, rs, 3); got != "456" {
		t.Fatalf("read %q after Seek(4)", got)
	}
	seek(t, rs, 0, io.SeekCurrent, 7) // no move: keeps the stream
	if got := readN(t, rs, 2); got != "78" {
		t.Fatalf("read %q after Seek(0, current)", got)
	}
	seek(t, rs, 1, io.SeekStart, 1) // backwards: reopens
	if got := readN(t, rs, 2); got != "12" {
		t.Fatalf("read %q after Seek(1)", got)
	}
	seek(t, rs, -2, io.SeekEnd, 14)
	rest, err := io.ReadAll(rs)
	if err != nil || string(rest) != "ef" {
		t.Fatalf("ReadAll after Seek(-2, end) = %q, %v", rest, err)
	}
	seek(t, rs, 100, io.SeekStart, 100)
	if n, err := rs.Read(make([]byte, 1)); n != 0 || !errors.Is(err, io.EOF) {
		t.Fatalf("Read past the end = %d, %v; want 0, EOF", n, err)
	}
	want := [][2]int64{{4, -1}, {1, -1}, {14, -1}}
	if ranges, others := cs.calls(); len(ranges) != len(want) || ranges[0] != want[0] || ranges[1] != want[1] || ranges[2] != want[2] || others != 0 {
		t.Fatalf("GetRange calls %v (others %d), want %v", ranges, others, want)
	}
}

func TestReadSeekerErrors(t *testing.T) {
	cs, obj := newCounted(t, "0123456789")
	rs := store.NewReadSeeker(t.Context(), cs, obj)
	if _, err := rs.Seek(-1, io.SeekStart); err == nil {
		t.Error("Seek to a negative position succeeded")
	}
	if _, err := rs.Seek(0, 42); err == nil {
		t.Error("Seek with an invalid whence succeeded")
	}
	if err := rs.Close(); err != nil {
		t.Fatal(err)
	}
	if err := rs.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := rs.Read(make([]byte, 1)); err == nil {
		t.Error("Read after Close succeeded")
	}

	// The object changed since obj was taken: reading must not mix versions.
	if _, err := cs.Put(t.Context(), obj.Key, strings.NewReader("a new version"), store.PutOptions{Size: -1}); err != nil {
		t.Fatal(err)
	}
	rs = store.NewReadSeeker(t.Context(), cs, obj)
	_, err := rs.Read(make([]byte, 4))
	if !errors.Is(err, store.ErrPrecondition) {
		t.Fatalf("Read of a changed object: %v, want ErrPrecondition", err)
	}
	if err := rs.Close(); err != nil {
		t.Fatal(err)
	}

	// The object is gone.
	if err := cs.Delete(t.Context(), obj.Key); err != nil {
		t.Fatal(err)
	}
	rs = store.NewReadSeeker(t.Context(), cs, obj)
	if _, err := rs.Read(make([]byte, 4)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Read of a deleted object: %v, want ErrNotFound", err)
	}
	if err := rs.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestReadSeekerShortObject checks that a stream ending before obj.Size is
// an error, not a silent short read.
func TestReadSeekerShortObject(t *testing.T) {
	cs, obj := newCounted(t, "0123456789")
	obj.Size = 20 // as if the metadata promised more than the store holds
	rs := store.NewReadSeeker(t.Context(), cs, obj)
	defer func() {
		if err := rs.Close(); err != nil {
			t.Error(err)
		}
	}()
	_, err := io.ReadAll(rs)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("ReadAll = %v, want io.ErrUnexpectedEOF", err)
	}
}
