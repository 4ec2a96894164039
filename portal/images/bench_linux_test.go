package images

import (
	"bytes"
	"sync"
	"syscall"
	"testing"
	"time"
)

// benchDecode runs four concurrent Process calls of a 6000×6000 PNG per
// iteration and reports CPU seconds per iteration and peak RSS in MB.
func benchDecode(b *testing.B, budget *Budget) {
	src := bigPNG(b, 6000, 6000)
	lim := DefaultLimits()
	lim.Budget = budget
	var before syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	b.ResetTimer()
	for b.Loop() {
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				if _, err := Process(bytes.NewReader(src), lim); err != nil {
					b.Error(err)
				}
			})
		}
		wg.Wait()
	}
	b.StopTimer()
	var after syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	cpu := tv(after.Utime) + tv(after.Stime) - tv(before.Utime) - tv(before.Stime)
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(after.Maxrss)/1024, "peak-rss-MB")
	b.Logf("PNG of %d KB", len(src)>>10)
}

func tv(t syscall.Timeval) time.Duration {
	return time.Duration(t.Sec)*time.Second + time.Duration(t.Usec)*time.Microsecond
}
