package web

import (
	"bytes"
	"html"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/jinnang/jinnang/portal/packs"
)

const wqyFont = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"

// needCJKFont skips (visibly) where fonts-wqy-microhei is not installed.
func needCJKFont(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(wqyFont); err != nil {
		t.Skipf("no CJK font at %s (apt-get install fonts-wqy-microhei): %v", wqyFont, err)
	}
}

var ogImageRE = regexp.MustCompile(`<meta property="og:image" content="([^"]+)">`)

// ogImage is the og:image of the pack page, as the signed-in employee sees it.
func ogImage(t *testing.T, ts *testServer, slug string) string {
	t.Helper()
	m := ogImageRE.FindStringSubmatch(do(ts, http.MethodGet, "/packs/"+slug, nil).Body.String())
	if m == nil {
		t.Fatalf("pack %s has no og:image", slug)
	}
	return html.UnescapeString(m[1])
}

// anon fetches target without any cookie, like a chat crawler.
func anon(ts *testServer, target string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	ts.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	return rec
}

func decodeCard(t *testing.T, rec *httptest.ResponseRecorder) image.Image {
	t.Helper()
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "image/png" {
		t.Fatalf("card: %d %q %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
	}
	img, err := png.Decode(bytes.NewReader(rec.Body.Bytes()))
	if err != nil {
		t.Fatalf("card is no PNG: %v", err)
	}
	return img
}

// whitePixels counts the near-white pixels in r: the title is drawn white,
// the slug of the fallback card gold, the ground jade.
func whitePixels(img image.Image, r image.Rectangle) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			if c.R > 0xe0 && c.G > 0xe0 && c.B > 0xe0 {
				n++
			}
		}
	}
	return n
}

// TestPackCardChineseTitle: with the CJK font the Chinese title 差旅报销流程
// is drawn (white glyph pixels in the title area); without it the same
// pack gets the brand card with its slug (no white pixels there).
func TestPackCardChineseTitle(t *testing.T) {
	needCJKFont(t)
	title := image.Rect(80, 180, 1120, 520)
	withFont := newTestServer(t, func(o *Options) { o.CardFont = wqyFont })
	zh := decodeCard(t, anon(withFont, ogImage(t, withFont, "expense-claims")))
	noFont := newTestServer(t, func(o *Options) { o.CardFont = "/nonexistent/font.ttc" })
	fallback := decodeCard(t, anon(noFont, ogImage(t, noFont, "expense-claims")))
	if sameRegion(zh, fallback, title) {
		t.Fatal("the Chinese title drew the same card as the fallback")
	}
	if n := whitePixels(fallback, title); n != 0 {
		t.Errorf("fallback card has %d white pixels in the title area", n)
	}
	if n := whitePixels(zh, title); n < 2000 {
		t.Errorf("Chinese title drew only %d white pixels", n)
	}
	// The default (no path configured) finds the installed font too.
	def := newTestServer(t, nil)
	if got := decodeCard(t, anon(def, ogImage(t, def, "expense-claims"))); !sameRegion(got, zh, title) {
		t.Error("without JINNANG_CARD_FONT the system font was not found")
	}
}

func TestWrapTitleChinese(t *testing.T) {
	needCJKFont(t)
	f := (&cardCJK{path: wqyFont}).titleFace()
	if f == nil {
		t.Fatal("wqy-microhei does not load")
	}
	long := strings.Repeat("新员工入职第一周要做的事情，", 6)
	lines := wrapTitle(f, long, 1040<<6, 4)
	if len(lines) != 4 || !strings.HasSuffix(lines[3], "…") {
		t.Fatalf("lines = %q", lines)
	}
	if slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, "，") }) {
		t.Errorf("a line starts with a comma: %q", lines)
	}
	if got := wrapTitle(f, "Jinnang 入职 guide", 1040<<6, 4); len(got) != 1 || got[0] != "Jinnang 入职 guide" {
		t.Errorf("mixed title = %q", got)
	}
}

// TestPublicCardSigned: the og:image works without a session; a tampered
// signature, version or slug is 403, and a pack that is gone 404.
func TestPublicCardSigned(t *testing.T) {
	ts := newTestServer(t, nil)
	u := ogImage(t, ts, "expense-claims")
	rec := anon(ts, u)
	decodeCard(t, rec)
	if cc := rec.Header().Get("Cache-Control"); !strings.HasPrefix(cc, "public") {
		t.Errorf("Cache-Control %q", cc)
	}
	if rec := anon(ts, "/packs/expense-claims/card.png"); rec.Code == http.StatusOK {
		t.Errorf("the unsigned card route answers without a session")
	}
	parsed, _ := url.Parse(u)
	q := parsed.Query()
	tamper := func(name, path string, change func(url.Values)) {
		t.Helper()
		v := url.Values{}
		for k, x := range q {
			v[k] = slices.Clone(x)
		}
		change(v)
		if rec := anon(ts, path+"?"+v.Encode()); rec.Code != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", name, rec.Code)
		}
	}
	sig := q.Get("sig")
	flip := "0"
	if sig[0] == '0' {
		flip = "1"
	}
	tamper("tampered sig", parsed.Path, func(v url.Values) { v.Set("sig", flip+sig[1:]) })
	tamper("no sig", parsed.Path, func(v url.Values) { v.Del("sig") })
	tamper("other version", parsed.Path, func(v url.Values) { v.Set("v", "000000000000") })
	other := ogImage(t, ts, "invoice-tips")
	if !strings.Contains(other, "/share/packs/invoice-tips/") {
		t.Fatalf("og:image of the other pack: %s", other)
	}
	tamper("other slug", "/share/packs/invoice-tips/card.png", func(url.Values) {})
	ts.packs.packs = slices.DeleteFunc(ts.packs.packs, func(p *packs.Pack) bool { return p.Slug == "expense-claims" })
	if rec := anon(ts, u); rec.Code != http.StatusNotFound {
		t.Errorf("card of a removed pack: %d, want 404", rec.Code)
	}
}
