package web

import (
	"bytes"
	"context"
	"log/slog"
	"time"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/jinnang/jinnang/portal/index/bleveindex"
	"github.com/jinnang/jinnang/portal/internal/mediatest"
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
