package media

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/ids"
	"github.com/jinnang/jinnang/portal/internal/mediatest"
	"github.com/jinnang/jinnang/portal/store"
)

// keysOf lists the store keys under media/ that name job id.
func keysOf(t *testing.T, st store.Store, id string) []string {
	t.Helper()
	var out []string
	for obj, err := range st.List(context.Background(), prefix) {
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(obj.Key, id) {
			out = append(out, obj.Key)
		}
	}
	return out
}

func TestSweepAndClaim(t *testing.T) {
	ctx := context.Background()
	q, st := newQueue(t, DefaultLimits(), QueueOptions{})
	src := mediatest.Audio(t, t.TempDir(), "m4a", 1)
	enq := func() *Job {
		j, err := enqueueFile(t, q, KindVoice, src)
		if err != nil {
			t.Fatal(err)
		}
		return j
	}
	live, gone, unclaimed, queued := enq(), enq(), enq(), enq()
	if _, err := q.Work(ctx); err != nil {
		t.Fatal(err)
	}
	// A job queued after the worker ran, claimed by a gone owner: removed
	// although it never ran.
	late := enq()
	for id, owner := range map[string]string{live.ID: Owner(OwnerStory, "live"), gone.ID: Owner(OwnerComment, "s/gone"), queued.ID: Owner(OwnerStory, "live"), late.ID: Owner(OwnerReport, "gone")} {
		if err := q.Claim(ctx, id, owner); err != nil {
			t.Fatal(err)
		}
	}
	if o, err := q.JobOwner(ctx, gone.ID); err != nil || o != "comment:s/gone" {
		t.Fatalf("JobOwner = %q, %v", o, err)
	}
	if o, err := q.JobOwner(ctx, unclaimed.ID); err != nil || o != "" {
		t.Fatalf("JobOwner of an unclaimed job = %q, %v", o, err)
	}
	// An upload a finished job left behind, and parts with no job record.
	if _, err := st.Put(ctx, srcKey(live.ID), strings.NewReader("left"), store.PutOptions{Size: 4}); err != nil {
		t.Fatal(err)
	}
	stray := ids.New()
	if _, err := st.Put(ctx, partKey(stray, PartVideo), strings.NewReader("x"), store.PutOptions{Size: 1}); err != nil {
		t.Fatal(err)
	}
	asked := map[string]int{}
	exists := func(_ context.Context, owner string) (bool, error) {
		asked[owner]++
		return strings.HasSuffix(owner, ":live"), nil
	}
	res, err := q.Sweep(ctx, exists, time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if res.Removed != 2 || res.Sources != 1 {
		t.Errorf("first sweep = %+v, want 2 removed (gone owners), 1 source", res)
	}
	if k := keysOf(t, st, gone.ID); len(k) != 0 {
		t.Errorf("a job of a gone owner left %v", k)
	}
	if k := keysOf(t, st, late.ID); len(k) != 0 {
		t.Errorf("a queued job of a gone owner left %v", k)
	}
	if k := keysOf(t, st, live.ID); len(k) != 3 { // job, voice, owner; the src gone
		t.Errorf("live job keys = %v, want job record, voice and owner", k)
	}
	if len(keysOf(t, st, unclaimed.ID)) == 0 || len(keysOf(t, st, stray)) == 0 {
		t.Error("young unclaimed media removed")
	}
	if asked["story:live"] != 2 {
		t.Errorf("owners asked %v", asked)
	}
	// A job queued before claims existed (no "claimed" in its record) is
	// never swept as unclaimed.
	legacy := enq()
	if _, err := q.Work(ctx); err != nil {
		t.Fatal(err)
	}
	lj, _ := q.Job(ctx, legacy.ID)
	lj.Claimed = false
	if err := q.putJob(ctx, lj, store.PutOptions{IfMatch: lj.ETag}); err != nil {
		t.Fatal(err)
	}
	// Once older than the age, unclaimed jobs and stray parts go.
	res, err = q.Sweep(ctx, exists, time.Now().Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if res.Removed != 2 || res.Sources != 0 {
		t.Errorf("second sweep = %+v, want the unclaimed job and the stray parts", res)
	}
	if len(keysOf(t, st, unclaimed.ID)) != 0 || len(keysOf(t, st, stray)) != 0 {
		t.Error("old unclaimed media kept")
	}
	if _, err := q.Job(ctx, legacy.ID); err != nil {
		t.Errorf("a job from before claims was swept: %v", err)
	}
	if j, err := q.Job(ctx, live.ID); err != nil || !j.Done() {
		t.Errorf("live job: %+v, %v", j, err)
	}
	if _, err := q.Job(ctx, queued.ID); err != nil {
		t.Errorf("a claimed job of a live owner: %v", err)
	}
}

func TestStatus(t *testing.T) {
	ctx := context.Background()
	q, _ := newQueue(t, DefaultLimits(), QueueOptions{})
	dir := t.TempDir()
	s, err := q.Status(ctx)
	if err != nil || s.Queued != 0 || s.Running != nil || s.LastDone != nil || s.LastFailed != nil {
		t.Fatalf("empty status = %+v, %v", s, err)
	}
	ok, err := enqueueFile(t, q, KindVoice, mediatest.Audio(t, dir, "m4a", 2))
	if err != nil {
		t.Fatal(err)
	}
	// A voice job whose upload is video only fails in the transcode.
	bad, err := enqueueFile(t, q, KindVoice, mediatest.Audio(t, dir, "webm", 1))
	if err != nil {
		t.Fatal(err)
	}
	if s, _ = q.Status(ctx); s.Queued != 2 || s.Running != nil {
		t.Fatalf("status with two queued = %+v", s)
	}
	// The failing one: its upload is replaced by bytes ffmpeg cannot read.
	if _, err := q.st.Put(ctx, srcKey(bad.ID), strings.NewReader("garbage"), store.PutOptions{Size: 7}); err != nil {
		t.Fatal(err)
	}
	j, _ := q.Job(ctx, ok.ID)
	j.State = StateRunning
	if err := q.putJob(ctx, j, store.PutOptions{IfMatch: j.ETag}); err != nil {
		t.Fatal(err)
	}
	if s, _ = q.Status(ctx); s.Running == nil || s.Running.ID != ok.ID {
		t.Fatalf("status with one running = %+v", s)
	}
	if _, err := q.Work(ctx); err != nil {
		t.Fatal(err)
	}
	s, err = q.Status(ctx)
	if err != nil || s.Queued != 0 || s.Running != nil {
		t.Fatalf("status after work = %+v, %v", s, err)
	}
	if s.LastDone == nil || s.LastDone.Kind != KindVoice || s.LastDone.Seconds < 1.5 {
		t.Errorf("last done = %+v", s.LastDone)
	}
	if s.LastFailed == nil || s.LastFailed.Reason == "" {
		t.Errorf("last failed = %+v", s.LastFailed)
	}
}
