package metrics

import "github.com/prometheus/client_golang/prometheus"

// The states of the media queue gauge; any other is "other".
var mediaStates = map[string]bool{"queued": true, "running": true}

func newMediaGauge() *prometheus.GaugeVec {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "jinnang_media_queue_depth",
		Help: "Video and voice transcode jobs in the store's queue, by state (queued: waiting; running: being transcoded by some process), counted up to a cap.",
	}, []string{"state"})
	for st := range mediaStates {
		g.WithLabelValues(st) // both show, at 0 until counted
	}
	return g
}

// SetMediaQueueDepth sets the transcode queue gauge of one state (queued, running).
func (m *Metrics) SetMediaQueueDepth(state string, n int) {
	if !mediaStates[state] {
		state = "other"
	}
	m.media.WithLabelValues(state).Set(float64(n))
}
