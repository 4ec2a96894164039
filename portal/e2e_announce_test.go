package portal

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/jinnang/jinnang/portal/internal/browsertest"
)

// TestBrowserDepartmentAnnouncement: 王敏 (editor of 财务部) opens her
// department's space, follows "post an announcement", fills the plain form
// and submits; she lands back on 财务部's space, which shows the
// announcement with its Markdown rendered, and so does the home page.
func TestBrowserDepartmentAnnouncement(t *testing.T) {
	base := startPortal(t)
	ctx := browsertest.New(t, 120*time.Second)
	deptPage := base + "/departments/" + url.PathEscape("财务部")
	const title = "六月报销截止提醒"
	var loginURL, landed, heading, bodyHTML, homeText string
	var checked bool
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(3), chromedp.EmulateMobile),
		browserSignIn(base, "wangmin", &loginURL),
		chromedp.Navigate(deptPage),
		chromedp.WaitVisible(chromedp.CSS(`.dept-announcements a.button[href^="/announcements/new"]`)),
		chromedp.Click(chromedp.CSS(`.dept-announcements a.button[href^="/announcements/new"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form.announce-form input#title`)),
		into(&checked, chromedp.Evaluate[bool](`document.querySelector('input[name="target"][value="财务部"]').checked`)),
		chromedp.SendKeys(chromedp.CSS(`form.announce-form input#title`), title),
		chromedp.SendKeys(chromedp.CSS(`form.announce-form textarea#body`), "请在 **6 月 25 日**前提交报销单。"),
		chromedp.Click(chromedp.CSS(`form.announce-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.dept-announcements li.announcement h3`)),
		into(&landed, chromedp.Location()),
		into(&heading, chromedp.Text(chromedp.CSS(`.dept-announcements li.announcement h3`))),
		into(&bodyHTML, chromedp.InnerHTML(chromedp.CSS(`.dept-announcements li.announcement .body`))),
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS(`.home-announcements`)),
		into(&homeText, chromedp.Text(chromedp.CSS(`.home-announcements`))),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	if !checked {
		t.Error("the form did not preselect 财务部")
	}
	if !strings.HasPrefix(landed, deptPage) {
		t.Errorf("after posting: %s, want the department space", landed)
	}
	if strings.TrimSpace(heading) != title {
		t.Errorf("announcement heading %q, want %q", heading, title)
	}
	if !strings.Contains(bodyHTML, "<strong>6 月 25 日</strong>") {
		t.Errorf("announcement body not rendered: %s", bodyHTML)
	}
	if !strings.Contains(homeText, title) {
		t.Errorf("home announcements: %q", homeText)
	}
}
