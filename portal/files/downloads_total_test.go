package files

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/store"
)

// TestDownloadsReadsOneTotalNotEveryDay: a file downloaded on 40 days
// (counted before the total existed) is summed once, then the total is
// kept by each download, and a view reads a fixed number of objects
// however many days have counters.
func TestDownloadsReadsOneTotalNotEveryDay(t *testing.T) {
	cs := store.Counting(diskStore(t))
	s, _ := newService(t, cs)
	ctx := context.Background()
	f := upload(t, s, UploadInput{Name: "a.txt", Body: strings.NewReader("总数")})
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.Local)
	for i := range 40 { // old day counters, 2 downloads each
		key := downloadsDir(f.ID) + day.AddDate(0, 0, i).Format(time.DateOnly) + ".json"
		b := []byte(`{"count":2}`)
		if _, err := cs.Put(ctx, key, bytes.NewReader(b), store.PutOptions{Size: int64(len(b))}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.Downloads(ctx, f.ID); err != nil || n != 80 {
		t.Fatalf("first Downloads = %d, %v; want 80", n, err)
	}
	s.CountDownload(ctx, f.ID)
	s.CountDownload(ctx, f.ID)
	cs.Reset()
	n, err := s.Downloads(ctx, f.ID)
	if err != nil || n != 82 {
		t.Fatalf("Downloads = %d, %v; want 82", n, err)
	}
	if ops := cs.Counts().Ops(); ops > 2 {
		t.Errorf("Downloads with 40 day counters took %d store ops, want ≤ 2 (stat, total)", ops)
	}
	// A second service (another process) sees the same total.
	other, _ := newService(t, cs)
	if n, err := other.Downloads(ctx, f.ID); err != nil || n != 82 {
		t.Errorf("other process: Downloads = %d, %v; want 82", n, err)
	}
	if k := keys(t, cs, "files/"+f.ID+"/downloads/"); len(k) != 41 {
		t.Errorf("day counters = %d, want 41 (kept as history)", len(k))
	}
}
