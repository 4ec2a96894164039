// Package browsertest starts headless Chromium for end-to-end tests. Outside
// CI a missing browser skips the test with a visible message; in CI (CI=true)
// it fails, because the project installs Chromium there itself.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// WeChatUA is the user agent of WeChat's in-app browser on an iPhone.
const WeChatUA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.50(0x1800323c) NetType/WIFI Language/zh_CN"

// Find returns the Chromium executable: $JINNANG_CHROMIUM, else chromium or
// chromium-browser or google-chrome on PATH, else "".
func Find() string {
	if p := os.Getenv("JINNANG_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// New starts a fresh headless browser with the extra options (for example
// chromedp.UserAgent) and returns a tab context that ends with the test or
// after timeout.
func New(t testing.TB, timeout time.Duration, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	bin := Find()
	if bin == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("Chromium not found: CI must install Debian's chromium package (make chromium)")
		}
		t.Skip("SKIP browser test: Chromium not found (install Debian's chromium package, or run `make test` as root)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true), // CI runs as root
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	opts = append(opts, extra...)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	// The first call starts the browser; it must not carry the timeout, which
	// would stop the browser itself (chromedp.Run docs). Later calls are bounded.
	if err := chromedp.Do(ctx); err != nil {
		cancelTab()
		cancelAlloc()
		t.Fatalf("start Chromium %s: %v", bin, err)
	}
	tctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	t.Cleanup(func() {
		cancelTimeout()
		cancelTab()
		cancelAlloc()
	})
	return tctx
}
