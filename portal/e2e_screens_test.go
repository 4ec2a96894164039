package portal

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/jinnang/jinnang/portal/internal/browsertest"
)

// TestBrowserScreenshots saves 390 px wide screenshots of home, the stories
// feed, a pack and search results, in light and dark mode, into the folder
// named by JINNANG_ARTIFACTS (for the issue note; never committed). Without
// the variable it is skipped.
func TestBrowserScreenshots(t *testing.T) {
	dir := os.Getenv("JINNANG_ARTIFACTS")
	if dir == "" {
		t.Skip("JINNANG_ARTIFACTS is not set")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	base := startPortal(t, "-demo-content=true")
	ctx := browsertest.New(t, 240*time.Second, chromedp.UserAgent(browsertest.WeChatUA))
	var loginURL, story string
	step := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 40*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	step("sign in",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(1), chromedp.EmulateMobile),
		browserSignIn(base, "chenchen", &loginURL),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error { // Chinese UI, as the company sees it
			_, err := chromedp.Evaluate[string](`document.cookie = "lang=zh; path=/"`)(ctx, tg)
			return err
		}))
	step("post a story",
		chromedp.Navigate(base+"/stories/new"),
		chromedp.WaitVisible(chromedp.CSS(`form.story-form textarea#text`)),
		chromedp.SendKeys(chromedp.CSS(`form.story-form textarea#text`), "新同事第一天，食堂的红烧肉很好吃 #入职"),
		chromedp.Click(chromedp.CSS(`form.story-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("section#comments")),
		into(&story, chromedp.Location()))
	shots := []struct{ name, path string }{
		{"home", "/"},
		{"stories", "/stories"},
		{"pack", "/packs/expense-claims-in-5-steps"},
		{"search", "/search?q=" + "报销"},
	}
	var saved []string
	for _, scheme := range []string{"light", "dark"} {
		for _, s := range shots {
			var png []byte
			var width int
			step(scheme+" "+s.name,
				colorScheme(scheme),
				chromedp.Navigate(base+s.path),
				chromedp.WaitReady(chromedp.CSS("body")),
				into(&width, chromedp.Evaluate[int]("document.documentElement.scrollWidth")),
				into(&png, chromedp.FullScreenshot(100)))
			if width > 390 {
				t.Errorf("%s %s: page is %d px wide at a 390 px viewport", scheme, s.path, width)
			}
			if len(png) < 8 || string(png[1:4]) != "PNG" {
				t.Fatalf("%s %s: not a PNG screenshot (%d bytes)", scheme, s.path, len(png))
			}
			f := filepath.Join(dir, "390-"+s.name+"-"+scheme+".png")
			if err := os.WriteFile(f, png, 0o644); err != nil {
				t.Fatal(err)
			}
			saved = append(saved, f)
		}
	}
	t.Logf("saved %d screenshots: %v", len(saved), saved)
}
