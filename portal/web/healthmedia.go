package web

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jinnang/jinnang/portal/media"
)

// mediaSection is the transcode worker on /admin/health: the queue depth
// (the store's queue, shared by every process), the job being transcoded
// and the last job this process finished and failed. An anonymous job
// (a suggestion's) is shown without its id, and its times only to the day.
func (s *server) mediaSection(ctx context.Context, l Lang) (healthSection, error) {
	sec := healthSection{ID: "media", Title: mustT(l, "health.media.title"), Intro: mustT(l, "health.media.intro"),
		Columns: []string{mustT(l, "health.media.item"), mustT(l, "health.media.value")}}
	st, err := s.media.Status(ctx)
	if err != nil {
		return sec, fmt.Errorf("media queue: %w", err)
	}
	depth := strconv.Itoa(st.Queued)
	if st.Capped {
		depth += "+"
	}
	running := mustT(l, "health.media.none")
	if j := st.Running; j != nil {
		who := j.ID
		if j.Anonymous {
			who = mustT(l, "health.media.anonymous")
		}
		running = mustT(l, "health.media.job", kindName(l, j.Kind), who, j.Updated.Local().Format(mediaTime(j.Anonymous)), j.Attempts)
	}
	sec.Rows = [][]string{
		{mustT(l, "health.media.queued"), depth},
		{mustT(l, "health.media.running"), running},
		{mustT(l, "health.media.lastDone"), finishedText(l, st.LastDone)},
		{mustT(l, "health.media.lastFailed"), finishedText(l, st.LastFailed)},
	}
	return sec, nil
}

// mediaTime is the time layout of a job: to the day for anonymous ones
// (their times are kept to the day).
func mediaTime(anonymous bool) string {
	if anonymous {
		return "2006-01-02"
	}
	return "2006-01-02 15:04:05"
}

func kindName(l Lang, k media.Kind) string {
	if k == media.KindVoice {
		return mustT(l, "voice.title")
	}
	return mustT(l, "media.video")
}

// finishedText is one finished job, or "none yet".
func finishedText(l Lang, f *media.Finished) string {
	if f == nil {
		return mustT(l, "health.media.never")
	}
	at := f.At.Local().Format(mediaTime(f.Anonymous))
	txt := mustT(l, "health.media.finished", at, kindName(l, f.Kind), int(f.Seconds+0.5), f.Took.Round(100*time.Millisecond).String())
	if f.Reason != "" {
		txt += " — " + f.Reason
	}
	return txt
}

var healthMediaMessages = map[string][2]string{
	"health.media.title":      {"视频和语音转码", "Video and voice transcoding"},
	"health.media.intro":      {"转码队列在存储中，所有门户进程共用，每个进程一次转一个；“最近完成”和“最近失败”是本进程的。", "The transcode queue is in the store, shared by every portal process, each transcoding one job at a time; the last done and failed jobs are this process's."},
	"health.media.item":       {"项目", "Item"},
	"health.media.value":      {"状态", "State"},
	"health.media.queued":     {"排队（含正在转码）", "Queued (including running)"},
	"health.media.running":    {"正在转码", "Transcoding"},
	"health.media.lastDone":   {"最近完成", "Last done"},
	"health.media.lastFailed": {"最近失败", "Last failed"},
	"health.media.none":       {"无", "none"},
	"health.media.never":      {"本进程还没有", "none in this process yet"},
	"health.media.anonymous":  {"匿名", "anonymous"},
	"health.media.job":        {"%s %s，%s 起，第 %d 次", "%s %s, since %s, attempt %d"},
	"health.media.finished":   {"%s：%s，%d 秒，转码用时 %s", "%s: %s, %d s, transcoded in %s"},
}

func init() { addMessages(healthMediaMessages) }
