package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Outbox queues whose depth is a gauge; any other name is "other".
var outboxQueues = map[string]bool{"packs": true, "files": true, "stories": true, "wecom": true}

type jobMetrics struct {
	runs     *prometheus.CounterVec
	duration *prometheus.HistogramVec
	lastOK   *prometheus.GaugeVec
	outbox   *prometheus.GaugeVec
}

func newJobMetrics() *jobMetrics {
	return &jobMetrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jinnang_job_runs_total",
			Help: "Background job runs made by this process, by job and result (ok, error).",
		}, []string{"job", "result"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "jinnang_job_duration_seconds",
			Help:    "Duration of background job runs made by this process, by job.",
			Buckets: []float64{.01, .05, .1, .5, 1, 5, 10, 30, 60, 300, 900},
		}, []string{"job"}),
		lastOK: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "jinnang_job_last_success_timestamp_seconds",
			Help: "Unix time of the last successful run of each job by this process (max over processes: by any).",
		}, []string{"job"}),
		outbox: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "jinnang_outbox_depth",
			Help: "Entries waiting in each outbox (index writes to replay: packs, files, stories; WeCom messages: wecom), counted up to a cap.",
		}, []string{"queue"}),
	}
}

// ObserveJob records one run of a background job (jobs.Observer). Job names
// are the scheduler's fixed registrations, so the label set is bounded.
func (m *Metrics) ObserveJob(job string, err error, took time.Duration) {
	result := ResultOK
	if err != nil {
		result = ResultError
	} else {
		m.jobs.lastOK.WithLabelValues(job).Set(float64(time.Now().Unix()))
	}
	m.jobs.runs.WithLabelValues(job, result).Inc()
	m.jobs.duration.WithLabelValues(job).Observe(took.Seconds())
}

// SetOutboxDepth sets the gauge of one outbox queue (packs, files, stories, wecom).
func (m *Metrics) SetOutboxDepth(queue string, n int) {
	if !outboxQueues[queue] {
		queue = "other"
	}
	m.jobs.outbox.WithLabelValues(queue).Set(float64(n))
}
