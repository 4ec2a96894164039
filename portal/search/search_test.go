package search

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/index/bleveindex"
	"github.com/jinnang/jinnang/portal/store"
)

func newService(t *testing.T, st store.Store, now func() time.Time) (*Service, index.Index) {
	t.Helper()
	ix, err := bleveindex.Open("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	return New(ix, st, slog.New(slog.NewTextHandler(io.Discard, nil)), now), ix
}

func newStore(t *testing.T) store.Store {
	t.Helper()
	st, err := store.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestSynonyms(t *testing.T) {
	ctx := t.Context()
	st := newStore(t)
	s, ix := newService(t, st, nil)
	if err := ix.Upsert(ctx, index.Doc{ID: "leave", Kind: "pack", Title: "年假计算", Date: time.Now()}); err != nil {
		t.Fatal(err)
	}
	find := func(q string) bool {
		res, err := s.Search(ctx, index.Query{Text: q})
		if err != nil {
			t.Fatal(err)
		}
		return len(res.Hits) > 0
	}
	if text, etag, err := s.Synonyms(ctx); err != nil || text != "" || etag != "" {
		t.Fatalf("no list yet: %q %q %v", text, etag, err)
	}
	if err := s.SeedSynonyms(ctx, "年假, 年休假\n"); err != nil {
		t.Fatal(err)
	}
	if err := s.SeedSynonyms(ctx, "别的, 内容\n"); err != nil { // existing list stays
		t.Fatal(err)
	}
	if find("年休假") {
		t.Fatal("synonym applied before ApplySynonyms")
	}
	if err := s.ApplySynonyms(ctx); err != nil {
		t.Fatal(err)
	}
	if !find("年休假") {
		t.Fatal("年休假 does not find 年假 after ApplySynonyms")
	}
	text, etag, err := s.Synonyms(ctx)
	if err != nil || text != "年假, 年休假\n" || etag == "" {
		t.Fatalf("stored list %q %q %v", text, etag, err)
	}
	// A bad list is refused with its line; nothing changes.
	if err := s.SaveSynonyms(ctx, "年假, 年休假\n只有一个\n", etag); !errors.Is(err, ErrSynonyms) || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("bad list: %v", err)
	}
	if err := s.SaveSynonyms(ctx, "年假, 带薪假\n", etag); err != nil {
		t.Fatal(err)
	}
	if find("年休假") || !find("带薪假") {
		t.Error("saved list not applied")
	}
	// Saving over a version someone replaced loses.
	if err := s.SaveSynonyms(ctx, "年假, 年休假\n", etag); !errors.Is(err, store.ErrPrecondition) {
		t.Errorf("stale save: %v", err)
	}
	// Another process on the same store picks the list up.
	s2, ix2 := newService(t, st, nil)
	if err := ix2.Upsert(ctx, index.Doc{ID: "leave", Kind: "pack", Title: "年假计算", Date: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := s2.ApplySynonyms(ctx); err != nil {
		t.Fatal(err)
	}
	if res, _ := s2.Search(ctx, index.Query{Text: "带薪假"}); len(res.Hits) != 1 {
		t.Error("second process lacks the synonyms")
	}
}

func TestMisses(t *testing.T) {
	ctx := t.Context()
	st := newStore(t)
	var mu sync.Mutex
	now := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC) // a Wednesday of 2026-W10
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	a, _ := newService(t, st, clock)
	b, _ := newService(t, st, clock) // a second portal process

	a.Record("发票丢了怎么办", 0, false)
	a.Record(" 发票丢了怎么办 ", 0, false)
	a.Record("年假", 12, false) // found well: not counted
	a.Record("ＶＰＮ 连不上", 3, true)
	b.Record("发票丢了怎么办", 2, true)
	b.Record("vpn 连不上", 0, false)
	if err := a.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	now = now.AddDate(0, 0, 7) // next week
	mu.Unlock()
	a.Record("门禁卡", 0, false)

	weeks, err := b.Misses(ctx, 3) // flushes b (nothing); a's 门禁卡 is still in a's memory
	if err != nil {
		t.Fatal(err)
	}
	if len(weeks) != 3 || weeks[0].Week != "2026-W11" || weeks[1].Week != "2026-W10" || len(weeks[0].Misses) != 0 || len(weeks[2].Misses) != 0 {
		t.Fatalf("weeks = %+v", weeks)
	}
	if !weeks[1].Start.Equal(time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("week start %v", weeks[1].Start)
	}
	want := []Miss{{Query: "发票丢了怎么办", Zero: 2, Low: 1}, {Query: "vpn 连不上", Zero: 1, Low: 1}}
	if !slices.Equal(weeks[1].Misses, want) {
		t.Errorf("2026-W10 = %+v, want %+v", weeks[1].Misses, want)
	}
	weeks, err = a.Misses(ctx, 1)
	if err != nil || len(weeks[0].Misses) != 1 || weeks[0].Misses[0] != (Miss{Query: "门禁卡", Zero: 1}) {
		t.Errorf("this week after a's flush: %+v %v", weeks, err)
	}

	// The object holds the week and the queries, nothing about who asked.
	rc, _, err := st.Get(ctx, missPrefix+"2026-W10.json")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var raw map[string]json.RawMessage
	if err := json.NewDecoder(rc).Decode(&raw); err != nil {
		t.Fatal(err)
	}
	if len(raw) != 2 || raw["week"] == nil || raw["queries"] == nil {
		t.Errorf("record keys %v", raw)
	}
}

func TestMissesBounded(t *testing.T) {
	ctx := t.Context()
	s, _ := newService(t, newStore(t), func() time.Time { return time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC) })
	for i := range MaxMissQueries + 50 {
		s.Record(fmt.Sprintf("问题%d", i), 0, false)
	}
	s.Record("问题1", 0, false) // a kept query still counts
	s.Record(strings.Repeat("长", 200), 0, false)
	weeks, err := s.Misses(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if weeks[0].Total != MaxMissQueries || len(weeks[0].Misses) != TopMisses || weeks[0].Misses[0] != (Miss{Query: "问题1", Zero: 2}) {
		t.Errorf("total %d shown %d first %+v", weeks[0].Total, len(weeks[0].Misses), weeks[0].Misses[0])
	}
}

func TestFlushKeepsCountsOnFailure(t *testing.T) {
	ctx := t.Context()
	st := &failingStore{Store: newStore(t)}
	s, _ := newService(t, st, nil)
	s.Record("打印机", 0, false)
	st.fail = true
	if err := s.Flush(ctx); err == nil {
		t.Fatal("Flush with a failing store: no error")
	}
	st.fail = false
	weeks, err := s.Misses(ctx, 1)
	if err != nil || len(weeks[0].Misses) != 1 || weeks[0].Misses[0].Zero != 1 {
		t.Errorf("after retry: %+v %v", weeks, err)
	}
}

type failingStore struct {
	store.Store
	fail bool
}

func (f *failingStore) Put(ctx context.Context, key string, r io.Reader, opts store.PutOptions) (store.Object, error) {
	if f.fail {
		return store.Object{}, errors.New("store down")
	}
	return f.Store.Put(ctx, key, r, opts)
}
