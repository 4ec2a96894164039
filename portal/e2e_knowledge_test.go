package portal

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/jinnang/jinnang/portal/internal/browsertest"
)

// pastePNG makes a small PNG in a canvas and pastes it into the editor's
// body, as a phone's "paste picture" does.
const pastePNG = `(async () => {
  const c = document.createElement('canvas'); c.width = 40; c.height = 30;
  const g = c.getContext('2d'); g.fillStyle = '#c00'; g.fillRect(0, 0, 40, 30);
  const blob = await new Promise(r => c.toBlob(r, 'image/png'));
  const dt = new DataTransfer(); dt.items.add(new File([blob], 'image.png', {type: 'image/png'}));
  document.getElementById('body').focus();
  document.getElementById('body').dispatchEvent(new ClipboardEvent('paste', {clipboardData: dt, bubbles: true, cancelable: true}));
  return true;
})()`

// TestBrowserWritePack: 王敏 writes a pack on a phone without YAML: form
// fields, the toolbar, a live server-rendered preview while she types, a
// pasted picture, an autosaved draft, then publish.
func TestBrowserWritePack(t *testing.T) {
	base := startPortal(t)
	ctx := browsertest.New(t, 150*time.Second)
	var loginURL, preview, autosave, bodyText, landed, pageHTML string
	var pasted, imgLoaded bool
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(3), chromedp.EmulateMobile),
		browserSignIn(base, "wangmin", &loginURL),
		chromedp.Navigate(base+"/packs/new?lang=zh"),
		chromedp.WaitVisible(chromedp.CSS(`#pack-editor .toolbar button[data-md="bold"]`)),
		chromedp.SendKeys(chromedp.CSS(`#title`), "月底对账小技巧"),
		chromedp.SendKeys(chromedp.CSS(`#tags`), "对账，月结"),
		chromedp.SendKeys(chromedp.CSS(`#body`), "## 先核对银行流水\n\n"),
		chromedp.Click(chromedp.CSS(`#pack-editor .toolbar button[data-md="bold"]`)),
		waitJS(`document.querySelector('#preview strong') !== null && document.querySelector('#preview h2') !== null`),
		into(&preview, chromedp.InnerHTML(chromedp.CSS(`#preview`))),
		into(&pasted, chromedp.Evaluate[bool](pastePNG, chromedp.EvalAwaitPromise)),
		waitJS(`document.getElementById('body').value.includes('](images/')`),
		waitJS(`(() => { const i = document.querySelector('#preview img'); return i !== null && i.complete && i.naturalWidth > 0; })()`),
		into(&imgLoaded, chromedp.Evaluate[bool](`document.querySelector('#preview img').naturalWidth === 40`)),
		waitJS(`document.getElementById('autosave').textContent.includes('草稿已自动保存')`),
		into(&autosave, chromedp.Text(chromedp.CSS(`#autosave`))),
		into(&bodyText, chromedp.Value(chromedp.CSS(`#body`))),
		chromedp.Click(chromedp.CSS(`#pack-editor button[value="publish"]`)),
		chromedp.WaitVisible(chromedp.CSS(`article.pack .body img`)),
		waitJS(`document.querySelector('article.pack .body img').complete && document.querySelector('article.pack .body img').naturalWidth > 0`),
		into(&landed, chromedp.Location()),
		into(&pageHTML, chromedp.InnerHTML(chromedp.CSS(`article.pack`))),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	if !strings.Contains(preview, `<h2 id="先核对银行流水">先核对银行流水</h2>`) || !strings.Contains(preview, "<strong>") {
		t.Errorf("live preview: %s", preview)
	}
	if !pasted || !imgLoaded {
		t.Errorf("pasted picture not shown in the preview")
	}
	if !strings.Contains(autosave, "草稿已自动保存") {
		t.Errorf("autosave status %q", autosave)
	}
	if !strings.Contains(bodyText, "**") || strings.Contains(bodyText, "title:") {
		t.Errorf("body %q", bodyText)
	}
	if !strings.HasSuffix(landed, "/packs/yue-di-dui-zhang-xiao-ji-qiao") {
		t.Errorf("landed on %s", landed)
	}
	if !strings.Contains(pageHTML, "#对账") || !strings.Contains(pageHTML, "王敏") {
		t.Errorf("pack page: %s", pageHTML)
	}
}

// steps runs actions in the browser and names the group in a failure.
func steps(t *testing.T, ctx context.Context, name string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("browser, %s: %v", name, err)
	}
}

// waitJS waits until the expression is true in the page.
func waitJS(expr string) chromedp.Action[chromedp.Void] {
	return into(new(bool), chromedp.Poll[bool](expr))
}

// formValues reads the hidden inputs and the body of an editor page.
func formValues(t *testing.T, page string) url.Values {
	t.Helper()
	v := url.Values{}
	for _, m := range regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`).FindAllStringSubmatch(page, -1) {
		v.Set(m[1], html.UnescapeString(m[2]))
	}
	if m := regexp.MustCompile(`(?s)<textarea id="body"[^>]*>(.*?)</textarea>`).FindStringSubmatch(page); m != nil {
		v.Set("body", html.UnescapeString(m[1]))
	}
	for _, name := range []string{"title", "tags"} {
		if m := regexp.MustCompile(`id="` + name + `" name="` + name + `" type="text" value="([^"]*)"`).FindStringSubmatch(page); m != nil {
			v.Set(name, html.UnescapeString(m[1]))
		}
	}
	return v
}

func get(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d", u, resp.StatusCode)
	}
	return string(b)
}

// TestBrowserMergeHistoryPathReceipt: two editors change one pack at once
// and 王敏 merges on the conflict page; she compares versions and restores
// the first; she builds a reading path and reads it to the end; she confirms
// an announcement that asks for it, and its author sees the receipt.
func TestBrowserMergeHistoryPathReceipt(t *testing.T) {
	base := startPortal(t)
	ctx := browsertest.New(t, 180*time.Second)
	var loginURL string
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(3), chromedp.EmulateMobile),
		browserSignIn(base, "wangmin", &loginURL),
		chromedp.Navigate(base+"/packs/invoice-issuing/edit?lang=zh"),
		chromedp.WaitVisible(chromedp.CSS(`#body`)),
	); err != nil {
		t.Fatalf("browser: %v", err)
	}
	// 张伟 (admin) publishes a change to the first paragraph meanwhile.
	admin := devClient(t, base, "zhangwei")
	form := formValues(t, get(t, admin, base+"/packs/invoice-issuing/edit"))
	form.Set("department", "财务部")
	form.Set("do", "publish")
	form.Set("body", strings.Replace(form.Get("body"), "每到月底", "每到季度末", 1))
	form.Set("note", "改成季度")
	resp, err := admin.PostForm(base+"/editor", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.Path != "/packs/invoice-issuing" {
		t.Fatalf("their publish ended at %s (%d)", resp.Request.URL, resp.StatusCode)
	}
	var mergeText, merged, packText, diffHTML, restored, pathText, homePaths, receipt string
	steps(t, ctx, "merge",
		into(new(bool), chromedp.Evaluate[bool](`(() => { const b = document.getElementById('body'); b.value += '\n\n开票前先核对合同编号。\n'; b.dispatchEvent(new Event('input', {bubbles: true})); return true; })()`)),
		chromedp.Click(chromedp.CSS(`#pack-editor button[value="publish"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form.merge`)),
		into(&mergeText, chromedp.Text(chromedp.CSS(`main`))),
		chromedp.Click(chromedp.CSS(`form.merge button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#pack-editor`)),
		into(&merged, chromedp.Value(chromedp.CSS(`#body`))),
		chromedp.SendKeys(chromedp.CSS(`#note`), "补充核对合同"),
		chromedp.Click(chromedp.CSS(`#pack-editor button[value="publish"]`)),
		chromedp.WaitVisible(chromedp.CSS(`article.pack .pack-tools`)),
		into(&packText, chromedp.Text(chromedp.CSS(`article.pack`))),
	)
	steps(t, ctx, "history",
		chromedp.Navigate(base+"/packs/invoice-issuing/history"),
		chromedp.WaitVisible(chromedp.CSS(`form.history button`)),
		chromedp.Click(chromedp.CSS(`form.history button`)),
		chromedp.WaitVisible(chromedp.CSS(`pre.diff`)),
		into(&diffHTML, chromedp.InnerHTML(chromedp.CSS(`pre.diff`))),
		chromedp.Navigate(base+"/packs/invoice-issuing/versions/1"),
		chromedp.WaitVisible(chromedp.CSS(`form[action$="/versions/1/restore"] button`)),
		chromedp.Click(chromedp.CSS(`form[action$="/versions/1/restore"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`article.pack .pack-tools`)),
		into(&restored, chromedp.Text(chromedp.CSS(`article.pack`))),
	)
	steps(t, ctx, "path",
		chromedp.Navigate(base+"/paths/new"),
		chromedp.WaitVisible(chromedp.CSS(`form.path-form`)),
		chromedp.SendKeys(chromedp.CSS(`#title`), "财务新人"),
		chromedp.SendKeys(chromedp.CSS(`#departments`), "财务部"),
		chromedp.Click(chromedp.CSS(`input[name="audience"][value="everyone"]`)),
		chromedp.SendKeys(chromedp.CSS(`#steps`), "/packs/invoice-issuing\n/packs/travel-expense-standards"),
		chromedp.Click(chromedp.CSS(`form.path-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`ol.path-steps`)),
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS(`.home-paths a[href*="?path="]`)),
		into(&homePaths, chromedp.Text(chromedp.CSS(`.home-paths`))),
		chromedp.Click(chromedp.CSS(`.home-paths a[href*="?path="]`)),
		chromedp.WaitVisible(chromedp.CSS(`.path-next button`)),
		chromedp.Click(chromedp.CSS(`.path-next button`)),
		chromedp.WaitReady(chromedp.CSS(`.path-next input[value="pack:travel-expense-standards"]`)),
		chromedp.Click(chromedp.CSS(`.path-next button`)),
		chromedp.WaitVisible(chromedp.CSS(`ol.path-steps`)),
		into(&pathText, chromedp.Text(chromedp.CSS(`main`))),
	)
	if !strings.Contains(mergeText, "第 2 版") || !strings.Contains(mergeText, "只有对方改了这里") {
		t.Errorf("merge page: %s", mergeText)
	}
	if !strings.Contains(merged, "每到季度末") || !strings.Contains(merged, "开票前先核对合同编号。") {
		t.Errorf("merged body lacks one side: %s", merged)
	}
	if !strings.Contains(packText, "每到季度末") || !strings.Contains(packText, "开票前先核对合同编号") || !strings.Contains(packText, "历史版本（3）") {
		t.Errorf("published merge: %s", packText)
	}
	if !regexp.MustCompile(`<ins>[^<]*开票前先核对合同编号。`).MatchString(diffHTML) {
		t.Errorf("diff: %s", diffHTML)
	}
	if !strings.Contains(restored, "每到月底") || strings.Contains(restored, "开票前先核对合同编号") || !strings.Contains(restored, "历史版本（4）") {
		t.Errorf("restored: %s", restored)
	}
	if !strings.Contains(homePaths, "财务新人") || !strings.Contains(homePaths, "已读 0 / 2") {
		t.Errorf("home paths: %s", homePaths)
	}
	if !strings.Contains(pathText, "全部读完了") || !strings.Contains(pathText, "已读 2 / 2") {
		t.Errorf("path page: %s", pathText)
	}

	// 张伟 asks everyone to confirm an announcement; 王敏 taps 收到.
	page := get(t, admin, base+"/announcements/new")
	csrf := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindStringSubmatch(page)[1]
	resp, err = admin.PostForm(base+"/announcements/new", url.Values{"_csrf": {csrf}, "title": {"七月起用新报销系统"}, "everyone": {"1"},
		"body": {"请确认。"}, "confirm": {"1"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	err = chromedp.Do(ctx,
		chromedp.Navigate(base+"/announcements"),
		chromedp.WaitVisible(chromedp.CSS(`ul.announcements a[href^="/announcements/"]`)),
		chromedp.Click(chromedp.CSS(`ul.announcements a[href^="/announcements/"]`)),
		chromedp.WaitVisible(chromedp.CSS(`section.receipt button[type="submit"]`)),
		chromedp.Click(chromedp.CSS(`section.receipt button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`section.receipt .notice.ok`)),
		into(&receipt, chromedp.Text(chromedp.CSS(`section.receipt`))),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	if !strings.Contains(receipt, "已收到你的确认") {
		t.Errorf("receipt: %s", receipt)
	}
	id := regexp.MustCompile(`/announcements/([0-9]{20}-[0-9a-f]{8})`).FindStringSubmatch(get(t, admin, base+"/announcements"))[1]
	report := get(t, admin, base+"/announcements/"+id+"/receipts")
	if !strings.Contains(report, "已确认 1 /") || !strings.Contains(report, "<td>财务部</td>") {
		t.Errorf("author's report:\n%s", report)
	}
}
