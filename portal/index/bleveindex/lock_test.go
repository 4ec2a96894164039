package bleveindex

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// TestSecondOpenRefused: a second opener of the same index directory (as a
// second portal process on one -data-dir would be) gets ErrLocked with a
// message that says what to do, instead of waiting forever on bolt's lock.
func TestSecondOpenRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "index.bleve")
	first, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(path)
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: %v, want ErrLocked", err)
	}
	for _, want := range []string{path, "another portal process", "Meilisearch"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := Open(path)
	if err != nil {
		t.Fatalf("open after the first closed: %v", err)
	}
	if err := again.Close(); err != nil {
		t.Fatal(err)
	}
}
