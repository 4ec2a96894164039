package portal

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/jinnang/jinnang/portal/internal/browsertest"
	"github.com/jinnang/jinnang/portal/internal/mediatest"
)

// TestBrowserVideoStoryPlaysInWeChat: 陈晨 posts a 5 s video from a phone
// (390×844, WeChat's user agent); the story says 处理中 until the portal's
// background worker has transcoded it, then plays it inline: currentTime
// advances, and the page has no horizontal overflow.
func TestBrowserVideoStoryPlaysInWeChat(t *testing.T) {
	mediatest.Need(t)
	local := mediatest.Video(t, t.TempDir(), mediatest.Clip{W: 1280, H: 720, Seconds: 5, Ext: "mov"})
	base := startPortal(t)
	ctx := browsertest.New(t, 180*time.Second, chromedp.UserAgent(browsertest.WeChatUA))
	var loginURL, storyPage, canPlay, firstState string
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(3), chromedp.EmulateMobile),
		browserSignIn(base, "chenchen", &loginURL),
		into(&canPlay, chromedp.Evaluate[string](`document.createElement('video').canPlayType('video/mp4; codecs="avc1.64001F, mp4a.40.2"')`)),
		chromedp.Navigate(base+"/stories/new"),
		chromedp.WaitVisible(chromedp.CSS(`form.story-form textarea#text`)),
		chromedp.SendKeys(chromedp.CSS(`form.story-form textarea#text`), "车间一线 #一线"),
		chromedp.SetUploadFiles(chromedp.CSS(`form.story-form input#video`), []string{local}),
		chromedp.Click(chromedp.CSS(`form.story-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("section#comments")),
		into(&storyPage, chromedp.Location()),
		into(&firstState, chromedp.Evaluate[string](`(document.querySelector('.video-processing, video.video')||{}).className||''`)),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	t.Logf("Debian chromium canPlayType(H.264 High + AAC) = %q", canPlay)
	if firstState != "notice video-processing" && firstState != "video" {
		t.Fatalf("after posting the story shows neither 处理中 nor the video: %q", firstState)
	}
	deadline := time.Now().Add(120 * time.Second)
	for {
		var has bool
		if err := chromedp.Do(ctx, chromedp.Navigate(storyPage), chromedp.WaitVisible(chromedp.CSS("section#comments")),
			into(&has, chromedp.Evaluate[bool](`!!document.querySelector('video.video')`))); err != nil {
			t.Fatal(err)
		}
		if has {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the video was not transcoded within 120 s")
		}
		time.Sleep(2 * time.Second)
	}
	if canPlay == "" {
		t.Skip("SKIP playback: this Chromium cannot play H.264/AAC MP4 (Debian's chromium without proprietary codecs); the portal serves no other rendition")
	}
	var attrs string
	var played bool
	var scrollW, started int
	err = chromedp.Do(ctx,
		into(&attrs, chromedp.Evaluate[string](`(() => { const v = document.querySelector('video.video'); return ['playsinline','webkit-playsinline','x5-playsinline','poster','preload'].map(a => a + '=' + v.hasAttribute(a)).join(' ') + ' ' + v.getAttribute('preload') })()`)),
		into(&started, chromedp.Evaluate[int](`(() => { const v = document.querySelector('video.video'); v.muted = true; v.play(); return 1 })()`)),
		into(&played, chromedp.Poll[bool](`document.querySelector('video.video').currentTime > 1`, chromedp.WithPollingTimeout(30*time.Second))),
		into(&scrollW, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)),
	)
	if err != nil {
		t.Fatalf("play: %v (attrs %s)", err, attrs)
	}
	if !played {
		t.Error("currentTime did not advance past 1 s")
	}
	if strings.Count(attrs, "=true") != 5 || !strings.HasSuffix(attrs, "metadata") {
		t.Errorf("video attributes: %s", attrs)
	}
	if scrollW > 390 {
		t.Errorf("the story page is %d px wide at a 390 px viewport", scrollW)
	}
}
