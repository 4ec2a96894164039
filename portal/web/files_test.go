package web

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jinnang/jinnang/portal/files"
	"github.com/jinnang/jinnang/portal/qr"
)

const (
	xlsxType    = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	xlsxName    = "2026年报销单.xlsx"
	xlsxKeyword = "琥珀狐狸" // inside the workbook's shared strings only
	// xlsxNameStar is xlsxName percent-encoded as RFC 5987 wants it.
	xlsxNameStar = "filename*=UTF-8''2026%E5%B9%B4%E6%8A%A5%E9%94%80%E5%8D%95.xlsx"
)

// field is one text field of a multipart form, in order.
type field struct{ name, value string }

// upload is the file part of a multipart form.
type upload struct {
	field, name string
	body        io.Reader
}

// multipartBody streams fields, then the file (when not nil), through a
// pipe: the request has no Content-Length and nothing is held in memory.
func multipartBody(fields []field, file *upload) (io.Reader, string) {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		for _, f := range fields {
			if err := mw.WriteField(f.name, f.value); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		if file != nil {
			w, err := mw.CreateFormFile(file.field, file.name)
			if err != nil {
				pw.CloseWithError(err)
				return
			}
			if _, err := io.Copy(w, file.body); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		pw.CloseWithError(mw.Close())
	}()
	return pr, mw.FormDataContentType()
}

// sendMultipart posts a streamed multipart form as the session tok.
func (ts *testServer) sendMultipart(tok, target string, headers map[string]string, fields []field, file *upload) *httptest.ResponseRecorder {
	body, ctype := multipartBody(fields, file)
	req := httptest.NewRequest(http.MethodPost, target, body)
	req.Header.Set("Content-Type", ctype)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	if tok != "" {
		req.AddCookie(&http.Cookie{Name: sessionCookiePlain, Value: tok})
	}
	rec := httptest.NewRecorder()
	ts.ServeHTTP(rec, req)
	return rec
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// pngBytes is a small real PNG image.
func pngBytes(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	img.Set(1, 1, color.RGBA{R: 200, A: 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

var fileLocation = regexp.MustCompile(`^/files/([a-z2-7]{16})$`)

// uploadXLSX uploads the test workbook as 王敏 (editor of 财务部) and returns its ID.
func uploadXLSX(t *testing.T, ts *testServer, tok string, title string) string {
	t.Helper()
	rec := ts.sendMultipart(tok, "/files", nil, []field{
		{csrfField, ts.csrf(tok)}, {"dept", "财务部"}, {"title", title}, {"description", "每月报销用的表格"}, {"tags", "报销，表格"},
	}, &upload{"file", xlsxName, bytes.NewReader(readTestdata(t, "expenses.xlsx"))})
	m := fileLocation.FindStringSubmatch(rec.Header().Get("Location"))
	if rec.Code != http.StatusSeeOther || m == nil {
		t.Fatalf("upload: %d %q\n%s", rec.Code, rec.Header().Get("Location"), rec.Body.String())
	}
	return m[1]
}

func mustContain(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, body)
		}
	}
}

func mustNotContain(t *testing.T, what, body string, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(body, w) {
			t.Errorf("%s contains %q", what, w)
		}
	}
}

func TestFileUploadPageAndDownload(t *testing.T) {
	ts := newTestServer(t, nil)
	tok := ts.signIn(financeEd)
	want := readTestdata(t, "expenses.xlsx")

	form := ts.send(tok, http.MethodGet, "/files/new?dept=%E8%B4%A2%E5%8A%A1%E9%83%A8", nil, nil).Body.String()
	mustContain(t, "upload form", form, `enctype="multipart/form-data"`, `<option value="财务部" selected>`, `accept=".pdf,`, "最大 50 MB")
	if i, j := strings.Index(form, `name="_csrf"`), strings.Index(form, `type="file"`); i < 0 || j < 0 || i > j {
		t.Errorf("the CSRF field must come before the file input")
	}

	id := uploadXLSX(t, ts, tok, "") // an empty title becomes the file name
	page := ts.send(tok, http.MethodGet, "/files/"+id, nil, nil).Body.String()
	mustContain(t, "file page", page, "<h1>2026年报销单</h1>", "每月报销用的表格", xlsxName, "Excel 表格", "2.1 KB",
		`href="/files/`+id+`/download"`, `href="/files?tag=%E6%8A%A5%E9%94%80"`, "#表格",
		`src="/qr.svg?path=%2Ffiles%2F`+id+`"`, "下载次数：0", `action="/files/`+id+`/versions"`, `action="/files/`+id+`/delete"`)
	mustNotContain(t, "file page", page, "/preview") // spreadsheets are not previewed
	emp := do(ts, http.MethodGet, "/files/"+id, nil).Body.String()
	mustContain(t, "employee's file page", emp, "<h1>2026年报销单</h1>")
	mustNotContain(t, "employee's file page", emp, "下载次数", "/versions", "/delete", "/edit")

	rec := do(ts, http.MethodGet, "/files/"+id+"/download", nil)
	if rec.Code != 200 || !bytes.Equal(rec.Body.Bytes(), want) {
		t.Fatalf("download: %d, %d bytes (want %d)", rec.Code, rec.Body.Len(), len(want))
	}
	h := rec.Header()
	for k, v := range map[string]string{
		"Content-Type":           xlsxType,
		"X-Content-Type-Options": "nosniff",
		"Cache-Control":          "private",
		"Accept-Ranges":          "bytes",
	} {
		if got := h.Get(k); !strings.Contains(got, v) {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	cd := h.Get("Content-Disposition")
	if !strings.HasPrefix(cd, `attachment; filename="`) || !strings.Contains(cd, xlsxNameStar) {
		t.Errorf("Content-Disposition = %q", cd)
	}
	for _, r := range cd {
		if r > 0x7e {
			t.Errorf("Content-Disposition is not ASCII: %q", cd)
			break
		}
	}
	if h.Get("Content-Encoding") != "" {
		t.Errorf("download was encoded: %q", h.Get("Content-Encoding"))
	}
	etag := h.Get("ETag")
	if !regexp.MustCompile(`^"[0-9a-f]{64}"$`).MatchString(etag) {
		t.Fatalf("ETag = %q, want the quoted SHA-256", etag)
	}

	// Range, If-Range, If-None-Match.
	rec = do(ts, http.MethodGet, "/files/"+id+"/download", map[string]string{"Range": "bytes=10-19"})
	if rec.Code != http.StatusPartialContent || !bytes.Equal(rec.Body.Bytes(), want[10:20]) ||
		rec.Header().Get("Content-Range") != fmt.Sprintf("bytes 10-19/%d", len(want)) {
		t.Errorf("range: %d %q %q", rec.Code, rec.Header().Get("Content-Range"), rec.Body.Bytes())
	}
	rec = do(ts, http.MethodGet, "/files/"+id+"/download", map[string]string{"Range": "bytes=10-19", "If-Range": etag})
	if rec.Code != http.StatusPartialContent {
		t.Errorf("If-Range with the current ETag: %d, want 206", rec.Code)
	}
	rec = do(ts, http.MethodGet, "/files/"+id+"/download", map[string]string{"Range": "bytes=10-19", "If-Range": `"stale"`})
	if rec.Code != 200 || !bytes.Equal(rec.Body.Bytes(), want) {
		t.Errorf("If-Range with a stale ETag: %d, want the whole file", rec.Code)
	}
	rec = do(ts, http.MethodGet, "/files/"+id+"/download", map[string]string{"If-None-Match": etag})
	if rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
		t.Errorf("If-None-Match: %d, %d bytes", rec.Code, rec.Body.Len())
	}
	if rec := do(ts, http.MethodHead, "/files/"+id+"/download", nil); rec.Code != 200 || rec.Body.Len() != 0 {
		t.Errorf("HEAD: %d, %d bytes", rec.Code, rec.Body.Len())
	}
	// Counted: the first download and the stale If-Range one (whole files), not
	// the ranges from the middle, the 304 or the HEAD.
	if n, err := ts.files.Downloads(context.Background(), id); err != nil || n != 2 {
		t.Errorf("downloads = %d, %v; want 2", n, err)
	}
	if page := ts.send(tok, http.MethodGet, "/files/"+id, nil, nil).Body.String(); !strings.Contains(page, "下载次数：2") {
		t.Errorf("editor does not see the count")
	}
	for u, code := range map[string]int{
		"/files/" + id + "/download?v=2":   404,
		"/files/" + id + "/download?v=abc": 400,
		"/files/aaaaaaaaaaaaaaaa/download": 404,
		"/files/..%2Fsecrets/download":     404,
		"/files/aaaaaaaaaaaaaaaa":          404,
	} {
		if rec := do(ts, http.MethodGet, u, nil); rec.Code != code {
			t.Errorf("GET %s = %d, want %d", u, rec.Code, code)
		}
	}
	if acts := auditActions(t, ts); len(acts) != 1 || acts[0] != "file.create dev:wangmin file:"+id {
		t.Errorf("audit: %q", acts)
	}
	if me := ts.send(tok, http.MethodGet, "/me", nil, nil).Body.String(); !strings.Contains(me, `href="/files/`+id+`">2026年报销单</a>`) {
		t.Errorf("my posts lack the file")
	}
}

func TestFileSearchAndShortcut(t *testing.T) {
	ts := newTestServer(t, nil)
	tok := ts.signIn(financeEd)
	id := uploadXLSX(t, ts, tok, "报销单")

	// The library finds a word that is only inside the workbook; HTMX gets the results only.
	rec := do(ts, http.MethodGet, "/files?q="+url.QueryEscape(xlsxKeyword), hx)
	mustContain(t, "library fragment", rec.Body.String(), `href="/files/`+id+`"`, "报销单", "共 1 个文件")
	mustNotContain(t, "library fragment", rec.Body.String(), "<html", `id="fq"`)
	page := do(ts, http.MethodGet, "/files", nil).Body.String()
	mustContain(t, "library", page, `id="fq"`, `hx-get="/files"`, `hx-target="#results"`, "报销单", "按部门", `<a href="/search" aria-current="page">`)
	mustNotContain(t, "employee's library", page, "/files/new")
	if body := ts.send(tok, http.MethodGet, "/files?dept=%E8%B4%A2%E5%8A%A1%E9%83%A8", nil, nil).Body.String(); !strings.Contains(body, `href="/files/new?dept=%E8%B4%A2%E5%8A%A1%E9%83%A8"`) {
		t.Errorf("editor's library lacks the upload link")
	}
	if body := do(ts, http.MethodGet, "/files?q=%E7%81%AB%E6%98%9F", nil).Body.String(); !strings.Contains(body, "没有符合条件的文件") {
		t.Errorf("no-match library lacks the empty state")
	}

	// /search finds files among everything else, with their type.
	body := do(ts, http.MethodGet, "/search?q="+url.QueryEscape(xlsxKeyword), nil).Body.String()
	mustContain(t, "search", body, `<span class="badge">资料</span> 报销单`, `href="/files/`+id+`"`)
	mustNotContain(t, "search", body, "没有找到")

	// An exact title: the 直达 card on top of the results, while typing and
	// on Enter alike. Enter never jumps away from the results.
	for name, headers := range map[string]map[string]string{
		"typed":        {"HX-Request": "true", "HX-Trigger": "q"},
		"Enter (HTMX)": {"HX-Request": "true", "HX-Trigger": searchFormID},
		"Enter":        nil,
	} {
		rec := do(ts, http.MethodGet, "/search?q=%E6%8A%A5%E9%94%80%E5%8D%95", headers)
		if rec.Code != http.StatusOK || rec.Header().Get("HX-Redirect") != "" || rec.Header().Get("Location") != "" {
			t.Errorf("%s: %d HX-Redirect %q Location %q, want the results page", name, rec.Code, rec.Header().Get("HX-Redirect"), rec.Header().Get("Location"))
		}
		mustContain(t, name, rec.Body.String(), "直达", `class="go-link" href="/files/`+id+`"`, "共 ")
	}
	// The old shortcut parameter is ignored: still the results page.
	if rec := do(ts, http.MethodGet, "/search?q=%E6%8A%A5%E9%94%80%E5%8D%95&go=1", nil); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "直达") {
		t.Errorf("go=1: %d, want the results with the 直达 card", rec.Code)
	}
	// A tag shared by many results is a 直达 card too, above the packs that answer it.
	body = do(ts, http.MethodGet, "/search?q=%E6%8A%A5%E9%94%80", nil).Body.String()
	mustContain(t, "tag shortcut", body, "直达", "差旅报销流程", "发票常见问题")
}

func TestFileVersionsEditDelete(t *testing.T) {
	ts := newTestServer(t, nil)
	tok := ts.signIn(financeEd)
	csrf := ts.csrf(tok)
	id := uploadXLSX(t, ts, tok, "报销单")
	f, err := ts.files.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	v1 := readTestdata(t, "expenses.xlsx")
	v2 := []byte("第二版：报销说明\n")
	rec := ts.sendMultipart(tok, "/files/"+id+"/versions", nil, []field{{csrfField, csrf}, {"etag", f.ETag}},
		&upload{"file", "说明.txt", bytes.NewReader(v2)})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/files/"+id {
		t.Fatalf("new version: %d\n%s", rec.Code, rec.Body.String())
	}
	// The editor saw the first version: uploading over it again is a conflict.
	rec = ts.sendMultipart(tok, "/files/"+id+"/versions", nil, []field{{csrfField, csrf}, {"etag", f.ETag}},
		&upload{"file", "说明.txt", strings.NewReader("第三版")})
	if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "有人更新了这个文件") {
		t.Errorf("stale version upload: %d", rec.Code)
	}
	page := ts.send(tok, http.MethodGet, "/files/"+id, nil, nil).Body.String()
	mustContain(t, "file page", page, "历史版本", `href="/files/`+id+`/download?v=1"`, "第 2 版", "说明.txt", "文本文件")
	if got := do(ts, http.MethodGet, "/files/"+id+"/download", nil).Body.Bytes(); !bytes.Equal(got, v2) {
		t.Errorf("current version = %q", got)
	}
	if got := do(ts, http.MethodGet, "/files/"+id+"/download?v=1", nil).Body.Bytes(); !bytes.Equal(got, v1) {
		t.Errorf("version 1 differs")
	}

	// Edit details: If-Match, errors next to fields.
	cur, err := ts.files.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	form := ts.send(tok, http.MethodGet, "/files/"+id+"/edit", nil, nil).Body.String()
	mustContain(t, "edit form", form, `value="报销单"`, `name="etag" value="`+cur.ETag+`"`, `value="报销, 表格"`)
	rec = ts.send(tok, http.MethodPost, "/files/"+id+"/edit", nil, url.Values{csrfField: {csrf}, "etag": {cur.ETag}, "title": {""}, "tags": {"a"}})
	mustContain(t, "empty title", rec.Body.String(), "标题不能为空", `id="title-error"`, `value="a"`)
	rec = ts.send(tok, http.MethodPost, "/files/"+id+"/edit", nil, url.Values{csrfField: {csrf}, "etag": {f.ETag}, "title": {"旧标题"}})
	if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), `value="旧标题"`) {
		t.Errorf("stale edit: %d", rec.Code)
	}
	rec = ts.send(tok, http.MethodPost, "/files/"+id+"/edit", nil, url.Values{csrfField: {csrf}, "etag": {cur.ETag}, "title": {"差旅报销单"}, "description": {"新说明"}, "tags": {"差旅；出差、发票，差旅"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("edit: %d\n%s", rec.Code, rec.Body.String())
	}
	if g, err := ts.files.Get(context.Background(), id); err != nil || g.Title != "差旅报销单" || g.Description != "新说明" || strings.Join(g.Tags, "|") != "差旅|出差|发票" { // Chinese separators split tags
		t.Errorf("after edit: %+v %v", g, err)
	}

	// Another department's editor can do none of it.
	other := ts.signIn(techEd)
	for _, path := range []string{"/files/" + id + "/edit", "/files/" + id + "/delete"} {
		if rec := ts.send(other, http.MethodPost, path, nil, url.Values{csrfField: {ts.csrf(other)}, "etag": {cur.ETag}, "title": {"x"}}); rec.Code != 403 {
			t.Errorf("tech editor POST %s: %d", path, rec.Code)
		}
	}
	rec = ts.send(tok, http.MethodPost, "/files/"+id+"/delete", nil, url.Values{csrfField: {csrf}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != deptURL("财务部") {
		t.Fatalf("delete: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	if rec := do(ts, http.MethodGet, "/files/"+id, nil); rec.Code != 404 {
		t.Errorf("deleted file: %d", rec.Code)
	}
	want := []string{"file.delete dev:wangmin file:" + id, "file.update dev:wangmin file:" + id, "file.version dev:wangmin file:" + id, "file.create dev:wangmin file:" + id}
	if acts := auditActions(t, ts); strings.Join(acts, "|") != strings.Join(want, "|") {
		t.Errorf("audit: %q", acts)
	}
}

func TestUploadErrorsKeepInput(t *testing.T) {
	ts := newTestServer(t, nil)
	tok := ts.signIn(financeEd)
	csrf := ts.csrf(tok)
	fields := func(dept string) []field {
		return []field{{csrfField, csrf}, {"dept", dept}, {"title", "季度预算"}, {"description", "说明文字"}, {"tags", "预算"}}
	}
	elf := append([]byte("\x7fELF\x02\x01\x01\x00"), bytes.Repeat([]byte{0}, 64)...)
	for _, tc := range []struct {
		name   string
		fields []field
		file   *upload
		status int
		want   []string
	}{
		{"executable", fields("财务部"), &upload{"file", "budget.xlsx", bytes.NewReader(elf)}, http.StatusUnsupportedMediaType,
			[]string{"不支持这种文件类型（application/x-", `id="file-error"`}},
		{"html", fields("财务部"), &upload{"file", "page.txt", strings.NewReader("<!DOCTYPE html><html><script>alert(1)</script></html>")}, http.StatusUnsupportedMediaType,
			[]string{"不支持这种文件类型（text/html"}},
		{"empty", fields("财务部"), &upload{"file", "empty.txt", strings.NewReader("")}, http.StatusUnprocessableEntity, []string{"文件是空的"}},
		{"no file", fields("财务部"), nil, http.StatusUnprocessableEntity, []string{"请选择要上传的文件"}},
		{"no department", fields(""), &upload{"file", "a.txt", strings.NewReader("x")}, http.StatusUnprocessableEntity, []string{"请选择部门", `id="dept-error"`}},
		{"other department", fields("技术部"), &upload{"file", "a.txt", strings.NewReader("x")}, http.StatusForbidden, []string{"你不能上传或修改“技术部”的资料"}},
		{"title too long", []field{{csrfField, csrf}, {"dept", "财务部"}, {"title", strings.Repeat("长", 121)}, {"description", "说明文字"}, {"tags", "预算"}},
			&upload{"file", "a.txt", strings.NewReader("x")}, http.StatusUnprocessableEntity, []string{"标题最多 120 个字", `id="title-error"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := ts.sendMultipart(tok, "/files", nil, tc.fields, tc.file)
			body := rec.Body.String()
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d\n%s", rec.Code, tc.status, body)
			}
			mustContain(t, tc.name, body, append(tc.want, `value="`+tc.fields[2].value+`"`, ">说明文字</textarea>", `value="预算"`, "请重新选择文件")...)
			mustNotContain(t, tc.name, body, "<script>alert")
		})
	}
	// Nothing was stored by any of them.
	for obj, err := range ts.store.List(context.Background(), "files/") {
		t.Errorf("left behind: %s %v", obj.Key, err)
	}
	// The CSRF token is checked before the file, and must come before it.
	rec := ts.sendMultipart(tok, "/files", nil, []field{{"dept", "财务部"}}, &upload{"file", "a.txt", strings.NewReader("x")})
	if rec.Code != 403 || !strings.Contains(rec.Body.String(), "这个请求无法验证") {
		t.Errorf("no token: %d", rec.Code)
	}
	body, ctype := multipartBody(nil, &upload{"file", "a.txt", strings.NewReader("x")})
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, body); err != nil {
		t.Fatal(err)
	}
	late := strings.Replace(buf.String(), "--\r\n", "\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n"+csrf+"\r\n--"+strings.TrimPrefix(ctype, "multipart/form-data; boundary=")+"--\r\n", 1)
	req := httptest.NewRequest(http.MethodPost, "/files", strings.NewReader(late))
	req.Header.Set("Content-Type", ctype)
	req.AddCookie(&http.Cookie{Name: sessionCookiePlain, Value: tok})
	rr := httptest.NewRecorder()
	ts.ServeHTTP(rr, req)
	if rr.Code != 403 {
		t.Errorf("token after the file: %d", rr.Code)
	}
	// The X-CSRF-Token header works too (fetch or HTMX uploads).
	rec = ts.sendMultipart(tok, "/files", map[string]string{csrfHeader: csrf}, []field{{"dept", "财务部"}}, &upload{"file", "a.txt", strings.NewReader("hello")})
	if rec.Code != http.StatusSeeOther {
		t.Errorf("header token: %d\n%s", rec.Code, rec.Body.String())
	}
	if rec := ts.send(tok, http.MethodPost, "/files", nil, url.Values{csrfField: {csrf}}); rec.Code != 400 {
		t.Errorf("not multipart: %d", rec.Code)
	}
}

// patternReader yields n bytes of text without holding them, counting
// how many were read.
type patternReader struct {
	left int64
	read atomic.Int64
}

func (p *patternReader) Read(b []byte) (int, error) {
	if p.left <= 0 {
		return 0, io.EOF
	}
	const line = "报销明细 expense line 0123456789\n"
	n := int(min(int64(len(b)), p.left))
	for i := 0; i < n; i++ {
		b[i] = line[(int64(i)+p.read.Load())%int64(len(line))]
	}
	p.left -= int64(n)
	p.read.Add(int64(n))
	return n, nil
}

func TestUploadSizeLimits(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // ParseMultipartForm would spill into multipart-* files here
	ts := newTestServer(t, nil)
	tok := ts.signIn(financeEd)
	fields := []field{{csrfField, ts.csrf(tok)}, {"dept", "财务部"}, {"title", "大文件"}}

	// 3 MB: over the global 1 MB body limit, under the upload limit.
	src := &patternReader{left: 3 << 20}
	rec := ts.sendMultipart(tok, "/files", nil, fields, &upload{"file", "big.txt", src})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("3 MB upload: %d\n%s", rec.Code, rec.Body.String())
	}
	f, err := ts.files.Get(context.Background(), strings.TrimPrefix(rec.Header().Get("Location"), "/files/"))
	if err != nil || f.Current().Size != 3<<20 {
		t.Fatalf("3 MB upload stored %+v, %v", f, err)
	}

	// 51 MB: refused with a clear message; the body is read no further than
	// the route's limit and nothing is left behind.
	src = &patternReader{left: 51 << 20}
	rec = ts.sendMultipart(tok, "/files", nil, fields, &upload{"file", "huge.txt", src})
	if rec.Code != http.StatusRequestEntityTooLarge || !strings.Contains(rec.Body.String(), "文件超过 50 MB") {
		t.Fatalf("51 MB upload: %d\n%s", rec.Code, rec.Body.String())
	}
	mustContain(t, "too large", rec.Body.String(), `value="大文件"`, `id="file-error"`)
	if got := src.read.Load(); got > uploadBodyLimit {
		t.Errorf("read %d bytes of the body, more than the %d limit", got, int64(uploadBodyLimit))
	}
	n := 0
	for obj, err := range ts.store.List(context.Background(), "files/") {
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(obj.Key, "files/"+f.ID+"/") {
			t.Errorf("left behind: %s", obj.Key)
		}
		n++
	}
	if n == 0 {
		t.Error("the 3 MB file is missing")
	}
	entries, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "multipart-") {
			t.Errorf("the upload was buffered to %s", e.Name())
		}
	}
	// Other routes keep the global 1 MB limit.
	req := httptest.NewRequest(http.MethodPost, "/files/"+f.ID+"/edit", bytes.NewReader(bytes.Repeat([]byte("x"), 2<<20)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: sessionCookiePlain, Value: tok})
	rr := httptest.NewRecorder()
	ts.ServeHTTP(rr, req)
	if rr.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("2 MB edit form: %d, want 413", rr.Code)
	}
}

func TestWeChatDownloadPage(t *testing.T) {
	ts := newTestServer(t, nil)
	id := uploadXLSX(t, ts, ts.signIn(financeEd), "报销单")
	wechat := map[string]string{"User-Agent": "Mozilla/5.0 (iPhone) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0.50 NetType/WIFI"}
	rec := do(ts, http.MethodGet, "/files/"+id+"/download?v=1", wechat)
	body := rec.Body.String()
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") || rec.Header().Get("Content-Disposition") != "" {
		t.Fatalf("WeChat download: %d %v", rec.Code, rec.Header())
	}
	mustContain(t, "WeChat page", body, "点右上角 ··· 选择『在浏览器打开』", `<code id="download-link">http://example.com/dl/`+id+`?`, "15 分钟内有效",
		`data-copy="#download-link"`, `src="/assets/copy.`, xlsxName)
	if n, err := ts.files.Downloads(context.Background(), id); err != nil || n != 0 {
		t.Errorf("the WeChat page counted as a download: %d %v", n, err)
	}
	// WeCom's browser downloads.
	wecom := map[string]string{"User-Agent": "Mozilla/5.0 (iPhone) Mobile/15E148 wxwork/4.1.22 MicroMessenger/7.0.1"}
	if rec := do(ts, http.MethodGet, "/files/"+id+"/download", wecom); rec.Code != 200 || rec.Header().Get("Content-Type") != xlsxType {
		t.Errorf("WeCom download: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	// With a base URL the link is absolute on it.
	ts2 := newTestServer(t, func(o *Options) { o.BaseURL = "https://jinnang.example.com/" })
	id2 := uploadXLSX(t, ts2, ts2.signIn(financeEd), "报销单")
	body = do(ts2, http.MethodGet, "/files/"+id2+"/download", wechat).Body.String()
	mustContain(t, "WeChat page with base URL", body, ">https://jinnang.example.com/dl/"+id2+"?")
}

func TestPreviewRules(t *testing.T) {
	ts := newTestServer(t, nil)
	tok := ts.signIn(financeEd)
	up := func(name string, b []byte) string {
		rec := ts.sendMultipart(tok, "/files", nil, []field{{csrfField, ts.csrf(tok)}, {"dept", "财务部"}}, &upload{"file", name, bytes.NewReader(b)})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("upload %s: %d\n%s", name, rec.Code, rec.Body.String())
		}
		return strings.TrimPrefix(rec.Header().Get("Location"), "/files/")
	}
	img := pngBytes(t)
	pngID := up("流程图.png", img)
	pdfID := up("制度.pdf", []byte("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"))
	xlsxID := uploadXLSX(t, ts, tok, "报销单")

	rec := do(ts, http.MethodGet, "/files/"+pngID+"/preview", nil)
	if rec.Code != 200 || !bytes.Equal(rec.Body.Bytes(), img) || rec.Header().Get("Content-Type") != "image/png" {
		t.Fatalf("png preview: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	if cd := rec.Header().Get("Content-Disposition"); !strings.HasPrefix(cd, "inline;") {
		t.Errorf("png Content-Disposition %q", cd)
	}
	if csp := rec.Header().Get("Content-Security-Policy"); csp != previewCSP || !strings.HasPrefix(csp, "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'") {
		t.Errorf("png CSP %q", csp)
	}
	rec = do(ts, http.MethodGet, "/files/"+pdfID+"/preview", nil)
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/pdf") || !strings.HasPrefix(rec.Header().Get("Content-Disposition"), "inline;") {
		t.Fatalf("pdf preview: %d %v", rec.Code, rec.Header())
	}
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("pdf CSP %q", csp)
	}
	if xfo := rec.Header().Get("X-Frame-Options"); xfo != "DENY" {
		t.Errorf("pdf X-Frame-Options %q", xfo)
	}
	rec = do(ts, http.MethodGet, "/files/"+xlsxID+"/preview?v=1", nil)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/files/"+xlsxID+"/download?v=1" {
		t.Errorf("xlsx preview: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	mustContain(t, "png page", do(ts, http.MethodGet, "/files/"+pngID, nil).Body.String(), `href="/files/`+pngID+`/preview" target="_blank" rel="noopener"`, "图片")
}

func TestQREndpoints(t *testing.T) {
	ts := newTestServer(t, nil)
	rec := do(ts, http.MethodGet, "/qr.png?path=%2Ffiles%2Fabc", nil)
	want, err := qr.PNG("http://example.com/files/abc", qrDefaultSize)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "image/png" || !bytes.Equal(rec.Body.Bytes(), want) {
		t.Fatalf("qr.png: %d %q, %d bytes", rec.Code, rec.Header().Get("Content-Type"), rec.Body.Len())
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "public, max-age=86400" {
		t.Errorf("Cache-Control %q", cc)
	}
	rec = do(ts, http.MethodGet, "/qr.svg?path=%2Fdepartments%2F%25E8%25B4%25A2", nil)
	svg := rec.Body.String()
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "image/svg+xml") || !strings.Contains(svg, "<svg") || strings.Contains(svg, "<script") {
		t.Fatalf("qr.svg: %d %q\n%s", rec.Code, rec.Header().Get("Content-Type"), svg)
	}
	if wantSVG, err := qr.SVG("http://example.com/departments/%E8%B4%A2"); err != nil || svg != string(wantSVG) {
		t.Errorf("qr.svg encodes another URL (%v)", err)
	}
	for _, p := range []string{"", "files", "//evil.example/x", "https://evil.example/", "/\\evil.example", "/a\nb"} {
		if rec := do(ts, http.MethodGet, "/qr.png?"+url.Values{"path": {p}}.Encode(), nil); rec.Code != 400 {
			t.Errorf("qr.png path %q: %d, want 400", p, rec.Code)
		}
		if rec := do(ts, http.MethodGet, "/qr.svg?"+url.Values{"path": {p}}.Encode(), nil); rec.Code != 400 {
			t.Errorf("qr.svg path %q: %d, want 400", p, rec.Code)
		}
	}
	ts2 := newTestServer(t, func(o *Options) { o.BaseURL = "https://jinnang.example.com" })
	want, err = qr.PNG("https://jinnang.example.com/files/abc", 512)
	if err != nil {
		t.Fatal(err)
	}
	if rec := do(ts2, http.MethodGet, "/qr.png?path=%2Ffiles%2Fabc&size=512", nil); !bytes.Equal(rec.Body.Bytes(), want) {
		t.Errorf("qr.png with BaseURL and size does not encode the base URL")
	}
	if rec := ts.send("", http.MethodGet, "/qr.png?path=%2F", nil, nil); !isLoginRedirect(rec) {
		t.Errorf("anonymous qr: %d", rec.Code)
	}
	if _, err := New(func() Options { o := ts.opts; o.BaseURL = "jinnang.example.com"; return o }()); err == nil {
		t.Error("a base URL without scheme was accepted")
	}
}

func TestDepartmentSpace(t *testing.T) {
	ts := newTestServer(t, nil)
	ctx := context.Background()
	if err := ts.files.SaveDepartment(ctx, files.Department{Name: "财务部", Intro: "负责报销、预算和发票。"}); err != nil {
		t.Fatal(err)
	}
	if err := ts.files.SaveDepartment(ctx, files.Department{Name: "行政部", Intro: "办公用品和会议室。"}); err != nil {
		t.Fatal(err)
	}
	tok := ts.signIn(financeEd)
	id := uploadXLSX(t, ts, tok, "报销单")

	body := do(ts, http.MethodGet, "/departments", nil).Body.String()
	mustContain(t, "departments", body, "负责报销、预算和发票。", `href="/departments/%E8%A1%8C%E6%94%BF%E9%83%A8"`, "0 个锦囊", "2 个锦囊")
	body = do(ts, http.MethodGet, "/departments/%E8%B4%A2%E5%8A%A1%E9%83%A8", nil).Body.String()
	mustContain(t, "department as employee", body, "<h1>财务部</h1>", "负责报销、预算和发票。", "部门锦囊", "差旅报销流程", "部门资料",
		`href="/files/`+id+`"`, "共 1 个文件", `href="/files?dept=%E8%B4%A2%E5%8A%A1%E9%83%A8"`)
	mustNotContain(t, "department as employee", body, "/files/new", `action="/departments/`, "微信群二维码")
	body = ts.send(tok, http.MethodGet, "/departments/%E8%B4%A2%E5%8A%A1%E9%83%A8", nil, nil).Body.String()
	mustContain(t, "department as its editor", body, `href="/files/new?dept=%E8%B4%A2%E5%8A%A1%E9%83%A8"`,
		`action="/departments/%E8%B4%A2%E5%8A%A1%E9%83%A8/qr" enctype="multipart/form-data"`)
	// A department with only a record is a page; one with nothing is a 404.
	if rec := do(ts, http.MethodGet, "/departments/%E8%A1%8C%E6%94%BF%E9%83%A8", nil); rec.Code != 200 || !strings.Contains(rec.Body.String(), "办公用品和会议室") {
		t.Errorf("record-only department: %d", rec.Code)
	}
	if rec := do(ts, http.MethodGet, "/departments/%E6%97%A0", nil); rec.Code != 404 {
		t.Errorf("unknown department: %d", rec.Code)
	}

	// The WeChat group QR code: editors upload PNG/JPEG, everyone sees it.
	csrf := ts.csrf(tok)
	rec := ts.sendMultipart(tok, "/departments/%E8%B4%A2%E5%8A%A1%E9%83%A8/qr", nil, []field{{csrfField, csrf}},
		&upload{"qr", "群.png", bytes.NewReader([]byte("not an image at all"))})
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "二维码图片需为 PNG 或 JPEG") || !strings.Contains(rec.Body.String(), `id="qr-error"`) {
		t.Errorf("bad QR image: %d", rec.Code)
	}
	img := pngBytes(t)
	other := ts.signIn(techEd)
	if rec := ts.sendMultipart(other, "/departments/%E8%B4%A2%E5%8A%A1%E9%83%A8/qr", nil, []field{{csrfField, ts.csrf(other)}},
		&upload{"qr", "群.png", bytes.NewReader(img)}); rec.Code != 403 {
		t.Errorf("other department's editor: %d", rec.Code)
	}
	rec = ts.sendMultipart(tok, "/departments/%E8%B4%A2%E5%8A%A1%E9%83%A8/qr", nil, []field{{csrfField, csrf}}, &upload{"qr", "群.png", bytes.NewReader(img)})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/departments/%E8%B4%A2%E5%8A%A1%E9%83%A8" {
		t.Fatalf("QR upload: %d %q\n%s", rec.Code, rec.Header().Get("Location"), rec.Body.String())
	}
	body = do(ts, http.MethodGet, "/departments/%E8%B4%A2%E5%8A%A1%E9%83%A8", nil).Body.String()
	mustContain(t, "department with QR", body, `<img src="/departments/%E8%B4%A2%E5%8A%A1%E9%83%A8/qr" alt="财务部微信群二维码"`)
	rec = do(ts, http.MethodGet, "/departments/%E8%B4%A2%E5%8A%A1%E9%83%A8/qr", nil)
	// Re-encoded by the photo sanitiser, so not the uploaded bytes, but a PNG.
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "image/png" || !bytes.HasPrefix(rec.Body.Bytes(), []byte("\x89PNG")) || bytes.Equal(rec.Body.Bytes(), img) {
		t.Errorf("QR image: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	if rec := do(ts, http.MethodGet, "/departments/%E8%A1%8C%E6%94%BF%E9%83%A8/qr", nil); rec.Code != 404 {
		t.Errorf("no QR: %d", rec.Code)
	}
}

func TestFilesOff(t *testing.T) {
	ts := newTestServer(t, func(o *Options) { o.Files = nil })
	for _, p := range []string{"/files", "/qr.png?path=%2F"} {
		if rec := do(ts, http.MethodGet, p, nil); rec.Code != 404 {
			t.Errorf("GET %s without files: %d", p, rec.Code)
		}
	}
	body := do(ts, http.MethodGet, "/departments/%E8%B4%A2%E5%8A%A1%E9%83%A8", nil).Body.String()
	mustContain(t, "packs-only department", body, "差旅报销流程")
	mustNotContain(t, "packs-only department", body, "部门资料", `href="/files"`)
}
