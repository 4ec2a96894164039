package web

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/jinnang/jinnang/portal/suggest"
)

// TestReceiptCodeNoWrapCopyAndKeptInput: the receipt page shows the code
// on one line with a copy button that only JavaScript reveals, and a wrong
// code on the lookup form comes back in the input next to the error.
func TestReceiptCodeNoWrapCopyAndKeptInput(t *testing.T) {
	ts := newTestServer(t, nil)
	sg := ts.opts.Suggest.(*suggest.Service)
	b, err := sg.CreateBox(context.Background(), "行政意见箱", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	rec := anonSend(ts, "", http.MethodPost, "/s/"+b.ID, url.Values{"token": {sg.FormToken(b.ID)}, "body": {"会议室太冷"}})
	body := rec.Body.String()
	code := codeRE.FindStringSubmatch(body)
	if rec.Code != 200 || code == nil {
		t.Fatalf("submit: %d\n%s", rec.Code, body)
	}
	if !strings.Contains(body, `<code class="code-nowrap" id="receipt-code">`+code[1]+`</code>`) {
		t.Errorf("the receipt code is not in a nowrap code element:\n%s", body)
	}
	if !regexp.MustCompile(`<button type="button" class="copy" data-copy="#receipt-code" data-copied="已复制" hidden>复制回执码</button>`).MatchString(body) {
		t.Errorf("no hidden copy button for the code:\n%s", body)
	}
	if !regexp.MustCompile(`<script src="/assets/copy\.[0-9a-f]+\.js" defer></script>`).MatchString(body) {
		t.Errorf("the copy script is not loaded from the assets:\n%s", body)
	}

	// The stylesheet keeps the code on one line and hidden buttons hidden.
	cssURL := regexp.MustCompile(`href="(/assets/app\.[0-9a-f]+\.css)"`).FindStringSubmatch(body)
	if cssURL == nil {
		t.Fatal("no stylesheet link")
	}
	rec = do(ts, http.MethodGet, cssURL[1], nil)
	css := rec.Body.String()
	if !regexp.MustCompile(`code\.code-nowrap[^{]*\{[^}]*white-space: nowrap;[^}]*word-break: keep-all;`).MatchString(css) ||
		!regexp.MustCompile(`code\.code-nowrap[^{]*\{[^}]*monospace`).MatchString(css) {
		t.Error("app.css does not keep the receipt code on one monospace line")
	}
	if !strings.Contains(css, "[hidden] { display: none !important; }") {
		t.Error("app.css lets button display override the hidden attribute")
	}

	// A wrong code: the error and the typed code, escaped, in the input.
	typed := `ABCD-EFGH-<b>"x"-WXYZ`
	rec = anonSend(ts, "", http.MethodPost, "/s/receipt", url.Values{"token": {sg.FormToken(receiptPurpose)}, "code": {"  " + typed + " "}})
	body = rec.Body.String()
	if rec.Code != http.StatusNotFound || !strings.Contains(body, "没有找到与这个回执码对应的意见") {
		t.Fatalf("wrong code: %d\n%s", rec.Code, body)
	}
	if !strings.Contains(body, `value="`+html.EscapeString(typed)+`"`) {
		t.Errorf("the typed code is not kept (escaped) in the input:\n%s", body)
	}
	if strings.Contains(body, typed) {
		t.Error("the typed code is echoed unescaped")
	}
	if !strings.Contains(body, `aria-describedby="code-error"`) || !strings.Contains(body, `id="code-error"`) {
		t.Errorf("the error is not tied to the input:\n%s", body)
	}
	// The empty form has an empty input.
	rec = anonSend(ts, "", http.MethodGet, "/s/receipt", nil)
	if !strings.Contains(rec.Body.String(), `class="receipt-input" value=""`) || strings.Contains(rec.Body.String(), "code-error") {
		t.Errorf("the empty form:\n%s", rec.Body.String())
	}
}
