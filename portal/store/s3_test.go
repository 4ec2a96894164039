package store_test

import (
	"testing"

	"github.com/jinnang/jinnang/portal/internal/miniotest"
	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/storetest"
)

func TestS3(t *testing.T) {
	cfg := miniotest.Start(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := store.NewS3(t.Context(), miniotest.NewBucket(cfg))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// TestS3ExistingBucket checks that NewS3 accepts a bucket that already exists.
func TestS3ExistingBucket(t *testing.T) {
	cfg := miniotest.Start(t)
	for range 2 {
		s, err := store.NewS3(t.Context(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Ping(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
}

func TestS3BadConfig(t *testing.T) {
	for _, cfg := range []store.S3Config{
		{Bucket: "b"},
		{Endpoint: "http://localhost:9000", Bucket: "b"},
		{Endpoint: "localhost:9000"},
	} {
		if _, err := store.NewS3(t.Context(), cfg); err == nil {
			t.Errorf("NewS3(%+v) succeeded", cfg)
		}
	}
}
