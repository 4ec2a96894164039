package files

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/store"
)

const typeDOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

func sum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func readAll(t *testing.T, s *Service, id string, n int) ([]byte, Version) {
	t.Helper()
	rc, v, obj, err := s.Open(context.Background(), id, n)
	if err != nil {
		t.Fatalf("open %s v%d: %v", id, n, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	if obj.Size != int64(len(b)) || obj.Key != v.Key {
		t.Errorf("open %s v%d: object %+v does not describe the %d bytes of %s", id, n, obj, len(b), v.Key)
	}
	return b, v
}

// TestStoreBackends runs the behaviour that touches the store on disk and on MinIO.
func TestStoreBackends(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Run("UploadAndSearchInnerText", func(t *testing.T) { testUploadSearch(t, b.open(t)) })
			t.Run("Versions", func(t *testing.T) { testVersions(t, b.open(t)) })
			t.Run("Rejections", func(t *testing.T) { testRejections(t, b.open(t)) })
			t.Run("DownloadCount", func(t *testing.T) { testDownloadCount(t, b.open(t), b.name == "disk") })
		})
	}
}

func testUploadSearch(t *testing.T, st store.Store) {
	s, _ := newService(t, st)
	ctx := context.Background()
	doc := docxOf(t, "新员工入职须知", "报到当天请携带身份证原件，并领取工牌。鲸落计划由人力资源部负责解释。")
	f := upload(t, s, UploadInput{Department: "人力资源部", Title: "入职指南", Description: "第一天要做的事",
		Tags: []string{"入职", " 入职 ", ""}, Name: "入职指南.docx", Body: bytes.NewReader(doc)})
	sheet := xlsxOf(t, "项目", "差旅补贴", "海棠湾标准")
	g := upload(t, s, UploadInput{Name: "2026年报销单.xlsx", Body: bytes.NewReader(sheet)})

	if !validID(f.ID) || len(f.ID) != 16 {
		t.Errorf("id %q: want 16 base32 characters", f.ID)
	}
	v := f.Current()
	if v.N != 1 || v.Name != "入职指南.docx" || v.Size != int64(len(doc)) || v.SHA256 != sum(doc) ||
		v.MediaType != typeDOCX || v.Key != "files/"+f.ID+"/v1/入职指南.docx" || v.By != "dev:wangmin" {
		t.Errorf("version = %+v", v)
	}
	if !slices.Equal(f.Tags, []string{"入职"}) || f.Owner != "dev:wangmin" || f.ETag == "" {
		t.Errorf("record = %+v", f)
	}
	if g.Title != "2026年报销单" || !strings.HasPrefix(g.Current().MediaType, "application/vnd.openxmlformats-officedocument.spreadsheetml") {
		t.Errorf("xlsx record: title %q (want the name without extension), type %q", g.Title, g.Current().MediaType)
	}
	for word, want := range map[string]string{"鲸落计划": f.ID, "海棠湾": g.ID, "2026年报销单": g.ID} {
		if got := hits(t, s, word); !slices.Equal(got, []string{"file_" + want}) {
			t.Errorf("search %q = %v, want [file_%s]", word, got, want)
		}
	}
	got, err := s.Get(ctx, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ETag != f.ETag || got.Title != "入职指南" || len(got.Versions) != 1 {
		t.Errorf("Get = %+v, want the uploaded record", got)
	}
	res, err := s.ByDepartment(ctx, "人力资源部", 0, 10)
	if err != nil || res.Total != 1 || res.Hits[0].Doc.URL != "/files/"+f.ID || res.Hits[0].Doc.Kind != Kind {
		t.Errorf("ByDepartment = %+v, %v", res, err)
	}
	b, _ := readAll(t, s, g.ID, 0)
	if !bytes.Equal(b, sheet) {
		t.Error("downloaded bytes differ from the upload")
	}
}

func testVersions(t *testing.T, st store.Store) {
	s, _ := newService(t, st)
	ctx := context.Background()
	v1 := docxOf(t, "第一版：出差补贴每天一百元")
	v2 := docxOf(t, "第二版：出差补贴每天一百五十元，琥珀条款生效")
	f := upload(t, s, UploadInput{Title: "差旅标准", Name: "差旅标准.docx", Body: bytes.NewReader(v1)})
	f2, err := s.Upload(ctx, UploadInput{FileID: f.ID, Name: "差旅标准-修订.docx", Body: bytes.NewReader(v2), By: "dev:lisi", IfMatch: f.ETag})
	if err != nil {
		t.Fatal(err)
	}
	if n := []int{f2.Versions[0].N, f2.Versions[1].N}; !slices.Equal(n, []int{1, 2}) || f2.Current().Name != "差旅标准-修订.docx" ||
		f2.Current().By != "dev:lisi" || f2.Title != "差旅标准" || f2.ETag == f.ETag {
		t.Errorf("after new version: %+v", f2)
	}
	old, ov := readAll(t, s, f.ID, 1)
	if sum(old) != sum(v1) || ov.SHA256 != sum(v1) {
		t.Error("v1 bytes changed after a new version")
	}
	cur, cv := readAll(t, s, f.ID, 0)
	if !bytes.Equal(cur, v2) || cv.N != 2 {
		t.Errorf("current is v%d, want v2 with its bytes", cv.N)
	}
	if _, _, _, err := s.Open(ctx, f.ID, 3); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Open v3: err = %v, want ErrNotFound", err)
	}
	// The index follows the current version.
	if got := hits(t, s, "琥珀条款"); !slices.Equal(got, []string{"file_" + f.ID}) {
		t.Errorf("search new version text = %v", got)
	}
	// A stale If-Match loses and leaves no bytes behind.
	_, err = s.Upload(ctx, UploadInput{FileID: f.ID, Name: "第三版.docx", Body: bytes.NewReader(v1), IfMatch: f.ETag})
	if !errors.Is(err, store.ErrPrecondition) {
		t.Errorf("stale If-Match: err = %v, want ErrPrecondition", err)
	}
	if k := keys(t, st, "files/"+f.ID+"/v3"); len(k) != 0 {
		t.Errorf("stale upload left %v", k)
	}
	// Title edits: If-Match on the record.
	edit := *f2
	edit.Title, edit.Tags = "差旅标准（2026）", []string{"差旅", "补贴"}
	if err := s.Update(ctx, &edit); err != nil {
		t.Fatal(err)
	}
	if edit.ETag == f2.ETag || len(edit.Versions) != 2 {
		t.Errorf("after Update: %+v", edit)
	}
	stale := *f2
	stale.Title = "被覆盖"
	if err := s.Update(ctx, &stale); !errors.Is(err, store.ErrPrecondition) {
		t.Errorf("stale Update: err = %v, want ErrPrecondition", err)
	}
	got, _ := s.Get(ctx, f.ID)
	if got.Title != "差旅标准（2026）" || !slices.Equal(got.Tags, []string{"差旅", "补贴"}) {
		t.Errorf("stored after edits: %+v", got)
	}
	if u, err := s.PresignURL(ctx, f.ID, 1, 10*time.Minute); err != nil {
		t.Fatal(err)
	} else if _, ok := st.(store.Presigner); ok {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK || !bytes.Equal(b, v1) ||
			!strings.Contains(resp.Header.Get("Content-Disposition"), "UTF-8''") {
			t.Errorf("presigned GET: %s %q, %d bytes", resp.Status, resp.Header.Get("Content-Disposition"), len(b))
		}
	} else if u != "" {
		t.Errorf("PresignURL on a store without presigning = %q, want empty", u)
	}
}

func testRejections(t *testing.T, st store.Store) {
	s, _ := newService(t, st)
	ctx := context.Background()
	exe := append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"), make([]byte, 200)...)
	cases := []struct {
		name string
		body io.Reader
		want error
		msg  string
	}{
		{"setup.pdf", bytes.NewReader(exe), ErrType, "portable-executable"},
		{"notes.txt", strings.NewReader("<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"), ErrType, "text/html"},
		{"logo.png", strings.NewReader(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), ErrType, "svg"},
		{"empty.pdf", strings.NewReader(""), ErrEmpty, ""},
		{"big.pdf", &genReader{head: []byte("%PDF-1.4\n"), n: MaxUpload + 1}, ErrTooLarge, "50 MB"},
	}
	for _, c := range cases {
		_, err := s.Upload(ctx, UploadInput{Department: "财务部", Name: c.name, Body: c.body, By: "dev:x"})
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: err = %v, want %v mentioning %q", c.name, err, c.want, c.msg)
		}
	}
	if k := keys(t, st, ""); len(k) != 0 {
		t.Errorf("rejected uploads left objects: %v", k)
	}
	if res, err := s.Search(ctx, index.Query{}); err != nil || res.Total != 0 {
		t.Errorf("rejected uploads indexed: %+v, %v", res, err)
	}
}

func testDownloadCount(t *testing.T, st store.Store, exact bool) {
	s, _ := newService(t, st)
	ctx := context.Background()
	f := upload(t, s, UploadInput{Name: "a.txt", Body: strings.NewReader("计数测试")})
	const goroutines, each = 8, 10
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range each {
				s.CountDownload(ctx, f.ID)
			}
		})
	}
	wg.Wait()
	n, err := s.Downloads(ctx, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	const total = goroutines * each
	if exact && n != total || n > total || n < total*9/10 {
		t.Errorf("Downloads = %d after %d counted downloads", n, total)
	}
	if k := keys(t, st, "files/"+f.ID+"/downloads/"); len(k) == 0 || !strings.HasSuffix(k[0], time.Now().Format(time.DateOnly)+".json") {
		t.Errorf("counter objects = %v, want one per day", k)
	}
	s.CountDownload(ctx, "aaaaaaaaaaaaaaaa") // no such file: not counted, no object
	if k := keys(t, st, "files/aaaaaaaaaaaaaaaa/"); len(k) != 0 {
		t.Errorf("counting a missing file wrote %v", k)
	}
}

// raceStore loses conditional writes of matching keys while lose > 0.
type raceStore struct {
	store.Store
	match string
	lose  atomic.Int32
	hook  func() // run before the first matching conditional write after fired is reset
	fired atomic.Bool
}

func (r *raceStore) Put(ctx context.Context, key string, body io.Reader, opts store.PutOptions) (store.Object, error) {
	if strings.Contains(key, r.match) && (opts.IfMatch != "" || opts.IfNoneMatch) {
		if r.hook != nil && r.fired.CompareAndSwap(false, true) {
			r.hook()
		}
		if r.lose.Add(-1) >= 0 {
			return store.Object{}, fmt.Errorf("injected: %w", store.ErrPrecondition)
		}
	}
	return r.Store.Put(ctx, key, body, opts)
}

func TestCountDownloadRetries(t *testing.T) {
	rs := &raceStore{Store: diskStore(t), match: "/downloads/"}
	s, _ := newService(t, rs)
	ctx := context.Background()
	f := upload(t, s, UploadInput{Name: "a.txt", Body: strings.NewReader("计数")})
	rs.lose.Store(counterRetries) // three lost races: the fourth try counts
	s.CountDownload(ctx, f.ID)
	rs.lose.Store(counterRetries + 1) // four: give up quietly
	s.CountDownload(ctx, f.ID)
	s.CountDownload(ctx, f.ID)
	if n, err := s.Downloads(ctx, f.ID); err != nil || n != 2 {
		t.Errorf("Downloads = %d, %v; want 2 (one given up)", n, err)
	}
}

func TestConcurrentVersionRace(t *testing.T) {
	rs := &raceStore{Store: diskStore(t), match: "/meta.json"}
	s, _ := newService(t, rs)
	ctx := context.Background()
	f := upload(t, s, UploadInput{Name: "制度.txt", Body: strings.NewReader("第一版")})
	var other *File
	rs.hook = func() { // another editor's version lands between our read and our write
		var err error
		other, err = s.Upload(ctx, UploadInput{FileID: f.ID, Name: "他的.txt", Body: strings.NewReader("第二版（他）")})
		if err != nil {
			t.Error(err)
		}
	}
	got, err := s.Upload(ctx, UploadInput{FileID: f.ID, Name: "我的.txt", Body: strings.NewReader("第三版（我）")})
	if err != nil {
		t.Fatal(err)
	}
	if other == nil || other.Current().N != 2 {
		t.Fatalf("concurrent upload = %+v", other)
	}
	if len(got.Versions) != 3 || got.Current().N != 3 || got.Current().Key != "files/"+f.ID+"/v3/我的.txt" {
		t.Errorf("after the race: %+v", got.Versions)
	}
	b, _ := readAll(t, s, f.ID, 3)
	if string(b) != "第三版（我）" {
		t.Errorf("v3 = %q", b)
	}
	if k := keys(t, rs, "files/"+f.ID+"/v2/"); !slices.Equal(k, []string{"files/" + f.ID + "/v2/他的.txt"}) {
		t.Errorf("v2 objects = %v, want only the other editor's", k)
	}
	// Pinned to the record the editor saw, the same race is a conflict.
	rs.fired.Store(false)
	seen, _ := s.Get(ctx, f.ID)
	_, err = s.Upload(ctx, UploadInput{FileID: f.ID, Name: "又一版.txt", Body: strings.NewReader("第五版"), IfMatch: seen.ETag})
	if !errors.Is(err, store.ErrPrecondition) {
		t.Errorf("pinned upload losing a race: err = %v, want ErrPrecondition", err)
	}
	if k := keys(t, rs, "files/"+f.ID+"/v4/"); !slices.Equal(k, []string{"files/" + f.ID + "/v4/他的.txt"}) {
		t.Errorf("v4 objects = %v, want only the other editor's (the lost upload removed)", k)
	}
}

func TestLimitReader(t *testing.T) {
	for _, n := range []int{9, 10, 11, 100} {
		l := &limitReader{r: &genReader{n: int64(n)}, h: sha256.New(), max: 10}
		b, err := io.ReadAll(l)
		over := n > 10
		if over != l.over || over != errors.Is(err, errTooLarge) || !over && len(b) != n || l.n > 11 {
			t.Errorf("%d bytes with max 10: read %d, n=%d, over=%v, err=%v", n, len(b), l.n, l.over, err)
		}
	}
}

func TestCleanName(t *testing.T) {
	long := strings.Repeat("长", 130) + ".xlsx"
	for in, want := range map[string]string{
		"2026年报销单.xlsx":            "2026年报销单.xlsx",
		"../../etc/passwd":         "passwd",
		`C:\fakepath\季度汇报.pptx`:    "季度汇报.pptx",
		"a\x00b\x1fc\u202e.txt":    "abc.txt",
		"  ..合同:草稿?<v1>|\"x\".pdf": "合同草稿v1x.pdf",
		"...":                      "file",
		"":                         "file",
		"/":                        "file",
		"名单 .":                     "名单",
		long:                       strings.Repeat("长", 115) + ".xlsx",
		"bad\xffutf8.md":           "badutf8.md",
	} {
		if got := cleanName(in); got != want {
			t.Errorf("cleanName(%q) = %q, want %q", in, got, want)
		}
		// The key keeps a shortened form; the record keeps the whole name.
		if err := store.ValidateKey(versionKey("x", 1, cleanName(in))); err != nil {
			t.Errorf("cleanName(%q) does not make a valid key: %v", in, err)
		}
	}
}

func TestShortcut(t *testing.T) {
	s, _ := newService(t, diskStore(t))
	ctx := context.Background()
	form := upload(t, s, UploadInput{Title: "报销单", Name: "2026年报销单.xlsx", Body: bytes.NewReader(xlsxOf(t, "报销单"))})
	guide := upload(t, s, UploadInput{Title: "报销单填写说明", Tags: []string{"报销指南"}, Name: "说明.txt", Body: strings.NewReader("报销单怎么填")})
	for text, want := range map[string]string{
		"报销单":           form.ID,
		"  报销单 ":        form.ID,
		"2026年报销单":      form.ID,
		"2026年报销单.XLSX": form.ID,
		"报销指南":          guide.ID,
		"报销单填写说明.pdf":   guide.ID,
		"报销":            "",
		"不存在的文件":        "",
		"":              "",
	} {
		f, ok, err := s.Shortcut(ctx, text)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case want == "" && ok:
			t.Errorf("Shortcut(%q) = %s, want no match", text, f.ID)
		case want != "" && (!ok || f.ID != want):
			t.Errorf("Shortcut(%q) = %v, %v; want %s", text, f, ok, want)
		}
	}
}

func TestDeleteReindexAndOutbox(t *testing.T) {
	st := diskStore(t)
	s, ix := newService(t, st)
	ctx := context.Background()
	keep := upload(t, s, UploadInput{Name: "保留.docx", Body: bytes.NewReader(docxOf(t, "银杏条款"))})
	gone := upload(t, s, UploadInput{Name: "删除.docx", Body: bytes.NewReader(docxOf(t, "梧桐条款"))})
	s.CountDownload(ctx, gone.ID)
	if _, err := s.Upload(ctx, UploadInput{FileID: gone.ID, Name: "删除2.txt", Body: strings.NewReader("梧桐条款第二版")}); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	if k := keys(t, st, "files/"+gone.ID+"/"); len(k) != 0 {
		t.Errorf("Delete left %v", k)
	}
	if _, err := s.Get(ctx, gone.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get after Delete: %v", err)
	}
	if got := hits(t, s, "梧桐条款"); len(got) != 0 {
		t.Errorf("deleted file still found: %v", got)
	}
	if err := s.Delete(ctx, gone.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second Delete: %v", err)
	}

	// Reindex restores file entries, drops stale ones and leaves other kinds alone.
	if err := ix.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	pack := index.Doc{ID: "pack_x", Kind: "pack", Title: "银杏手册"}
	stale := index.Doc{ID: "file_bbbbbbbbbbbbbbbb", Kind: Kind, Title: "银杏残影"}
	if err := ix.Upsert(ctx, pack, stale); err != nil {
		t.Fatal(err)
	}
	var last [2]int
	n, err := s.Reindex(ctx, func(done, total int) { last = [2]int{done, total} })
	if err != nil || n != 1 || last != [2]int{1, 1} {
		t.Fatalf("Reindex = %d, %v, progress %v", n, err, last)
	}
	if got := hits(t, s, "银杏"); !slices.Equal(got, []string{"file_" + keep.ID}) {
		t.Errorf("after Reindex, files for 银杏 = %v", got)
	}
	if res, err := ix.Search(ctx, index.Query{Text: "银杏手册", Kind: "pack"}); err != nil || res.Total != 1 {
		t.Errorf("Reindex of files touched packs: %+v, %v", res, err)
	}

	// Index outage: the upload and the delete are kept, the index catches up on replay.
	ix.down.Store(true)
	late := upload(t, s, UploadInput{Name: "迟到.docx", Body: bytes.NewReader(docxOf(t, "枫叶条款"))})
	if err := s.Delete(ctx, keep.ID); err != nil {
		t.Fatal(err)
	}
	if k := keys(t, st, "outbox/files/"); len(k) != 2 {
		t.Errorf("outbox = %v, want two records", k)
	}
	ix.down.Store(false)
	if got := hits(t, s, "枫叶条款"); len(got) != 0 {
		t.Errorf("found before replay: %v", got)
	}
	if n, err := s.ReplayOutbox(ctx); err != nil || n != 2 {
		t.Fatalf("ReplayOutbox = %d, %v", n, err)
	}
	if got := hits(t, s, "枫叶条款"); !slices.Equal(got, []string{"file_" + late.ID}) {
		t.Errorf("after replay: %v", got)
	}
	if got := hits(t, s, "银杏条款"); len(got) != 0 {
		t.Errorf("deleted during the outage, still found after replay: %v", got)
	}
	if k := keys(t, st, "outbox/"); len(k) != 0 {
		t.Errorf("outbox after replay: %v", k)
	}
}

func TestMalformedIDs(t *testing.T) {
	s, _ := newService(t, diskStore(t))
	ctx := context.Background()
	for _, id := range []string{"", "../../etc/passwd", "AAAAAAAAAAAAAAAA", "aaaaaaaaaaaaaaa1", "aaaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaa"} {
		if _, err := s.Get(ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get(%q): %v", id, err)
		}
		if _, _, _, err := s.Open(ctx, id, 0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Open(%q): %v", id, err)
		}
		if err := s.Delete(ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Delete(%q): %v", id, err)
		}
		if _, err := s.Downloads(ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Downloads(%q): %v", id, err)
		}
		if id == "" {
			continue // an empty FileID means a new file
		}
		if _, err := s.Upload(ctx, UploadInput{FileID: id, Name: "a.txt", Body: strings.NewReader("x")}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Upload new version of %q: %v", id, err)
		}
	}
}
