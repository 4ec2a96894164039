package metrics

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jinnang/jinnang/portal/calls"
	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/store"
)

// Operations are the port operations metrics label; any other is "other",
// so a new method cannot grow the label set without a change here.
var operations = map[string]map[string]bool{
	"store": {"get": true, "get_range": true, "put": true, "delete": true, "stat": true, "list": true, "ping": true},
	"index": {"upsert": true, "delete": true, "reset": true, "search": true, "ping": true},
}

// Results label the outcome of a port call. A missing key and a lost
// conditional write are answers, not failures; "unavailable" is the
// deadline (a 503); "error" is everything else.
const (
	ResultOK           = "ok"
	ResultNotFound     = "not_found"
	ResultPrecondition = "precondition"
	ResultUnavailable  = "unavailable"
	ResultError        = "error"
)

type portMetrics struct {
	calls    *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newPortMetrics() *portMetrics {
	return &portMetrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jinnang_port_operations_total",
			Help: "Store and index calls by port (store, index), operation and result (ok, not_found, precondition, unavailable, error).",
		}, []string{"port", "op", "result"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "jinnang_port_operation_duration_seconds",
			Help:    "Time a store or index call kept its caller waiting on the backend (a stream's time in the caller's hands is not counted), by port and operation.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"port", "op"}),
	}
}

// Result classifies a port call's error.
func Result(err error) string {
	switch {
	case err == nil:
		return ResultOK
	case errors.Is(err, store.ErrNotFound):
		return ResultNotFound
	case errors.Is(err, store.ErrPrecondition):
		return ResultPrecondition
	case errors.Is(err, calls.ErrDeadline), errors.Is(err, store.ErrUnavailable), errors.Is(err, index.ErrUnavailable),
		errors.Is(err, context.DeadlineExceeded):
		return ResultUnavailable
	default:
		return ResultError
	}
}

// Calls is the middleware that counts and times every store and index call
// (put it in store.Wrap and index.Wrap). It measures the time the backend
// keeps the caller waiting: while a Get body is being read, the time
// between Reads is the caller's and is left out.
func (m *Metrics) Calls() calls.Middleware {
	return func(ctx context.Context, c *calls.Call, next calls.Next) error {
		op := c.Op
		if !operations[c.Port][op] {
			op = "other"
		}
		port := c.Port
		if port != "store" && port != "index" {
			port, op = "other", "other"
		}
		var mu sync.Mutex
		var waited time.Duration
		from := time.Now()
		running := true
		c.Watch(calls.Watcher{
			Pause: func() {
				mu.Lock()
				if running {
					waited += time.Since(from)
					running = false
				}
				mu.Unlock()
			},
			Resume: func() {
				mu.Lock()
				if !running {
					from, running = time.Now(), true
				}
				mu.Unlock()
			},
			End: func(err error) {
				mu.Lock()
				if running {
					waited += time.Since(from)
					running = false
				}
				took := waited
				mu.Unlock()
				m.ports.calls.WithLabelValues(port, op, Result(err)).Inc()
				m.ports.duration.WithLabelValues(port, op).Observe(took.Seconds())
			},
		})
		return next(ctx)
	}
}
