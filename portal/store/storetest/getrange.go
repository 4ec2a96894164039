package storetest

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jinnang/jinnang/portal/store"
)

// getRange reads a whole GetRange answer.
func getRange(t *testing.T, s store.Store, key string, offset, length int64) (string, store.Object) {
	t.Helper()
	rc, obj, err := s.GetRange(t.Context(), key, offset, length)
	if err != nil {
		t.Fatalf("GetRange(%q, %d, %d): %v", key, offset, length, err)
	}
	b, err := io.ReadAll(rc)
	if cerr := rc.Close(); cerr != nil {
		t.Fatalf("GetRange(%q, %d, %d): close: %v", key, offset, length, cerr)
	}
	if err != nil {
		t.Fatalf("GetRange(%q, %d, %d): read: %v", key, offset, length, err)
	}
	return string(b), obj
}

func testGetRange(t *testing.T, s store.Store) {
	const key = "range/报销单.txt"
	const body = "0123456789abcdefghij锦囊" // 26 bytes
	p := put(t, s, key, body, store.PutOptions{Size: int64(len(body)), ContentType: "text/plain; charset=utf-8"})
	size := int64(len(body))
	for _, tc := range []struct {
		name           string
		offset, length int64
		want           string
	}{
		{"whole", 0, -1, body},
		{"whole by length", 0, size, body},
		{"start", 0, 5, "01234"},
		{"one byte", 0, 1, "0"},
		{"middle", 10, 4, "abcd"},
		{"to end", 20, -1, "锦囊"},
		{"last byte", size - 1, 1, body[size-1:]},
		{"beyond end clipped", 17, 1000, "hij锦囊"},
		{"huge length clipped", 3, 1 << 62, body[3:]},
		{"zero length", 4, 0, ""},
		{"at size", size, -1, ""},
		{"at size with length", size, 10, ""},
	} {
		got, obj := getRange(t, s, key, tc.offset, tc.length)
		if got != tc.want {
			t.Errorf("%s: GetRange(%d, %d) = %q, want %q", tc.name, tc.offset, tc.length, got, tc.want)
		}
		checkMeta(t, tc.name, obj, key, size, "text/plain; charset=utf-8")
		if obj.ETag != p.ETag {
			t.Errorf("%s: ETag = %q, Put returned %q", tc.name, obj.ETag, p.ETag)
		}
	}
}

func testGetRangeEmptyObject(t *testing.T, s store.Store) {
	put(t, s, "range/empty", "", store.PutOptions{Size: 0})
	for _, r := range [][2]int64{{0, -1}, {0, 10}, {0, 0}} {
		got, obj := getRange(t, s, "range/empty", r[0], r[1])
		if got != "" || obj.Size != 0 {
			t.Errorf("GetRange(empty, %d, %d) = %q, size %d; want nothing", r[0], r[1], got, obj.Size)
		}
	}
	rc, _, err := s.GetRange(t.Context(), "range/empty", 1, -1)
	if rc != nil {
		t.Error("GetRange past the end of an empty object returned a reader")
	}
	wantErr(t, "GetRange(empty, 1, -1)", err, store.ErrInvalidRange)
}

func testGetRangeErrors(t *testing.T, s store.Store) {
	put(t, s, "range/ten", "0123456789", store.PutOptions{Size: 10})
	for _, tc := range []struct {
		key            string
		offset, length int64
		want           error
	}{
		{"range/ten", 11, -1, store.ErrInvalidRange},
		{"range/ten", 11, 5, store.ErrInvalidRange},
		{"range/ten", 1000, 0, store.ErrInvalidRange},
		{"range/ten", -1, 5, store.ErrInvalidRange},
		{"range/ten", -1, -1, store.ErrInvalidRange},
		{"range/missing", 0, -1, store.ErrNotFound},
		{"range/missing", 5, 10, store.ErrNotFound},
		{"range/missing", 0, 0, store.ErrNotFound},
		{"range/../ten", 0, 1, store.ErrInvalidKey},
		{"", 0, -1, store.ErrInvalidKey},
	} {
		rc, _, err := s.GetRange(t.Context(), tc.key, tc.offset, tc.length)
		if rc != nil {
			t.Errorf("GetRange(%q, %d, %d) returned a reader with error %v", tc.key, tc.offset, tc.length, err)
			if cerr := rc.Close(); cerr != nil {
				t.Error(cerr)
			}
		}
		wantErr(t, fmt.Sprintf("GetRange(%q, %d, %d)", tc.key, tc.offset, tc.length), err, tc.want)
	}
}

// genBytes returns bytes [offset, offset+n) of newGen(total, seed)'s stream.
func genBytes(t *testing.T, total int64, seed uint64, offset, n int64) []byte {
	t.Helper()
	g := newGen(total, seed)
	if _, err := io.CopyN(io.Discard, g, offset); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(g, b); err != nil {
		t.Fatal(err)
	}
	return b
}

// testGetRangeLarge reads small ranges inside a LargeSize object streamed in
// with Put: each answer holds exactly the bytes asked for, not the object.
func testGetRangeLarge(t *testing.T, s store.Store) {
	const seed = 9
	key := "large/range.bin"
	p, err := s.Put(t.Context(), key, newGen(LargeSize, seed), store.PutOptions{Size: -1, ContentType: "application/x-test"})
	if err != nil {
		t.Fatalf("Put large: %v", err)
	}
	for _, r := range [][2]int64{
		{40<<20 + 12345, 100_000},   // middle, across a 64 KiB chunk boundary
		{store.S3PartSize - 10, 20}, // across an S3 multipart part boundary
		{LargeSize - 1000, -1},      // tail
		{0, 777},                    // head
	} {
		offset, length := r[0], r[1]
		n := length
		if n < 0 {
			n = LargeSize - offset
		}
		rc, obj, err := s.GetRange(t.Context(), key, offset, length)
		if err != nil {
			t.Fatalf("GetRange(%d, %d): %v", offset, length, err)
		}
		// Read at most one byte more than the range: a reader that ignored
		// the range would be caught without reading 64 MiB.
		got, err := io.ReadAll(io.LimitReader(rc, n+1))
		if cerr := rc.Close(); cerr != nil {
			t.Fatalf("close: %v", cerr)
		}
		if err != nil {
			t.Fatalf("GetRange(%d, %d): read: %v", offset, length, err)
		}
		if int64(len(got)) != n {
			t.Fatalf("GetRange(%d, %d) gave %d bytes, want %d", offset, length, len(got), n)
		}
		if !bytes.Equal(got, genBytes(t, LargeSize, seed, offset, n)) {
			t.Fatalf("GetRange(%d, %d) gave the wrong bytes", offset, length)
		}
		checkMeta(t, "GetRange large", obj, key, LargeSize, "application/x-test")
		if obj.ETag != p.ETag {
			t.Errorf("GetRange ETag = %q, Put returned %q", obj.ETag, p.ETag)
		}
	}
}

// testReadSeekerServeContent serves an object through store.NewReadSeeker
// with http.ServeContent and checks full, ranged and multi-range answers.
func testReadSeekerServeContent(t *testing.T, s store.Store) {
	const key = "files/abc/v1/report.bin"
	const size = 300_000
	data := genBytes(t, size, 3, 0, size)
	if _, err := s.Put(t.Context(), key, bytes.NewReader(data), store.PutOptions{Size: size}); err != nil {
		t.Fatal(err)
	}
	obj, err := s.Stat(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	serve := func(t *testing.T, header http.Header) *http.Response {
		t.Helper()
		req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/download", nil)
		for k, v := range header {
			req.Header[k] = v
		}
		rs := store.NewReadSeeker(t.Context(), s, obj)
		rec := httptest.NewRecorder()
		rec.Header().Set("ETag", `"`+obj.ETag+`"`)
		http.ServeContent(rec, req, "report.bin", obj.ModTime, rs)
		if err := rs.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		return rec.Result()
	}
	body := func(t *testing.T, resp *http.Response) []byte {
		t.Helper()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}

	t.Run("full", func(t *testing.T) {
		resp := serve(t, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d, want 200", resp.StatusCode)
		}
		if got := body(t, resp); sha256.Sum256(got) != sha256.Sum256(data) {
			t.Fatalf("full body differs (%d bytes, want %d)", len(got), size)
		}
	})
	for _, tc := range []struct {
		rng        string
		start, end int64 // inclusive
	}{
		{"bytes=1000-1999", 1000, 1999},
		{"bytes=250000-", 250000, size - 1},
		{"bytes=-100", size - 100, size - 1},
		{"bytes=0-0", 0, 0},
		{"bytes=299999-400000", size - 1, size - 1},
	} {
		t.Run(tc.rng, func(t *testing.T) {
			resp := serve(t, http.Header{"Range": {tc.rng}})
			if resp.StatusCode != http.StatusPartialContent {
				t.Fatalf("status %d, want 206", resp.StatusCode)
			}
			wantCR := fmt.Sprintf("bytes %d-%d/%d", tc.start, tc.end, size)
			if got := resp.Header.Get("Content-Range"); got != wantCR {
				t.Errorf("Content-Range %q, want %q", got, wantCR)
			}
			if got := body(t, resp); !bytes.Equal(got, data[tc.start:tc.end+1]) {
				t.Fatalf("body of %s: %d bytes, not the expected %d", tc.rng, len(got), tc.end+1-tc.start)
			}
		})
	}
	t.Run("multirange", func(t *testing.T) {
		resp := serve(t, http.Header{"Range": {"bytes=10-19,5000-5009"}})
		if resp.StatusCode != http.StatusPartialContent {
			t.Fatalf("status %d, want 206", resp.StatusCode)
		}
		b := string(body(t, resp))
		for _, part := range [][]byte{data[10:20], data[5000:5010]} {
			if !strings.Contains(b, string(part)) {
				t.Errorf("multipart answer lacks a part")
			}
		}
	})
	t.Run("unsatisfiable", func(t *testing.T) {
		resp := serve(t, http.Header{"Range": {"bytes=400000-"}})
		if resp.StatusCode != http.StatusRequestedRangeNotSatisfiable {
			t.Fatalf("status %d, want 416", resp.StatusCode)
		}
	})
	t.Run("if-none-match", func(t *testing.T) {
		resp := serve(t, http.Header{"If-None-Match": {`"` + obj.ETag + `"`}})
		if resp.StatusCode != http.StatusNotModified {
			t.Fatalf("status %d, want 304", resp.StatusCode)
		}
	})
}
