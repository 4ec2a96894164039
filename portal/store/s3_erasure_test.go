package store_test

import (
	"bytes"
	"io"
	"os"
	"testing"

	"github.com/jinnang/jinnang/portal/internal/miniotest"
	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/storetest"
)

// TestS3Erasure runs the storage contract against MinIO erasure-coded over
// four drives, then removes one drive directory (a failed disk) and checks
// that what was written before is still read back whole, and that the
// contract still holds on three drives.
func TestS3Erasure(t *testing.T) {
	srv := miniotest.RunErasure(t)
	cfg := srv.Config()
	for i := 1; i <= miniotest.ErasureDrives; i++ {
		if _, err := os.Stat(srv.Drive(i)); err != nil {
			t.Fatalf("drive %d: %v", i, err)
		}
	}
	t.Run("four drives", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) store.Store {
			s, err := store.NewS3(t.Context(), miniotest.NewBucket(cfg))
			if err != nil {
				t.Fatal(err)
			}
			return s
		})
	})

	before := miniotest.NewBucket(cfg)
	s, err := store.NewS3(t.Context(), before)
	if err != nil {
		t.Fatal(err)
	}
	payload := bytes.Repeat([]byte("锦囊 erasure shard "), 64<<10) // ~1.3 MB: spans every drive
	if _, err := s.Put(t.Context(), "files/big.bin", bytes.NewReader(payload), store.PutOptions{Size: int64(len(payload))}); err != nil {
		t.Fatal(err)
	}

	srv.RemoveDrive(2)
	if _, err := os.Stat(srv.Drive(2)); !os.IsNotExist(err) {
		t.Fatalf("drive 2 still there: %v", err)
	}

	rc, _, err := s.Get(t.Context(), "files/big.bin")
	if err != nil {
		t.Fatalf("read after losing a drive: %v", err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("object read after losing a drive: %d bytes, %v; want %d bytes intact", len(got), err, len(payload))
	}
	t.Run("three drives", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) store.Store {
			s, err := store.NewS3(t.Context(), miniotest.NewBucket(cfg))
			if err != nil {
				t.Fatal(err)
			}
			return s
		})
	})
}
