package audit

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/internal/miniotest"
	"github.com/jinnang/jinnang/portal/store"
)

func TestLog(t *testing.T) {
	t.Run("disk", func(t *testing.T) {
		testLog(t, func(t *testing.T) store.Store {
			st, err := store.NewDisk(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			return st
		})
	})
	t.Run("minio", func(t *testing.T) {
		cfg := miniotest.Start(t)
		testLog(t, func(t *testing.T) store.Store {
			st, err := store.NewS3(t.Context(), miniotest.NewBucket(cfg))
			if err != nil {
				t.Fatal(err)
			}
			return st
		})
	})
}

func testLog(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("order and limit", func(t *testing.T) {
		ctx := t.Context()
		st := newStore(t)
		now := time.Date(2025, 12, 31, 23, 59, 59, 0, time.UTC)
		l := New(st, func() time.Time { return now })
		// Across a day, month and year boundary, plus one entry recorded late
		// with its own, earlier time.
		for i := range 5 {
			if err := l.Record(ctx, Entry{Actor: "wecom:ZhangWei", Action: "pack.save", Target: fmt.Sprint("pack:p", i)}); err != nil {
				t.Fatal(err)
			}
			now = now.Add(700 * time.Millisecond)
		}
		if err := l.Record(ctx, Entry{At: now.Add(-time.Hour), Action: "auth.login", Actor: "dev:x", Target: "earlier"}); err != nil {
			t.Fatal(err)
		}
		all, err := l.List(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range all {
			got = append(got, e.Target)
		}
		if want := "pack:p4 pack:p3 pack:p2 pack:p1 pack:p0 earlier"; strings.Join(got, " ") != want {
			t.Errorf("List = %q, want %q", strings.Join(got, " "), want)
		}
		for i := 1; i < len(all); i++ {
			if all[i].At.After(all[i-1].At) {
				t.Errorf("entry %d (%v) newer than entry %d (%v)", i, all[i].At, i-1, all[i-1].At)
			}
		}
		if all[0].Actor != "wecom:ZhangWei" || all[0].Action != "pack.save" {
			t.Errorf("newest entry = %+v", all[0])
		}
		two, err := l.List(ctx, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(two) != 2 || two[0].Target != "pack:p4" || two[1].Target != "pack:p3" {
			t.Errorf("List(2) = %+v", two)
		}
		if none, err := l.List(ctx, 0); err != nil || len(none) != 0 {
			t.Errorf("List(0) = %v, %v", none, err)
		}
		// Keys are partitioned by UTC day.
		days := map[string]bool{}
		for obj, err := range st.List(ctx, "audit/") {
			if err != nil {
				t.Fatal(err)
			}
			days[obj.Key[:len("audit/2025/12/31")]] = true
		}
		if !days["audit/2025/12/31"] || !days["audit/2026/01/01"] || len(days) != 2 {
			t.Errorf("day partitions %v", days)
		}
	})

	t.Run("append only", func(t *testing.T) {
		ctx := t.Context()
		st := newStore(t)
		at := time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)
		l := New(st, func() time.Time { return at })
		// Entries with the very same time each get their own object.
		var wg sync.WaitGroup
		errs := make(chan error, 10)
		for i := range 10 {
			wg.Go(func() { errs <- l.Record(ctx, Entry{Action: "admin.reindex", Detail: fmt.Sprint(i)}) })
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		entries, err := l.List(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, e := range entries {
			seen[e.Detail] = true
		}
		if len(entries) != 10 || len(seen) != 10 {
			t.Errorf("%d entries with %d distinct details, want 10 and 10", len(entries), len(seen))
		}
		// The store refuses to overwrite an entry under its key.
		var key string
		for obj, err := range st.List(ctx, prefix) {
			if err != nil {
				t.Fatal(err)
			}
			key = obj.Key
		}
		_, err = st.Put(ctx, key, bytes.NewReader([]byte(`{}`)), store.PutOptions{IfNoneMatch: true})
		if !errors.Is(err, store.ErrPrecondition) {
			t.Errorf("create-once rewrite of %s: %v, want ErrPrecondition", key, err)
		}
	})

	t.Run("invalid", func(t *testing.T) {
		ctx := t.Context()
		l := New(newStore(t), nil)
		if err := l.Record(ctx, Entry{Actor: "x"}); err == nil {
			t.Error("entry without action recorded")
		}
		if err := l.Record(ctx, Entry{Action: "x", Detail: strings.Repeat("长", MaxEntry)}); err == nil {
			t.Error("oversized entry recorded")
		}
		if err := l.Record(ctx, Entry{Action: "x", At: time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC)}); err == nil {
			t.Error("entry before 1970 recorded")
		}
		if entries, err := l.List(ctx, 10); err != nil || len(entries) != 0 {
			t.Errorf("List after refused records = %v, %v", entries, err)
		}
	})
}

func TestEntryKey(t *testing.T) {
	at := time.Date(2025, 3, 7, 1, 2, 3, 4, time.UTC)
	k1, k2 := entryKey(at), entryKey(at)
	if k1 == k2 {
		t.Error("two keys for the same time are equal")
	}
	if !strings.HasPrefix(k1, "audit/2025/03/07/01741309323000000004-") || !isEntryKey(k1) {
		t.Errorf("entryKey = %s", k1)
	}
	for _, bad := range []string{"audit/x.json", "audit/2025/03/07/123-abcd1234.json", "other/2025/03/07/01741309323000000004-abcd1234.json"} {
		if isEntryKey(bad) {
			t.Errorf("isEntryKey(%s) = true", bad)
		}
	}
}
