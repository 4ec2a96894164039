package web

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/index/bleveindex"
	"github.com/jinnang/jinnang/portal/internal/mediatest"
	"github.com/jinnang/jinnang/portal/lease"
	"github.com/jinnang/jinnang/portal/media"
	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/stories"
)

// postCommentVoice posts a comment form as multipart with a voice file
// (csrf false: without the token).
func (ts *testServer) postCommentVoice(tok, story, text, name string, voice []byte, csrf bool) *httptest.ResponseRecorder {
	ts.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	if csrf {
		mw.WriteField(csrfField, ts.csrf(tok))
	}
	mw.WriteField("text", text)
	w, _ := mw.CreateFormFile("voice", name)
	w.Write(voice)
	mw.Close()
	req := httptest.NewRequest(http.MethodPost, story+"/comments", &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.AddCookie(&http.Cookie{Name: sessionCookiePlain, Value: tok})
	rec := httptest.NewRecorder()
	ts.ServeHTTP(rec, req)
	return rec
}

// TestCommentVoiceNote: a voice comment is posted as multipart (the text
// may be empty), shows 语音处理中 and then an inline audio with its
// duration, on the first page and on an older one, plays with Range, is
// claimed by its comment; refusals and a missing token are answered.
func TestCommentVoiceNote(t *testing.T) {
	mediatest.Need(t)
	ctx := context.Background()
	tool, err := media.NewTool(media.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	mst, _ := store.NewDisk(t.TempDir())
	q := media.NewQueue(mst, tool, media.QueueOptions{})
	// A stories service of its own whose clock moves, so the comments
	// sort by time and the first one ends up on an older page.
	six, err := bleveindex.Open("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { six.Close() })
	sst, _ := store.NewDisk(t.TempDir())
	clock := testNow
	tick := func() time.Time { clock = clock.Add(time.Second); return clock }
	ts := newTestServer(t, func(o *Options) {
		o.Media = q
		o.Stories = stories.New(sst, six, slog.New(slog.DiscardHandler), stories.Options{Now: tick})
	})
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField(csrfField, ts.csrf(ts.token))
	mw.WriteField("text", "车间的新机器")
	mw.Close()
	req := httptest.NewRequest(http.MethodPost, "/stories", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.AddCookie(&http.Cookie{Name: sessionCookiePlain, Value: ts.token})
	rec := httptest.NewRecorder()
	ts.ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("post story: %d", rec.Code)
	}
	story := rec.Header().Get("Location")
	page := do(ts, http.MethodGet, story, nil).Body.String()
	hasAll(t, "story page", page, `action="`+story+`/comments" enctype="multipart/form-data"`, `name="voice"`, "语音评论（可选）", `class="actions left voice-recorder" hidden`, `src="/assets/voice.`)

	dir := t.TempDir()
	voice, _ := os.ReadFile(mediatest.Audio(t, dir, "m4a", 3))
	if rec := ts.postCommentVoice(ts.token, story, "", "v.m4a", voice, false); rec.Code != http.StatusForbidden {
		t.Errorf("voice comment without the token: %d, want 403", rec.Code)
	}
	rec = ts.postCommentVoice(ts.token, story, "", "v.m4a", voice, true)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("voice comment: %d %s", rec.Code, rec.Body.String())
	}
	loc := rec.Header().Get("Location")
	cid := strings.TrimPrefix(loc[strings.Index(loc, "#"):], "#c-")
	if page := do(ts, http.MethodGet, story, nil).Body.String(); !strings.Contains(page, "语音处理中") {
		t.Error("no 语音处理中 before the transcode")
	}
	if _, err := q.Work(ctx); err != nil {
		t.Fatal(err)
	}
	src := story + "/comments/" + cid + "/voice.m4a"
	audio := `<audio class="voice" controls preload="metadata" src="` + src + `">`
	page = do(ts, http.MethodGet, story, nil).Body.String()
	hasAll(t, "story page after the transcode", page, `id="c-`+cid+`"`, audio, "语音 · 3 秒")
	en := do(ts, http.MethodGet, story, english).Body.String()
	if !strings.Contains(en, "Voice note · 3 s") || !strings.Contains(en, "Voice comment (optional)") {
		t.Error("no duration on the English page")
	}

	a := do(ts, http.MethodGet, src, nil)
	out := filepath.Join(dir, "served.m4a")
	os.WriteFile(out, a.Body.Bytes(), 0o600)
	if p := mediatest.FFprobe(t, out); a.Code != http.StatusOK || a.Header().Get("Content-Type") != "audio/mp4" || len(p.Streams) != 1 || p.Streams[0].CodecName != "aac" {
		t.Errorf("served voice %d %s %+v", a.Code, a.Header().Get("Content-Type"), p.Streams)
	}
	if r := do(ts, http.MethodGet, src, map[string]string{"Range": "bytes=10-19"}); r.Code != http.StatusPartialContent || r.Body.Len() != 10 || !bytes.Equal(r.Body.Bytes(), a.Body.Bytes()[10:20]) {
		t.Errorf("Range on the voice: %d, %d bytes", r.Code, r.Body.Len())
	}

	// Claimed by its comment, so the sweep keeps it while the comment lives.
	cm, err := ts.opts.Stories.Comment(ctx, strings.TrimPrefix(story, "/stories/"), cid)
	if err != nil || cm.Voice == "" {
		t.Fatalf("comment %+v, %v", cm, err)
	}
	if o, err := q.JobOwner(ctx, cm.Voice); err != nil || o != "comment:"+strings.TrimPrefix(story, "/stories/")+"/"+cid {
		t.Errorf("owner of the voice = %q, %v", o, err)
	}

	// Twenty-one newer text comments push it to the older page.
	for i := range 21 {
		if rec := ts.post(ts.token, story+"/comments", nil, url.Values{"text": {"评论" + string(rune('a'+i))}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("text comment %d: %d", i, rec.Code)
		}
	}
	page = do(ts, http.MethodGet, story, nil).Body.String()
	if strings.Contains(page, `id="c-`+cid+`"`) {
		t.Fatal("the voice comment is still on the first page")
	}
	more := regexp.MustCompile(`rel="next" href="([^"]+)"`).FindStringSubmatch(page)
	if more == nil {
		t.Fatal("no link to older comments")
	}
	older := do(ts, http.MethodGet, strings.TrimSuffix(strings.ReplaceAll(more[1], "&amp;", "&"), "#comments"), nil).Body.String()
	hasAll(t, "older comments", older, `id="c-`+cid+`"`, audio, "语音 · 3 秒")

	// Refusals come back on the story page, the text kept.
	rec = ts.postCommentVoice(ts.token, story, "留着这句话", "wechat.amr", []byte("#!AMR\n\x3c\x00\x00\x00\x00\x00\x00\x00"), true)
	if rec.Code != http.StatusUnsupportedMediaType || !strings.Contains(rec.Body.String(), "AMR") || !strings.Contains(rec.Body.String(), "留着这句话") || !strings.Contains(rec.Body.String(), `id="voice-error"`) {
		t.Errorf("amr comment: %d, want 415 naming AMR with the text kept", rec.Code)
	}
	rec = ts.postCommentVoice(ts.token, story, "", "x.m4a", []byte("\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00garbage garbage"), true)
	if rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("unreadable voice comment: %d, want 422", rec.Code)
	}
}

// TestHealthShowsMediaQueue: /admin/health has the transcode section: the
// queue depth, the job being transcoded (an anonymous one without its id),
// and the last done and failed jobs of this process, in Chinese and English.
func TestHealthShowsMediaQueue(t *testing.T) {
	ts, q, mst := newMediaServer(t, media.QueueOptions{})
	ctx := context.Background()
	tok := ts.signIn(admin)
	page := ts.send(tok, http.MethodGet, "/admin/health", nil, nil).Body.String()
	hasAll(t, "empty queue", page, `id="media"`, "视频和语音转码", "<td>排队（含正在转码）</td><td>0</td>", "<td>正在转码</td><td>无</td>", "<td>最近完成</td><td>本进程还没有</td>")
	dir := t.TempDir()
	open := func(p string) *os.File {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	done, err := q.Enqueue(ctx, media.KindVoice, open(mediatest.Audio(t, dir, "m4a", 2)), false)
	if err != nil {
		t.Fatal(err)
	}
	bad, err := q.Enqueue(ctx, media.KindVoice, open(mediatest.Audio(t, dir, "ogg", 1)), false)
	if err != nil {
		t.Fatal(err)
	}
	anon, err := q.Enqueue(ctx, media.KindVideo, open(mediatest.Video(t, dir, mediatest.Clip{W: 320, H: 240, Seconds: 1})), true)
	if err != nil {
		t.Fatal(err)
	}
	page = ts.send(tok, http.MethodGet, "/admin/health", nil, nil).Body.String()
	hasAll(t, "three queued", page, "<td>排队（含正在转码）</td><td>3</td>")
	// The failing job's upload is replaced by bytes ffmpeg cannot read.
	if _, err := mst.Put(ctx, "media/"+bad.ID+"/src", strings.NewReader("garbage"), store.PutOptions{Size: 7}); err != nil {
		t.Fatal(err)
	}
	// The anonymous job is marked running by another process (its lease
	// is held, so this worker leaves it).
	if ok, err := lease.New(mst).Acquire(ctx, "media-"+anon.ID, time.Hour); !ok || err != nil {
		t.Fatalf("lease: %v %v", ok, err)
	}
	rc, _, err := mst.Get(ctx, "media/jobs/"+anon.ID+".json")
	if err != nil {
		t.Fatal(err)
	}
	rec, _ := io.ReadAll(rc)
	rc.Close()
	rec = bytes.Replace(rec, []byte(`"state": "queued"`), []byte(`"state": "running"`), 1)
	if _, err := mst.Put(ctx, "media/jobs/"+anon.ID+".json", bytes.NewReader(rec), store.PutOptions{Size: int64(len(rec))}); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Work(ctx); err != nil {
		t.Fatal(err)
	}
	if j, _ := q.Job(ctx, done.ID); !j.Done() {
		t.Fatalf("job %+v", j)
	}
	page = ts.send(tok, http.MethodGet, "/admin/health", nil, nil).Body.String()
	hasAll(t, "running", page, "<td>排队（含正在转码）</td><td>1</td>", "<td>正在转码</td><td>视频 匿名，")
	hasAll(t, "after work", page, "<td>最近完成</td><td>", "语音，2 秒，转码用时", "<td>最近失败</td><td>", "the file cannot be read")
	en := ts.send(tok, http.MethodGet, "/admin/health", english, nil).Body.String()
	hasAll(t, "English", en, "Video and voice transcoding", "<td>Last done</td><td>", "Voice note, 2 s, transcoded in")
	if strings.Contains(page, anon.ID) || strings.Contains(en, anon.ID) {
		t.Error("the health page names an anonymous job")
	}
}
