package stories

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/images"
	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/index/bleveindex"
	"github.com/jinnang/jinnang/portal/internal/miniotest"
	"github.com/jinnang/jinnang/portal/points"
	"github.com/jinnang/jinnang/portal/store"
)

var (
	alice = Author{ID: "dev:alice", Name: "爱丽丝", Department: "技术部"}
	bob   = Author{ID: "dev:bob", Name: "鲍勃", Department: "财务部"}
)

func newService(t *testing.T, st store.Store) (*Service, index.Index) {
	t.Helper()
	if st == nil {
		var err error
		if st, err = store.NewDisk(t.TempDir()); err != nil {
			t.Fatal(err)
		}
	}
	ix, err := bleveindex.Open("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := ix.Close(); err != nil {
			t.Error(err)
		}
	})
	return New(st, ix, slog.New(slog.NewTextHandler(io.Discard, nil)), Options{}), ix
}

func photo(t *testing.T) images.Result {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for i := range img.Pix {
		img.Pix[i] = 200
	}
	img.Set(1, 1, color.RGBA{255, 0, 0, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	res, err := images.Process(&b, images.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	return *res
}

func create(t *testing.T, s *Service, by Author, text string, photos int) *Story {
	t.Helper()
	var imgs []images.Result
	for range photos {
		imgs = append(imgs, photo(t))
	}
	st, err := s.Create(context.Background(), NewStory{Author: by, Text: text, Images: imgs})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestCreateFeedAndTags(t *testing.T) {
	s, _ := newService(t, nil)
	ctx := context.Background()
	a := create(t, s, alice, "年会真热闹 #年会 #团建# #年会", 2)
	b := create(t, s, bob, "今天加班", 0)
	if got := fmt.Sprint(a.Tags); got != "[年会 团建]" {
		t.Errorf("tags %s", got)
	}
	if len(a.Images) != 2 || a.Images[1].N != 2 || a.Images[0].Width != 40 {
		t.Errorf("images %+v", a.Images)
	}
	segs := a.Segments()
	if len(segs) < 4 || segs[1].Tag != "年会" || segs[1].Text != "#年会" || segs[3].Tag != "团建" || segs[3].Text != "#团建#" {
		t.Errorf("segments %+v", segs)
	}
	p, err := s.Feed(ctx, "", 0, 10)
	if err != nil || p.Total != 2 || len(p.Stories) != 2 {
		t.Fatalf("feed: %+v %v", p, err)
	}
	tagged, err := s.Feed(ctx, "团建", 0, 10)
	if err != nil || tagged.Total != 1 || tagged.Stories[0].ID != a.ID {
		t.Fatalf("campaign page: %+v %v", tagged, err)
	}
	rc, obj, err := s.Image(ctx, a.ID, 2, true)
	if err != nil {
		t.Fatal(err)
	}
	rc.Close()
	if obj.ContentType != "image/jpeg" {
		t.Errorf("thumb type %q", obj.ContentType)
	}
	if _, _, err := s.Image(ctx, b.ID, 1, false); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("photo of a story without photos: %v", err)
	}
	for _, in := range []NewStory{
		{Author: alice, Text: string(bytes.Repeat([]byte("长"), MaxText+1))},
		{Author: alice, Text: "  "},
		{Author: alice, Text: "x", Images: make([]images.Result, MaxImages+1)},
	} {
		if _, err := s.Create(ctx, in); !errors.Is(err, ErrInvalid) {
			t.Errorf("create %.20q with %d photos: %v", in.Text, len(in.Images), err)
		}
	}
	if _, err := s.Get(ctx, "../../etc/passwd"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("malformed id: %v", err)
	}
	day := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	d1, err := s.DailyPick(ctx, day)
	if err != nil {
		t.Fatal(err)
	}
	if d2, _ := s.DailyPick(ctx, day); d2.ID != d1.ID {
		t.Error("story of the day changed within the day")
	}
}

func TestLikesComments(t *testing.T) {
	s, _ := newService(t, nil)
	ctx := context.Background()
	st := create(t, s, alice, "下午茶", 0)
	for i, want := range []bool{true, false} {
		if made, err := s.Like(ctx, st.ID, bob.ID); err != nil || made != want {
			t.Fatalf("like %d: %v %v", i, made, err)
		}
	}
	n, liked, err := s.Likes(ctx, st.ID, bob.ID)
	if err != nil || n != 1 || !liked {
		t.Fatalf("likes %d %v %v", n, liked, err)
	}
	if _, liked, _ := s.Likes(ctx, st.ID, alice.ID); liked {
		t.Error("alice likes without liking")
	}
	if err := s.Unlike(ctx, st.ID, bob.ID); err != nil {
		t.Fatal(err)
	}
	if n, _, _ := s.Likes(ctx, st.ID, bob.ID); n != 0 {
		t.Errorf("after unlike: %d", n)
	}
	c1, err := s.AddComment(ctx, st.ID, bob, "  <b>好</b>\x00 ")
	if err != nil {
		t.Fatal(err)
	}
	if c1.Text != "<b>好</b>" {
		t.Errorf("comment text %q", c1.Text) // stored as plain text; pages escape it
	}
	if _, err := s.AddComment(ctx, st.ID, bob, " "); !errors.Is(err, ErrInvalid) {
		t.Errorf("empty comment: %v", err)
	}
	c2, err := s.AddComment(ctx, st.ID, alice, "谢谢")
	if err != nil {
		t.Fatal(err)
	}
	cs, err := s.Comments(ctx, st.ID)
	if err != nil || len(cs) != 2 || cs[0].ID != c1.ID || cs[1].ID != c2.ID {
		t.Fatalf("comments %+v %v", cs, err)
	}
	if _, err := s.DeleteComment(ctx, st.ID, c1.ID, alice.ID, false); !errors.Is(err, ErrForbidden) {
		t.Errorf("delete someone else's comment: %v", err)
	}
	if _, err := s.DeleteComment(ctx, st.ID, c1.ID, alice.ID, true); err != nil {
		t.Errorf("moderator deletes: %v", err)
	}
	if _, err := s.DeleteComment(ctx, st.ID, "../x", alice.ID, true); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("malformed comment id: %v", err)
	}
	if _, err := s.Delete(ctx, st.ID, bob.ID); !errors.Is(err, ErrForbidden) {
		t.Errorf("bob deletes alice's story: %v", err)
	}
	if _, err := s.Delete(ctx, st.ID, alice.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Like(ctx, st.ID, bob.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("like a deleted story: %v", err)
	}
	if _, err := s.Moderate(ctx, st.ID, ActRestore, "dev:mod", ""); !errors.Is(err, ErrForbidden) {
		t.Errorf("restore a story its author deleted: %v", err)
	}
}

func TestReportsAutoHideModerationAndReindex(t *testing.T) {
	s, ix := newService(t, nil)
	ctx := context.Background()
	st := create(t, s, alice, "广告 #促销", 1)
	other := create(t, s, bob, "正常分享", 0)
	for i, u := range []string{"u1", "u1", "u2"} {
		res, err := s.Report(ctx, st.ID, u, "spam", "")
		if err != nil || res.Hidden || res.New == (i == 1) {
			t.Fatalf("report %d: %+v %v", i, res, err)
		}
	}
	if _, err := s.Report(ctx, st.ID, "u3", "nonsense", ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown reason: %v", err)
	}
	res, err := s.Report(ctx, st.ID, "u3", "offensive", "太过分")
	if err != nil || !res.Hidden || res.Reports != 3 {
		t.Fatalf("third report: %+v %v", res, err)
	}
	got, _ := s.Get(ctx, st.ID)
	if got.State != StateHidden || got.StateBy != "auto" {
		t.Fatalf("state %s by %s", got.State, got.StateBy)
	}
	if p, _ := s.Feed(ctx, "", 0, 10); p.Total != 1 || p.Stories[0].ID != other.ID {
		t.Errorf("feed after auto-hide: %+v", p)
	}
	q, err := s.Queue(ctx)
	if err != nil || len(q) != 1 || q[0].Story.ID != st.ID || len(q[0].Reports) != 3 {
		t.Fatalf("queue %+v %v", q, err)
	}
	// Restore: reviewed reports no longer count; two new ones do not hide it again.
	if _, err := s.Moderate(ctx, st.ID, ActRestore, "dev:mod", "误报"); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"u4", "u5"} {
		if res, err := s.Report(ctx, st.ID, u, "spam", ""); err != nil || res.Hidden {
			t.Fatalf("report after restore: %+v %v", res, err)
		}
	}
	if _, err := s.Moderate(ctx, st.ID, ActWarn, "dev:mod", ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("warn without note: %v", err)
	}
	if _, err := s.Moderate(ctx, st.ID, ActWarn, "dev:mod", "请勿发广告"); err != nil {
		t.Fatal(err)
	}
	ws, err := s.Warnings(ctx, alice.ID)
	if err != nil || len(ws) != 1 || ws[0].Note != "请勿发广告" || ws[0].Story != st.ID {
		t.Fatalf("warnings %+v %v", ws, err)
	}
	if q, _ := s.Queue(ctx); len(q) != 0 {
		t.Errorf("queue after decisions: %d", len(q))
	}
	if _, err := s.Moderate(ctx, st.ID, ActDelete, "dev:mod", "广告"); err != nil {
		t.Fatal(err)
	}
	// The index is derived: wipe it and rebuild; only visible stories return,
	// and other kinds are left alone.
	if err := ix.Upsert(ctx, index.Doc{ID: "pack_x", Kind: "pack", Title: "x"}, index.Doc{ID: "story_zzzzzzzzzzzzzzzz", Kind: Kind}); err != nil {
		t.Fatal(err)
	}
	n, err := s.Reindex(ctx, nil)
	if err != nil || n != 1 {
		t.Fatalf("reindex: %d %v", n, err)
	}
	all, err := ix.Search(ctx, index.Query{Limit: 10})
	if err != nil || all.Total != 2 {
		t.Fatalf("index after reindex: %+v %v", all, err)
	}
	// Points: only the visible story counts.
	cs, err := s.PointsSource()(ctx)
	if err != nil || len(cs) != 1 || cs[0].UserID != bob.ID || cs[0].Kind != points.KindStory {
		t.Errorf("contributions %+v %v", cs, err)
	}
}

// TestLikeUniquenessOnMinIO: on a real MinIO, 20 concurrent likes by one
// user make one like; 20 users make 20.
func TestLikeUniquenessOnMinIO(t *testing.T) {
	cfg := miniotest.Start(t)
	ctx := context.Background()
	st, err := store.NewS3(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := newService(t, st)
	story := create(t, s, alice, "并发点赞", 1)
	const n = 20
	var wg sync.WaitGroup
	made := make(chan bool, n)
	errs := make(chan error, 2*n)
	for range n {
		wg.Go(func() {
			ok, err := s.Like(ctx, story.ID, bob.ID)
			if err != nil {
				errs <- err
			}
			made <- ok
		})
	}
	wg.Wait()
	close(made)
	created := 0
	for ok := range made {
		if ok {
			created++
		}
	}
	if count, liked, err := s.Likes(ctx, story.ID, bob.ID); err != nil || count != 1 || !liked || created != 1 {
		t.Fatalf("same user: %d likes stored, %d calls made one (%v)", count, created, err)
	}
	for i := range n {
		wg.Go(func() {
			if _, err := s.Like(ctx, story.ID, fmt.Sprintf("dev:user%d", i)); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if count, _, err := s.Likes(ctx, story.ID, alice.ID); err != nil || count != n+1 {
		t.Fatalf("different users: %d likes, want %d (%v)", count, n+1, err)
	}
}
