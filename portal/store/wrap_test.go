package store_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/calls"
	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/storetest"
)

// stallStore is a Disk store that can freeze like a SIGSTOPped server: while
// frozen, every call and every Read of an open body waits until its context
// ends.
type stallStore struct {
	store.Store
	frozen atomic.Bool
}

func (s *stallStore) wait(ctx context.Context) error {
	if !s.frozen.Load() {
		return nil
	}
	<-ctx.Done()
	return ctx.Err()
}

func (s *stallStore) Get(ctx context.Context, key string) (io.ReadCloser, store.Object, error) {
	if err := s.wait(ctx); err != nil {
		return nil, store.Object{}, err
	}
	rc, obj, err := s.Store.Get(ctx, key)
	if err != nil {
		return nil, obj, err
	}
	return &stallBody{s: s, ctx: ctx, rc: rc}, obj, nil
}

func (s *stallStore) Stat(ctx context.Context, key string) (store.Object, error) {
	if err := s.wait(ctx); err != nil {
		return store.Object{}, err
	}
	return s.Store.Stat(ctx, key)
}

func (s *stallStore) Put(ctx context.Context, key string, r io.Reader, opts store.PutOptions) (store.Object, error) {
	b, err := io.ReadAll(r) // the body is read first, as S3 fills a part
	if err != nil {
		return store.Object{}, err
	}
	if err := s.wait(ctx); err != nil {
		return store.Object{}, err
	}
	return s.Store.Put(ctx, key, bytes.NewReader(b), opts)
}

type stallBody struct {
	s   *stallStore
	ctx context.Context
	rc  io.ReadCloser
}

func (b *stallBody) Read(p []byte) (int, error) {
	if err := b.s.wait(b.ctx); err != nil {
		return 0, err
	}
	if err := b.ctx.Err(); err != nil {
		return 0, err
	}
	return b.rc.Read(p[:min(len(p), 1024)])
}

func (b *stallBody) Close() error { return b.rc.Close() }

// slowReader hands out its bytes one small piece at a time, pausing before each.
type slowReader struct {
	r     io.Reader
	pause time.Duration
}

func (s *slowReader) Read(p []byte) (int, error) {
	time.Sleep(s.pause)
	return s.r.Read(p[:min(len(p), 1024)])
}

func TestDeadlineBoundsWaitsNotStreams(t *testing.T) {
	// d is long enough that a busy machine's scheduling delays never look
	// like a stall; the slow caller's pauses add up to well over d.
	const d = time.Second
	disk, err := store.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	raw := &stallStore{Store: disk}
	st := store.Wrap(raw, calls.Deadline(d))
	ctx := t.Context()
	body := strings.Repeat("锦囊", 1024) // 6 KiB: 6 Reads of 1 KiB

	// A slow body (a slow client) takes far longer than d in all: the Put
	// still succeeds, because reading its body is not the store's time.
	if _, err := st.Put(ctx, "a/big.txt", &slowReader{r: strings.NewReader(body), pause: d / 2}, store.PutOptions{}); err != nil {
		t.Fatalf("slow-bodied Put failed: %v", err)
	}
	// A slow reader of a Get body is not cut off either.
	rc, _, err := st.Get(ctx, "a/big.txt")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(&slowReader{r: rc, pause: d / 2})
	if err != nil || string(got) != body {
		t.Fatalf("slow Get read: %d bytes, %v", len(got), err)
	}
	if err := rc.Close(); err != nil {
		t.Fatal(err)
	}
	// Nor is a List whose loop is slow.
	for _, k := range []string{"a/1", "a/2", "a/3"} {
		if _, err := st.Put(ctx, k, strings.NewReader(k), store.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	for _, err := range st.List(ctx, "a/") {
		if err != nil {
			t.Fatalf("slow List: %v", err)
		}
		time.Sleep(d * 3 / 4)
		n++
	}
	if n != 4 {
		t.Errorf("listed %d objects, want 4", n)
	}

	// A frozen backend: each kind of call fails with ErrUnavailable.
	raw.frozen.Store(true)
	if _, err := st.Stat(ctx, "a/1"); !errors.Is(err, store.ErrUnavailable) || !errors.Is(err, calls.ErrDeadline) {
		t.Errorf("Stat on a frozen store: %v, want ErrUnavailable", err)
	}
	if _, _, err := st.Get(ctx, "a/1"); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Get on a frozen store: %v", err)
	}
	if _, err := st.Put(ctx, "a/4", strings.NewReader("x"), store.PutOptions{}); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Put on a frozen store: %v", err)
	}
	// A stall in the middle of a download.
	raw.frozen.Store(false)
	rc, _, err = st.Get(ctx, "a/big.txt")
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1024)
	if _, err := rc.Read(buf); err != nil {
		t.Fatal(err)
	}
	raw.frozen.Store(true)
	if _, err := io.ReadAll(rc); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Read after the backend froze: %v", err)
	}
	if err := rc.Close(); err != nil {
		t.Fatal(err)
	}
	// The caller's own cancellation is not the store's fault.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := st.Stat(cctx, "a/1"); errors.Is(err, store.ErrUnavailable) || !errors.Is(err, context.Canceled) {
		t.Errorf("Stat with a cancelled context: %v, want context.Canceled only", err)
	}
}

// TestWrapEndsEveryCall checks that each call is one calls.Call that ends
// exactly once: a Get when its body closes, a List when its loop stops.
func TestWrapEndsEveryCall(t *testing.T) {
	disk, err := store.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var started, ended atomic.Int64
	var ops []string
	count := func(ctx context.Context, c *calls.Call, next calls.Next) error {
		started.Add(1)
		ops = append(ops, c.Op)
		c.Watch(calls.Watcher{End: func(error) { ended.Add(1) }})
		return next(ctx)
	}
	st := store.Wrap(disk, count)
	ctx := t.Context()
	if _, err := st.Put(ctx, "k/1", strings.NewReader("1"), store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Put(ctx, "k/2", strings.NewReader("2"), store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	rc, _, err := st.Get(ctx, "k/1")
	if err != nil {
		t.Fatal(err)
	}
	if ended.Load() != 2 {
		t.Errorf("a Get ended before its body was closed")
	}
	if err := rc.Close(); err != nil {
		t.Fatal(err)
	}
	for range st.List(ctx, "k/") {
		break
	}
	if _, err := st.Stat(ctx, "k/9"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Stat of a missing key: %v", err)
	}
	if err := st.Delete(ctx, "k/2"); err != nil {
		t.Fatal(err)
	}
	if err := st.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	rc, _, err = st.GetRange(ctx, "k/1", 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	rc.Close()
	want := "put put get list stat delete ping get_range"
	if got := strings.Join(ops, " "); got != want {
		t.Errorf("ops %q, want %q", got, want)
	}
	if started.Load() != 8 || ended.Load() != 8 {
		t.Errorf("started %d, ended %d calls; want 8 and 8", started.Load(), ended.Load())
	}
}

// TestWrappedDisk runs the store contract through a deadline wrapper: the
// wrapper changes nothing a caller can see.
func TestWrappedDisk(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		disk, err := store.NewDisk(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return store.Wrap(disk, calls.Deadline(10*time.Second))
	})
}
