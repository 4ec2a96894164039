package web

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jinnang/jinnang/portal/internal/mediatest"
	"github.com/jinnang/jinnang/portal/media"
	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/suggest"
)

// TestSuggestReceiptVideoState: the submitter sees on the receipt that a
// video was attached, and on the follow-up whether it was processed, in
// Chinese and English, with no URL or id of the media on either page; a
// failed transcode says why.
func TestSuggestReceiptVideoState(t *testing.T) {
	ts, q, mst := newMediaServer(t, media.QueueOptions{})
	ctx := context.Background()
	sg := ts.opts.Suggest.(*suggest.Service)
	b, err := sg.CreateBox(ctx, "车间意见箱", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	clip, _ := os.ReadFile(mediatest.Video(t, t.TempDir(), mediatest.Clip{W: 320, H: 240, Seconds: 1}))
	submit := func(body string) string {
		t.Helper()
		rec := anonMultipart(ts, "", "/s/"+b.ID, text("token", sg.FormToken(b.ID)), text("body", body), anonPart{"video", "v.mp4", clip})
		code := codeRE.FindStringSubmatch(rec.Body.String())
		if rec.Code != http.StatusOK || code == nil {
			t.Fatalf("submit: %d", rec.Code)
		}
		if !strings.Contains(rec.Body.String(), `id="receipt-video">附带了一段视频`) {
			t.Error("the receipt does not say a video is attached")
		}
		return code[1]
	}
	code := submit("通道被堵")
	follow := func(code string, lang Lang) string {
		t.Helper()
		form := url.Values{"token": {sg.FormToken(receiptPurpose)}, "code": {code}}
		rec := anonSend(ts, "", http.MethodPost, withLang("/s/receipt", lang), form)
		if rec.Code != http.StatusOK {
			t.Fatalf("follow-up: %d", rec.Code)
		}
		return rec.Body.String()
	}
	items, _ := sg.List(ctx, suggest.Filter{})
	job := items[0].Video
	noLink := func(page string) {
		t.Helper()
		for _, bad := range []string{job, "video.mp4", "poster.jpg", "<video", "media/", items[0].Ref} {
			if strings.Contains(page, bad) {
				t.Errorf("the submitter's page holds %q", bad)
			}
		}
	}
	page := follow(code, LangZh)
	hasAll(t, "before the transcode", page, `id="suggest-video">附带的视频：<strong>处理中（正在重新编码）</strong>`)
	noLink(page)
	if _, err := q.Work(ctx); err != nil {
		t.Fatal(err)
	}
	page = follow(code, LangZh)
	hasAll(t, "after the transcode", page, `<strong>已处理，处理团队可以观看</strong>`)
	noLink(page)
	en := follow(code, LangEn)
	hasAll(t, "English", en, `Attached video: <strong>processed; the handling team can watch it</strong>`)
	noLink(en)

	// A second one whose upload ffmpeg cannot read fails, and says why.
	code2 := submit("第二条")
	items, _ = sg.List(ctx, suggest.Filter{})
	var job2 string
	for _, it := range items {
		if it.Video != job {
			job2 = it.Video
		}
	}
	if _, err := mst.Put(ctx, "media/"+job2+"/src", strings.NewReader("garbage"), store.PutOptions{Size: 7}); err != nil {
		t.Fatal(err)
	}
	q.Work(ctx)
	hasAll(t, "failed", follow(code2, LangZh), "处理失败：文件无法读取为视频或音频", "可以用下面的留言补充说明。")
	// Removed media (the sweep or the handling team) is told as such.
	if err := q.Remove(ctx, job2); err != nil {
		t.Fatal(err)
	}
	hasAll(t, "removed", follow(code2, LangZh), "<strong>已删除</strong>")
}
