// Package mediatest makes test media with ffmpeg (lavfi testsrc and sine,
// with GPS and device tags written in) and inspects results with ffprobe.
package mediatest

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// Need skips the test, with a visible message, when ffmpeg or ffprobe is missing.
func Need(t testing.TB) {
	t.Helper()
	for _, b := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(b); err != nil {
			t.Skipf("SKIP media test: %s not found (install Debian's ffmpeg package, or run `make test` as root)", b)
		}
	}
}

// Clip describes generated media.
type Clip struct {
	W, H    int
	Seconds int
	Rate    int    // frames per second; 0 means 25
	Ext     string // "mp4" (H.264/AAC), "webm" (VP9/opus), "ts", "mov"
	Kbps    int    // video bit rate; 0 lets the encoder choose (fast, small)
}

// Device tags written into every generated clip; none may survive a transcode.
const (
	Location = "+39.9+116.4/"
	Model    = "JinnangPhone 15 Pro"
)

// Video writes a test clip into dir and returns its path.
func Video(t testing.TB, dir string, c Clip) string {
	t.Helper()
	if c.Rate == 0 {
		c.Rate = 25
	}
	if c.Ext == "" {
		c.Ext = "mp4"
	}
	out := filepath.Join(dir, "clip-"+strconv.Itoa(c.W)+"x"+strconv.Itoa(c.H)+"."+c.Ext)
	args := []string{"-nostdin", "-v", "error", "-y",
		"-f", "lavfi", "-i", "testsrc=size=" + strconv.Itoa(c.W) + "x" + strconv.Itoa(c.H) + ":rate=" + strconv.Itoa(c.Rate) + ":duration=" + strconv.Itoa(c.Seconds),
		"-f", "lavfi", "-i", "sine=frequency=440:duration=" + strconv.Itoa(c.Seconds),
		"-metadata", "location=" + Location, "-metadata", "model=" + Model, "-metadata", "make=Jinnang",
		"-metadata", "com.apple.quicktime.location.ISO6709=" + Location, "-metadata:s:v", "handler_name=" + Model,
		"-shortest"}
	switch c.Ext {
	case "webm":
		args = append(args, "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-c:a", "libopus")
	default:
		args = append(args, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac")
	}
	if c.Kbps > 0 {
		k := strconv.Itoa(c.Kbps) + "k"
		args = append(args, "-b:v", k, "-minrate", k, "-maxrate", k, "-bufsize", k, "-x264-params", "nal-hrd=cbr:force-cfr=1")
	}
	if c.Ext == "mov" || c.Ext == "mp4" {
		args = append(args, "-movflags", "+use_metadata_tags")
	}
	args = append(args, out)
	Run(t, "ffmpeg", args...)
	return out
}

// Audio writes a test voice recording: ext "m4a" (AAC, as iOS), "webm"
// (opus, as Android's MediaRecorder) or "ogg".
func Audio(t testing.TB, dir, ext string, seconds int) string {
	t.Helper()
	out := filepath.Join(dir, "voice."+ext)
	args := []string{"-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=300:duration=" + strconv.Itoa(seconds),
		"-metadata", "model=" + Model, "-metadata", "location=" + Location}
	switch ext {
	case "m4a":
		args = append(args, "-c:a", "aac")
	default:
		args = append(args, "-c:a", "libopus")
	}
	Run(t, "ffmpeg", append(args, out)...)
	return out
}

// Run runs a command and fails the test on error.
func Run(t testing.TB, name string, args ...string) []byte {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v: %v: %s", name, args, err, errb.String())
	}
	return out.Bytes()
}

// Probe is ffprobe's view of a file.
type Probe struct {
	Streams []struct {
		CodecType string            `json:"codec_type"`
		CodecName string            `json:"codec_name"`
		Profile   string            `json:"profile"`
		Width     int               `json:"width"`
		Height    int               `json:"height"`
		Tags      map[string]string `json:"tags"`
	} `json:"streams"`
	Format struct {
		Duration string            `json:"duration"`
		Tags     map[string]string `json:"tags"`
	} `json:"format"`
}

// FFprobe probes path.
func FFprobe(t testing.TB, path string) Probe {
	t.Helper()
	var p Probe
	if err := json.Unmarshal(Run(t, "ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", path), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// TopBoxes lists the top-level ISO BMFF boxes of a file in order
// (faststart puts moov before mdat).
func TopBoxes(t testing.TB, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var boxes []string
	for off := uint64(0); off+8 <= uint64(len(b)); {
		size := uint64(binary.BigEndian.Uint32(b[off:]))
		typ := string(b[off+4 : off+8])
		if size == 1 && off+16 <= uint64(len(b)) {
			size = binary.BigEndian.Uint64(b[off+8:])
		}
		if size == 0 {
			size = uint64(len(b)) - off
		}
		if size < 8 {
			t.Fatalf("bad box %q at %d", typ, off)
		}
		boxes = append(boxes, typ)
		off += size
	}
	return boxes
}
