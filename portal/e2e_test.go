package portal

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/jinnang/jinnang/portal/config"
	"github.com/jinnang/jinnang/portal/internal/browsertest"
)

// startPortal runs the whole portal (embedded disk store + bleve, seeded from
// ../content) on a free loopback port and returns its base URL. Extra flags
// override the defaults.
func startPortal(t *testing.T, args ...string) string {
	t.Helper()
	args = append([]string{"-addr", "127.0.0.1:0", "-data-dir", t.TempDir(), "-log-level", "warn", "-demo-content=false"}, args...)
	cfg, err := config.Load(args, func(string) string { return "" }, io.Discard)
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
	stopped := false
	t.Cleanup(func() {
		cancel()
		if stopped {
			return
		}
		if err := <-done; err != nil {
			t.Errorf("portal stopped with error: %v", err)
		}
	})
	select {
	case a := <-addr:
		return "http://" + a.String()
	case err := <-done:
		stopped = true
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

// devClient signs person in through the dev provider's picker, as a browser
// would (cookie jar, redirects), and returns the signed-in client.
func devClient(t *testing.T, base, person string) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	resp, err := c.Get(base + "/auth/start?next=/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	state := resp.Request.URL.Query().Get("state")
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/auth/dev" || state == "" {
		t.Fatalf("sign-in did not reach the dev picker: %d %s", resp.StatusCode, resp.Request.URL)
	}
	resp, err = c.PostForm(base+"/auth/callback", url.Values{"state": {state}, "user": {person}})
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/" || !strings.Contains(string(body), `class="who"`) {
		t.Fatalf("dev sign-in as %s failed: %d %s", person, resp.StatusCode, resp.Request.URL)
	}
	return c
}

// TestRunServesSeedPacks starts the binary's code path on a bare data dir and
// checks it seeded, serves, answers health checks and finds a Chinese word.
func TestRunServesSeedPacks(t *testing.T) {
	base := startPortal(t)
	// Pages need sign-in: an anonymous visitor is sent to the login page.
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(base + "/packs")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/auth/login") {
		t.Errorf("anonymous /packs: %d %q, want 303 to the login page", resp.StatusCode, resp.Header.Get("Location"))
	}
	client := devClient(t, base, "wangmin")
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
		resp, err := client.Get(base + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != tc.status {
			t.Errorf("GET %s: status %d, want %d\n%s", tc.path, resp.StatusCode, tc.status, body)
		}
		if !strings.Contains(string(body), tc.want) {
			t.Errorf("GET %s: body lacks %q", tc.path, tc.want)
		}
	}
}

// browserSignIn opens the portal, follows it to the login page, presses the
// demo sign-in button and picks person in the dev picker.
func browserSignIn(base, person string, loginURL *string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS(`a.button[href^="/auth/start"]`)),
		into(loginURL, chromedp.Location()),
		chromedp.Click(chromedp.CSS(`a.button[href^="/auth/start"]`)),
		chromedp.WaitVisible(chromedp.CSS(`button[name="user"][value="`+person+`"]`)),
		chromedp.Click(chromedp.CSS(`button[name="user"][value="`+person+`"]`)),
		chromedp.WaitVisible(chromedp.CSS("header.site a.who")),
	)
}

// into runs a and stores its value in dst.
func into[T any](dst *T, a chromedp.Action[T]) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		v, err := a(ctx, t)
		*dst = v
		return chromedp.Void{}, err
	}
}

// TestBrowserDevSignIn: open /, get sent to the login page, pick 王敏 in the
// dev picker, see her name in the header and her department on /me.
func TestBrowserDevSignIn(t *testing.T) {
	base := startPortal(t)
	ctx := browsertest.New(t, 90*time.Second)
	var loginURL, who, me string
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(3), chromedp.EmulateMobile),
		browserSignIn(base, "wangmin", &loginURL),
		into(&who, chromedp.Text(chromedp.CSS("header.site a.who"))),
		chromedp.Click(chromedp.CSS("header.site a.who")),
		chromedp.WaitVisible(chromedp.CSS("dl.profile")),
		into(&me, chromedp.Text(chromedp.CSS("main"))),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	if !strings.Contains(loginURL, "/auth/login") {
		t.Errorf("/ did not lead to the login page but to %s", loginURL)
	}
	if !strings.Contains(who, "王敏") {
		t.Errorf("header shows %q, want 王敏", who)
	}
	if !strings.Contains(me, "财务部") {
		t.Errorf("/me lacks 财务部:\n%s", me)
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
	var resultsHTML, title, article, ua, loginURL string
	var marker bool
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(3), chromedp.EmulateMobile),
		browserSignIn(base, "chenchen", &loginURL),
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

// TestBrowserNoOverflowAt390: the admin's everyday pages fit a 390 px phone
// (no sideways scrolling of the page itself), in light and dark mode, and the
// tab bar sits at the bottom of the screen.
func TestBrowserNoOverflowAt390(t *testing.T) {
	base := startPortal(t)
	ctx := browsertest.New(t, 120*time.Second, chromedp.UserAgent(browsertest.WeChatUA))
	var loginURL string
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(3), chromedp.EmulateMobile),
		browserSignIn(base, "zhangwei", &loginURL),
	); err != nil {
		t.Fatalf("sign in: %v", err)
	}
	pages := []string{"/", "/departments", "/search", "/packs", "/packs/expense-claims-in-5-steps", "/packs/annual-leave-calculation",
		"/stories", "/announcements", "/me", "/more", "/polls/new", "/admin/departments", "/admin/audit"}
	for _, scheme := range []string{"light", "dark"} {
		for _, p := range pages {
			var width, tabBottom, height float64
			err := chromedp.Do(ctx,
				chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
					_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
						Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}})
					return err
				}),
				chromedp.Navigate(base+p),
				chromedp.WaitVisible(chromedp.CSS("nav.tabs")),
				into(&width, chromedp.Evaluate[float64]("document.documentElement.scrollWidth")),
				into(&tabBottom, chromedp.Evaluate[float64]("document.querySelector('nav.tabs').getBoundingClientRect().bottom")),
				into(&height, chromedp.Evaluate[float64]("window.innerHeight")),
			)
			if err != nil {
				t.Fatalf("%s %s: %v", scheme, p, err)
			}
			if width > 390 {
				t.Errorf("%s %s: page is %v px wide on a 390 px phone", scheme, p, width)
			}
			if tabBottom < height-1 || tabBottom > height+1 {
				t.Errorf("%s %s: tab bar ends at %v, screen at %v", scheme, p, tabBottom, height)
			}
		}
	}
}
