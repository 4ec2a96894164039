package web

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/jinnang/jinnang/portal/internal/mediatest"
	"github.com/jinnang/jinnang/portal/media"
	"github.com/jinnang/jinnang/portal/store"
)

// TestFeedKeepsFinalVideoStateInDigest: while a story's video is being
// transcoded each feed view asks the queue; once a view has seen it done,
// the state is in the story's digest and later views read no job.
func TestFeedKeepsFinalVideoStateInDigest(t *testing.T) {
	mediatest.Need(t)
	disk, err := store.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	mst := store.Counting(disk)
	tool, err := media.NewTool(media.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	q := media.NewQueue(mst, tool, media.QueueOptions{})
	ts := newTestServer(t, func(opts *Options) { opts.Media = q })
	clip, err := os.ReadFile(mediatest.Video(t, t.TempDir(), mediatest.Clip{W: 320, H: 240, Seconds: 1}))
	if err != nil {
		t.Fatal(err)
	}
	if rec := ts.postVideo(ts.token, "新设备", "a.mov", clip, nil); rec.Code != http.StatusSeeOther {
		t.Fatalf("post video: %d", rec.Code)
	}
	view := func() (string, int64) {
		mst.Reset()
		body := do(ts, http.MethodGet, "/stories", nil).Body.String()
		return body, mst.Counts().Get
	}
	if body, gets := view(); !strings.Contains(body, "处理中") || gets != 1 {
		t.Fatalf("processing: %d job reads (want 1), 处理中 shown: %v", gets, strings.Contains(body, "处理中"))
	}
	if n, err := q.Work(context.Background()); n != 1 || err != nil {
		t.Fatalf("Work = %d, %v", n, err)
	}
	if body, gets := view(); !strings.Contains(body, "<video") || gets != 1 {
		t.Fatalf("first view after the transcode: %d job reads (want 1), video shown: %v", gets, strings.Contains(body, "<video"))
	}
	body, gets := view()
	if !strings.Contains(body, "<video") || !strings.Contains(body, `width="320" height="240"`) || gets != 0 {
		t.Errorf("later view: %d job reads (want 0), video tag: %v", gets, strings.Contains(body, `width="320" height="240"`))
	}
}
