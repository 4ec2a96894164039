package media

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/jinnang/jinnang/portal/internal/mediatest"
)

// BenchmarkTranscode30s transcodes a 20 MB, 30 s 1080p clip (the size of a
// phone video) with the default limits. The goal is at most 1.5× the clip's
// duration on 2 cores; the reported x-realtime metric is that ratio.
func BenchmarkTranscode30s(b *testing.B) {
	mediatest.Need(b)
	dir := b.TempDir()
	src := mediatest.Video(b, dir, mediatest.Clip{W: 1920, H: 1080, Rate: 30, Seconds: 30, Kbps: 5300})
	fi, err := os.Stat(src)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("clip: %.1f MB, 30 s, 1920x1080", float64(fi.Size())/(1<<20))
	tool, err := NewTool(DefaultLimits())
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		out := filepath.Join(dir, "out.mp4")
		if _, err := tool.TranscodeVideo(context.Background(), src, out, filepath.Join(dir, "p.jpg"), filepath.Join(dir, "t.jpg")); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)/30, "x-realtime")
}
