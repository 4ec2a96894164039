package portal

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/jinnang/jinnang/portal/internal/browsertest"
)

// TestBrowserSharePreview: the 分享 link of a pack, opened in a second
// browser that never signed in (as a colleague tapping it in a WeChat
// group), shows the public preview: no horizontal overflow at 390 px, no
// serious axe-core violation in light and dark mode, the card image
// loads, the body is absent, and 登录后阅读全文 leads to sign-in back to
// the pack.
func TestBrowserSharePreview(t *testing.T) {
	base := startPortal(t)
	phone := chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(3), chromedp.EmulateMobile)
	ctx := browsertest.New(t, 120*time.Second, chromedp.UserAgent(browsertest.WeChatUA))
	var loginURL, link string
	if err := chromedp.Do(ctx, phone, browserSignIn(base, "zhangwei", &loginURL),
		chromedp.Navigate(base+"/packs/expense-claims-in-5-steps"),
		chromedp.WaitReady(chromedp.CSS("details.pack-share")),
		into(&link, chromedp.Evaluate[string]("document.querySelector('#share-link').textContent")),
	); err != nil {
		t.Fatalf("share link: %v", err)
	}
	if !strings.HasPrefix(link, base+"/packs/expense-claims-in-5-steps?s=") {
		t.Fatalf("share link %q", link)
	}
	anon := browsertest.New(t, 120*time.Second, chromedp.UserAgent(browsertest.WeChatUA))
	for _, scheme := range []string{"light", "dark"} {
		var width, cardWidth float64
		var hasBody, loaded bool
		var found []axeViolation
		if err := chromedp.Do(anon, phone, colorScheme(scheme),
			chromedp.Navigate(link),
			chromedp.WaitVisible(chromedp.CSS("article.share-preview h1")),
			into(&loaded, chromedp.Poll[bool]("document.querySelector('.share-card img').complete")),
			into(&width, chromedp.Evaluate[float64]("document.documentElement.scrollWidth")),
			into(&cardWidth, chromedp.Evaluate[float64]("document.querySelector('.share-card img').naturalWidth")),
			into(&hasBody, chromedp.Evaluate[bool]("!!document.querySelector('article .body')")),
			runAxe(&found),
		); err != nil {
			t.Fatalf("%s preview: %v", scheme, err)
		}
		if width > 390 {
			t.Errorf("%s: the preview is %v px wide", scheme, width)
		}
		if cardWidth != 1200 {
			t.Errorf("%s: the card image is %v px wide, want 1200 (not loaded?)", scheme, cardWidth)
		}
		if hasBody {
			t.Errorf("%s: the preview carries the pack body", scheme)
		}
		for _, v := range found {
			t.Errorf("%s preview: [%s] %s: %s\n    %s", scheme, v.Impact, v.ID, v.Help, strings.Join(v.Nodes, "\n    "))
		}
	}
	var at string
	sctx, cancel := context.WithTimeout(anon, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx,
		chromedp.Click(chromedp.CSS("article.share-preview a.button.primary")),
		chromedp.WaitVisible(chromedp.CSS(`a.button[href^="/auth/start"]`)),
		into(&at, chromedp.Location()),
	); err != nil {
		t.Fatalf("sign-in button: %v", err)
	}
	if !strings.Contains(at, "/auth/login?next=%2Fpacks%2Fexpense-claims-in-5-steps%3Fs%3D") {
		t.Errorf("sign-in button leads to %s", at)
	}
}
