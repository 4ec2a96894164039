package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/media"
	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/stories"
	"github.com/jinnang/jinnang/portal/suggest"
)

// Media is what the web layer needs from the transcode queue
// (*media.Queue). Refusals are *media.RefusedError, media.ErrUnreadable,
// *media.TooLongError, media.ErrTooLarge and media.ErrQueueFull.
type Media interface {
	Enqueue(ctx context.Context, kind media.Kind, r io.Reader, anonymous bool) (*media.Job, error)
	Job(ctx context.Context, id string) (*media.Job, error)
	Open(ctx context.Context, id, part string) (store.ReadSeekCloser, store.Object, error)
	Remove(ctx context.Context, id string) error
	Claim(ctx context.Context, id, owner string) error
	Status(ctx context.Context) (media.Status, error)
	MaxBytes() int64
	MaxDuration() time.Duration
}

var _ Media = (*media.Queue)(nil)

// The file inputs of video and voice.
const (
	videoField = "video"
	voiceField = "voice"
)

// mediaRetry is the Retry-After of a full transcode queue, in seconds.
const mediaRetry = 60

func init() { addMessages(mediaMessages) }

// videoView is a story's video as pages show it.
type videoView struct {
	State            media.State
	Src, Poster      string
	Width, Height    int
	Seconds          int
	Reason           string // why the transcode failed (the author only)
	Processing, Done bool
}

// videoLimits are shown next to a video input.
type videoLimits struct{ Seconds, MB int }

// storyVideo fills the video part of a card from its media job.
// known are the final job states kept in the story's digest (nil: none):
// a job found there is not read again.
func (s *server) storyVideo(ctx context.Context, l Lang, card *storyCard, author bool, known map[string]stories.MediaState) error {
	if s.media == nil {
		return nil
	}
	if err := s.storyVoice(ctx, card, author, known); err != nil {
		return err
	}
	if card.Story.Video == nil {
		return nil
	}
	j, err := s.storyJob(ctx, card.Story.ID, card.Story.Video.Job, known)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	v := &videoView{State: j.State, Width: j.Width, Height: j.Height, Seconds: int(j.Seconds + 0.5)}
	switch {
	case j.Done():
		v.Done, v.Src, v.Poster = true, card.URL+"/video.mp4", card.URL+"/poster.jpg"
	case j.Failed():
		if !author {
			return nil
		}
		v.Reason = j.ReasonZh
		if l == LangEn {
			v.Reason = j.ReasonEn
		}
	default:
		v.Processing = true
	}
	card.Video = v
	return nil
}

// storyJob returns a media job of a story: from known when its final state
// is there, else from the queue, and a final state seen for the first time
// is recorded in the story's digest (best effort) so that later cards need
// not read the job.
func (s *server) storyJob(ctx context.Context, storyID, id string, known map[string]stories.MediaState) (*media.Job, error) {
	if m, ok := known[id]; ok {
		return &media.Job{ID: id, State: media.State(m.State), Seconds: m.Seconds, Width: m.Width, Height: m.Height, ReasonZh: m.ReasonZh, ReasonEn: m.ReasonEn}, nil
	}
	j, err := s.media.Job(ctx, id)
	if err != nil || !(j.Done() || j.Failed()) {
		return j, err
	}
	if ms, ok := s.stories.(storyMediaStates); ok {
		m := stories.MediaState{State: string(j.State), Seconds: j.Seconds, Width: j.Width, Height: j.Height, ReasonZh: j.ReasonZh, ReasonEn: j.ReasonEn}
		if err := ms.SetMediaState(ctx, storyID, id, m); err != nil {
			s.log.Warn("media state not kept in the story digest", "story", storyID, "job", id, "err", err)
		}
	}
	return j, nil
}

// storyMediaStates is the stories service keeping final media job states
// in its digests (optional: *stories.Service has it).
type storyMediaStates interface {
	SetMediaState(ctx context.Context, id, job string, m stories.MediaState) error
}

// voiceView is a story's voice note as pages show it.
type voiceView struct {
	Src        string
	Seconds    int
	Processing bool
	Failed     bool // shown to the author only
}

// storyVoice fills the voice note of a card from its media job.
func (s *server) storyVoice(ctx context.Context, card *storyCard, author bool, known map[string]stories.MediaState) error {
	if card.Story.Voice == nil {
		return nil
	}
	j, err := s.storyJob(ctx, card.Story.ID, card.Story.Voice.Job, known)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if j.Failed() && !author {
		return nil
	}
	card.Voice = &voiceView{Seconds: int(j.Seconds + 0.5), Processing: !j.Done() && !j.Failed(), Failed: j.Failed()}
	if j.Done() {
		card.Voice.Src = card.URL + "/voice.m4a"
	}
	return nil
}

// storyMedia is GET /stories/:id/video.mp4 and /poster.jpg: the transcoded
// file, with Range requests (206) served from the store by seeking.
func (s *server) storyMedia(c echo.Context) error {
	st, err := s.viewableStory(c)
	if err != nil {
		return err
	}
	if strings.HasSuffix(c.Path(), "/voice.m4a") {
		if st.Voice == nil {
			return fmt.Errorf("story %s has no voice note: %w", st.ID, store.ErrNotFound)
		}
		return s.serveMedia(c, st.Voice.Job, media.PartVoice)
	}
	if st.Video == nil {
		return fmt.Errorf("story %s has no video: %w", st.ID, store.ErrNotFound)
	}
	part := media.PartVideo
	if strings.HasSuffix(c.Path(), "/poster.jpg") {
		part = media.PartPoster
	}
	return s.serveMedia(c, st.Video.Job, part)
}

// serveMedia answers a media job's part with http.ServeContent (Range,
// If-Range, If-None-Match) over the store's ReadSeeker.
func (s *server) serveMedia(c echo.Context, job, part string) error {
	rs, obj, err := s.media.Open(c.Request().Context(), job, part)
	if err != nil {
		return err
	}
	defer rs.Close()
	h := c.Response().Header()
	h.Set("Content-Type", obj.ContentType)
	h.Set("Cache-Control", imageCache)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Disposition", "inline")
	h.Set("ETag", `"`+obj.ETag+`"`)
	http.ServeContent(c.Response(), c.Request(), "", obj.ModTime, rs)
	return nil
}

// mediaError is what to tell the person about a refused upload, and the
// status; a full queue is an *Error (503) returned as err.
func mediaError(c echo.Context, l Lang, err error) (string, int, error) {
	var ref *media.RefusedError
	var long *media.TooLongError
	switch {
	case errors.Is(err, media.ErrQueueFull):
		c.Response().Header().Set("Retry-After", strconv.Itoa(mediaRetry))
		return "", 0, &Error{Status: http.StatusServiceUnavailable, Public: "media.busy", Cause: err}
	case errors.As(err, &ref):
		msg := ref.Zh
		if l == LangEn {
			msg = ref.En
		}
		return msg, http.StatusUnsupportedMediaType, nil
	case errors.As(err, &long):
		return mustT(l, "media.long", int(long.Got.Seconds()+0.5), int(long.Max.Seconds())), http.StatusUnprocessableEntity, nil
	case errors.Is(err, media.ErrTooLarge):
		return "", http.StatusRequestEntityTooLarge, nil
	case errors.Is(err, media.ErrUnreadable):
		return mustT(l, "media.unreadable"), http.StatusUnprocessableEntity, nil
	}
	return "", 0, fmt.Errorf("media upload: %w", err)
}

// storyVideoLimit is the body limit a video adds to POST /stories.
func (s *server) storyVideoLimit() int64 {
	if s.media == nil {
		return 0
	}
	return s.media.MaxBytes() + 1<<20
}

var mediaMessages = map[string][2]string{
	"media.busy":             {"视频处理排队已满，请稍后再发。", "Too many videos are waiting to be processed; please post again in a little while."},
	"media.long":             {"视频有 %d 秒，最长 %d 秒", "the clip is %d s long, at most %d s"},
	"media.large":            {"视频超过 %d MB", "the video is over %d MB"},
	"media.unreadable":       {"文件无法读取为视频或音频（可能已损坏）", "the file cannot be read as video or audio (it may be damaged)"},
	"media.processing":       {"处理中", "Processing"},
	"media.processing.help":  {"视频正在转码，完成后即可播放，请稍后刷新。", "The video is being converted; it plays here once that is done. Refresh in a little while."},
	"media.failed":           {"视频处理失败：%s", "The video could not be processed: %s"},
	"media.video":            {"视频", "Video"},
	"media.seconds":          {"%d 秒", "%d s"},
	"media.novideo":          {"你的浏览器不能播放这个视频，", "Your browser cannot play this video; "},
	"media.download":         {"下载视频", "download it"},
	"suggest.video.attached": {"附带的视频", "Attached video"},
	"suggest.video":          {"短视频（可选）", "Short video (optional)"},
	"suggest.video.help":     {"一段视频，最长 %d 秒、%d MB。视频会重新编码，手机型号、位置等信息不会保留。", "One video, at most %d s and %d MB. It is re-encoded: nothing of the phone (model, location) is kept."},
	"suggest.video.one":      {"只能附一段视频", "only one video may be attached"},
	"suggest.voice.refused":  {"意见箱不接受语音：声音能认出是谁。请用文字，或附一段不含人声的视频。", "The suggestion box takes no voice notes: a voice identifies a person. Write it down, or attach a video without speech."},
	"suggest.voice.note":     {"为了保护匿名，意见箱不接受语音（声音能认出是谁）。", "To keep you anonymous, the box takes no voice notes (a voice identifies a person)."},
	"comment.voice":          {"语音评论（可选）", "Voice comment (optional)"},
	"comment.voice.help":     {"最长 %d 秒：上传手机录音（m4a、aac、webm、ogg），或在本页录音。有语音时文字可以不写。", "At most %d s: upload a phone recording (m4a, aac, webm, ogg), or record on this page. With a voice note the text may be left empty."},
	"storyform.voice":        {"语音（可选）", "Voice note (optional)"},
	"storyform.voice.help":   {"最长 %d 秒：上传手机录音（m4a、aac、webm、ogg），或在本页录音。不支持微信的 AMR 语音。", "At most %d s: upload a phone recording (m4a, aac, webm, ogg), or record on this page. WeChat's AMR voice is not supported."},
	"voice.record":           {"录音", "Record"},
	"voice.stop":             {"停止", "Stop"},
	"voice.recorded":         {"已录 %s 秒，发布时上传", "Recorded %s s; it is uploaded when you post"},
	"voice.title":            {"语音", "Voice note"},
	"voice.processing":       {"语音处理中", "Voice note processing"},
	"voice.failed":           {"语音处理失败，请换一个录音", "The voice note could not be processed; try another recording"},
	"storyform.video":        {"短视频（可选）", "Short video (optional)"},
	"storyform.video.help":   {"一段视频，最长 %d 秒、%d MB；上传后会转码，稍后可看。", "One video, at most %d s and %d MB; it is converted after upload and plays a little later."},
}

// enqueueMedia queues the transcode of an uploaded video or voice part. A refusal
// comes back as msg and status (with a nil error); a full queue or a store
// failure as err.
func (s *server) enqueueMedia(c echo.Context, l Lang, kind media.Kind, r io.Reader) (job, msg string, status int, err error) {
	j, err := s.media.Enqueue(c.Request().Context(), kind, r, false)
	if err == nil {
		return j.ID, "", 0, nil
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) || errors.Is(err, media.ErrTooLarge) {
		return "", mustT(l, "media.large", s.media.MaxBytes()>>20), http.StatusRequestEntityTooLarge, nil
	}
	msg, status, err = mediaError(c, l, err)
	if msg == "" && err == nil {
		msg = mustT(l, "media.large", s.media.MaxBytes()>>20)
	}
	return "", msg, status, err
}

// dropVideo removes the queued video of a post that was not saved.
func (s *server) dropVideo(c echo.Context, job string) {
	if job == "" {
		return
	}
	if err := s.media.Remove(context.WithoutCancel(c.Request().Context()), job); err != nil {
		s.log.Warn("could not remove the video of a post not saved", "job", job, "err", err)
	}
}

// suggestMediaPart reads a video or voice part of an anonymous suggestion.
// A video is queued anonymously (job times to the day, no log line naming
// it); a voice note is refused, since a voice identifies a person. Nothing
// is logged: an anonymous route logs nothing of a visit.
func (s *server) suggestMediaPart(c echo.Context, l Lang, b *suggest.Box, f *suggestForm, p *multipart.Part) error {
	switch {
	case p.FileName() == "" || b.Closed || f.videoErr != "":
		return nil
	case s.media == nil:
		return nil
	}
	if p.FormName() == voiceField {
		f.videoErr, f.videoStatus = mustT(l, "suggest.voice.refused"), http.StatusUnprocessableEntity
		return nil
	}
	if f.video != "" {
		f.videoErr, f.videoStatus = mustT(l, "suggest.video.one"), http.StatusUnprocessableEntity
		return nil
	}
	j, err := s.media.Enqueue(c.Request().Context(), media.KindVideo, p, true)
	if err == nil {
		f.video = j.ID
		return nil
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) || errors.Is(err, media.ErrTooLarge) {
		f.videoErr, f.videoStatus = mustT(l, "media.large", s.media.MaxBytes()>>20), http.StatusRequestEntityTooLarge
		return nil
	}
	msg, status, err := mediaError(c, l, err)
	if err != nil {
		return err
	}
	f.videoErr, f.videoStatus = msg, status
	return nil
}

// suggestVideo is GET /suggest/items/:ref/video.mp4 and /poster.jpg (the
// handling team): the re-encoded video of a suggestion.
func (s *server) suggestVideo(c echo.Context) error {
	sg, err := s.suggest.Get(c.Request().Context(), c.Param("ref"))
	if err != nil {
		return fmt.Errorf("suggestion video: %w", err)
	}
	if sg.Video == "" {
		return fmt.Errorf("suggestion has no video: %w", store.ErrNotFound)
	}
	part := media.PartVideo
	if strings.HasSuffix(c.Path(), "/poster.jpg") {
		part = media.PartPoster
	}
	return s.serveMedia(c, sg.Video, part)
}

// suggestVideoView is the video of a suggestion on the handling page.
func (s *server) suggestVideoView(ctx context.Context, base string, sg *suggest.Suggestion) *videoView {
	if sg.Video == "" || s.media == nil {
		return nil
	}
	j, err := s.media.Job(ctx, sg.Video)
	if err != nil {
		return nil
	}
	v := &videoView{State: j.State, Width: j.Width, Height: j.Height, Seconds: int(j.Seconds + 0.5), Processing: !j.Done() && !j.Failed()}
	if j.Done() {
		v.Done, v.Src, v.Poster = true, base+"/video.mp4", base+"/poster.jpg"
	}
	if j.Failed() {
		v.Reason = j.ReasonZh
	}
	return v
}
