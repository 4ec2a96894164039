package portal

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/jinnang/jinnang/portal/internal/browsertest"
)

// TestBrowserStoryPostFeedAndXSS: 陈晨 posts a story from a phone with a
// photo and a text that carries an <img onerror> payload, finds it in the
// feed with its thumbnail (which loads), opens the full-size viewer, and
// comments with a <script> payload. Neither payload runs.
func TestBrowserStoryPostFeedAndXSS(t *testing.T) {
	src, err := os.ReadFile("images/testdata/gps-exif.jpg")
	if err != nil {
		t.Fatal(err)
	}
	local := filepath.Join(t.TempDir(), "IMG_0001.jpg")
	if err := os.WriteFile(local, src, 0o600); err != nil {
		t.Fatal(err)
	}
	const text = `年会合影 #年会 <img src=x onerror="window.__xss=1">`
	const comment = `<script>window.__xss=2</script>好看！`
	base := startPortal(t)
	ctx := browsertest.New(t, 120*time.Second)
	var loginURL, storyPage, storyText, commentText string
	var loaded bool
	var thumbWidth, xssAfterStory, xssAfterComment, photoWidth int
	err = chromedp.Do(ctx,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(3), chromedp.EmulateMobile),
		browserSignIn(base, "chenchen", &loginURL),
		chromedp.Navigate(base+"/stories/new"),
		chromedp.WaitVisible(chromedp.CSS(`form.story-form textarea#text`)),
		chromedp.SendKeys(chromedp.CSS(`form.story-form textarea#text`), text),
		chromedp.SetUploadFiles(chromedp.CSS(`form.story-form input#images`), []string{local}),
		chromedp.Click(chromedp.CSS(`form.story-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("section#comments")),
		into(&storyPage, chromedp.Location()),

		chromedp.Navigate(base+"/stories"),
		chromedp.WaitVisible(chromedp.CSS(`ul.story-feed .grid9 img`)),
		into(&loaded, chromedp.Poll[bool](`document.querySelector("ul.story-feed .grid9 img").complete`)),
		into(&thumbWidth, chromedp.Evaluate[int](`document.querySelector("ul.story-feed .grid9 img").naturalWidth`)),
		into(&storyText, chromedp.Text(chromedp.CSS(`ul.story-feed .story-text`))),
		into(&xssAfterStory, chromedp.Evaluate[int](`window.__xss === undefined ? 0 : window.__xss`)),

		chromedp.Click(chromedp.CSS(`ul.story-feed .grid9 a`)),
		chromedp.WaitVisible(chromedp.CSS(`figure.viewer img`)),
		into(&loaded, chromedp.Poll[bool](`document.querySelector("figure.viewer img").complete`)),
		into(&photoWidth, chromedp.Evaluate[int](`document.querySelector("figure.viewer img").naturalWidth`)),

		chromedp.Navigate(base+"/stories"),
		chromedp.WaitVisible(chromedp.CSS(`ul.story-feed .story-card header a[href^="/stories/"]`)),
		chromedp.Click(chromedp.CSS(`ul.story-feed .story-card header a[href^="/stories/"]`)),
		chromedp.WaitVisible(chromedp.CSS("textarea#comment")),
		chromedp.SendKeys(chromedp.CSS("textarea#comment"), comment),
		chromedp.Click(chromedp.CSS(`section#comments button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(".comment-text")),
		into(&commentText, chromedp.Text(chromedp.CSS(".comment-text"))),
		into(&xssAfterComment, chromedp.Evaluate[int](`window.__xss === undefined ? 0 : window.__xss`)),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	if !strings.Contains(storyPage, "/stories/") {
		t.Errorf("after posting: %s", storyPage)
	}
	if thumbWidth != 360 {
		t.Errorf("thumbnail did not load as a 360 px image: naturalWidth %d", thumbWidth)
	}
	if photoWidth != 480 { // the 640×480 photo with EXIF orientation 6, turned upright
		t.Errorf("full-size photo naturalWidth %d, want 480", photoWidth)
	}
	if !strings.Contains(storyText, `<img src=x onerror=`) {
		t.Errorf("story text not shown as text: %q", storyText)
	}
	if !strings.Contains(commentText, "<script>window.__xss=2</script>") {
		t.Errorf("comment not shown as text: %q", commentText)
	}
	if xssAfterStory != 0 || xssAfterComment != 0 {
		t.Errorf("a payload ran: window.__xss = %d after the story, %d after the comment", xssAfterStory, xssAfterComment)
	}
}
