// Package storetest is the contract suite every store.Store backend must pass.
package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/jinnang/jinnang/portal/store"
)

// LargeSize is the size of the objects the streaming tests write.
const LargeSize = 64 << 20

// Run runs the contract suite. newStore must return an empty store, and is
// called once per subtest.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"RoundTrip", testRoundTrip},
		{"DefaultContentType", testDefaultContentType},
		{"EmptyObject", testEmptyObject},
		{"Overwrite", testOverwrite},
		{"Stat", testStat},
		{"GetMissing", testGetMissing},
		{"Delete", testDelete},
		{"List", testList},
		{"ListPrefixBoundaries", testListPrefixBoundaries},
		{"ListEmpty", testListEmpty},
		{"ListStopEarly", testListStopEarly},
		{"ReservedLookingKeys", testReservedLookingKeys},
		{"IfNoneMatch", testIfNoneMatch},
		{"IfNoneMatchRace", testIfNoneMatchRace},
		{"IfMatch", testIfMatch},
		{"IfMatchRace", testIfMatchRace},
		{"ConflictingConditions", testConflictingConditions},
		{"InvalidKeys", testInvalidKeys},
		{"SizeMismatch", testSizeMismatch},
		{"LargeUnknownSize", func(t *testing.T, s store.Store) { testLarge(t, s, -1) }},
		{"LargeKnownSize", func(t *testing.T, s store.Store) { testLarge(t, s, LargeSize) }},
		{"LargeConditional", testLargeConditional},
		{"LargeCreateOnceRace", testLargeCreateOnceRace},
		{"ContextCanceled", testContextCanceled},
		{"ContextCanceledMidStream", testContextCanceledMidStream},
		{"Ping", testPing},
		{"GetRange", testGetRange},
		{"GetRangeEmptyObject", testGetRangeEmptyObject},
		{"GetRangeErrors", testGetRangeErrors},
		{"GetRangeLarge", testGetRangeLarge},
		{"ReadSeekerServeContent", testReadSeekerServeContent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore(t)) })
	}
}

// ---- helpers ----

func put(t *testing.T, s store.Store, key, body string, opts store.PutOptions) store.Object {
	t.Helper()
	obj, err := s.Put(t.Context(), key, strings.NewReader(body), opts)
	if err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
	return obj
}

func get(t *testing.T, s store.Store, key string) (string, store.Object) {
	t.Helper()
	rc, obj, err := s.Get(t.Context(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	b, err := io.ReadAll(rc)
	if cerr := rc.Close(); cerr != nil {
		t.Fatalf("Get(%q): close: %v", key, cerr)
	}
	if err != nil {
		t.Fatalf("Get(%q): read: %v", key, err)
	}
	return string(b), obj
}

func listKeys(t *testing.T, s store.Store, prefix string) []string {
	t.Helper()
	var keys []string
	for obj, err := range s.List(t.Context(), prefix) {
		if err != nil {
			t.Fatalf("List(%q): %v", prefix, err)
		}
		keys = append(keys, obj.Key)
	}
	return keys
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: got error %v, want %v", what, err, want)
	}
}

func checkMeta(t *testing.T, what string, got store.Object, key string, size int64, contentType string) {
	t.Helper()
	if got.Key != key {
		t.Errorf("%s: Key = %q, want %q", what, got.Key, key)
	}
	if got.Size != size {
		t.Errorf("%s: Size = %d, want %d", what, got.Size, size)
	}
	if got.ETag == "" || strings.ContainsAny(got.ETag, `"`) {
		t.Errorf("%s: ETag = %q, want a non-empty ETag without quotes", what, got.ETag)
	}
	if got.ModTime.IsZero() {
		t.Errorf("%s: ModTime is zero", what)
	}
	if got.ContentType != contentType {
		t.Errorf("%s: ContentType = %q, want %q", what, got.ContentType, contentType)
	}
}

// ---- basic operations ----

func testRoundTrip(t *testing.T, s store.Store) {
	cases := []struct{ key, body, ct string }{
		{"packs/报销流程.md", "# 报销流程\n\n先填表，再找财务。\n", "text/markdown; charset=utf-8"},
		{"a.txt", "hello", "text/plain"},
		{"deep/er/and deeper/file name with spaces.json", `{"ok":true}`, "application/json"},
	}
	for _, c := range cases {
		put1 := put(t, s, c.key, c.body, store.PutOptions{ContentType: c.ct, Size: int64(len(c.body))})
		checkMeta(t, "Put "+c.key, put1, c.key, int64(len(c.body)), c.ct)
		body, obj := get(t, s, c.key)
		if body != c.body {
			t.Errorf("Get(%q) body = %q, want %q", c.key, body, c.body)
		}
		checkMeta(t, "Get "+c.key, obj, c.key, int64(len(c.body)), c.ct)
		if obj.ETag != put1.ETag {
			t.Errorf("Get(%q) ETag = %q, Put returned %q", c.key, obj.ETag, put1.ETag)
		}
	}
}

func testDefaultContentType(t *testing.T, s store.Store) {
	put(t, s, "bin/blob", "\x00\x01\x02", store.PutOptions{Size: -1})
	st, err := s.Stat(t.Context(), "bin/blob")
	if err != nil {
		t.Fatal(err)
	}
	checkMeta(t, "Stat", st, "bin/blob", 3, store.DefaultContentType)
}

func testEmptyObject(t *testing.T, s store.Store) {
	for _, size := range []int64{0, -1} {
		key := fmt.Sprintf("empty/%d", size)
		put(t, s, key, "", store.PutOptions{Size: size, ContentType: "text/plain"})
		body, obj := get(t, s, key)
		if body != "" {
			t.Errorf("Get(%q) = %q, want empty", key, body)
		}
		checkMeta(t, "Get "+key, obj, key, 0, "text/plain")
	}
}

func testOverwrite(t *testing.T, s store.Store) {
	first := put(t, s, "notes/x.md", "one", store.PutOptions{Size: -1})
	second := put(t, s, "notes/x.md", "two, longer", store.PutOptions{Size: -1, ContentType: "text/markdown"})
	if first.ETag == second.ETag {
		t.Fatalf("ETag did not change when content changed: %q", first.ETag)
	}
	body, obj := get(t, s, "notes/x.md")
	if body != "two, longer" {
		t.Fatalf("Get after overwrite = %q", body)
	}
	checkMeta(t, "Get after overwrite", obj, "notes/x.md", int64(len("two, longer")), "text/markdown")
	if obj.ETag != second.ETag {
		t.Fatalf("Get ETag = %q, want the second Put's %q", obj.ETag, second.ETag)
	}
}

func testStat(t *testing.T, s store.Store) {
	p := put(t, s, "stat/报告.pdf", "%PDF-1.4 fake", store.PutOptions{ContentType: "application/pdf", Size: -1})
	st, err := s.Stat(t.Context(), "stat/报告.pdf")
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	checkMeta(t, "Stat", st, "stat/报告.pdf", int64(len("%PDF-1.4 fake")), "application/pdf")
	if st.ETag != p.ETag {
		t.Errorf("Stat ETag = %q, Put returned %q", st.ETag, p.ETag)
	}
	if !st.ModTime.Equal(p.ModTime) {
		t.Errorf("Stat ModTime = %v, Put returned %v", st.ModTime, p.ModTime)
	}
	_, err = s.Stat(t.Context(), "stat/missing")
	wantErr(t, "Stat(missing)", err, store.ErrNotFound)
}

func testGetMissing(t *testing.T, s store.Store) {
	rc, _, err := s.Get(t.Context(), "no/such/key")
	if rc != nil {
		t.Error("Get(missing) returned a reader")
	}
	wantErr(t, "Get(missing)", err, store.ErrNotFound)
}

func testDelete(t *testing.T, s store.Store) {
	put(t, s, "del/a", "a", store.PutOptions{Size: -1})
	put(t, s, "del/b", "b", store.PutOptions{Size: -1})
	if err := s.Delete(t.Context(), "del/a"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	_, _, err := s.Get(t.Context(), "del/a")
	wantErr(t, "Get after Delete", err, store.ErrNotFound)
	if got := listKeys(t, s, "del/"); !slices.Equal(got, []string{"del/b"}) {
		t.Fatalf("List after Delete = %q, want [del/b]", got)
	}
	if err := s.Delete(t.Context(), "del/a"); err != nil {
		t.Fatalf("Delete(missing) = %v, want nil", err)
	}
	if err := s.Delete(t.Context(), "never/existed"); err != nil {
		t.Fatalf("Delete(never existed) = %v, want nil", err)
	}
	// The key can be written again after a delete.
	put(t, s, "del/a", "again", store.PutOptions{Size: -1, IfNoneMatch: true})
	if body, _ := get(t, s, "del/a"); body != "again" {
		t.Fatalf("Get after re-create = %q", body)
	}
}

// ---- listing ----

var listFixture = []string{
	"a/1", "a/2", "a/b/3", "a/报销流程.md", "a.txt", "a-b", "ab/x", "b/1", "a/z", "a/b.c",
}

func testList(t *testing.T, s store.Store) {
	sizes := map[string]int64{}
	for i, k := range listFixture {
		body := strings.Repeat("x", i+1)
		put(t, s, k, body, store.PutOptions{Size: -1, ContentType: "text/plain"})
		sizes[k] = int64(len(body))
	}
	all := slices.Clone(listFixture)
	slices.Sort(all)
	if got := listKeys(t, s, ""); !slices.Equal(got, all) {
		t.Errorf("List(\"\") =\n %q\nwant\n %q", got, all)
	}
	wantA := []string{"a/1", "a/2", "a/b.c", "a/b/3", "a/z", "a/报销流程.md"}
	if got := listKeys(t, s, "a/"); !slices.Equal(got, wantA) {
		t.Errorf("List(a/) =\n %q\nwant\n %q", got, wantA)
	}
	wantB := []string{"a/b.c", "a/b/3"}
	if got := listKeys(t, s, "a/b"); !slices.Equal(got, wantB) {
		t.Errorf("List(a/b) = %q, want %q", got, wantB)
	}
	if got := listKeys(t, s, "a/报"); !slices.Equal(got, []string{"a/报销流程.md"}) {
		t.Errorf("List(a/报) = %q", got)
	}
	for obj, err := range s.List(t.Context(), "") {
		if err != nil {
			t.Fatal(err)
		}
		st, err := s.Stat(t.Context(), obj.Key)
		if err != nil {
			t.Fatal(err)
		}
		if obj.Size != sizes[obj.Key] || obj.ETag != st.ETag || obj.ModTime.IsZero() {
			t.Errorf("List entry %+v does not match Stat %+v (size %d)", obj, st, sizes[obj.Key])
		}
		// Listing content types is optional (S3 listings may not carry it).
		if obj.ContentType != "" && obj.ContentType != "text/plain" {
			t.Errorf("List entry %q ContentType = %q", obj.Key, obj.ContentType)
		}
	}
}

func testListPrefixBoundaries(t *testing.T, s store.Store) {
	for _, k := range []string{"a/x", "ab/x", "a.md", "abc", "a0"} {
		put(t, s, k, k, store.PutOptions{Size: -1})
	}
	if got := listKeys(t, s, "a/"); !slices.Equal(got, []string{"a/x"}) {
		t.Errorf("List(a/) = %q, want [a/x]", got)
	}
	if got := listKeys(t, s, "a"); !slices.Equal(got, []string{"a.md", "a/x", "a0", "ab/x", "abc"}) {
		t.Errorf("List(a) = %q", got)
	}
	if got := listKeys(t, s, "ab"); !slices.Equal(got, []string{"ab/x", "abc"}) {
		t.Errorf("List(ab) = %q", got)
	}
}

func testListEmpty(t *testing.T, s store.Store) {
	if got := listKeys(t, s, ""); len(got) != 0 {
		t.Errorf("List on empty store = %q", got)
	}
	put(t, s, "x/1", "1", store.PutOptions{Size: -1})
	for _, p := range []string{"y/", "x/1/", "x/2", "zzz"} {
		if got := listKeys(t, s, p); len(got) != 0 {
			t.Errorf("List(%q) = %q, want nothing", p, got)
		}
	}
}

func testListStopEarly(t *testing.T, s store.Store) {
	for i := range 5 {
		put(t, s, fmt.Sprintf("stop/%d", i), "x", store.PutOptions{Size: -1})
	}
	var got []string
	for obj, err := range s.List(t.Context(), "stop/") {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, obj.Key)
		if len(got) == 2 {
			break
		}
	}
	if !slices.Equal(got, []string{"stop/0", "stop/1"}) {
		t.Fatalf("List with early break = %q", got)
	}
}

// testReservedLookingKeys checks that names a filesystem backend might use
// internally are plain keys. (A key that is also a "directory" of other keys,
// like "x" next to "x/y", is outside the contract: see store.Store.)
func testReservedLookingKeys(t *testing.T, s store.Store) {
	keys := []string{"x", "x.obj", "x.dir/y", "y.obj/z", "x.obj.dir/z", "z.dir.obj", "tmp/y", "objects/y", "meta/k.json"}
	for _, k := range keys {
		put(t, s, k, "body of "+k, store.PutOptions{Size: -1})
	}
	for _, k := range keys {
		if body, _ := get(t, s, k); body != "body of "+k {
			t.Errorf("Get(%q) = %q", k, body)
		}
	}
	want := slices.Clone(keys)
	slices.Sort(want)
	if got := listKeys(t, s, ""); !slices.Equal(got, want) {
		t.Errorf("List = %q, want %q", got, want)
	}
	if err := s.Delete(t.Context(), "x.dir/y"); err != nil {
		t.Fatal(err)
	}
	if body, _ := get(t, s, "x"); body != "body of x" {
		t.Errorf("Get(x) after Delete(x.dir/y) = %q", body)
	}
}

// ---- conditional writes ----

func testIfNoneMatch(t *testing.T, s store.Store) {
	first := put(t, s, "votes/poll1/alice", "yes", store.PutOptions{Size: -1, IfNoneMatch: true})
	_, err := s.Put(t.Context(), "votes/poll1/alice", strings.NewReader("no"), store.PutOptions{Size: -1, IfNoneMatch: true})
	wantErr(t, "second create-once Put", err, store.ErrPrecondition)
	body, obj := get(t, s, "votes/poll1/alice")
	if body != "yes" || obj.ETag != first.ETag {
		t.Fatalf("after failed create-once: body %q ETag %q, want %q %q", body, obj.ETag, "yes", first.ETag)
	}
}

const raceN = 16

// race runs fn(i) for i in [0, n) at once and returns their errors.
func race(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	var start, done sync.WaitGroup
	start.Add(1)
	for i := range n {
		done.Go(func() {
			start.Wait()
			errs[i] = fn(i)
		})
	}
	start.Done()
	done.Wait()
	return errs
}

// oneWinner checks that exactly one error is nil and the rest are want; it
// returns the winner's index.
func oneWinner(t *testing.T, errs []error, want error) int {
	t.Helper()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("writers %d and %d both won", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, want):
			t.Fatalf("writer %d: got %v, want %v", i, err, want)
		}
	}
	if winner < 0 {
		t.Fatal("no writer won")
	}
	return winner
}

func testIfNoneMatchRace(t *testing.T, s store.Store) {
	errs := race(raceN, func(i int) error {
		_, err := s.Put(t.Context(), "receipts/r1", strings.NewReader(fmt.Sprint("writer ", i)), store.PutOptions{Size: -1, IfNoneMatch: true})
		return err
	})
	w := oneWinner(t, errs, store.ErrPrecondition)
	if body, _ := get(t, s, "receipts/r1"); body != fmt.Sprint("writer ", w) {
		t.Fatalf("stored %q, but writer %d won", body, w)
	}
}

func testIfMatch(t *testing.T, s store.Store) {
	v1 := put(t, s, "doc", "v1", store.PutOptions{Size: -1})
	v2, err := s.Put(t.Context(), "doc", strings.NewReader("v2"), store.PutOptions{Size: -1, IfMatch: v1.ETag})
	if err != nil {
		t.Fatalf("If-Match with current ETag: %v", err)
	}
	if v2.ETag == v1.ETag {
		t.Fatal("ETag unchanged after update")
	}
	_, err = s.Put(t.Context(), "doc", strings.NewReader("v3"), store.PutOptions{Size: -1, IfMatch: v1.ETag})
	wantErr(t, "If-Match with stale ETag", err, store.ErrPrecondition)
	if body, _ := get(t, s, "doc"); body != "v2" {
		t.Fatalf("after stale If-Match: body %q, want v2", body)
	}
	_, err = s.Put(t.Context(), "missing-doc", strings.NewReader("x"), store.PutOptions{Size: -1, IfMatch: v1.ETag})
	wantErr(t, "If-Match on missing key", err, store.ErrNotFound)
	if _, err := s.Stat(t.Context(), "missing-doc"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("If-Match on missing key created it (Stat: %v)", err)
	}
}

func testIfMatchRace(t *testing.T, s store.Store) {
	base := put(t, s, "counter", "0", store.PutOptions{Size: -1})
	errs := race(raceN, func(i int) error {
		_, err := s.Put(t.Context(), "counter", strings.NewReader(fmt.Sprint("writer ", i)), store.PutOptions{Size: -1, IfMatch: base.ETag})
		return err
	})
	w := oneWinner(t, errs, store.ErrPrecondition)
	if body, _ := get(t, s, "counter"); body != fmt.Sprint("writer ", w) {
		t.Fatalf("stored %q, but writer %d won", body, w)
	}
}

func testConflictingConditions(t *testing.T, s store.Store) {
	v := put(t, s, "both", "x", store.PutOptions{Size: -1})
	_, err := s.Put(t.Context(), "both", strings.NewReader("y"), store.PutOptions{Size: -1, IfNoneMatch: true, IfMatch: v.ETag})
	if err == nil {
		t.Fatal("Put with both IfNoneMatch and IfMatch succeeded")
	}
	if body, _ := get(t, s, "both"); body != "x" {
		t.Fatalf("rejected Put changed the object to %q", body)
	}
}

// ---- validation ----

var invalidKeys = []string{"../x", "/abs", "a/../b", "a\x00b", "a\nb", "", "a//b", "a/./b", "a\\b", "a/", "\xff",
	"files/" + strings.Repeat("很长的文件名", 20) + ".pdf"} // a 360-byte segment

func testInvalidKeys(t *testing.T, s store.Store) {
	ctx := t.Context()
	for _, k := range invalidKeys {
		_, _, err := s.Get(ctx, k)
		wantErr(t, fmt.Sprintf("Get(%q)", k), err, store.ErrInvalidKey)
		_, _, err = s.GetRange(ctx, k, 0, 1)
		wantErr(t, fmt.Sprintf("GetRange(%q)", k), err, store.ErrInvalidKey)
		_, err = s.Put(ctx, k, strings.NewReader("x"), store.PutOptions{Size: 1})
		wantErr(t, fmt.Sprintf("Put(%q)", k), err, store.ErrInvalidKey)
		_, err = s.Put(ctx, k, strings.NewReader("x"), store.PutOptions{Size: -1, IfNoneMatch: true})
		wantErr(t, fmt.Sprintf("Put(%q, IfNoneMatch)", k), err, store.ErrInvalidKey)
		_, err = s.Stat(ctx, k)
		wantErr(t, fmt.Sprintf("Stat(%q)", k), err, store.ErrInvalidKey)
		err = s.Delete(ctx, k)
		wantErr(t, fmt.Sprintf("Delete(%q)", k), err, store.ErrInvalidKey)
		if k == "" || k == "a/" {
			continue // valid prefixes
		}
		var listErr error
		for _, err := range s.List(ctx, k) {
			if err != nil {
				listErr = err
				break
			}
		}
		wantErr(t, fmt.Sprintf("List(%q)", k), listErr, store.ErrInvalidKey)
	}
	if got := listKeys(t, s, ""); len(got) != 0 {
		t.Fatalf("invalid Puts left objects: %q", got)
	}
}

func testSizeMismatch(t *testing.T, s store.Store) {
	for _, tc := range []struct {
		key  string
		body string
		size int64
	}{
		{"short", "abc", 10},
		{"long", "abcdefghijkl", 4},
	} {
		_, err := s.Put(t.Context(), tc.key, strings.NewReader(tc.body), store.PutOptions{Size: tc.size})
		if err == nil {
			t.Errorf("Put(%q) of %d bytes with Size %d succeeded", tc.key, len(tc.body), tc.size)
		}
		if _, err := s.Stat(t.Context(), tc.key); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("failed Put(%q) left an object (Stat: %v)", tc.key, err)
		}
	}
}

// ---- streaming ----

// genReader yields n deterministic pseudo-random bytes without holding them:
// 64 KiB chunks of seeded noise, each stamped with its index so that a
// reordered, dropped or repeated chunk changes the hash.
type genReader struct {
	remaining int64
	produced  int64
	seed      uint64
	chunk     []byte
	// onRead, if set, is called before each read with the bytes produced so far.
	onRead func(produced int64)
}

const genChunk = 64 << 10

func newGen(n int64, seed uint64) *genReader {
	g := &genReader{remaining: n, seed: seed, chunk: make([]byte, genChunk)}
	x := seed | 1
	for i := 0; i < genChunk; i += 8 {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		binary.LittleEndian.PutUint64(g.chunk[i:], x)
	}
	return g
}

func (g *genReader) Read(p []byte) (int, error) {
	if g.onRead != nil {
		g.onRead(g.produced)
	}
	if g.remaining <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > g.remaining {
		p = p[:g.remaining]
	}
	n := 0
	for n < len(p) {
		off := int(g.produced % genChunk)
		if off == 0 {
			binary.LittleEndian.PutUint64(g.chunk, uint64(g.produced/genChunk)^g.seed)
		}
		c := copy(p[n:], g.chunk[off:])
		n += c
		g.produced += int64(c)
	}
	g.remaining -= int64(n)
	return n, nil
}

func genHash(t *testing.T, n int64, seed uint64) []byte {
	t.Helper()
	h := sha256.New()
	if _, err := io.Copy(h, newGen(n, seed)); err != nil {
		t.Fatal(err)
	}
	return h.Sum(nil)
}

func readHash(t *testing.T, s store.Store, key string) ([]byte, int64) {
	t.Helper()
	rc, _, err := s.Get(t.Context(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	defer func() {
		if err := rc.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	}()
	var h hash.Hash = sha256.New()
	n, err := io.Copy(h, rc)
	if err != nil {
		t.Fatalf("read %q: %v", key, err)
	}
	return h.Sum(nil), n
}

func testLarge(t *testing.T, s store.Store, size int64) {
	const seed = 42
	key := "large/blob.bin"
	obj, err := s.Put(t.Context(), key, newGen(LargeSize, seed), store.PutOptions{Size: size, ContentType: "application/x-test"})
	if err != nil {
		t.Fatalf("Put large (Size %d): %v", size, err)
	}
	checkMeta(t, "Put large", obj, key, LargeSize, "application/x-test")
	st, err := s.Stat(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	checkMeta(t, "Stat large", st, key, LargeSize, "application/x-test")
	got, n := readHash(t, s, key)
	if n != LargeSize {
		t.Fatalf("read back %d bytes, want %d", n, LargeSize)
	}
	if !bytes.Equal(got, genHash(t, LargeSize, seed)) {
		t.Fatal("large object read back with different content")
	}
}

// largeCondSize is above any sensible single-request threshold (S3 part size).
const largeCondSize = 20 << 20

func testLargeConditional(t *testing.T, s store.Store) {
	key := "large/cond.bin"
	v1, err := s.Put(t.Context(), key, newGen(largeCondSize, 1), store.PutOptions{Size: -1, IfNoneMatch: true})
	if err != nil {
		t.Fatalf("create-once large Put: %v", err)
	}
	_, err = s.Put(t.Context(), key, newGen(largeCondSize, 2), store.PutOptions{Size: -1, IfNoneMatch: true})
	wantErr(t, "second create-once large Put", err, store.ErrPrecondition)
	v2, err := s.Put(t.Context(), key, newGen(largeCondSize, 3), store.PutOptions{Size: largeCondSize, IfMatch: v1.ETag})
	if err != nil {
		t.Fatalf("If-Match large Put: %v", err)
	}
	_, err = s.Put(t.Context(), key, newGen(largeCondSize, 4), store.PutOptions{Size: -1, IfMatch: v1.ETag})
	wantErr(t, "stale If-Match large Put", err, store.ErrPrecondition)
	_, err = s.Put(t.Context(), "large/missing", newGen(largeCondSize, 5), store.PutOptions{Size: -1, IfMatch: v1.ETag})
	wantErr(t, "If-Match large Put on missing key", err, store.ErrNotFound)
	got, _ := readHash(t, s, key)
	if !bytes.Equal(got, genHash(t, largeCondSize, 3)) {
		t.Fatal("object does not hold the If-Match winner's content")
	}
	if st, err := s.Stat(t.Context(), key); err != nil || st.ETag != v2.ETag {
		t.Fatalf("Stat = %+v, %v; want ETag %q", st, err, v2.ETag)
	}
}

func testLargeCreateOnceRace(t *testing.T, s store.Store) {
	const n = 3
	key := "large/race.bin"
	errs := race(n, func(i int) error {
		_, err := s.Put(t.Context(), key, newGen(largeCondSize, uint64(100+i)), store.PutOptions{Size: -1, IfNoneMatch: true})
		return err
	})
	w := oneWinner(t, errs, store.ErrPrecondition)
	got, _ := readHash(t, s, key)
	if !bytes.Equal(got, genHash(t, largeCondSize, uint64(100+w))) {
		t.Fatalf("object does not hold winner %d's content", w)
	}
}

// ---- context ----

func testContextCanceled(t *testing.T, s store.Store) {
	put(t, s, "ctx/existing", "x", store.PutOptions{Size: -1})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := s.Put(ctx, "ctx/new", strings.NewReader("x"), store.PutOptions{Size: -1})
	wantErr(t, "Put with canceled context", err, context.Canceled)
	_, _, err = s.Get(ctx, "ctx/existing")
	wantErr(t, "Get with canceled context", err, context.Canceled)
	_, _, err = s.GetRange(ctx, "ctx/existing", 0, 1)
	wantErr(t, "GetRange with canceled context", err, context.Canceled)
	_, err = s.Stat(ctx, "ctx/existing")
	wantErr(t, "Stat with canceled context", err, context.Canceled)
	err = s.Delete(ctx, "ctx/existing")
	wantErr(t, "Delete with canceled context", err, context.Canceled)
	var listErr error
	for _, err := range s.List(ctx, "ctx/") {
		if err != nil {
			listErr = err
			break
		}
	}
	wantErr(t, "List with canceled context", listErr, context.Canceled)
	if _, err := s.Stat(t.Context(), "ctx/new"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("canceled Put created the object (Stat: %v)", err)
	}
	if _, err := s.Stat(t.Context(), "ctx/existing"); err != nil {
		t.Errorf("canceled Delete removed the object (Stat: %v)", err)
	}
}

func testContextCanceledMidStream(t *testing.T, s store.Store) {
	for _, size := range []int64{-1, LargeSize} {
		ctx, cancel := context.WithCancel(t.Context())
		g := newGen(LargeSize, 7)
		g.onRead = func(produced int64) {
			if produced >= 20<<20 {
				cancel()
			}
		}
		key := fmt.Sprintf("ctx/mid-%d", size)
		_, err := s.Put(ctx, key, g, store.PutOptions{Size: size})
		cancel()
		wantErr(t, fmt.Sprintf("Put (Size %d) canceled mid-stream", size), err, context.Canceled)
		if _, err := s.Stat(t.Context(), key); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("canceled Put created the object (Stat: %v)", err)
		}
	}

	// A reader from Get stops once its context is canceled.
	if _, err := s.Put(t.Context(), "ctx/big", newGen(LargeSize, 8), store.PutOptions{Size: LargeSize}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	rc, _, err := s.Get(ctx, "ctx/big")
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1<<20)
	if _, err := io.ReadFull(rc, buf); err != nil {
		t.Fatalf("first read: %v", err)
	}
	cancel()
	_, err = io.Copy(io.Discard, rc)
	if cerr := rc.Close(); cerr != nil {
		t.Logf("close after cancel: %v", cerr)
	}
	wantErr(t, "reading after cancel", err, context.Canceled)
}

func testPing(t *testing.T, s store.Store) {
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}
