// Package media checks, probes and transcodes user video and voice with
// ffmpeg and ffprobe, and keeps a transcode queue in the object store that
// one job at a time per process works through under a lease.
//
// Store layout (a person can read the bucket):
//
//	media/<id>/src            the upload as received (deleted once transcoded)
//	media/<id>/video.mp4      H.264 High / AAC, +faststart, at most 720p, no metadata
//	media/<id>/poster.jpg     a frame of the video at its size
//	media/<id>/thumb.jpg      the same frame, 360 px wide
//	media/<id>/voice.m4a      a voice note as AAC
//	media/jobs/<id>.json      the job record (Job as JSON)
//	media/queue/<id>          a marker while the job waits or runs
//
// Job records name no person: a job knows its input and outputs only.
package media

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
)

// Container is the sniffed container of an upload.
type Container string

// The containers uploads may have.
const (
	ContainerMP4    Container = "mp4"    // ISO BMFF (mp4, mov, m4a, 3gp)
	ContainerWebM   Container = "webm"   // WebM / Matroska (EBML)
	ContainerMPEGTS Container = "mpegts" // MPEG transport stream
	ContainerOgg    Container = "ogg"    // Ogg (opus voice)
	ContainerADTS   Container = "aac"    // raw AAC in ADTS frames
)

// SniffLen is how many leading bytes Sniff wants (MPEG-TS needs three sync bytes).
const SniffLen = 4 * 188

// ErrRefused means the upload is not a kind of media this path accepts;
// a *RefusedError says which kind it is.
var ErrRefused = errors.New("media: refused")

// RefusedError names what an upload was sniffed as, and why it is refused.
type RefusedError struct {
	Sniffed string // e.g. "image/png", "audio/amr"
	Zh, En  string // what to tell the person
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("%v: sniffed %s: %s", ErrRefused, e.Sniffed, e.En)
}

// Unwrap makes errors.Is(err, ErrRefused) hold.
func (e *RefusedError) Unwrap() error { return ErrRefused }

// sniff reports the container of head, or "" and the sniffed MIME type.
func sniff(head []byte) (Container, string) {
	switch {
	case len(head) >= 12 && string(head[4:8]) == "ftyp":
		return ContainerMP4, "video/mp4"
	case len(head) >= 4 && bytes.Equal(head[:4], []byte{0x1a, 0x45, 0xdf, 0xa3}):
		return ContainerWebM, "video/webm"
	case len(head) >= 4 && string(head[:4]) == "OggS":
		return ContainerOgg, "audio/ogg"
	case bytes.HasPrefix(head, []byte("#!AMR")):
		return "", "audio/amr"
	case isTS(head):
		return ContainerMPEGTS, "video/mp2t"
	case len(head) >= 2 && head[0] == 0xff && head[1]&0xf6 == 0xf0:
		return ContainerADTS, "audio/aac"
	}
	return "", http.DetectContentType(head)
}

// isTS reports whether head starts with at least three 0x47 sync bytes at
// 188-byte steps (all that fit when head is shorter).
func isTS(head []byte) bool {
	n := 0
	for i := 0; i < len(head); i += 188 {
		if head[i] != 0x47 {
			return false
		}
		n++
	}
	return n >= 3 || (n >= 1 && len(head) < SniffLen)
}

// SniffVideo checks the start of an upload for a video container: ISO BMFF,
// WebM/Matroska or MPEG-TS. Anything else is a *RefusedError naming the
// sniffed type.
func SniffVideo(head []byte) (Container, error) {
	c, mime := sniff(head)
	switch c {
	case ContainerMP4, ContainerWebM, ContainerMPEGTS:
		return c, nil
	}
	return "", &RefusedError{Sniffed: mime,
		Zh: fmt.Sprintf("这不是视频文件（识别为 %s），请上传 MP4、MOV、WebM 或 TS 视频", mime),
		En: fmt.Sprintf("this is not a video (it looks like %s); upload an MP4, MOV, WebM or TS video", mime)}
}

// SniffVoice checks the start of an upload for a voice recording: m4a/aac
// (iOS), webm or ogg with opus (Android, MediaRecorder). WeChat's own AMR is
// refused with its own message.
func SniffVoice(head []byte) (Container, error) {
	c, mime := sniff(head)
	switch {
	case mime == "audio/amr":
		return "", &RefusedError{Sniffed: mime,
			Zh: "不支持微信的 AMR 语音，请用手机录音机录制（m4a）后上传，或在本页直接录音",
			En: "WeChat's AMR voice is not supported; record with the phone's voice recorder (m4a) and upload that, or record on this page"}
	case c == ContainerMP4 || c == ContainerWebM || c == ContainerOgg || c == ContainerADTS:
		return c, nil
	}
	return "", &RefusedError{Sniffed: mime,
		Zh: fmt.Sprintf("这不是语音文件（识别为 %s），请上传 m4a、aac、webm 或 ogg 录音", mime),
		En: fmt.Sprintf("this is not a voice recording (it looks like %s); upload an m4a, aac, webm or ogg recording", mime)}
}
