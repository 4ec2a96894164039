package backup

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/jinnang/jinnang/portal/internal/miniotest"
	"github.com/jinnang/jinnang/portal/store"
)

type object struct {
	key, contentType string
	body             []byte
}

func sample() []object {
	big := make([]byte, 6<<20+123) // several zstd blocks and tar records
	r := rand.New(rand.NewPCG(1, 2))
	for i := range big {
		big[i] = byte(r.UintN(256))
	}
	return []object{
		{"packs/new-hire-guide/pack.json", "application/json", []byte(`{"slug":"new-hire-guide","title":"新人指南"}`)},
		{"packs/食堂/pack.json", "application/json", []byte(`{"title":"食堂在几楼？"}`)},
		{"files/部门/年会 照片.jpg", "image/jpeg", []byte("\xff\xd8\xff\xe0 not really a jpeg")},
		{"files/big/video.bin", "application/octet-stream", big},
		{"stories/empty", "text/plain; charset=utf-8", nil},
	}
}

func fill(t *testing.T, s store.Store, objs []object) {
	t.Helper()
	for _, o := range objs {
		if _, err := s.Put(context.Background(), o.key, bytes.NewReader(o.body), store.PutOptions{ContentType: o.contentType, Size: int64(len(o.body))}); err != nil {
			t.Fatalf("put %q: %v", o.key, err)
		}
	}
}

func newDisk(t *testing.T) store.Store {
	t.Helper()
	s, err := store.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// same compares every object of want and got, byte for byte, with its content type.
func same(t *testing.T, want, got store.Store) {
	t.Helper()
	ctx := context.Background()
	var wantKeys, gotKeys []string
	for o, err := range want.List(ctx, "") {
		if err != nil {
			t.Fatal(err)
		}
		wantKeys = append(wantKeys, o.Key)
	}
	for o, err := range got.List(ctx, "") {
		if err != nil {
			t.Fatal(err)
		}
		gotKeys = append(gotKeys, o.Key)
	}
	if strings.Join(wantKeys, "\n") != strings.Join(gotKeys, "\n") {
		t.Fatalf("restored keys\n%q\nwant\n%q", gotKeys, wantKeys)
	}
	for _, k := range wantKeys {
		a, ao := read(t, want, k)
		b, bo := read(t, got, k)
		if !bytes.Equal(a, b) {
			t.Errorf("%q: restored %d bytes differ from the original %d", k, len(b), len(a))
		}
		if ao.ContentType != bo.ContentType {
			t.Errorf("%q: content type %q, want %q", k, bo.ContentType, ao.ContentType)
		}
	}
}

func read(t *testing.T, s store.Store, key string) ([]byte, store.Object) {
	t.Helper()
	rc, o, err := s.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("get %q: %v", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b, o
}

func roundTrip(t *testing.T, src store.Store, objs []object) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "jinnang.tar.zst")
	st, err := BackupFile(ctx, src, file)
	if err != nil {
		t.Fatal(err)
	}
	if st.Objects != len(objs) {
		t.Errorf("backed up %d objects, want %d", st.Objects, len(objs))
	}
	dst := newDisk(t)
	rst, err := RestoreFile(ctx, dst, file)
	if err != nil {
		t.Fatal(err)
	}
	if rst != st {
		t.Errorf("restored %+v, backed up %+v", rst, st)
	}
	same(t, src, dst)
	for _, o := range objs {
		if b, _ := read(t, dst, o.key); !bytes.Equal(b, o.body) {
			t.Errorf("%q differs from what was put", o.key)
		}
	}
}

func TestBackupRestoreDisk(t *testing.T) {
	src := newDisk(t)
	objs := sample()
	fill(t, src, objs)
	roundTrip(t, src, objs)
}

func TestBackupRestoreMinIOToDisk(t *testing.T) {
	if _, err := miniotest.FindBinary(); err != nil {
		t.Skipf("no MinIO server binary (%v); set %s to run against MinIO", err, miniotest.EnvBin)
	}
	src, err := store.NewS3(context.Background(), miniotest.Start(t))
	if err != nil {
		t.Fatal(err)
	}
	objs := sample()
	fill(t, src, objs)
	roundTrip(t, src, objs)
}

func TestRestoreRefusesNonEmptyStore(t *testing.T) {
	ctx := context.Background()
	src := newDisk(t)
	fill(t, src, sample()[:2])
	file := filepath.Join(t.TempDir(), "b.tar.zst")
	if _, err := BackupFile(ctx, src, file); err != nil {
		t.Fatal(err)
	}
	dst := newDisk(t)
	fill(t, dst, []object{{"packs/other/pack.json", "application/json", []byte("{}")}})
	if _, err := RestoreFile(ctx, dst, file); !errors.Is(err, ErrNotEmpty) {
		t.Fatalf("restore into a non-empty store: %v, want ErrNotEmpty", err)
	}
	if _, _, err := dst.Get(ctx, sample()[0].key); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("restore wrote into the non-empty store: %v", err)
	}
}

// A flipped byte anywhere in the compressed file is refused, and nothing is written.
func TestRestoreRefusesFlippedByte(t *testing.T) {
	ctx := context.Background()
	src := newDisk(t)
	fill(t, src, sample())
	file := filepath.Join(t.TempDir(), "b.tar.zst")
	if _, err := BackupFile(ctx, src, file); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range []int{len(raw) / 3, len(raw) / 2, len(raw) - 20} {
		bad := bytes.Clone(raw)
		bad[at] ^= 0x40
		badFile := filepath.Join(t.TempDir(), "bad.tar.zst")
		if err := os.WriteFile(badFile, bad, 0o600); err != nil {
			t.Fatal(err)
		}
		dst := newDisk(t)
		_, err := RestoreFile(ctx, dst, badFile)
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("byte %d of %d flipped: restore error %v, want ErrCorrupt", at, len(raw), err)
		}
		if ok, _ := Empty(ctx, dst); !ok {
			t.Errorf("byte %d flipped: the refused restore wrote objects", at)
		}
	}
}

// An object whose bytes differ from the manifest's sha256 (the tar itself
// well formed, recompressed so zstd's own checksum passes) is refused by
// the manifest check.
func TestRestoreRefusesManifestMismatch(t *testing.T) {
	ctx := context.Background()
	src := newDisk(t)
	fill(t, src, sample()[:3])
	var buf bytes.Buffer
	if _, err := Backup(ctx, src, &buf); err != nil {
		t.Fatal(err)
	}
	zr, err := zstd.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	zr.Close()
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(plain, []byte("食堂在几楼"))
	if i < 0 {
		t.Fatal("object body not found in the tar")
	}
	plain[i] ^= 0x01
	// Still a valid tar: the body length did not change.
	if _, err := tar.NewReader(bytes.NewReader(plain)).Next(); err != nil {
		t.Fatal(err)
	}
	var re bytes.Buffer
	zw, _ := zstd.NewWriter(&re)
	zw.Write(plain)
	zw.Close()
	file := filepath.Join(t.TempDir(), "tampered.tar.zst")
	if err := os.WriteFile(file, re.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = RestoreFile(ctx, newDisk(t), file)
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "sha256") {
		t.Fatalf("tampered object: %v, want a sha256 mismatch", err)
	}
}

// BenchmarkBackupRestore backs up and restores a disk store with 200 small
// records and one 6 MiB binary (random, so zstd cannot shrink it).
func BenchmarkBackupRestore(b *testing.B) {
	ctx := context.Background()
	src, err := store.NewDisk(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	objs := sample()
	for i := range 200 {
		objs = append(objs, object{key: "packs/p" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + "/" + string(rune('0'+i%10)) + "/r" + string(rune('a'+i/26)) + ".json", contentType: "application/json", body: bytes.Repeat([]byte(`{"title":"锦囊","body":"每一步怎么操作"}`), 20)})
	}
	for _, o := range objs {
		if _, err := src.Put(ctx, o.key, bytes.NewReader(o.body), store.PutOptions{ContentType: o.contentType, Size: int64(len(o.body))}); err != nil {
			b.Fatal(err)
		}
	}
	file := filepath.Join(b.TempDir(), "b.tar.zst")
	b.ResetTimer()
	for b.Loop() {
		st, err := BackupFile(ctx, src, file)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(st.Bytes)
		dst, err := store.NewDisk(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		if _, err := RestoreFile(ctx, dst, file); err != nil {
			b.Fatal(err)
		}
	}
}
