package backup

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

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

// step is one change of a key's history: a body, or a delete (marker).
type step struct {
	key, contentType string
	body             []byte
	del              bool
}

// versionedSample is the history the versioned tests back up: a key with
// two versions, then deleted; a key deleted twice (put, delete, put,
// delete, delete: MinIO keeps one marker for the two last deletes); a key
// with two live versions, the older one large (a multipart restore); and a
// key with one version.
func versionedSample() []step {
	big := sample()[3].body
	return []step{
		{key: "packs/old-guide/pack.json", contentType: "application/json", body: []byte(`{"title":"旧指南 第一版"}`)},
		{key: "packs/old-guide/pack.json", contentType: "application/json", body: []byte(`{"title":"旧指南 第二版"}`)},
		{key: "packs/old-guide/pack.json", del: true},
		{key: "stories/s1.json", contentType: "application/json", body: []byte(`{"body":"一"}`)},
		{key: "stories/s1.json", del: true},
		{key: "stories/s1.json", contentType: "text/plain; charset=utf-8", body: nil},
		{key: "stories/s1.json", del: true},
		{key: "stories/s1.json", del: true},
		{key: "files/部门/年会 照片.jpg", contentType: "application/octet-stream", body: big},
		{key: "files/部门/年会 照片.jpg", contentType: "image/jpeg", body: []byte("\xff\xd8\xff\xe0 v2")},
		{key: "packs/new-hire-guide/pack.json", contentType: "application/json", body: []byte(`{"slug":"new-hire-guide"}`)},
	}
}

func apply(t *testing.T, s store.Store, steps []step) {
	t.Helper()
	for _, st := range steps {
		if st.del {
			if err := s.Delete(context.Background(), st.key); err != nil {
				t.Fatal(err)
			}
			continue
		}
		fill(t, s, []object{{st.key, st.contentType, st.body}})
	}
}

// versionHistory renders every key's history, oldest first: each version
// as its size, SHA-256 and content type, a delete marker as "deleted", the
// latest marked with "*". Version ids and times are left out: S3 sets them.
func versionHistory(t *testing.T, s store.Versioned) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	for v, err := range s.ListVersions(ctx, "") {
		if err != nil {
			t.Fatal(err)
		}
		line := v.Key + " "
		if v.DeleteMarker {
			line += "deleted"
		} else {
			rc, o, err := s.GetVersion(ctx, v.Key, v.VersionID)
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			line += fmt.Sprintf("%d %x %s", len(b), sha256.Sum256(b), o.ContentType)
		}
		if v.IsLatest {
			line += " *"
		}
		out = append(out, line)
	}
	return out
}

func newVersionedBucket(t *testing.T, srv *miniotest.Server, enable bool) *store.S3 {
	t.Helper()
	s, err := store.NewS3(context.Background(), miniotest.NewBucket(srv.Config()))
	if err != nil {
		t.Fatal(err)
	}
	if enable {
		if err := s.EnableVersioning(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// TestBackupRestoreVersionedMinIO backs up a versioned MinIO bucket with
// its history and restores it three ways: into a versioned bucket (every
// key's sequence of versions and delete markers matches the source), and
// into a data directory and an unversioned bucket (the current objects,
// with a warning that the history was left out).
func TestBackupRestoreVersionedMinIO(t *testing.T) {
	if _, err := miniotest.FindBinary(); err != nil {
		t.Skipf("no MinIO server binary (%v); set %s to run against MinIO", err, miniotest.EnvBin)
	}
	ctx := context.Background()
	srv := miniotest.Run(t)
	src := newVersionedBucket(t, srv, true)
	steps := versionedSample()
	apply(t, src, steps)
	want := versionHistory(t, src)
	// 2 + 1 marker, 1 + 1 marker + 1 + 1 marker (MinIO does not stack the
	// last delete), 2, 1.
	if len(want) != 10 {
		t.Fatalf("source history has %d entries, want 10:\n%s", len(want), strings.Join(want, "\n"))
	}

	file := filepath.Join(t.TempDir(), "versioned.tar.zst")
	st, err := BackupFile(ctx, src, file)
	if err != nil {
		t.Fatal(err)
	}
	if st.Objects != 2 || st.Versions != 8 || st.Bytes != int64(len(steps[9].body)+len(steps[10].body)) || st.VersionBytes < int64(len(steps[8].body)) {
		t.Errorf("backup stats %+v, want 2 current objects and 8 older versions and markers", st)
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Verify(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if m.Format != FormatVersions || m.Versioning != "Enabled" || len(m.History) != len(want) || len(m.Objects) != 2 {
		t.Fatalf("manifest: format %q, versioning %q, %d history entries, %d objects", m.Format, m.Versioning, len(m.History), len(m.Objects))
	}

	t.Run("into a versioned bucket", func(t *testing.T) {
		dst := newVersionedBucket(t, srv, true)
		rst, err := RestoreFile(ctx, dst, file)
		if err != nil {
			t.Fatal(err)
		}
		if rst != st {
			t.Errorf("restored %+v, backed up %+v", rst, st)
		}
		if got := versionHistory(t, dst); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("restored history\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		same(t, src, dst)
		// A second restore is refused: the bucket is not empty.
		if _, err := RestoreFile(ctx, dst, file); !errors.Is(err, ErrNotEmpty) {
			t.Errorf("second restore: %v, want ErrNotEmpty", err)
		}
	})
	for _, tc := range []struct {
		name string
		dst  func(t *testing.T) store.Store
	}{
		{"into a data directory", newDisk},
		{"into an unversioned bucket", func(t *testing.T) store.Store { return newVersionedBucket(t, srv, false) }},
		{"into a bucket with versioning suspended", func(t *testing.T) store.Store { return suspendedBucket(t, srv) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dst := tc.dst(t)
			rst, err := RestoreFile(ctx, dst, file)
			if err != nil {
				t.Fatal(err)
			}
			if rst.Objects != st.Objects || rst.Bytes != st.Bytes || rst.Versions != 0 {
				t.Errorf("restored %+v, want the %d current objects only", rst, st.Objects)
			}
			if !strings.Contains(rst.Warning, "8 older versions and delete markers of 3 keys") || !strings.Contains(rst.Warning, "only the 2 current objects") {
				t.Errorf("warning %q", rst.Warning)
			}
			same(t, src, dst)
			// A suspended bucket is still backed up with its history
			// (here only the restored current objects, as "null" versions).
			if vs, ok := dst.(store.Versioned); ok {
				if st, _ := vs.Versioning(ctx); st == "Suspended" {
					var buf bytes.Buffer
					if _, err := Backup(ctx, dst, &buf); err != nil {
						t.Fatal(err)
					}
					m, err := Verify(&buf)
					if err != nil {
						t.Fatal(err)
					}
					if m.Format != FormatVersions || m.Versioning != "Suspended" || len(m.History) != 2 || m.History[0].VersionID != "null" {
						t.Errorf("backup of the suspended bucket: format %q, versioning %q, history %+v", m.Format, m.Versioning, m.History)
					}
				}
			}
		})
	}
}

// A versioned bucket whose only content is a delete marker lists no object
// but is not empty: restore refuses it rather than mixing histories.
func TestRestoreRefusesBucketWithOnlyDeleteMarkers(t *testing.T) {
	if _, err := miniotest.FindBinary(); err != nil {
		t.Skipf("no MinIO server binary (%v); set %s to run against MinIO", err, miniotest.EnvBin)
	}
	ctx := context.Background()
	src := newDisk(t)
	fill(t, src, sample()[:1])
	file := filepath.Join(t.TempDir(), "b.tar.zst")
	if _, err := BackupFile(ctx, src, file); err != nil {
		t.Fatal(err)
	}
	dst := newVersionedBucket(t, miniotest.Run(t), true)
	apply(t, dst, []step{{key: "packs/gone/pack.json", body: []byte("{}")}, {key: "packs/gone/pack.json", del: true}})
	for _, err := range dst.List(ctx, "") {
		t.Fatalf("List shows an object (%v); the test needs a bucket that only looks empty", err)
	}
	if _, err := RestoreFile(ctx, dst, file); !errors.Is(err, ErrNotEmpty) {
		t.Fatalf("restore into a bucket with a delete marker: %v, want ErrNotEmpty", err)
	}
}

// An older version whose bytes differ from the manifest (the tar well
// formed, recompressed) is refused before the replay writes anything; so
// is a history whose entries were reordered.
func TestRestoreRefusesDamagedHistory(t *testing.T) {
	if _, err := miniotest.FindBinary(); err != nil {
		t.Skipf("no MinIO server binary (%v); set %s to run against MinIO", err, miniotest.EnvBin)
	}
	ctx := context.Background()
	srv := miniotest.Run(t)
	src := newVersionedBucket(t, srv, true)
	apply(t, src, versionedSample()[:3])
	var buf bytes.Buffer
	if _, err := Backup(ctx, src, &buf); err != nil {
		t.Fatal(err)
	}
	plain := untar(t, buf.Bytes())

	flipped := bytes.Clone(plain)
	i := bytes.Index(flipped, []byte("第一版"))
	if i < 0 {
		t.Fatal("the older version's body is not in the tar")
	}
	flipped[i] ^= 0x01

	// Swap the first two entries (version 1 and 2 of the same key): both
	// are well formed, but out of replay order.
	entries := tarEntries(t, plain)
	entries[0], entries[1] = entries[1], entries[0]
	var swapped bytes.Buffer
	tw := tar.NewWriter(&swapped)
	for _, e := range entries {
		if err := tw.WriteHeader(e.hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}

	for name, tc := range map[string]struct {
		plain []byte
		want  string
	}{
		"flipped byte": {flipped, "sha256"},
		"reordered":    {swapped.Bytes(), "replay order"},
	} {
		file := filepath.Join(t.TempDir(), "damaged.tar.zst")
		if err := os.WriteFile(file, zstdBytes(t, tc.plain), 0o600); err != nil {
			t.Fatal(err)
		}
		dst := newVersionedBucket(t, srv, true)
		_, err := RestoreFile(ctx, dst, file)
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want ErrCorrupt mentioning %q", name, err, tc.want)
		}
		if ok, err := Empty(ctx, dst); !ok || err != nil {
			t.Errorf("%s: the refused restore wrote into the bucket (%v)", name, err)
		}
	}
}

func untar(t *testing.T, compressed []byte) []byte {
	t.Helper()
	zr, err := zstd.NewReader(bytes.NewReader(compressed))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return plain
}

func zstdBytes(t *testing.T, plain []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	zw, err := zstd.NewWriter(&out)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zw.Write(plain); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

type tarEntry struct {
	hdr  *tar.Header
	body []byte
}

func tarEntries(t *testing.T, plain []byte) []tarEntry {
	t.Helper()
	var out []tarEntry
	tr := tar.NewReader(bytes.NewReader(plain))
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tarEntry{hdr, b})
	}
}

// suspendedBucket is a bucket whose versioning was enabled, then suspended
// (puts overwrite the "null" version: a history cannot be replayed).
func suspendedBucket(t *testing.T, srv *miniotest.Server) store.Store {
	t.Helper()
	ctx := context.Background()
	cfg := miniotest.NewBucket(srv.Config())
	s, err := store.NewS3(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.EnableVersioning(ctx); err != nil {
		t.Fatal(err)
	}
	c, err := minio.New(cfg.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""), BucketLookup: minio.BucketLookupPath})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SuspendVersioning(ctx, cfg.Bucket); err != nil {
		t.Fatal(err)
	}
	if st, err := s.Versioning(ctx); err != nil || st != "Suspended" {
		t.Fatalf("versioning %q, %v; want Suspended", st, err)
	}
	return s
}
