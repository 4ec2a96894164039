package store_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/jinnang/jinnang/portal/internal/miniotest"
	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/storetest"
)

func newS3(t *testing.T, cfg store.S3Config) *store.S3 {
	t.Helper()
	s, err := store.NewS3(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func putString(t *testing.T, s store.Store, key, body, ct string) {
	t.Helper()
	if _, err := s.Put(t.Context(), key, strings.NewReader(body), store.PutOptions{ContentType: ct, Size: int64(len(body))}); err != nil {
		t.Fatalf("put %q: %v", key, err)
	}
}

func versions(t *testing.T, s store.Versioned, prefix string) []store.Version {
	t.Helper()
	var vs []store.Version
	for v, err := range s.ListVersions(t.Context(), prefix) {
		if err != nil {
			t.Fatalf("list versions %q: %v", prefix, err)
		}
		vs = append(vs, v)
	}
	return vs
}

// history renders each version as its body or "<deleted>", oldest first,
// with the latest one marked by a "*".
func history(t *testing.T, s store.Versioned, vs []store.Version) string {
	t.Helper()
	var parts []string
	for _, v := range vs {
		p := v.Key + "="
		if v.DeleteMarker {
			p += "<deleted>"
		} else {
			rc, obj, err := s.GetVersion(t.Context(), v.Key, v.VersionID)
			if err != nil {
				t.Fatalf("get version %s of %q: %v", v.VersionID, v.Key, err)
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			if obj.Size != int64(len(b)) || v.Size != obj.Size {
				t.Errorf("version %s of %q: listed %d bytes, got %d, read %d", v.VersionID, v.Key, v.Size, obj.Size, len(b))
			}
			p += string(b) + "(" + obj.ContentType + ")"
		}
		if v.IsLatest {
			p += "*"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, " ")
}

// TestS3Versions checks the versioned store against a real MinIO bucket:
// the versioning state, each key's versions oldest first with delete
// markers in place, GetVersion of every version, and the errors.
func TestS3Versions(t *testing.T) {
	ctx := context.Background()
	s := newS3(t, miniotest.Start(t))

	if st, err := s.Versioning(ctx); err != nil || st != "" {
		t.Fatalf("a new bucket's versioning: %q, %v; want \"\" (never enabled)", st, err)
	}
	// Before versioning, an object has one version, the "null" one.
	putString(t, s, "packs/before/pack.json", "before", "application/json")
	vs := versions(t, s, "")
	if len(vs) != 1 || vs[0].VersionID != "null" || !vs[0].IsLatest || vs[0].DeleteMarker {
		t.Fatalf("unversioned bucket's versions: %+v", vs)
	}
	if err := s.Delete(ctx, "packs/before/pack.json"); err != nil {
		t.Fatal(err)
	}

	if err := s.EnableVersioning(ctx); err != nil {
		t.Fatal(err)
	}
	if st, err := s.Versioning(ctx); err != nil || st != "Enabled" {
		t.Fatalf("versioning after enabling: %q, %v", st, err)
	}

	// a: two versions, then deleted twice (MinIO, unlike AWS S3, does not
	// stack a second delete marker on the first); d: deleted, put again and
	// deleted again (two markers); b: two live versions; c: one.
	putString(t, s, "a/x.json", "a1", "application/json")
	putString(t, s, "a/x.json", "a2-longer", "text/plain; charset=utf-8")
	if err := s.Delete(ctx, "a/x.json"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "a/x.json"); err != nil {
		t.Fatal(err)
	}
	putString(t, s, "b/食堂.json", "b1", "application/json")
	putString(t, s, "b/食堂.json", "b2", "application/json")
	putString(t, s, "c", "c1", "image/jpeg")
	for _, body := range []string{"d1", "d2"} {
		putString(t, s, "d", body, "text/plain")
		if err := s.Delete(ctx, "d"); err != nil {
			t.Fatal(err)
		}
	}

	vs = versions(t, s, "")
	got := history(t, s, vs)
	want := "a/x.json=a1(application/json) a/x.json=a2-longer(text/plain; charset=utf-8) a/x.json=<deleted>* " +
		"b/食堂.json=b1(application/json) b/食堂.json=b2(application/json)* c=c1(image/jpeg)* " +
		"d=d1(text/plain) d=<deleted> d=d2(text/plain) d=<deleted>*"
	if got != want {
		t.Fatalf("history\n got %s\nwant %s", got, want)
	}
	seen := map[string]bool{}
	for i, v := range vs {
		if v.VersionID == "" || v.VersionID == "null" || seen[v.VersionID] {
			t.Errorf("version %d of %q: id %q (want a distinct real id)", i, v.Key, v.VersionID)
		}
		seen[v.VersionID] = true
		if i > 0 && vs[i-1].Key == v.Key && v.ModTime.Before(vs[i-1].ModTime) {
			t.Errorf("%q: version %d (%v) is older than the one before it (%v)", v.Key, i, v.ModTime, vs[i-1].ModTime)
		}
	}
	// The hidden "null" version of the key deleted before versioning is gone.
	if h := history(t, s, versions(t, s, "packs/")); h != "" {
		t.Errorf("packs/ versions: %s, want none", h)
	}
	// A prefix selects one key's history; List shows only live objects.
	if h := history(t, s, versions(t, s, "b/")); h != "b/食堂.json=b1(application/json) b/食堂.json=b2(application/json)*" {
		t.Errorf("b/ history: %s", h)
	}
	var live []string
	for o, err := range s.List(ctx, "") {
		if err != nil {
			t.Fatal(err)
		}
		live = append(live, o.Key)
	}
	if strings.Join(live, " ") != "b/食堂.json c" {
		t.Errorf("List on the versioned bucket: %q, want the two live keys", live)
	}

	// Errors: a delete marker has no body, an unknown id is not found, an
	// empty id and a bad key are refused before any request.
	if _, _, err := s.GetVersion(ctx, "a/x.json", vs[2].VersionID); err == nil {
		t.Error("GetVersion of a delete marker succeeded")
	}
	if _, _, err := s.GetVersion(ctx, "c", "00000000-0000-0000-0000-000000000000"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetVersion of an unknown version: %v, want ErrNotFound", err)
	}
	if _, _, err := s.GetVersion(ctx, "c", ""); err == nil {
		t.Error("GetVersion with an empty version id succeeded")
	}
	if _, _, err := s.GetVersion(ctx, "../c", vs[5].VersionID); !errors.Is(err, store.ErrInvalidKey) {
		t.Errorf("GetVersion of a bad key: %v, want ErrInvalidKey", err)
	}
	for _, err := range s.ListVersions(ctx, "/abs") {
		if !errors.Is(err, store.ErrInvalidKey) {
			t.Errorf("ListVersions of a bad prefix: %v, want ErrInvalidKey", err)
		}
	}

	// Stopping early ends the listing cleanly.
	n := 0
	for _, err := range s.ListVersions(ctx, "") {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 2 {
			break
		}
	}
}

// TestS3ListVersionsPaged lists more versions than one ListObjectVersions
// page (1,000) holds, so each key's history is reassembled across pages.
func TestS3ListVersionsPaged(t *testing.T) {
	ctx := context.Background()
	s := newS3(t, miniotest.Start(t))
	if err := s.EnableVersioning(ctx); err != nil {
		t.Fatal(err)
	}
	const n = 1100
	for i := range n {
		putString(t, s, "k/one", string(rune('a'+i%26))+strings.Repeat("x", i%5), "text/plain")
	}
	putString(t, s, "k/two", "2", "text/plain")
	vs := versions(t, s, "k/")
	if len(vs) != n+1 {
		t.Fatalf("%d versions, want %d", len(vs), n+1)
	}
	for i, v := range vs[:n] {
		if v.Key != "k/one" || v.IsLatest != (i == n-1) {
			t.Fatalf("version %d: key %q latest %v", i, v.Key, v.IsLatest)
		}
		if want := int64(1 + i%5); v.Size != want {
			t.Fatalf("version %d of k/one: %d bytes, want %d (out of order)", i, v.Size, want)
		}
	}
	if vs[n].Key != "k/two" || !vs[n].IsLatest {
		t.Errorf("last entry %+v", vs[n])
	}
}

// TestS3VersionedContract runs the storage contract on a bucket with
// versioning enabled, as a company that turns it on in MinIO has it: the
// conditional writes, deletes and listings the portal relies on behave the
// same.
func TestS3VersionedContract(t *testing.T) {
	cfg := miniotest.Start(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		s := newS3(t, miniotest.NewBucket(cfg))
		if err := s.EnableVersioning(t.Context()); err != nil {
			t.Fatal(err)
		}
		return s
	})
}
