package portal

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/jinnang/jinnang/portal/internal/browsertest"
)

// TestBrowserSuggestReceiptReply: 张伟 (admin) opens a suggestion box; a
// visitor who never signs in (a second browser) submits through its link and
// gets a receipt code; 张伟 replies from the inbox; the visitor enters the
// code on the follow-up page and sees the reply and the new status.
func TestBrowserSuggestReceiptReply(t *testing.T) {
	base := startPortal(t)
	admin := browsertest.New(t, 120*time.Second)
	visitor := browsertest.New(t, 120*time.Second)
	var loginURL, boxLink, code, cookies string
	err := chromedp.Do(admin,
		browserSignIn(base, "zhangwei", &loginURL),
		chromedp.Navigate(base+"/suggest/boxes"),
		chromedp.WaitVisible(chromedp.CSS("input#title")),
		chromedp.SendKeys(chromedp.CSS("input#title"), "食堂意见箱"),
		chromedp.SendKeys(chromedp.CSS("input#categories"), "饭菜，环境"),
		chromedp.Submit(chromedp.CSS("input#title")),
		chromedp.WaitVisible(chromedp.CSS("a.box-link")),
		into(&boxLink, chromedp.Text(chromedp.CSS("a.box-link"))),
	)
	if err != nil {
		t.Fatalf("admin opens a box: %v", err)
	}
	if !strings.HasPrefix(boxLink, base+"/s/") {
		t.Fatalf("box link %q", boxLink)
	}
	err = chromedp.Do(visitor,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(3), chromedp.EmulateMobile),
		chromedp.Navigate(boxLink),
		chromedp.WaitVisible(chromedp.CSS("textarea#body")),
		chromedp.SendKeys(chromedp.CSS("textarea#body"), "希望午饭多一个素菜"),
		chromedp.Click(chromedp.CSS("#suggest-submit")),
		chromedp.WaitVisible(chromedp.CSS("#receipt-code")),
		into(&code, chromedp.Text(chromedp.CSS("#receipt-code"))),
		into(&cookies, chromedp.Evaluate[string]("document.cookie")),
	)
	if err != nil {
		t.Fatalf("visitor submits: %v", err)
	}
	if len(code) != 24 || strings.Count(code, "-") != 4 {
		t.Fatalf("receipt code %q", code)
	}
	if cookies != "" {
		t.Errorf("the anonymous visitor got cookies: %q", cookies)
	}
	err = chromedp.Do(admin,
		chromedp.Navigate(base+"/suggest"),
		chromedp.WaitVisible(chromedp.CSS(`ul.inbox a.result`)),
		chromedp.Click(chromedp.CSS(`ul.inbox a.result`)),
		chromedp.WaitVisible(chromedp.CSS("textarea#reply")),
		chromedp.SendKeys(chromedp.CSS("textarea#reply"), "下周起每天增加一个素菜"),
		chromedp.Click(chromedp.CSS("#reply-submit")),
		chromedp.WaitVisible(chromedp.CSS("ol.messages li.from-team")),
	)
	if err != nil {
		t.Fatalf("admin replies: %v", err)
	}
	var status, thread, followURL string
	err = chromedp.Do(visitor,
		chromedp.Navigate(base+"/s/receipt?lang=zh"), // the language travels in the URL, not a cookie
		chromedp.WaitVisible(chromedp.CSS("input#code")),
		chromedp.SendKeys(chromedp.CSS("input#code"), strings.ToLower(code)),
		chromedp.Click(chromedp.CSS("#follow-submit")),
		chromedp.WaitVisible(chromedp.CSS("#suggest-status")),
		into(&status, chromedp.Text(chromedp.CSS("#suggest-status"))),
		into(&thread, chromedp.Text(chromedp.CSS("#thread"))),
		into(&followURL, chromedp.Location()),
	)
	if err != nil {
		t.Fatalf("visitor follows up: %v", err)
	}
	if status != "已回复" || !strings.Contains(thread, "下周起每天增加一个素菜") || !strings.Contains(thread, "处理团队") {
		t.Errorf("follow-up: status %q, thread %q", status, thread)
	}
	if strings.Contains(thread, "张伟") {
		t.Error("the follow-up names the handler")
	}
	if strings.Contains(strings.ToUpper(followURL), strings.ReplaceAll(code, "-", "")) || strings.Contains(strings.ToUpper(followURL), code) {
		t.Errorf("the receipt code is in the URL %s", followURL)
	}
}
