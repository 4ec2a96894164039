package media

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Limits bound what is accepted and what a transcode may cost.
type Limits struct {
	MaxDuration time.Duration // longest clip accepted (60 s)
	MaxHeight   int           // the short side of the output, at most (720)
	VideoKbps   int           // video bit-rate cap (maxrate)
	AudioKbps   int           // audio bit rate
	CPUSeconds  int           // RLIMIT_CPU of one ffmpeg run; 0 means none
	Timeout     time.Duration // wall-clock limit of one job
	Threads     int           // ffmpeg -threads; 0 lets ffmpeg choose
	Preset      string        // x264 preset
}

// DefaultLimits are the limits of story and suggestion videos.
func DefaultLimits() Limits {
	return Limits{MaxDuration: 60 * time.Second, MaxHeight: 720, VideoKbps: 2500, AudioKbps: 128,
		CPUSeconds: 600, Timeout: 10 * time.Minute, Threads: 2, Preset: "veryfast"}
}

// Tool runs ffmpeg and ffprobe.
type Tool struct {
	FFmpeg, FFprobe string // paths; found on PATH by NewTool
	Prlimit         string // path of util-linux prlimit, "" when missing
	Limits          Limits
}

// ErrNoFFmpeg means ffmpeg or ffprobe is not installed.
var ErrNoFFmpeg = errors.New("media: ffmpeg or ffprobe not found (install Debian's ffmpeg package)")

// ErrCPULimit means a job used up its CPU-time limit.
var ErrCPULimit = errors.New("media: CPU-time limit reached")

// NewTool finds ffmpeg, ffprobe and prlimit on PATH.
func NewTool(l Limits) (*Tool, error) {
	ff, err1 := exec.LookPath("ffmpeg")
	fp, err2 := exec.LookPath("ffprobe")
	if err1 != nil || err2 != nil {
		return nil, ErrNoFFmpeg
	}
	pl, _ := exec.LookPath("prlimit")
	return &Tool{FFmpeg: ff, FFprobe: fp, Prlimit: pl, Limits: l}, nil
}

// Stream is one stream as ffprobe reports it.
type Stream struct {
	Index     int               `json:"index"`
	CodecType string            `json:"codec_type"`
	CodecName string            `json:"codec_name"`
	Profile   string            `json:"profile"`
	Width     int               `json:"width"`
	Height    int               `json:"height"`
	Tags      map[string]string `json:"tags"`
}

// Info is what ffprobe says of a file.
type Info struct {
	Duration time.Duration
	Format   string // ffprobe's format_name
	Streams  []Stream
	Tags     map[string]string // container tags
}

// Video is the first video stream, or nil.
func (in *Info) Video() *Stream { return in.stream("video") }

// Audio is the first audio stream, or nil.
func (in *Info) Audio() *Stream { return in.stream("audio") }

func (in *Info) stream(kind string) *Stream {
	for i := range in.Streams {
		if in.Streams[i].CodecType == kind {
			return &in.Streams[i]
		}
	}
	return nil
}

// ErrUnreadable means ffprobe could not read the file as media.
var ErrUnreadable = errors.New("media: file cannot be read as audio or video")

// Probe reads a file's duration, format, streams and tags with ffprobe.
func (t *Tool) Probe(ctx context.Context, path string) (*Info, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, t.FFprobe, "-v", "error", "-print_format", "json", "-show_format", "-show_streams", path)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("ffprobe: %w", ctx.Err())
		}
		return nil, fmt.Errorf("%w: %s", ErrUnreadable, firstLine(errb.String()))
	}
	var raw struct {
		Streams []Stream `json:"streams"`
		Format  struct {
			Name     string            `json:"format_name"`
			Duration string            `json:"duration"`
			Tags     map[string]string `json:"tags"`
		} `json:"format"`
	}
	if err := json.Unmarshal(out.Bytes(), &raw); err != nil {
		return nil, fmt.Errorf("%w: ffprobe output: %v", ErrUnreadable, err)
	}
	if len(raw.Streams) == 0 {
		return nil, fmt.Errorf("%w: no streams", ErrUnreadable)
	}
	in := &Info{Format: raw.Format.Name, Streams: raw.Streams, Tags: raw.Format.Tags}
	if d, err := strconv.ParseFloat(raw.Format.Duration, 64); err == nil {
		in.Duration = time.Duration(d * float64(time.Second))
	}
	return in, nil
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// run runs ffmpeg with args under the CPU-time limit (RLIMIT_CPU set on
// the child by prlimit) and ctx.
func (t *Tool) run(ctx context.Context, args ...string) error {
	base := append([]string{"-nostdin", "-hide_banner", "-v", "error", "-y"}, args...)
	name := t.FFmpeg
	if t.Limits.CPUSeconds > 0 && t.Prlimit != "" {
		base = append([]string{fmt.Sprintf("--cpu=%d:%d", t.Limits.CPUSeconds, t.Limits.CPUSeconds), "--", t.FFmpeg}, base...)
		name = t.Prlimit
	}
	var errb bytes.Buffer
	cmd := exec.CommandContext(ctx, name, base...)
	cmd.Stderr = &errb
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return fmt.Errorf("ffmpeg: %w", ctx.Err())
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && (ws.Signal() == syscall.SIGXCPU || ws.Signal() == syscall.SIGKILL) {
			return fmt.Errorf("%w (%d s)", ErrCPULimit, t.Limits.CPUSeconds)
		}
	}
	return fmt.Errorf("ffmpeg: %v: %s", err, firstLine(errb.String()))
}

// stripArgs drop every tag the input carries (GPS, device model, dates,
// chapters, stream handler names) and the encoder's own notes.
var stripArgs = []string{"-map_metadata", "-1", "-map_chapters", "-1",
	"-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact"}

// VideoResult describes a transcoded video.
type VideoResult struct {
	Duration      time.Duration
	Width, Height int
}

// TranscodeVideo probes in, refuses what is unreadable, has no video or is
// too long, and writes out (MP4: H.264 High, AAC, +faststart, at most
// MaxHeight on the short side, even sizes, no metadata), poster (JPEG) and
// thumb (JPEG, 360 px wide).
func (t *Tool) TranscodeVideo(ctx context.Context, in, out, poster, thumb string) (*VideoResult, error) {
	info, err := t.Probe(ctx, in)
	if err != nil {
		return nil, err
	}
	if info.Video() == nil {
		return nil, fmt.Errorf("%w: no video stream", ErrUnreadable)
	}
	if err := t.checkDuration(info); err != nil {
		return nil, err
	}
	l := t.Limits
	m := strconv.Itoa(l.MaxHeight)
	vf := "scale=w='if(gte(iw,ih),-2,trunc(min(" + m + ",iw)/2)*2)':h='if(gte(iw,ih),trunc(min(" + m + ",ih)/2)*2,-2)',setsar=1,format=yuv420p"
	args := []string{"-i", in, "-map", "0:v:0", "-map", "0:a:0?", "-sn", "-dn"}
	args = append(args, stripArgs...)
	args = append(args, "-vf", vf, "-c:v", "libx264", "-profile:v", "high", "-preset", l.Preset, "-crf", "23",
		"-maxrate", strconv.Itoa(l.VideoKbps)+"k", "-bufsize", strconv.Itoa(2*l.VideoKbps)+"k",
		"-bsf:v", "filter_units=remove_types=6", // SEI: x264's settings note
		"-c:a", "aac", "-b:a", strconv.Itoa(l.AudioKbps)+"k", "-ac", "2",
		"-t", strconv.Itoa(int(l.MaxDuration/time.Second)+1), "-movflags", "+faststart", "-f", "mp4")
	if l.Threads > 0 {
		args = append(args, "-threads", strconv.Itoa(l.Threads))
	}
	args = append(args, out)
	if err := t.run(ctx, args...); err != nil {
		return nil, err
	}
	got, err := t.Probe(ctx, out)
	if err != nil || got.Video() == nil {
		return nil, fmt.Errorf("media: transcoded file unreadable: %v", err)
	}
	at := "0"
	if got.Duration > 2*time.Second {
		at = "1"
	}
	if err := t.run(ctx, "-ss", at, "-i", out, "-map_metadata", "-1", "-frames:v", "1", "-q:v", "3", "-f", "image2", poster); err != nil {
		return nil, fmt.Errorf("poster: %w", err)
	}
	if err := t.run(ctx, "-i", poster, "-map_metadata", "-1", "-vf", "scale=360:-2", "-q:v", "4", "-f", "image2", thumb); err != nil {
		return nil, fmt.Errorf("thumbnail: %w", err)
	}
	v := got.Video()
	return &VideoResult{Duration: got.Duration, Width: v.Width, Height: v.Height}, nil
}

// TranscodeVoice probes in and writes out as AAC in an m4a (mono, +faststart, no metadata).
func (t *Tool) TranscodeVoice(ctx context.Context, in, out string) (time.Duration, error) {
	info, err := t.Probe(ctx, in)
	if err != nil {
		return 0, err
	}
	if info.Audio() == nil {
		return 0, fmt.Errorf("%w: no audio stream", ErrUnreadable)
	}
	if err := t.checkDuration(info); err != nil {
		return 0, err
	}
	args := []string{"-i", in, "-map", "0:a:0", "-vn", "-sn", "-dn"}
	args = append(args, stripArgs...)
	args = append(args, "-c:a", "aac", "-b:a", "64k", "-ac", "1", "-t", strconv.Itoa(int(t.Limits.MaxDuration/time.Second)+1),
		"-movflags", "+faststart", "-f", "ipod", out)
	if err := t.run(ctx, args...); err != nil {
		return 0, err
	}
	got, err := t.Probe(ctx, out)
	if err != nil {
		return 0, fmt.Errorf("media: transcoded voice unreadable: %v", err)
	}
	return got.Duration, nil
}

// TooLongError is a clip over MaxDuration.
type TooLongError struct{ Got, Max time.Duration }

func (e *TooLongError) Error() string {
	return fmt.Sprintf("media: clip is %s long, at most %s", e.Got.Round(time.Second), e.Max)
}

func (t *Tool) checkDuration(info *Info) error {
	if t.Limits.MaxDuration > 0 && info.Duration > t.Limits.MaxDuration+500*time.Millisecond {
		return &TooLongError{Got: info.Duration, Max: t.Limits.MaxDuration}
	}
	return nil
}

// tempDir makes a private working directory for one job.
func tempDir() (string, func(), error) {
	d, err := os.MkdirTemp("", "jinnang-media-")
	if err != nil {
		return "", nil, err
	}
	return d, func() { _ = os.RemoveAll(d) }, nil
}
