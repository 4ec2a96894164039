package portal

import (
	"context"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/jinnang/jinnang/portal/backup"
	"github.com/jinnang/jinnang/portal/config"
	"github.com/jinnang/jinnang/portal/internal/miniotest"
	"github.com/jinnang/jinnang/portal/store"
)

// runCmd runs one command of the jinnang binary (import, backup, restore).
func runCmd(t *testing.T, args ...string) error {
	t.Helper()
	return runCmdTo(t, testWriter{t}, args...)
}

// runCmdTo is runCmd with the log written to w.
func runCmdTo(t *testing.T, w io.Writer, args ...string) error {
	t.Helper()
	cfg, err := config.Load(append([]string{"-log-level", "warn"}, args...), func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return Run(context.Background(), cfg, Files{}, w)
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

// lockedBuffer collects a command's log (the logger may write from goroutines).
type lockedBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func s3Flags(cfg store.S3Config) []string {
	return []string{"-s3-endpoint", cfg.Endpoint, "-s3-access-key", cfg.AccessKey, "-s3-secret-key", cfg.SecretKey, "-s3-bucket", cfg.Bucket}
}

// keyHistories counts each key's versions and delete markers, oldest first
// ("v" a version, "d" a marker).
func keyHistories(t *testing.T, s *store.S3) map[string]string {
	t.Helper()
	out := map[string]string{}
	for v, err := range s.ListVersions(context.Background(), "") {
		if err != nil {
			t.Fatal(err)
		}
		if v.DeleteMarker {
			out[v.Key] += "d"
		} else {
			out[v.Key] += "v"
		}
	}
	return out
}

// jinnang backup of a versioned MinIO bucket, then jinnang restore: into a
// versioned bucket the history comes back (each key's versions and delete
// markers); into a data directory the current objects do, the portal
// serves them, and restore logs a warning that the history was left out.
func TestBackupRestoreCommandsVersionedMinIO(t *testing.T) {
	srv := miniotest.Run(t)
	ctx := context.Background()
	newBucket := func() (store.S3Config, *store.S3) {
		cfg := miniotest.NewBucket(srv.Config())
		s, err := store.NewS3(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.EnableVersioning(ctx); err != nil {
			t.Fatal(err)
		}
		return cfg, s
	}
	srcCfg, src := newBucket()
	if err := runCmd(t, append(s3Flags(srcCfg), "-data-dir", t.TempDir(), "import", "../content/packs")...); err != nil {
		t.Fatal(err)
	}
	// History: every pack record written twice, and a file put and deleted.
	var packs []string
	for o, err := range src.List(ctx, "packs/") {
		if err != nil {
			t.Fatal(err)
		}
		packs = append(packs, o.Key)
	}
	if len(packs) == 0 {
		t.Fatal("the import wrote no packs/ records")
	}
	for _, k := range packs {
		rc, o, err := src.Get(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := src.Put(ctx, k, rc, store.PutOptions{ContentType: o.ContentType, Size: o.Size}); err != nil {
			t.Fatal(err)
		}
		rc.Close()
	}
	if _, err := src.Put(ctx, "files/gone/old.bin", strings.NewReader("old"), store.PutOptions{Size: 3}); err != nil {
		t.Fatal(err)
	}
	if err := src.Delete(ctx, "files/gone/old.bin"); err != nil {
		t.Fatal(err)
	}
	want := keyHistories(t, src)
	if want["files/gone/old.bin"] != "vd" || !strings.HasSuffix(want[packs[0]], "vv") {
		t.Fatalf("source history: %v", want)
	}

	file := filepath.Join(t.TempDir(), "jinnang.tar.zst")
	if err := runCmd(t, append(s3Flags(srcCfg), "-data-dir", t.TempDir(), "backup", file)...); err != nil {
		t.Fatal(err)
	}

	dstCfg, dst := newBucket()
	var log lockedBuffer
	if err := runCmdTo(t, &log, append(s3Flags(dstCfg), "-data-dir", t.TempDir(), "restore", file)...); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(log.String(), "history not restored") {
		t.Errorf("restore into a versioned bucket warned:\n%s", log.String())
	}
	got := keyHistories(t, dst)
	for k, h := range want {
		if got[k] != h {
			t.Errorf("%q: restored history %q, want %q", k, got[k], h)
		}
	}
	// The reindex after the restore writes derived records (feeds, counts)
	// the source bucket never had; each is one new version.
	for k, h := range got {
		if _, ok := want[k]; !ok && h != "v" {
			t.Errorf("%q is not in the backup, and has history %q", k, h)
		}
	}

	dir := t.TempDir()
	log = lockedBuffer{}
	if err := runCmdTo(t, &log, "-data-dir", dir, "restore", file); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "history not restored") || !strings.Contains(log.String(), "older versions and delete markers") {
		t.Errorf("restore into a data directory did not warn about the history:\n%s", log.String())
	}
	base := startPortal(t, "-data-dir", dir, "-seed=false")
	resp, err := devClient(t, base, "wangmin").Get(base + "/packs")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "报销流程：从填单到到账") {
		t.Errorf("portal on the restored data directory: GET /packs %d", resp.StatusCode)
	}
}
