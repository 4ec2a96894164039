package metrics

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/calls"
	"github.com/jinnang/jinnang/portal/store"
)

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	return rec.Body.String()
}

func TestPortCalls(t *testing.T) {
	ctx := context.Background()
	m := New()
	d, err := store.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	st := store.Wrap(d, m.Calls(), calls.Deadline(time.Minute))
	if _, _, err := st.Get(ctx, "packs/missing.md"); !errors.Is(err, store.ErrNotFound) {
		t.Fatal(err)
	}
	if _, err := st.Put(ctx, "packs/a.md", strings.NewReader("x"), store.PutOptions{Size: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Put(ctx, "packs/a.md", strings.NewReader("y"), store.PutOptions{Size: 1, IfNoneMatch: true}); !errors.Is(err, store.ErrPrecondition) {
		t.Fatal(err)
	}
	rc, _, err := st.Get(ctx, "packs/a.md")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.ReadAll(rc)
	rc.Close()
	for range st.List(ctx, "packs/") {
	}
	out := scrape(t, m)
	for _, want := range []string{
		`jinnang_port_operations_total{op="get",port="store",result="not_found"} 1`,
		`jinnang_port_operations_total{op="get",port="store",result="ok"} 1`,
		`jinnang_port_operations_total{op="put",port="store",result="ok"} 1`,
		`jinnang_port_operations_total{op="put",port="store",result="precondition"} 1`,
		`jinnang_port_operations_total{op="list",port="store",result="ok"} 1`,
		`jinnang_port_operation_duration_seconds_count{op="get",port="store"} 2`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %s", want)
		}
	}
	if strings.Contains(out, "packs/a.md") {
		t.Error("a store key reached a label")
	}
}

func TestResult(t *testing.T) {
	for err, want := range map[error]string{
		nil:                        ResultOK,
		store.ErrNotFound:          ResultNotFound,
		store.ErrPrecondition:      ResultPrecondition,
		store.ErrUnavailable:       ResultUnavailable,
		calls.ErrDeadline:          ResultUnavailable,
		errors.New("disk on fire"): ResultError,
	} {
		if got := Result(err); got != want {
			t.Errorf("Result(%v) = %s, want %s", err, got, want)
		}
	}
}

func TestUnknownOpBounded(t *testing.T) {
	m := New()
	mw := m.Calls()
	for _, c := range []*calls.Call{{Port: "store", Op: "frobnicate"}, {Port: "queue", Op: "x"}} {
		_ = mw(context.Background(), c, func(context.Context) error { return nil })
		c.End(nil)
	}
	out := scrape(t, m)
	if strings.Contains(out, "frobnicate") || strings.Contains(out, `"queue"`) {
		t.Fatal("unknown port or op became a label")
	}
	if !strings.Contains(out, `jinnang_port_operations_total{op="other",port="store",result="ok"} 1`) ||
		!strings.Contains(out, `jinnang_port_operations_total{op="other",port="other",result="ok"} 1`) {
		t.Fatal(out)
	}
}

func TestJobsAndOutbox(t *testing.T) {
	m := New()
	m.ObserveJob("outbox-replay", nil, time.Second)
	m.ObserveJob("directory-sync", errors.New("no"), time.Second)
	m.SetOutboxDepth("packs", 3)
	m.SetOutboxDepth("../../x", 1)
	out := scrape(t, m)
	for _, want := range []string{
		`jinnang_job_runs_total{job="outbox-replay",result="ok"} 1`,
		`jinnang_job_runs_total{job="directory-sync",result="error"} 1`,
		`jinnang_job_duration_seconds_count{job="outbox-replay"} 1`,
		`jinnang_job_last_success_timestamp_seconds{job="outbox-replay"}`,
		`jinnang_outbox_depth{queue="packs"} 3`,
		`jinnang_outbox_depth{queue="other"} 1`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %s", want)
		}
	}
	if strings.Contains(out, `jinnang_job_last_success_timestamp_seconds{job="directory-sync"}`) {
		t.Error("a failed run set the last success")
	}
}
