package packs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/markdown"
	"github.com/jinnang/jinnang/portal/store"
)

func fields(title, dept string) markdown.FrontMatter {
	return markdown.FrontMatter{Title: title, Summary: "摘要", Department: dept, Tags: []string{"报销"}, Author: "王敏"}
}

func publish(t testing.TB, s *Service, slug, etag, body, note string) (*Pack, *Meta) {
	t.Helper()
	p, m, err := s.Publish(context.Background(), Publication{Slug: slug, Fields: fields("报销流程", "财务部"), Body: body, Note: note,
		By: "dev:wangmin", ByName: "王敏", IfMatch: etag})
	if err != nil {
		t.Fatalf("publish %s: %v", slug, err)
	}
	return p, m
}

func TestPublishHistoryRestore(t *testing.T) {
	s, st, _ := newService(t)
	ctx := context.Background()
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return now })
	p1, m := publish(t, s, "bao-xiao", "", "第一版：七天内提交。\n", "初稿")
	if m.Versions != 1 || m.Owner != "dev:wangmin" || !m.Reviewed.Equal(now) {
		t.Fatalf("meta after create: %+v", m)
	}
	if _, _, err := s.Publish(ctx, Publication{Slug: "bao-xiao", Fields: fields("别的", "财务部"), Body: "x", By: "dev:x"}); !errors.Is(err, store.ErrPrecondition) {
		t.Errorf("create over a taken slug: %v", err)
	}
	p2, _ := publish(t, s, "bao-xiao", p1.ETag, "第二版：十天内提交。\n", "改期限")
	// A stale ETag is a conflict, never an overwrite.
	if _, _, err := s.Publish(ctx, Publication{Slug: "bao-xiao", Fields: fields("报销流程", "财务部"), Body: "旧的", By: "dev:liqiang", IfMatch: p1.ETag}); !errors.Is(err, store.ErrPrecondition) {
		t.Fatalf("stale publish: %v", err)
	}
	_, m = publish(t, s, "bao-xiao", p2.ETag, "第三版：十天内提交，附发票。\n", "")
	vp, err := s.History(ctx, "bao-xiao", 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(vp.Entries) != 3 || vp.Entries[0].N != 3 || vp.Entries[2].Note != "初稿" || vp.Entries[1].ByName != "王敏" {
		t.Fatalf("history: %+v", vp.Entries)
	}
	src, _, err := s.Version(ctx, "bao-xiao", 1)
	if err != nil || !strings.Contains(string(src), "第一版") || !strings.Contains(string(src), "title: 报销流程") {
		t.Fatalf("version 1: %v %q", err, src)
	}
	p4, m, err := s.Restore(ctx, "bao-xiao", 1, "dev:zhangwei", "张伟")
	if err != nil {
		t.Fatal(err)
	}
	if m.Versions != 4 || m.Log[len(m.Log)-1].From != 1 || !strings.Contains(string(p4.HTML), "第一版") {
		t.Errorf("restore: %+v", m.Log)
	}
	cur, _ := s.Get(ctx, "bao-xiao")
	if !strings.Contains(string(cur.HTML), "第一版") {
		t.Error("the restored version is not the current one")
	}
	// Versions are immutable objects.
	if _, err := st.Put(ctx, versionKey(m.ID, 2), strings.NewReader("x"), store.PutOptions{IfNoneMatch: true}); !errors.Is(err, store.ErrPrecondition) {
		t.Errorf("version 2 overwritable: %v", err)
	}
}

func TestHistoryChunks(t *testing.T) {
	defer func(n int) { ChunkSize = n }(ChunkSize)
	ChunkSize = 10
	s, st, _ := newService(t)
	p, _ := publish(t, s, "chang-shi", "", "v1\n", "")
	for i := 2; i <= 2*ChunkSize+3; i++ {
		p, _ = publish(t, s, "chang-shi", p.ETag, fmt.Sprintf("v%d\n", i), fmt.Sprintf("第 %d 次", i))
	}
	ctx := context.Background()
	counting := &countingStore{Store: st}
	s.store = counting
	vp, err := s.History(ctx, "chang-shi", 1)
	if err != nil {
		t.Fatal(err)
	}
	if counting.gets > 2 {
		t.Errorf("history page 1 read %d objects", counting.gets)
	}
	if vp.Pages != 2 || len(vp.Entries) != ChunkSize+3 || vp.Entries[0].N != 2*ChunkSize+3 || vp.Entries[len(vp.Entries)-1].N != ChunkSize+1 {
		t.Fatalf("page 1: pages %d, %d entries, %d…%d", vp.Pages, len(vp.Entries), vp.Entries[0].N, vp.Entries[len(vp.Entries)-1].N)
	}
	vp, err = s.History(ctx, "chang-shi", 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(vp.Entries) != ChunkSize || vp.Entries[0].N != ChunkSize || vp.Entries[ChunkSize-1].N != 1 {
		t.Fatalf("page 2: %d entries", len(vp.Entries))
	}
}

type countingStore struct {
	store.Store
	gets int
}

func (c *countingStore) Get(ctx context.Context, key string) (io.ReadCloser, store.Object, error) {
	c.gets++
	return c.Store.Get(ctx, key)
}

func TestRenameKeepsHistoryAndRedirects(t *testing.T) {
	s, _, ix := newService(t)
	ctx := context.Background()
	p, _ := publish(t, s, "old-name", "", "正文\n", "")
	m, err := s.Rename(ctx, "old-name", "new-name", p.ETag)
	if err != nil {
		t.Fatal(err)
	}
	if to, _ := s.Resolve(ctx, "old-name"); to != "new-name" {
		t.Errorf("resolve old slug: %q", to)
	}
	if _, err := s.Get(ctx, "old-name"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("old slug still served: %v", err)
	}
	vp, err := s.History(ctx, "new-name", 1)
	if err != nil || len(vp.Entries) != 1 || vp.Meta.ID != m.ID {
		t.Fatalf("history after rename: %v %+v", err, vp)
	}
	res, _ := ix.Search(ctx, index.Query{Kind: Kind, Text: "正文"})
	if res.Total != 1 || res.Hits[0].Doc.URL != "/packs/new-name" {
		t.Errorf("index after rename: %+v", res.Hits)
	}
	if taken, _ := s.SlugTaken(ctx, "old-name"); !taken {
		t.Error("the redirected slug can be reused")
	}
}

func TestArchiveDeleteRestoreWindow(t *testing.T) {
	s, _, ix := newService(t)
	ctx := context.Background()
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return now })
	publish(t, s, "gui-dang", "", "归档正文\n", "")
	count := func() int {
		res, _ := ix.Search(ctx, index.Query{Kind: Kind, Text: "归档正文"})
		return res.Total
	}
	if _, err := s.Archive(ctx, "gui-dang", "dev:wangmin"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "gui-dang"); !errors.Is(err, store.ErrNotFound) || count() != 0 {
		t.Errorf("archived pack still live: %v, %d hits", err, count())
	}
	if src, err := s.ArchivedSource(ctx, "gui-dang"); err != nil || !strings.Contains(string(src), "归档正文") {
		t.Errorf("archived source: %v", err)
	}
	if _, err := s.Archive(ctx, "gui-dang", "x"); !errors.Is(err, ErrState) {
		t.Errorf("archive twice: %v", err)
	}
	if _, err := s.Delete(ctx, "gui-dang", "dev:wangmin"); err != nil {
		t.Fatal(err)
	}
	if trash, _ := s.Trash(ctx, nil); len(trash) != 1 || trash[0].Slug != "gui-dang" {
		t.Errorf("trash: %+v", trash)
	}
	if _, err := s.Undelete(ctx, "gui-dang", "dev:wangmin"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "gui-dang"); err != nil || count() != 1 {
		t.Errorf("undeleted pack: %v, %d hits", err, count())
	}
	if _, err := s.Delete(ctx, "gui-dang", "dev:wangmin"); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.PurgeDeleted(ctx); n != 0 {
		t.Errorf("purged inside the window: %d", n)
	}
	now = now.Add(RestoreWindow + time.Hour)
	if n, err := s.PurgeDeleted(ctx); n != 1 || err != nil {
		t.Errorf("purge after the window: %d %v", n, err)
	}
	if _, err := s.Lookup(ctx, "gui-dang"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("purged meta: %v", err)
	}
}

func TestFreshnessAndOwnerLeft(t *testing.T) {
	s, _, _ := newService(t)
	ctx := context.Background()
	now := time.Date(2025, 1, 1, 9, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return now })
	publish(t, s, "lao-de", "", "旧\n", "")
	now = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	publish(t, s, "xin-de", "", "新\n", "")
	cutoff := now.AddDate(-1, 0, 0)
	items, err := s.ToReview(ctx, "dev:wangmin", nil, cutoff)
	if err != nil || len(items) != 1 || items[0].Slug != "lao-de" {
		t.Fatalf("owner's 待核对: %v %+v", err, items)
	}
	if items, _ := s.ToReview(ctx, "", []string{"财务部"}, cutoff); len(items) != 1 {
		t.Errorf("department's 待核对: %+v", items)
	}
	if _, err := s.MarkReviewed(ctx, "lao-de"); err != nil {
		t.Fatal(err)
	}
	if items, _ := s.ToReview(ctx, "dev:wangmin", nil, cutoff); len(items) != 0 {
		t.Errorf("after review: %+v", items)
	}
	moved, err := s.OwnerLeft(ctx, "dev:wangmin")
	if err != nil || strings.Join(moved, ",") != "lao-de,xin-de" {
		t.Fatalf("owner left: %v %q", err, moved)
	}
	m, _ := s.Info(ctx, "xin-de")
	if m.Owner != "" {
		t.Errorf("owner after leaving: %q", m.Owner)
	}
	now = now.AddDate(2, 0, 0)
	if items, _ := s.ToReview(ctx, "", []string{"财务部"}, now.AddDate(-1, 0, 0)); len(items) != 2 || items[0].Owner != "" {
		t.Errorf("department editors own the packs now: %+v", items)
	}
}

func TestBackfillImportedPacks(t *testing.T) {
	s, _, _ := newService(t)
	ctx := context.Background()
	if _, err := s.Save(ctx, "yi-qian", []byte(packSrc), ""); err != nil {
		t.Fatal(err)
	}
	m, err := s.Info(ctx, "yi-qian")
	if err != nil || m.ID != "" || m.Department != "财务部" {
		t.Fatalf("made-up meta: %v %+v", err, m)
	}
	if n, err := s.Backfill(ctx); n != 1 || err != nil {
		t.Fatalf("backfill: %d %v", n, err)
	}
	if n, _ := s.Backfill(ctx); n != 0 {
		t.Errorf("second backfill: %d", n)
	}
	vp, _ := s.History(ctx, "yi-qian", 1)
	if len(vp.Entries) != 1 || vp.Meta.ID == "" {
		t.Errorf("history of a backfilled pack: %+v", vp)
	}
}

func TestDraftsAndImages(t *testing.T) {
	s, _, _ := newService(t)
	ctx := context.Background()
	d := &Draft{ID: NewDraftID(), Owner: "dev:wangmin", Fields: fields("草稿", "财务部"), Body: "还没写完"}
	if err := s.SaveDraft(ctx, d); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Draft(ctx, "dev:liuyang", d.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another editor reads the draft: %v", err)
	}
	list, err := s.Drafts(ctx, "dev:wangmin")
	if err != nil || len(list) != 1 || list[0].Fields.Title != "草稿" {
		t.Fatalf("drafts: %v %+v", err, list)
	}
	var buf bytes.Buffer
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	img.Set(1, 1, color.RGBA{R: 200, A: 255})
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	name, err := s.PutImage(ctx, d.PackID, &buf)
	if err != nil || !ValidImageName(name) {
		t.Fatalf("put image: %q %v", name, err)
	}
	rc, obj, err := s.Image(ctx, d.PackID, name)
	if err != nil || obj.ContentType != "image/jpeg" {
		t.Fatalf("image: %v %+v", err, obj)
	}
	rc.Close()
	if _, err := s.PutImage(ctx, d.PackID, strings.NewReader("<html>not an image")); err == nil {
		t.Error("a non-image was stored")
	}
	doc, err := s.Preview(d.Fields, "![图](images/"+name+")", "/drafts/"+d.ID+"/images/")
	if err != nil || !strings.Contains(string(doc.HTML), `src="/drafts/`+d.ID+`/images/`+name+`"`) {
		t.Errorf("preview: %v %s", err, doc.HTML)
	}
	// Publishing the draft as a new pack keeps its id, so the images stay found.
	p, m, err := s.Publish(ctx, Publication{Slug: "cao-gao", ID: d.ID, Fields: d.Fields, Body: "![图](images/" + name + ")", By: "dev:wangmin"})
	if err != nil || m.ID != d.ID || !strings.Contains(string(p.HTML), `src="/packs/cao-gao/images/`+name+`"`) {
		t.Fatalf("publish draft: %v %s", err, p.HTML)
	}
	if err := s.DeleteDraft(ctx, "dev:wangmin", d.ID); err != nil {
		t.Fatal(err)
	}
	if list, _ := s.Drafts(ctx, "dev:wangmin"); len(list) != 0 {
		t.Errorf("after delete: %+v", list)
	}
}

func TestSlugify(t *testing.T) {
	for in, want := range map[string]string{
		"差旅报销流程":      "cha-lv-bao-xiao-liu-cheng",
		"OA 系统怎么用？":   "oa-xi-tong-zen-me-yong",
		"2026 年假：新规定": "2026-nian-jia-xin-gui-ding",
		"！！！":         "pack",
	} {
		if got := Slugify(in); got != want || !ValidSlug(got) {
			t.Errorf("Slugify(%q) = %q, want %q", in, got, want)
		}
	}
	long := Slugify(strings.Repeat("报销", 40))
	if len(long) > 60 || !ValidSlug(long) {
		t.Errorf("long slug %q", long)
	}
}

// BenchmarkHistoryPage200 reads the first history page of a pack with 200
// versions (the page a person opens).
func BenchmarkHistoryPage200(b *testing.B) {
	s, _, _ := newService(b)
	p, _ := publish(b, s, "bench", "", "v1\n", "")
	for i := 2; i <= 200; i++ {
		p, _ = publish(b, s, "bench", p.ETag, fmt.Sprintf("v%d\n", i), "一行说明")
	}
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		vp, err := s.History(ctx, "bench", 1)
		if err != nil || len(vp.Entries) != 200 {
			b.Fatal(err, len(vp.Entries))
		}
	}
}
