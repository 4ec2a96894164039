package web

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/internal/mediatest"
	"github.com/jinnang/jinnang/portal/media"
	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/suggest"
)

// newMediaServer is a test server with a real transcode queue (its own
// disk store) and the queue, which the test works by hand.
func newMediaServer(t *testing.T, o media.QueueOptions) (*testServer, *media.Queue, store.Store) {
	t.Helper()
	mediatest.Need(t)
	mst, err := store.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	tool, err := media.NewTool(media.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	q := media.NewQueue(mst, tool, o)
	ts := newTestServer(t, func(opts *Options) { opts.Media = q })
	return ts, q, mst
}

// postVideo posts a story form with text and one video file.
func (ts *testServer) postVideo(tok, text, name string, video []byte, headers map[string]string) *httptest.ResponseRecorder {
	ts.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField(csrfField, ts.csrf(tok))
	mw.WriteField("text", text)
	w, _ := mw.CreateFormFile("video", name)
	w.Write(video)
	mw.Close()
	req := httptest.NewRequest(http.MethodPost, "/stories", &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	req.AddCookie(&http.Cookie{Name: sessionCookiePlain, Value: tok})
	rec := httptest.NewRecorder()
	ts.ServeHTTP(rec, req)
	return rec
}

func TestStoryVideoPostTranscodeAndRange(t *testing.T) {
	ts, q, _ := newMediaServer(t, media.QueueOptions{})
	dir := t.TempDir()
	clip, err := os.ReadFile(mediatest.Video(t, dir, mediatest.Clip{W: 1920, H: 1080, Seconds: 3}))
	if err != nil {
		t.Fatal(err)
	}
	if rec := do(ts, http.MethodGet, "/stories/new", nil); !strings.Contains(rec.Body.String(), `name="video"`) || !strings.Contains(rec.Body.String(), `accept="video/*"`) {
		t.Fatalf("the story form has no video input")
	}
	rec := ts.postVideo(ts.token, "车间新设备 #一线", "IMG_0001.MOV", clip, nil)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("post video: %d %s", rec.Code, rec.Body.String())
	}
	url := rec.Header().Get("Location")
	page := do(ts, http.MethodGet, url, nil).Body.String()
	if !strings.Contains(page, "处理中") || strings.Contains(page, "<video") {
		t.Fatalf("before the transcode the story should say 处理中 and have no video:\n%s", page)
	}
	if n, err := q.Work(context.Background()); n != 1 || err != nil {
		t.Fatalf("Work = %d, %v", n, err)
	}
	for _, path := range []string{url, "/stories"} {
		page = do(ts, http.MethodGet, path, nil).Body.String()
		video := regexp.MustCompile(`<video[^>]*>`).FindString(page)
		for _, want := range []string{" controls", " playsinline", " webkit-playsinline", " x5-playsinline", `preload="metadata"`, `poster="` + url + `/poster.jpg"`, `src="` + url + `/video.mp4"`, `width="1280" height="720"`} {
			if !strings.Contains(video, want) {
				t.Errorf("%s: video tag %q lacks %s", path, video, want)
			}
		}
		if strings.Contains(page, "处理中") {
			t.Errorf("%s: still 处理中 after the transcode", path)
		}
	}
	full := do(ts, http.MethodGet, url+"/video.mp4", nil)
	if full.Code != http.StatusOK || full.Header().Get("Content-Type") != "video/mp4" || full.Header().Get("Accept-Ranges") != "bytes" {
		t.Fatalf("video: %d %v", full.Code, full.Header())
	}
	body := full.Body.Bytes()
	out := filepath.Join(dir, "served.mp4")
	os.WriteFile(out, body, 0o600)
	p := mediatest.FFprobe(t, out)
	var codecs []string
	for _, s := range p.Streams {
		codecs = append(codecs, s.CodecName)
		if s.CodecType == "video" && (s.Profile != "High" || s.Height > 720 || s.Width > 1280) {
			t.Errorf("video stream %s %dx%d, want High at most 1280x720", s.Profile, s.Width, s.Height)
		}
		for k, v := range s.Tags {
			if strings.Contains(v, mediatest.Model) || strings.Contains(v, "39.9") || k == "location" {
				t.Errorf("stream tag %s=%q survived", k, v)
			}
		}
	}
	if !slices.Equal(codecs, []string{"h264", "aac"}) {
		t.Errorf("codecs %v", codecs)
	}
	for k := range p.Format.Tags {
		if !slices.Contains([]string{"major_brand", "minor_version", "compatible_brands"}, k) {
			t.Errorf("container tag %s=%q survived", k, p.Format.Tags[k])
		}
	}
	if bytes.Contains(body, []byte(mediatest.Location)) || bytes.Contains(body, []byte(mediatest.Model)) {
		t.Error("the served file still carries the device's location or model")
	}
	boxes := mediatest.TopBoxes(t, out)
	if slices.Index(boxes, "moov") > slices.Index(boxes, "mdat") {
		t.Errorf("boxes %v: no faststart", boxes)
	}
	// A Range request, as a phone's player makes when seeking.
	part := do(ts, http.MethodGet, url+"/video.mp4", map[string]string{"Range": "bytes=100-1123"})
	if part.Code != http.StatusPartialContent || !bytes.Equal(part.Body.Bytes(), body[100:1124]) {
		t.Fatalf("range: %d, %d bytes", part.Code, part.Body.Len())
	}
	if cr := part.Header().Get("Content-Range"); cr != "bytes 100-1123/"+strconv.Itoa(len(body)) {
		t.Errorf("Content-Range %q", cr)
	}
	tail := do(ts, http.MethodGet, url+"/video.mp4", map[string]string{"Range": "bytes=-10"})
	if tail.Code != http.StatusPartialContent || !bytes.Equal(tail.Body.Bytes(), body[len(body)-10:]) {
		t.Errorf("suffix range: %d", tail.Code)
	}
	if bad := do(ts, http.MethodGet, url+"/video.mp4", map[string]string{"Range": "bytes=99999999-"}); bad.Code != http.StatusRequestedRangeNotSatisfiable {
		t.Errorf("range past the end: %d", bad.Code)
	}
	poster := do(ts, http.MethodGet, url+"/poster.jpg", nil)
	if poster.Code != http.StatusOK || poster.Header().Get("Content-Type") != "image/jpeg" {
		t.Errorf("poster: %d %s", poster.Code, poster.Header().Get("Content-Type"))
	}
	// Signed out, the video is behind sign-in like the photos.
	if rec := ts.send("", http.MethodGet, url+"/video.mp4", nil, nil); rec.Code == http.StatusOK {
		t.Errorf("video served without sign-in")
	}
}

func TestStoryVideoRefusals(t *testing.T) {
	ts, q, mst := newMediaServer(t, media.QueueOptions{MaxQueued: 2})
	dir := t.TempDir()
	clip, _ := os.ReadFile(mediatest.Video(t, dir, mediatest.Clip{W: 320, H: 240, Seconds: 1}))

	rec := ts.postVideo(ts.token, "不是视频", "photo.mov", pngBytes(t), nil)
	if rec.Code != http.StatusUnsupportedMediaType || !strings.Contains(rec.Body.String(), "image/png") || !strings.Contains(rec.Body.String(), "不是视频") {
		t.Errorf("png as video: %d, want 415 naming image/png and keeping the text", rec.Code)
	}
	rec = ts.postVideo(ts.token, "", "x.mov", pngBytes(t), english)
	if !strings.Contains(rec.Body.String(), "this is not a video (it looks like image/png)") {
		t.Errorf("English refusal missing")
	}
	broken := append([]byte("\x00\x00\x00\x20ftypisom\x00\x00\x02\x00"), bytes.Repeat([]byte{7}, 5000)...)
	if rec := ts.postVideo(ts.token, "", "broken.mp4", broken, nil); rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "无法读取") {
		t.Errorf("unreadable mp4: %d", rec.Code)
	}

	// A transcode that fails tells the author why, and only the author.
	rec = ts.postVideo(ts.token, "会失败的视频", "a.mp4", clip, nil)
	url := rec.Header().Get("Location")
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("post: %d", rec.Code)
	}
	var src string
	for obj, err := range mst.List(context.Background(), "media/") {
		if err == nil && strings.HasSuffix(obj.Key, "/src") {
			src = obj.Key
		}
	}
	if _, err := mst.Put(context.Background(), src, bytes.NewReader([]byte("not media any more")), store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	q.Work(context.Background())
	if page := do(ts, http.MethodGet, url, nil).Body.String(); !strings.Contains(page, "视频处理失败：文件无法读取为视频或音频") {
		t.Errorf("the author is not told why the transcode failed")
	}
	other := ts.signIn(stranger)
	if page := ts.send(other, http.MethodGet, url, nil, nil).Body.String(); strings.Contains(page, "视频处理失败") {
		t.Errorf("a colleague sees the author's failure")
	}

	// A full queue is a clear 503.
	for range 2 {
		if rec := ts.postVideo(ts.token, "排队", "q.mp4", clip, nil); rec.Code != http.StatusSeeOther {
			t.Fatalf("fill the queue: %d", rec.Code)
		}
	}
	rec = ts.postVideo(ts.token, "满了", "q.mp4", clip, nil)
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" || !strings.Contains(rec.Body.String(), "视频处理排队已满") {
		t.Errorf("full queue: %d %q", rec.Code, rec.Header().Get("Retry-After"))
	}
}

func TestSuggestVideoAnonymous(t *testing.T) {
	ts, q, mst := newMediaServer(t, media.QueueOptions{})
	ctx := context.Background()
	sg := ts.opts.Suggest.(*suggest.Service)
	b, err := sg.CreateBox(ctx, "车间意见箱", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	tok := text("token", sg.FormToken(b.ID))
	form := anonSend(ts, "", http.MethodGet, "/s/"+b.ID, nil).Body.String()
	if !strings.Contains(form, `name="video"`) || !strings.Contains(form, "意见箱不接受语音") {
		t.Errorf("the form offers no video or does not say voice is refused")
	}
	voice, _ := os.ReadFile(mediatest.Audio(t, t.TempDir(), "m4a", 1))
	rec := anonMultipart(ts, "", "/s/"+b.ID, tok, text("body", "语音建议"), anonPart{"voice", "voice.m4a", voice})
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "声音能认出是谁") || !strings.Contains(rec.Body.String(), "语音建议</textarea>") {
		t.Errorf("voice on the anonymous path: %d, want 422 with the reason and the text kept", rec.Code)
	}
	clip, _ := os.ReadFile(mediatest.Video(t, t.TempDir(), mediatest.Clip{W: 640, H: 360, Seconds: 2}))
	rec = anonMultipart(ts, "", "/s/"+b.ID, tok, text("body", "安全通道被堵住了"), anonPart{"video", "IMG_2024.MOV", clip})
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "receipt") {
		t.Fatalf("submit with a video: %d\n%s", rec.Code, rec.Body.String())
	}
	items, err := sg.List(ctx, suggest.Filter{})
	if err != nil || len(items) != 1 || items[0].Video == "" {
		t.Fatalf("stored suggestions %+v %v", items, err)
	}
	j, err := q.Job(ctx, items[0].Video)
	if err != nil || !j.Anonymous || !j.Created.Equal(j.Created.Truncate(24*time.Hour)) {
		t.Fatalf("job %+v %v: want anonymous with its time to the day", j, err)
	}
	q.Work(ctx)
	// Nothing in the media keys or records names the sender or the file.
	for obj, err := range mst.List(ctx, "") {
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(obj.Key, "IMG_2024") {
			t.Errorf("key %s carries the file name", obj.Key)
		}
		if strings.HasSuffix(obj.Key, ".json") {
			rc, _, _ := mst.Get(ctx, obj.Key)
			raw, _ := io.ReadAll(rc)
			rc.Close()
			for _, bad := range []string{"IMG_2024", anonAddr, "dev:", "Mozilla"} {
				if strings.Contains(string(raw), bad) {
					t.Errorf("%s holds %q", obj.Key, bad)
				}
			}
		}
	}
	item := "/suggest/items/" + items[0].Ref
	adminTok := ts.signIn(admin)
	page := ts.send(adminTok, http.MethodGet, item, nil, nil).Body.String()
	if !strings.Contains(page, `src="`+item+`/video.mp4"`) || !strings.Contains(page, " playsinline") {
		t.Fatalf("the handling page shows no video:\n%s", page)
	}
	v := ts.send(adminTok, http.MethodGet, item+"/video.mp4", nil, nil)
	out := filepath.Join(t.TempDir(), "s.mp4")
	os.WriteFile(out, v.Body.Bytes(), 0o600)
	p := mediatest.FFprobe(t, out)
	if v.Code != http.StatusOK || len(p.Streams) != 2 || p.Streams[0].CodecName != "h264" {
		t.Fatalf("suggestion video: %d %+v", v.Code, p.Streams)
	}
	for k := range p.Format.Tags {
		if !slices.Contains([]string{"major_brand", "minor_version", "compatible_brands"}, k) {
			t.Errorf("container tag %s survived", k)
		}
	}
	if bytes.Contains(v.Body.Bytes(), []byte(mediatest.Model)) || bytes.Contains(v.Body.Bytes(), []byte(mediatest.Location)) {
		t.Error("the device's model or location survived")
	}
	if rec := ts.send(ts.signIn(stranger), http.MethodGet, item+"/video.mp4", nil, nil); rec.Code == http.StatusOK {
		t.Error("a colleague outside the handling team got the video")
	}
}

// postVoice posts a story form with a voice file.
func (ts *testServer) postVoice(tok, name string, voice []byte) *httptest.ResponseRecorder {
	ts.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField(csrfField, ts.csrf(tok))
	mw.WriteField("text", "")
	w, _ := mw.CreateFormFile("voice", name)
	w.Write(voice)
	mw.Close()
	req := httptest.NewRequest(http.MethodPost, "/stories", &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.AddCookie(&http.Cookie{Name: sessionCookiePlain, Value: tok})
	rec := httptest.NewRecorder()
	ts.ServeHTTP(rec, req)
	return rec
}

func TestStoryVoiceNote(t *testing.T) {
	ts, q, _ := newMediaServer(t, media.QueueOptions{})
	if page := do(ts, http.MethodGet, "/stories/new", nil).Body.String(); !strings.Contains(page, `name="voice"`) || !strings.Contains(page, `src="/assets/voice.`) || !strings.Contains(page, `class="actions left voice-recorder" hidden`) {
		t.Errorf("the form lacks the voice input or the hidden recorder")
	}
	dir := t.TempDir()
	for _, ext := range []string{"m4a", "webm"} {
		voice, _ := os.ReadFile(mediatest.Audio(t, dir, ext, 3))
		rec := ts.postVoice(ts.token, "voice."+ext, voice)
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("%s: %d %s", ext, rec.Code, rec.Body.String())
		}
		url := rec.Header().Get("Location")
		if page := do(ts, http.MethodGet, url, nil).Body.String(); !strings.Contains(page, "语音处理中") {
			t.Errorf("%s: no 语音处理中 before the transcode", ext)
		}
		q.Work(context.Background())
		page := do(ts, http.MethodGet, url, nil).Body.String()
		if !strings.Contains(page, `<audio class="voice" controls preload="metadata" src="`+url+`/voice.m4a">`) || !strings.Contains(page, "语音 · 3 秒") {
			t.Errorf("%s: no audio with its duration:\n%s", ext, page)
		}
		a := do(ts, http.MethodGet, url+"/voice.m4a", nil)
		out := filepath.Join(dir, "served-"+ext+".m4a")
		os.WriteFile(out, a.Body.Bytes(), 0o600)
		if p := mediatest.FFprobe(t, out); a.Code != http.StatusOK || a.Header().Get("Content-Type") != "audio/mp4" || len(p.Streams) != 1 || p.Streams[0].CodecName != "aac" {
			t.Errorf("%s: served voice %d %s %+v", ext, a.Code, a.Header().Get("Content-Type"), p.Streams)
		}
	}
	rec := ts.postVoice(ts.token, "wechat.amr", []byte("#!AMR\n\x3c\x00\x00\x00\x00\x00\x00\x00"))
	if rec.Code != http.StatusUnsupportedMediaType || !strings.Contains(rec.Body.String(), "不支持微信的 AMR 语音") {
		t.Errorf("amr: %d, want 415 with a clear message", rec.Code)
	}
}
