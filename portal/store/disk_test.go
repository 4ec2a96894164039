package store_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/storetest"
)

func newDisk(tb testing.TB) *store.Disk {
	tb.Helper()
	d, err := store.NewDisk(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

func TestDisk(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return newDisk(t) })
}

// TestDiskLayout checks that objects live under dir/objects as named files
// whose body follows the header, and that no temp files are left behind.
func TestDiskLayout(t *testing.T) {
	dir := t.TempDir()
	d, err := store.NewDisk(dir)
	if err != nil {
		t.Fatal(err)
	}
	body := "# 报销流程\n"
	if _, err := d.Put(t.Context(), "packs/报销流程.md", bytes.NewBufferString(body), store.PutOptions{Size: -1}); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "objects", "packs", "报销流程.md.obj"))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(raw[len(raw)-len(body):]); got != body {
		t.Fatalf("file ends with %q, want body %q", got, body)
	}
	tmp, err := os.ReadDir(filepath.Join(dir, "tmp"))
	if err != nil {
		t.Fatal(err)
	}
	if len(tmp) != 0 {
		t.Fatalf("temp files left behind: %v", tmp)
	}
	if err := d.Delete(t.Context(), "packs/报销流程.md"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "objects", "packs")); !os.IsNotExist(err) {
		t.Fatalf("empty directory not pruned after Delete (stat: %v)", err)
	}
}

// TestDiskCreateOnceAcrossInstances checks that two Disk values on one
// directory (as two processes would be) still create an object only once.
func TestDiskCreateOnceAcrossInstances(t *testing.T) {
	dir := t.TempDir()
	a, err := store.NewDisk(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := store.NewDisk(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Put(t.Context(), "k", bytes.NewBufferString("a"), store.PutOptions{IfNoneMatch: true}); err != nil {
		t.Fatal(err)
	}
	_, err = b.Put(t.Context(), "k", bytes.NewBufferString("b"), store.PutOptions{IfNoneMatch: true})
	if !errors.Is(err, store.ErrPrecondition) {
		t.Fatalf("second instance create-once: got %v, want ErrPrecondition", err)
	}
}

// TestDiskObjectAndDirectoryKeys checks that the disk backend, unlike MinIO,
// keeps and lists an object "a" next to objects under "a/".
func TestDiskObjectAndDirectoryKeys(t *testing.T) {
	d := newDisk(t)
	keys := []string{"a", "a/b", "a/b/c", "a.obj", "a.obj/x"}
	for _, k := range keys {
		if _, err := d.Put(t.Context(), k, bytes.NewBufferString(k), store.PutOptions{Size: -1}); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for obj, err := range d.List(t.Context(), "") {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, obj.Key)
	}
	want := []string{"a", "a.obj", "a.obj/x", "a/b", "a/b/c"}
	if !slices.Equal(got, want) {
		t.Fatalf("List = %q, want %q", got, want)
	}
}

func TestDiskCorruptHeader(t *testing.T) {
	dir := t.TempDir()
	d, err := store.NewDisk(dir)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "objects", "bad.obj")
	if err := os.WriteFile(p, []byte("not an object"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Stat(t.Context(), "bad"); err == nil {
		t.Fatal("Stat of a corrupt object succeeded")
	}
}

func BenchmarkDiskPut(b *testing.B) {
	d := newDisk(b)
	body := bytes.Repeat([]byte("锦囊"), 2048) // 12 KiB, a typical Markdown page
	b.SetBytes(int64(len(body)))
	for i := 0; b.Loop(); i++ {
		if _, err := d.Put(b.Context(), fmt.Sprintf("bench/%d.md", i%100), bytes.NewReader(body), store.PutOptions{Size: int64(len(body))}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDiskGet(b *testing.B) {
	d := newDisk(b)
	body := bytes.Repeat([]byte("锦囊"), 2048)
	if _, err := d.Put(b.Context(), "bench/page.md", bytes.NewReader(body), store.PutOptions{Size: int64(len(body))}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		rc, _, err := d.Get(b.Context(), "bench/page.md")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, rc); err != nil {
			b.Fatal(err)
		}
		if err := rc.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
