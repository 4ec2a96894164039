package web

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jinnang/jinnang/portal/internal/mediatest"
	"github.com/jinnang/jinnang/portal/media"
	"github.com/jinnang/jinnang/portal/reports"
	"github.com/jinnang/jinnang/portal/store"
)

func TestFrontLineReport(t *testing.T) {
	mediatest.Need(t)
	mst, _ := store.NewDisk(t.TempDir())
	tool, err := media.NewTool(media.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	q := media.NewQueue(mst, tool, media.QueueOptions{})
	var rs *reports.Service
	ts, _ := newNotifyServer(t, func(o *Options) {
		o.Media = q
		rs = reports.New(mst, nil)
		o.Reports = rs
	})
	if page := do(ts, http.MethodGet, "/reports/new", nil).Body.String(); !strings.Contains(page, `<option value="财务部"`) || !strings.Contains(page, `name="video"`) {
		t.Fatalf("the form offers no 财务部 or no video:\n%s", page)
	}
	clip, _ := os.ReadFile(mediatest.Video(t, t.TempDir(), mediatest.Clip{W: 640, H: 360, Seconds: 2}))
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField(csrfField, ts.csrf(ts.token))
	mw.WriteField("department", "财务部")
	mw.WriteField("text", "报销单打印机坏了三天")
	w, _ := mw.CreateFormFile("video", "printer.mp4")
	w.Write(clip)
	w, _ = mw.CreateFormFile("images", "printer.png")
	w.Write(pngBytes(t))
	mw.Close()
	req := httptest.NewRequest(http.MethodPost, "/reports", &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.AddCookie(&http.Cookie{Name: sessionCookiePlain, Value: ts.token})
	rec := httptest.NewRecorder()
	ts.ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("post report: %d %s", rec.Code, rec.Body.String())
	}
	page := rec.Header().Get("Location")
	if n, err := q.Work(context.Background()); n != 1 || err != nil {
		t.Fatalf("Work = %d %v", n, err)
	}

	mgr := ts.signIn(financeEd)
	if queue := ts.send(mgr, http.MethodGet, "/reports/queue", nil, nil).Body.String(); !strings.Contains(queue, "报销单打印机坏了三天") || !strings.Contains(queue, "已收到") {
		t.Errorf("the manager's queue lacks the report")
	}
	if notes := ts.send(mgr, http.MethodGet, "/notifications", nil, nil).Body.String(); !strings.Contains(notes, "陈晨 发来一线上报") {
		t.Errorf("the manager was not notified")
	}
	if v := ts.send(mgr, http.MethodGet, page, nil, nil).Body.String(); !strings.Contains(v, `src="`+page+`/video.mp4"`) {
		t.Errorf("the manager's page has no video")
	}
	if r := ts.send(mgr, http.MethodGet, page+"/video.mp4", map[string]string{"Range": "bytes=0-99"}, nil); r.Code != http.StatusPartialContent || r.Body.Len() != 100 {
		t.Errorf("manager range: %d", r.Code)
	}
	if r := ts.send(mgr, http.MethodGet, page+"/thumb/1", nil, nil); r.Code != http.StatusOK || r.Header().Get("Content-Type") != "image/jpeg" {
		t.Errorf("manager thumb: %d", r.Code)
	}
	other := ts.signIn(techEd)
	for _, p := range []string{page, page + "/video.mp4", page + "/photo/1"} {
		if r := ts.send(other, http.MethodGet, p, nil, nil); r.Code != http.StatusNotFound {
			t.Errorf("a manager of another department got %s: %d", p, r.Code)
		}
	}
	if q := ts.send(other, http.MethodGet, "/reports/queue", nil, nil).Body.String(); strings.Contains(q, "报销单打印机") {
		t.Error("another department's queue shows the report")
	}
	csrf := ts.csrf(mgr)
	if r := ts.send(mgr, http.MethodPost, page+"/status", nil, url.Values{csrfField: {csrf}, "status": {"in_progress"}}); r.Code != http.StatusSeeOther {
		t.Fatalf("status: %d", r.Code)
	}
	if r := ts.send(mgr, http.MethodPost, page+"/reply", nil, url.Values{csrfField: {csrf}, "text": {"已报修，明天上午来人"}}); r.Code != http.StatusSeeOther {
		t.Fatalf("reply: %d", r.Code)
	}
	mine := do(ts, http.MethodGet, page, nil).Body.String()
	if !strings.Contains(mine, `<strong class="report-status">处理中</strong>`) || !strings.Contains(mine, "已报修，明天上午来人") || !strings.Contains(mine, "负责人") {
		t.Errorf("the reporter does not see the status and the reply:\n%s", mine)
	}
	if notes := do(ts, http.MethodGet, "/notifications", nil).Body.String(); !strings.Contains(notes, "王敏 回复了你的上报") || !strings.Contains(notes, "王敏 更新了你的上报状态") {
		t.Errorf("the reporter was not notified of the reply and status")
	}
	if r := ts.send(ts.token, http.MethodPost, page+"/status", nil, url.Values{csrfField: {ts.csrf(ts.token)}, "status": {"resolved"}}); r.Code != http.StatusForbidden {
		t.Errorf("the reporter set the status: %d", r.Code)
	}
	if list := do(ts, http.MethodGet, "/reports", nil).Body.String(); !strings.Contains(list, "报销单打印机坏了三天") {
		t.Error("my reports lack the report")
	}
	if more := do(ts, http.MethodGet, "/more", nil).Body.String(); !strings.Contains(more, `href="/reports"`) {
		t.Error("更多 has no link to 一线上报")
	}
	if feed := do(ts, http.MethodGet, "/stories", nil).Body.String(); strings.Contains(feed, "报销单打印机") {
		t.Error("the report reached the public feed")
	}
}
