package portal

import (
	"context"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jinnang/jinnang/portal/backup"
	"github.com/jinnang/jinnang/portal/config"
)

// runCmd runs one command of the jinnang binary (import, backup, restore).
func runCmd(t *testing.T, args ...string) error {
	t.Helper()
	cfg, err := config.Load(append([]string{"-log-level", "warn"}, args...), func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return Run(context.Background(), cfg, Files{}, testWriter{t})
}

// jinnang backup then jinnang restore into a fresh data directory gives a
// portal that serves the same packs and finds them (the restore reindexed).
func TestBackupRestoreCommands(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	file := filepath.Join(t.TempDir(), "jinnang.tar.zst")
	if err := runCmd(t, "-data-dir", src, "import", "../content/packs"); err != nil {
		t.Fatal(err)
	}
	if err := runCmd(t, "-data-dir", src, "backup", file); err != nil {
		t.Fatal(err)
	}
	if err := runCmd(t, "-data-dir", dst, "restore", file); err != nil {
		t.Fatal(err)
	}
	// A second restore finds the store full and says so.
	if err := runCmd(t, "-data-dir", dst, "restore", file); !errors.Is(err, backup.ErrNotEmpty) {
		t.Fatalf("restore into the restored store: %v, want ErrNotEmpty", err)
	}
	base := startPortal(t, "-data-dir", dst, "-seed=false")
	client := devClient(t, base, "wangmin")
	for path, want := range map[string]string{
		"/packs":              "报销流程：从填单到到账",
		"/search?q=" + "电子发票": "电子发票",
	} {
		resp, err := client.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
			t.Errorf("restored portal GET %s: %d, want 200 with %q", path, resp.StatusCode, want)
		}
	}
}
