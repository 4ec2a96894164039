package portal

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/jinnang/jinnang/portal/internal/browsertest"
	"github.com/jinnang/jinnang/portal/internal/browsertest/axe"
)

// axeViolation is one failed axe-core rule with the elements it failed on.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// axeScript runs the vendored axe-core over the page and returns the serious
// and critical violations (each with up to three failing elements and the
// reason axe gives).
const axeScript = `(async () => {
  const r = await axe.run(document, {resultTypes: ["violations"]});
  return r.violations.filter(v => v.impact === "serious" || v.impact === "critical").map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ") + " — " + (n.failureSummary || "").replace(/\s+/g, " "))
  }));
})()`

// runAxe injects axe-core into the current page (once per page load) and
// returns its serious and critical violations.
func runAxe(out *[]axeViolation) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		if _, err := chromedp.Evaluate[bool]("typeof axe !== 'undefined' || (function(){"+axe.Source+"\n;return true})()")(ctx, tg); err != nil {
			return chromedp.Void{}, fmt.Errorf("inject axe-core: %w", err)
		}
		v, err := chromedp.Evaluate[[]axeViolation](axeScript, chromedp.EvalAwaitPromise)(ctx, tg)
		*out = v
		return chromedp.Void{}, err
	}
}

// colorScheme emulates prefers-color-scheme for the pages that follow.
func colorScheme(scheme string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}})
		return err
	})
}

// TestBrowserAxeRouteTable opens every main page at 390×844 with WeChat's user
// agent, in light and dark mode, as the admin 张伟 (so the admin pages are in
// the table), and fails on any serious or critical axe-core violation. It
// first creates one of each record (story, poll, announcement, suggestion
// box, file) so the detail pages are checked with content on them.
func TestBrowserAxeRouteTable(t *testing.T) {
	xlsx, err := os.ReadFile("web/testdata/expenses.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	local := filepath.Join(t.TempDir(), "2026年报销单.xlsx")
	if err := os.WriteFile(local, xlsx, 0o600); err != nil {
		t.Fatal(err)
	}
	base := startPortal(t)
	ctx := browsertest.New(t, 300*time.Second, chromedp.UserAgent(browsertest.WeChatUA))
	var loginURL, story, poll, ann, box, file string
	step := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 40*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			var at, text string
			_ = chromedp.Do(ctx, into(&at, chromedp.Location()), into(&text, chromedp.Evaluate[string]("document.body ? document.body.innerText.slice(0, 400) : ''")))
			t.Fatalf("%s: %v (at %s)\n%s", name, err, at, text)
		}
	}
	step("sign in",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(3), chromedp.EmulateMobile),
		browserSignIn(base, "zhangwei", &loginURL))
	step("post a story",
		chromedp.Navigate(base+"/stories/new"),
		chromedp.WaitVisible(chromedp.CSS(`form.story-form textarea#text`)),
		chromedp.SendKeys(chromedp.CSS(`form.story-form textarea#text`), "新同事第一天 #入职"),
		chromedp.Click(chromedp.CSS(`form.story-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("section#comments")),
		into(&story, chromedp.Location()))
	step("create a poll",
		chromedp.Navigate(base+"/polls/new"),
		chromedp.WaitVisible(chromedp.CSS(`input#title`)),
		chromedp.SendKeys(chromedp.CSS(`input#title`), "团建去哪里"),
		chromedp.SendKeys(chromedp.CSS(`input[name="qtext0"]`), "地点"),
		chromedp.SendKeys(chromedp.CSS(`textarea[name="qopts0"]`), "爬山\n露营"),
		chromedp.Click(chromedp.CSS(`form button.primary[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action$="/vote"]`)),
		into(&poll, chromedp.Location()))
	step("announce",
		chromedp.Navigate(base+"/announcements/new"),
		chromedp.WaitVisible(chromedp.CSS(`input#title`)),
		chromedp.SendKeys(chromedp.CSS(`input#title`), "报销截止提醒"),
		chromedp.SendKeys(chromedp.CSS(`textarea#body`), "本月报销请在 25 日前提交。"),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](`(document.querySelector('input[name="everyone"]')||{}).checked = true`)(ctx, tg)
			return err
		}),
		chromedp.Click(chromedp.CSS(`form button.primary[type="submit"]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`textarea#body`)),
		into(&ann, chromedp.Location()))
	step("open a suggestion box",
		chromedp.Navigate(base+"/suggest/boxes"),
		chromedp.WaitVisible(chromedp.CSS("input#title")),
		chromedp.SendKeys(chromedp.CSS("input#title"), "食堂意见箱"),
		chromedp.Submit(chromedp.CSS("input#title")),
		chromedp.WaitVisible(chromedp.CSS("a.box-link")),
		into(&box, chromedp.Text(chromedp.CSS("a.box-link"))))
	step("upload a file",
		chromedp.Navigate(base+"/files/new?dept=财务部"),
		chromedp.WaitVisible(chromedp.CSS(`form.upload input#file`)),
		chromedp.SetUploadFiles(chromedp.CSS(`form.upload input#file`), []string{local}),
		chromedp.Click(chromedp.CSS(`form.upload button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("article.file-page h1")),
		into(&file, chromedp.Location()))
	for name, u := range map[string]string{"story": story, "poll": poll, "announcement": ann, "box": box, "file": file} {
		if !strings.HasPrefix(u, base+"/") {
			t.Fatalf("%s was not created: %q", name, u)
		}
	}
	rel := func(u string) string { return strings.TrimPrefix(u, base) }
	pages := []string{
		"/", "/search?q=" + "报销", "/packs", "/packs/expense-claims-in-5-steps", "/departments",
		"/files", rel(file), "/stories", rel(story), "/stories/new", "/polls", rel(poll), "/polls/new",
		rel(box), "/announcements", rel(ann), "/announcements/new", "/notifications", "/me", "/more",
		"/suggest", "/suggest/boxes", "/moderation", "/review",
		"/admin/departments", "/admin/audit", "/admin/health", "/admin/roles",
	}
	idLike := regexp.MustCompile(`[0-9a-f]{8,}|[0-9A-Z]{10,}`)
	failed := 0
	for _, scheme := range []string{"light", "dark"} {
		for _, p := range pages {
			var found []axeViolation
			pctx, cancel := context.WithTimeout(ctx, 40*time.Second)
			err := chromedp.Do(pctx,
				colorScheme(scheme),
				chromedp.Navigate(base+p),
				chromedp.WaitReady(chromedp.CSS("body")),
				runAxe(&found),
			)
			cancel()
			if err != nil {
				t.Fatalf("%s %s: %v", scheme, p, err)
			}
			for _, v := range found {
				failed++
				t.Errorf("%s %s: [%s] %s: %s\n    %s", scheme, idLike.ReplaceAllString(p, "…"), v.Impact, v.ID, v.Help, strings.Join(v.Nodes, "\n    "))
			}
		}
	}
	if failed == 0 {
		t.Logf("axe-core %s: %d pages × 2 colour schemes, no serious or critical violation", axe.Version, len(pages))
	}
}
