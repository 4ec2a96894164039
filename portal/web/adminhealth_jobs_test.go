package web

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/jobs"
	"github.com/jinnang/jinnang/portal/metrics"
	"github.com/jinnang/jinnang/portal/store"
)

// TestHealthListsJobs: the admin health page lists each job with its last
// run (any process's), its error, and jobs that never ran; the job metrics
// recorded by the scheduler show on /metrics through the shared registry.
func TestHealthListsJobs(t *testing.T) {
	ctx := context.Background()
	st, err := store.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	reg := metrics.New()
	sched := jobs.New(st, jobs.Options{Observer: reg})
	sched.Register("outbox-replay", time.Minute, time.Minute, func(context.Context) error { return nil })
	sched.Register("directory-sync", time.Hour, time.Minute, func(context.Context) error { return errors.New("企业微信 errcode 60011") })
	sched.Register("orphan-sweep", 6*time.Hour, time.Minute, func(context.Context) error { return nil })
	for _, name := range []string{"outbox-replay", "directory-sync"} {
		_, _ = sched.RunNow(ctx, name)
	}
	ts := newTestServer(t, func(o *Options) {
		o.Jobs = sched
		o.Metrics = MetricsOptions{Token: testMetricsToken, Registry: reg}
	})
	tok := ts.signIn(admin)
	rec := ts.send(tok, http.MethodGet, "/admin/health", nil, nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("/admin/health: %d", rec.Code)
	}
	page := rec.Body.String()
	i := strings.Index(page, `id="jobs"`)
	if i < 0 {
		t.Fatalf("no jobs section:\n%s", page)
	}
	sec := page[i:]
	for _, want := range []string{"后台任务", "outbox-replay", "1m0s", "成功", sched.Holder(),
		"directory-sync", "失败：企业微信 errcode 60011", "orphan-sweep", "尚未运行"} {
		if !strings.Contains(sec, want) {
			t.Errorf("jobs section lacks %q", want)
		}
	}
	if rec := ts.send(ts.token, http.MethodGet, "/admin/health", nil, nil); rec.Code != http.StatusForbidden {
		t.Errorf("/admin/health for an employee: %d", rec.Code)
	}
	out := scrape(t, ts)
	for _, want := range []string{`jinnang_job_runs_total{job="outbox-replay",result="ok"} 1`,
		`jinnang_job_runs_total{job="directory-sync",result="error"} 1`} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
