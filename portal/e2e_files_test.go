package portal

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/jinnang/jinnang/portal/internal/browsertest"
)

// downloaded is what the page's fetch of a download link saw.
type downloaded struct {
	Status      int    `json:"status"`
	Type        string `json:"type"`
	Disposition string `json:"disposition"`
	Base64      string `json:"b64"`
}

// fetchDownload fetches href from inside the page (with the page's cookies)
// and returns the status, headers and body.
const fetchDownload = `fetch(document.querySelector("a.button.download").href, {credentials: "same-origin"})
  .then(r => r.arrayBuffer().then(b => {
    let s = "";
    for (const x of new Uint8Array(b)) s += String.fromCharCode(x);
    return {status: r.status, type: r.headers.get("Content-Type") || "", disposition: r.headers.get("Content-Disposition") || "", b64: btoa(s)};
  }))`

// TestBrowserFileUploadSearchDownload: 王敏 (editor of 财务部) uploads a
// workbook whose only copy of a keyword is inside a cell, finds it by that
// keyword in the library as she types (HTMX, no page load), opens it and
// downloads it; the bytes are the ones she uploaded.
func TestBrowserFileUploadSearchDownload(t *testing.T) {
	want, err := os.ReadFile("web/testdata/expenses.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	const name, keyword = "2026年报销单.xlsx", "琥珀狐狸"
	local := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(local, want, 0o600); err != nil {
		t.Fatal(err)
	}
	base := startPortal(t)
	ctx := browsertest.New(t, 120*time.Second)
	var loginURL, filePage, title, resultsHTML string
	var marker bool
	var got downloaded
	err = chromedp.Do(ctx,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(3), chromedp.EmulateMobile),
		browserSignIn(base, "wangmin", &loginURL),
		chromedp.Navigate(base+"/files/new?"+url.Values{"dept": {"财务部"}}.Encode()),
		chromedp.WaitVisible(chromedp.CSS(`form.upload input#file`)),
		chromedp.SetUploadFiles(chromedp.CSS(`form.upload input#file`), []string{local}),
		chromedp.Click(chromedp.CSS(`form.upload button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("article.file-page h1")),
		into(&filePage, chromedp.Location()),
		into(&title, chromedp.Text(chromedp.CSS("article.file-page h1"))),

		chromedp.Navigate(base+"/files"),
		chromedp.WaitVisible(chromedp.CSS("#fq")),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			// A marker on window survives HTMX swaps but not a page load.
			_, err := chromedp.Evaluate[bool]("window.__jinnangMarker = true")(ctx, tg)
			return err
		}),
		chromedp.SendKeys(chromedp.CSS("#fq"), keyword),
		chromedp.WaitVisible(chromedp.CSS(`#results a.result[href^="/files/"]`)),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) (err error) {
			if resultsHTML, err = chromedp.InnerHTML(chromedp.CSS("#results"))(ctx, tg); err != nil {
				return err
			}
			marker, err = chromedp.Evaluate[bool]("window.__jinnangMarker === true")(ctx, tg)
			return err
		}),
		chromedp.Click(chromedp.CSS(`#results a.result[href^="/files/"]`)),
		chromedp.WaitVisible(chromedp.CSS("a.button.download")),
		into(&got, chromedp.Evaluate[downloaded](fetchDownload, chromedp.EvalAwaitPromise)),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	if !strings.Contains(filePage, "/files/") || title != "2026年报销单" {
		t.Errorf("after upload: page %s, title %q", filePage, title)
	}
	if !marker {
		t.Error("library results arrived by a full page load, not an HTMX swap")
	}
	if !strings.Contains(resultsHTML, "2026年报销单") {
		t.Errorf("searching %q did not find the file:\n%s", keyword, resultsHTML)
	}
	if got.Status != 200 || got.Type != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" ||
		!strings.Contains(got.Disposition, "filename*=UTF-8''2026%E5%B9%B4%E6%8A%A5%E9%94%80%E5%8D%95.xlsx") {
		t.Errorf("download: status %d, type %q, disposition %q", got.Status, got.Type, got.Disposition)
	}
	body, err := base64.StdEncoding.DecodeString(got.Base64)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(body, want) {
		t.Errorf("downloaded %d bytes that differ from the %d uploaded", len(body), len(want))
	}
}
