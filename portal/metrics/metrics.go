// Package metrics collects the portal's Prometheus metrics in its own
// registry (one per web server, so tests do not share counters) and serves
// them in the Prometheus text format.
//
// Label cardinality is bounded: requests are labelled by route pattern
// (never the raw URL) and status class, and the anonymous suggestion-box
// routes share one label with no status and no duration, so metrics
// cannot tell a box apart or time a submission.
package metrics

import (
	"net/http"
	"runtime"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// AnonymousRoute is the one route label of every anonymous /s/ request.
const AnonymousRoute = "/s/*"

// Metrics is one registry with the portal's collectors.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	ports    *portMetrics         // store and index calls (ports.go)
	jobs     *jobMetrics          // background jobs and outbox depths (jobs.go)
	media    *prometheus.GaugeVec // transcode queue depth (media.go)
}

// New registers the request metrics, build info and the Go runtime and
// process collectors.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jinnang_http_requests_total",
			Help: "HTTP requests by route pattern and status class (anonymous /s/ routes: one route, status \"any\").",
		}, []string{"route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "jinnang_http_request_duration_seconds",
			Help:    "HTTP request duration by route pattern and status class (anonymous /s/ routes are not timed).",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route", "status"}),
	}
	m.ports, m.jobs, m.media = newPortMetrics(), newJobMetrics(), newMediaGauge()
	for q := range outboxQueues {
		m.jobs.outbox.WithLabelValues(q) // every queue shows, at 0 until counted
	}
	version, revision := buildVersion()
	info := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "jinnang_build_info",
		Help:        "Build of the running portal (always 1).",
		ConstLabels: prometheus.Labels{"version": version, "revision": revision, "goversion": runtime.Version()},
	})
	info.Set(1)
	m.reg.MustRegister(m.requests, m.duration, info,
		m.ports.calls, m.ports.duration,
		m.jobs.runs, m.jobs.duration, m.jobs.lastOK, m.jobs.outbox, m.media,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func buildVersion() (version, revision string) {
	version, revision = "unknown", "unknown"
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return
	}
	if bi.Main.Version != "" {
		version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" {
			revision = s.Value
		}
	}
	return
}

// StatusClass turns 404 into "4xx".
func StatusClass(code int) string {
	if code < 100 || code > 599 {
		return "other"
	}
	return strconv.Itoa(code/100) + "xx"
}

// Observe records one request. route is the pattern (c.Path()); anonymous
// requests are counted under AnonymousRoute only, without status or time.
func (m *Metrics) Observe(route string, anonymous bool, code int, took time.Duration) {
	if anonymous {
		m.requests.WithLabelValues(AnonymousRoute, "any").Inc()
		return
	}
	if route == "" {
		route = "unmatched"
	}
	class := StatusClass(code)
	m.requests.WithLabelValues(route, class).Inc()
	m.duration.WithLabelValues(route, class).Observe(took.Seconds())
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	// The web server compresses responses itself: promhttp must not as well,
	// or a scraper that accepts gzip gets it twice.
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{DisableCompression: true})
}
