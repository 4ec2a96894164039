package web

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/files"
	"github.com/jinnang/jinnang/portal/index/bleveindex"
	"github.com/jinnang/jinnang/portal/store"
)

// gatedLists is a store where, once shut, the next read of a department
// record is done at once but handed back only when the gate opens (a slow
// read whose answer may be outdated by then); waiting counts reads held.
type gatedLists struct {
	store.Store
	mu      sync.Mutex
	gate    chan struct{} // for the next listing; nil: none held
	held    chan struct{} // the gate a listing waits at
	waiting atomic.Int32
}

func (g *gatedLists) shut() {
	g.mu.Lock()
	g.gate = make(chan struct{})
	g.held = g.gate
	g.mu.Unlock()
}

func (g *gatedLists) open() {
	g.mu.Lock()
	close(g.held)
	g.gate = nil
	g.mu.Unlock()
}

func (g *gatedLists) Get(ctx context.Context, key string) (io.ReadCloser, store.Object, error) {
	g.mu.Lock()
	gate := g.gate
	if strings.HasPrefix(key, "departments") {
		g.gate = nil
	} else {
		gate = nil
	}
	g.mu.Unlock()
	rc, obj, err := g.Store.Get(ctx, key)
	if gate == nil || err != nil {
		return rc, obj, err
	}
	b, err := io.ReadAll(rc)
	rc.Close()
	g.waiting.Add(1)
	select {
	case <-gate:
	case <-ctx.Done():
	}
	g.waiting.Add(-1)
	return io.NopCloser(bytes.NewReader(b)), obj, err
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second) // a liveness guard
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestDeptNamesStaleWhileRefresh: past the TTL the old table is served at
// once while one background read fetches the new one; a rename here is
// shown at once.
func TestDeptNamesStaleWhileRefresh(t *testing.T) {
	ctx := t.Context()
	disk, err := store.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ix, err := bleveindex.Open("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	gs := &gatedLists{Store: disk}
	var clock atomic.Int64
	clock.Store(testNow.UnixNano())
	s := &server{files: files.New(gs, ix, log), log: log, now: func() time.Time { return time.Unix(0, clock.Load()) }}
	other := files.New(disk, ix, log) // another process
	if err := other.SaveDepartment(ctx, files.Department{Name: "财务部", Display: "财务一部"}); err != nil {
		t.Fatal(err)
	}
	if got := s.deptShown("财务部"); got != "财务一部" {
		t.Fatalf("first read: %q", got)
	}
	if _, err := other.RenameDepartment(ctx, "财务部", "财务二部"); err != nil {
		t.Fatal(err)
	}
	if got := s.deptShown("财务部"); got != "财务一部" {
		t.Fatalf("within the TTL: %q, want the table read before", got)
	}

	clock.Add(int64(deptNamesTTL))
	gs.shut()
	// Many renders past the TTL while the read hangs: all get the old table
	// (none waits for the read), and only one read is under way.
	done := make(chan []string)
	go func() {
		var got []string
		for range 20 {
			got = append(got, s.deptShown("财务部"))
		}
		done <- got
	}()
	select {
	case got := <-done:
		for _, g := range got {
			if g != "财务一部" {
				t.Fatalf("stale render: %q, want the old table", g)
			}
		}
	case <-time.After(10 * time.Second): // a liveness guard, not a timing assert
		t.Fatal("renders waited for the refresh")
	}
	waitFor(t, "the refresh reads the store", func() bool { return gs.waiting.Load() == 1 })
	if s.deptShown("财务部") != "财务一部" || gs.waiting.Load() != 1 || !s.deptNamesRefreshing() {
		t.Fatal("a second refresh started, or the old table is not served while one is under way")
	}
	gs.open()
	waitFor(t, "the refreshed table arrives", func() bool { return s.deptShown("财务部") == "财务二部" })

	// A refresh begun before a rename here does not put the old name back.
	clock.Add(int64(deptNamesTTL))
	gs.shut()
	s.deptShown("财务部") // starts a refresh, which reads 财务二部 and waits at the gate
	waitFor(t, "the refresh reads the store", func() bool { return gs.waiting.Load() == 1 })
	if _, err := other.RenameDepartment(ctx, "财务部", "财务三部"); err != nil {
		t.Fatal(err)
	}
	s.forgetDeptNames()
	if got := s.deptShown("财务部"); got != "财务三部" { // read at once (the gate holds only the old refresh)
		t.Fatalf("after a rename here: %q", got)
	}
	gs.open() // the old refresh hands back 财务二部: it must not be kept
	waitFor(t, "the old refresh ends", func() bool { return gs.waiting.Load() == 0 && !s.deptNamesRefreshing() })
	if got := s.deptShown("财务部"); got != "财务三部" {
		t.Fatalf("after the old refresh ended: %q", got)
	}
}

func (s *server) deptNamesRefreshing() bool {
	s.deptNames.mu.Lock()
	defer s.deptNames.mu.Unlock()
	return s.deptNames.refreshing
}
