package web

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"net/http"
	"strings"
	"testing"
)

// uploadAs uploads name with body to 财务部 as the editor behind tok and returns its ID.
func uploadAs(t *testing.T, ts *testServer, tok, name, title string, body []byte) string {
	t.Helper()
	rec := ts.sendMultipart(tok, "/files", nil, []field{{csrfField, ts.csrf(tok)}, {"dept", "财务部"}, {"title", title}}, &upload{"file", name, bytes.NewReader(body)})
	m := fileLocation.FindStringSubmatch(rec.Header().Get("Location"))
	if rec.Code != http.StatusSeeOther || m == nil {
		t.Fatalf("upload %s: %d\n%s", name, rec.Code, rec.Body.String())
	}
	return m[1]
}

func TestFileLibraryCardsIconsSizeDownloadThumb(t *testing.T) {
	ts := newTestServer(t, nil)
	tok := ts.signIn(financeEd)
	big := image.NewRGBA(image.Rect(0, 0, 400, 300))
	for x := range 400 {
		big.Set(x, x%300, color.RGBA{G: 180, A: 255})
	}
	var pngBuf bytes.Buffer
	if err := png.Encode(&pngBuf, big); err != nil {
		t.Fatal(err)
	}
	pngID := uploadAs(t, ts, tok, "流程图.png", "报销流程图", pngBuf.Bytes())
	pdfID := uploadAs(t, ts, tok, "制度.pdf", "报销制度", []byte("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"))
	xlsxID := uploadXLSX(t, ts, tok, "报销单")

	body := do(ts, http.MethodGet, "/files", nil).Body.String()
	mustContain(t, "library", body,
		`class="ficon ficon-pdf"`, `class="ficon ficon-excel"`, "PDF 文档", "Excel 表格", "图片", "2.1 KB",
		`<img class="fthumb" src="/files/`+pngID+`/thumb"`,
		`href="/files/`+pdfID+`/download">下载`, `href="/files/`+xlsxID+`/download">下载`, `href="/files/`+pngID+`/download">下载`)
	if strings.Contains(body, `ficon-image`) {
		t.Error("an image file shows the generic image icon instead of its thumbnail")
	}
	en := do(ts, http.MethodGet, "/files", map[string]string{"Accept-Language": "en"}).Body.String()
	mustContain(t, "English library", en, "PDF document", "Excel spreadsheet", ">Download<")

	// The thumbnail: a small JPEG, cached by the content hash.
	rec := do(ts, http.MethodGet, "/files/"+pngID+"/thumb", nil)
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "image/jpeg" {
		t.Fatalf("thumb: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(rec.Body.Bytes()))
	if err != nil || cfg.Width > 160 || cfg.Height > 160 {
		t.Errorf("thumb is %dx%d (%v), want at most 160 px", cfg.Width, cfg.Height, err)
	}
	etag := rec.Header().Get("ETag")
	if rec := do(ts, http.MethodGet, "/files/"+pngID+"/thumb", map[string]string{"If-None-Match": etag}); etag == "" || rec.Code != http.StatusNotModified {
		t.Errorf("thumb revalidation: %q %d", etag, rec.Code)
	}
	if rec := do(ts, http.MethodGet, "/files/"+pdfID+"/thumb", nil); rec.Code != http.StatusNotFound {
		t.Errorf("pdf thumb: %d, want 404", rec.Code)
	}

	// The file page: icon, size on the download button, thumbnail for the image.
	page := do(ts, http.MethodGet, "/files/"+pdfID, nil).Body.String()
	mustContain(t, "pdf page", page, `class="ficon ficon-pdf"`, `class="button primary download"`, `class="dl-size"`)
	mustContain(t, "png page", do(ts, http.MethodGet, "/files/"+pngID, nil).Body.String(), `class="fthumb big" src="/files/`+pngID+`/thumb"`, "报销流程图 的缩略图")
}

func TestFilePageQROnlyOnDesktop(t *testing.T) {
	ts := newTestServer(t, nil)
	tok := ts.signIn(financeEd)
	id := uploadXLSX(t, ts, tok, "报销单")
	qr := `src="/qr.svg?path=%2Ffiles%2F` + id + `"`
	cases := []struct {
		name, ua string
		wantQR   bool
	}{
		{"desktop Chrome", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36", true},
		{"Mac Safari", "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15", true},
		{"iPhone Safari", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", false},
		{"Android Chrome", "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36", false},
		{"WeChat", "Mozilla/5.0 (Linux; Android 13) AppleWebKit/537.36 Chrome/116.0 Mobile Safari/537.36 MicroMessenger/8.0.49", false},
		{"WeCom", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 wxwork/4.1.22 MicroMessenger/7.0.1", false},
	}
	for _, c := range cases {
		rec := do(ts, http.MethodGet, "/files/"+id, map[string]string{"User-Agent": c.ua})
		if got := strings.Contains(rec.Body.String(), qr); got != c.wantQR {
			t.Errorf("%s: QR shown %v, want %v", c.name, got, c.wantQR)
		}
		if vary := strings.Join(rec.Header().Values("Vary"), ","); !strings.Contains(vary, "User-Agent") {
			t.Errorf("%s: Vary %q lacks User-Agent", c.name, vary)
		}
		if !strings.Contains(rec.Body.String(), `/files/`+id+`/download`) {
			t.Errorf("%s: no download button", c.name)
		}
	}
}
