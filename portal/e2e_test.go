package portal

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/jinnang/jinnang/portal/config"
	"github.com/jinnang/jinnang/portal/internal/browsertest"
)

// startPortal runs the whole portal (embedded disk store + bleve, seeded from
// ../content) on a free loopback port and returns its base URL.
func startPortal(t *testing.T) string {
	t.Helper()
	cfg, err := config.Load([]string{"-addr", "127.0.0.1:0", "-data-dir", t.TempDir(), "-log-level", "warn"},
		func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, cfg, Files{
			Templates: os.DirFS("../templates"),
			Assets:    os.DirFS("../assets"),
			Content:   os.DirFS("../content"),
		}, testWriter{t}, func(a net.Addr) { addr <- a })
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("portal stopped with error: %v", err)
		}
	})
	select {
	case a := <-addr:
		return "http://" + a.String()
	case err := <-done:
		t.Fatalf("portal did not start: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("portal did not start within 60s")
	}
	return ""
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// TestRunServesSeedPacks starts the binary's code path on a bare data dir and
// checks it seeded, serves, answers health checks and finds a Chinese word.
func TestRunServesSeedPacks(t *testing.T) {
	base := startPortal(t)
	for _, tc := range []struct {
		path, want string
		status     int
	}{
		{"/healthz", "ok", 200},
		{"/readyz", "", 200},
		{"/packs", "报销", 200},
		{"/search?q=" + "电子发票", "电子发票", 200},
		{"/packs/no-such-pack", "", 404},
	} {
		resp, err := http.Get(base + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("GET %s: status %d, want %d\n%s", tc.path, resp.StatusCode, tc.status, body)
		}
		if !strings.Contains(string(body), tc.want) {
			t.Errorf("GET %s: body lacks %q", tc.path, tc.want)
		}
	}
}

// TestBrowserSearchOnPhone is the end-to-end path of a new hire in WeChat:
// phone viewport, WeChat user agent, type a Chinese word from the middle of a
// sentence into the home page's search box, see HTMX results without a page
// load, open the pack.
func TestBrowserSearchOnPhone(t *testing.T) {
	base := startPortal(t)
	ctx := browsertest.New(t, 90*time.Second, chromedp.UserAgent(browsertest.WeChatUA))
	const word = "值班表" // sits mid-sentence in a seed pack
	var resultsHTML, title, article, ua string
	var marker bool
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(3), chromedp.EmulateMobile),
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS("#q")),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			// A marker on window survives HTMX swaps but not a full page load.
			_, err := chromedp.Evaluate[bool]("window.__jinnangMarker = true")(ctx, tg)
			return err
		}),
		chromedp.SendKeys(chromedp.CSS("#q"), word),
		chromedp.WaitVisible(chromedp.CSS("#results a.result")),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) (err error) {
			resultsHTML, err = chromedp.InnerHTML(chromedp.CSS("#results"))(ctx, tg)
			if err != nil {
				return err
			}
			marker, err = chromedp.Evaluate[bool]("window.__jinnangMarker === true")(ctx, tg)
			if err != nil {
				return err
			}
			ua, err = chromedp.Evaluate[string]("navigator.userAgent")(ctx, tg)
			return err
		}),
		chromedp.Click(chromedp.CSS("#results a.result")),
		chromedp.WaitVisible(chromedp.CSS("article.pack h1")),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) (err error) {
			title, err = chromedp.Text(chromedp.CSS("article.pack h1"))(ctx, tg)
			if err != nil {
				return err
			}
			article, err = chromedp.Text(chromedp.CSS("article.pack"))(ctx, tg)
			return err
		}),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	if !strings.Contains(ua, "MicroMessenger") {
		t.Errorf("user agent %q is not WeChat's", ua)
	}
	if !marker {
		t.Error("results arrived by a full page load, not an HTMX swap")
	}
	if !strings.Contains(resultsHTML, "<mark>") || !strings.Contains(resultsHTML, "值班") {
		t.Errorf("results lack a highlighted %q:\n%s", word, resultsHTML)
	}
	if title == "" || !strings.Contains(article, word) {
		t.Errorf("opened pack %q does not contain %q", title, word)
	}
}
