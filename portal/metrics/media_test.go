package metrics

import (
	"strings"
	"testing"
)

func TestMediaQueueDepth(t *testing.T) {
	m := New()
	out := scrape(t, m)
	for _, want := range []string{`jinnang_media_queue_depth{state="queued"} 0`, `jinnang_media_queue_depth{state="running"} 0`} {
		if !strings.Contains(out, want) {
			t.Errorf("before counting: missing %s", want)
		}
	}
	m.SetMediaQueueDepth("queued", 4)
	m.SetMediaQueueDepth("running", 1)
	m.SetMediaQueueDepth("01JABCDEF-job-id", 9) // not a label value of its own
	out = scrape(t, m)
	for _, want := range []string{`jinnang_media_queue_depth{state="queued"} 4`, `jinnang_media_queue_depth{state="running"} 1`, `jinnang_media_queue_depth{state="other"} 9`} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %s", want)
		}
	}
	if strings.Contains(out, "01JABCDEF") {
		t.Error("a free-form state became a label")
	}
}
