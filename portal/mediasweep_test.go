package portal

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/index/bleveindex"
	"github.com/jinnang/jinnang/portal/internal/mediatest"
	"github.com/jinnang/jinnang/portal/jobs"
	"github.com/jinnang/jinnang/portal/media"
	"github.com/jinnang/jinnang/portal/metrics"
	"github.com/jinnang/jinnang/portal/reports"
	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/stories"
	"github.com/jinnang/jinnang/portal/suggest"
)

// TestMediaSweepOwners: the media sweep removes the media of a story
// deleted longer than its undo window ago, of a comment deleted likewise,
// of a suggestion and a report whose record is gone, and keeps the media
// of live posts and of posts still in their undo window; the jobs are
// registered and the gauge counts the queue.
func TestMediaSweepOwners(t *testing.T) {
	mediatest.Need(t)
	ctx := context.Background()
	st, err := store.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ix, err := bleveindex.Open("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	clock := time.Now()
	log := slog.New(slog.DiscardHandler)
	tool, err := media.NewTool(media.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	sg, err := suggest.New(st, bytes.Repeat([]byte{3}, 32), suggest.Options{KDF: suggest.KDF{Time: 1, Memory: 1024, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	a := &app{log: log, store: st, metrics: metrics.New(), suggest: sg,
		stories: stories.New(st, ix, log, stories.Options{Now: func() time.Time { return clock }}),
		media:   media.NewQueue(st, tool, media.QueueOptions{})}
	a.jobs = jobs.New(st, jobs.Options{Log: log})
	a.registerMediaJobs()
	names := []string{}
	ss, err := a.jobs.Statuses(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range ss {
		names = append(names, s.Job)
	}
	if !slices.Contains(names, jobMediaSweep) || !slices.Contains(names, jobMediaDepth) {
		t.Errorf("registered jobs %v lack the media jobs", names)
	}

	voice, _ := os.ReadFile(mediatest.Audio(t, t.TempDir(), "m4a", 1))
	enq := func() string {
		j, err := a.media.Enqueue(ctx, media.KindVoice, bytes.NewReader(voice), false)
		if err != nil {
			t.Fatal(err)
		}
		return j.ID
	}
	alice := stories.Author{ID: "alice", Name: "Alice"}
	live, err := a.stories.Create(ctx, stories.NewStory{Author: alice, Text: "活着", VoiceJob: enq()})
	if err != nil {
		t.Fatal(err)
	}
	gone, err := a.stories.Create(ctx, stories.NewStory{Author: alice, Text: "删掉", VoiceJob: enq()})
	if err != nil {
		t.Fatal(err)
	}
	keepC, _ := a.stories.AddVoiceComment(ctx, live.ID, alice, "", enq())
	dropC, _ := a.stories.AddVoiceComment(ctx, live.ID, alice, "", enq())
	box, err := sg.CreateBox(ctx, "意见箱", "", []string{"其他"})
	if err != nil {
		t.Fatal(err)
	}
	sgJob := enq()
	_, sug, err := sg.SubmitVideo(ctx, box.ID, "其他", "车间太吵", sgJob)
	if err != nil {
		t.Fatal(err)
	}
	rp := reports.New(st, nil)
	rpJob := enq()
	rep, err := rp.Create(ctx, reports.Person{ID: "bob", Name: "Bob", Department: "生产部"}, "财务部", "漏水了", rpJob)
	if err != nil {
		t.Fatal(err)
	}
	owners := map[string]string{
		live.Voice.Job: media.Owner(media.OwnerStory, live.ID),
		gone.Voice.Job: media.Owner(media.OwnerStory, gone.ID),
		keepC.Voice:    media.Owner(media.OwnerComment, live.ID+"/"+keepC.ID),
		dropC.Voice:    media.Owner(media.OwnerComment, live.ID+"/"+dropC.ID),
		sgJob:          media.Owner(media.OwnerSuggestion, sug.Ref),
		rpJob:          media.Owner(media.OwnerReport, rep.ID),
	}
	for j, o := range owners {
		if err := a.media.Claim(ctx, j, o); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.countMedia(ctx); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	a.metrics.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if b, _ := io.ReadAll(rec.Body); !strings.Contains(string(b), `jinnang_media_queue_depth{state="queued"} 6`) {
		t.Errorf("gauge: %s", grepLines(string(b), "jinnang_media_queue_depth"))
	}

	alive := func(j string) bool {
		_, err := a.media.Job(ctx, j)
		return err == nil
	}
	sweep := func() media.SweepResult {
		t.Helper()
		res, err := a.sweepMedia(ctx, time.Now().Add(-orphanAge))
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if _, err := a.stories.Delete(ctx, gone.ID, alice.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.stories.DeleteCommentUndoable(ctx, live.ID, dropC.ID, alice.ID, false); err != nil {
		t.Fatal(err)
	}
	if res := sweep(); res.Removed != 0 {
		t.Errorf("sweep within the undo windows removed %d jobs", res.Removed)
	}
	clock = clock.Add(stories.UndoWindow + time.Minute)
	// A suggestion and a report whose records are gone.
	if err := st.Delete(ctx, "suggest/items/"+sug.Ref+".json"); err != nil {
		t.Fatal(err)
	}
	if err := st.Delete(ctx, "reports/items/"+rep.ID+".json"); err != nil {
		t.Fatal(err)
	}
	if res := sweep(); res.Removed != 4 {
		t.Errorf("sweep after the undo windows removed %d jobs, want 4", res.Removed)
	}
	for j, o := range owners {
		want := o == owners[live.Voice.Job] || o == owners[keepC.Voice]
		if alive(j) != want {
			t.Errorf("job of %s alive = %v, want %v", o, !want, want)
		}
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
