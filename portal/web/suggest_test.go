package web

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/csv"
	"encoding/xml"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/auth"
	"github.com/jinnang/jinnang/portal/images"
	"github.com/jinnang/jinnang/portal/polls"
	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/suggest"
)

// suggestClock is the suggestion clock of the tests: a distinctive time of
// day, so a stored exact time would be found.
var suggestClock = testNow.Add(14*time.Hour + 37*time.Minute + 52*time.Second)

// newTestSuggest builds the suggestion boxes (with a fast KDF) and polls
// over the test store.
func newTestSuggest(t *testing.T, st store.Store) (*suggest.Service, *polls.Service) {
	t.Helper()
	sg, err := suggest.New(st, bytes.Repeat([]byte{3}, 32), suggest.Options{
		Clock: func() time.Time { return suggestClock }, KDF: suggest.KDF{Time: 1, Memory: 1024, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	pl, err := polls.New(st, bytes.Repeat([]byte{4}, 32), polls.ProfileMembers(st), func() time.Time { return testNow })
	if err != nil {
		t.Fatal(err)
	}
	return sg, pl
}

// prepareSuggestRow fills the placeholders of the role-table rows of the
// suggestion boxes and polls.
func prepareSuggestRow(t *testing.T, ts *testServer, path string, form url.Values) (string, url.Values) {
	t.Helper()
	all := path + "?" + form.Encode()
	if !strings.Contains(all, "%7B") && !strings.Contains(all, "{") {
		return path, form
	}
	ctx := context.Background()
	sg := ts.opts.Suggest.(*suggest.Service)
	pl := ts.opts.Polls.(*polls.Service)
	r := map[string]string{}
	if strings.Contains(all, "box") || strings.Contains(all, "ref") || strings.Contains(all, "token") || strings.Contains(all, "code") {
		b, err := sg.CreateBox(ctx, "意见箱", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		img, err := images.Process(bytes.NewReader(pngBytes(t)), imageLimits())
		if err != nil {
			t.Fatal(err)
		}
		code, item, err := sg.Submit(ctx, b.ID, "", "一条建议", *img)
		if err != nil {
			t.Fatal(err)
		}
		r["{box}"], r["{ref}"], r["{code}"] = b.ID, item.Ref, code
		r["{token}"], r["{rtoken}"] = sg.FormToken(b.ID), sg.FormToken(receiptPurpose)
	}
	if strings.Contains(all, "poll") {
		p, err := pl.Create(ctx, polls.Poll{Title: "团建", Mode: polls.Anonymous, Deadline: testNow.Add(time.Hour),
			Owner: financeEd.ID, OwnerDept: "财务部", Questions: []polls.Question{{Text: "去哪", Kind: polls.Single, Options: []string{"山", "海"}}}})
		if err != nil {
			t.Fatal(err)
		}
		r["{poll}"] = p.ID
	}
	for k, v := range r {
		path = strings.ReplaceAll(path, k, v)
		for f, vs := range form {
			if vs[0] == k {
				form.Set(f, v)
			}
		}
	}
	return path, form
}

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var (
	tokenRE = regexp.MustCompile(`name="token" value="([0-9a-f]+)"`)
	codeRE  = regexp.MustCompile(`id="receipt-code">([0-9A-Z-]+)<`)
)

// Distinctive request details that must never be stored or logged.
const (
	anonAddr   = "203.0.113.77"
	anonUA     = "AnonTestAgent/9.9 (distinct-ua-7f3a)"
	anonCookie = "tracker-cookie-5e1d"
)

// anonSend makes a request from anonAddr with anonUA, a tracking cookie and
// the session cookie tok (which the anonymous routes must ignore).
func anonSend(ts *testServer, tok, method, target string, form url.Values) *httptest.ResponseRecorder {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, target, body)
	anonHeaders(req, tok)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	rec := httptest.NewRecorder()
	ts.ServeHTTP(rec, req)
	return rec
}

// anonHeaders makes req come from anonAddr with anonUA, a tracking cookie
// and the session cookie tok.
func anonHeaders(req *http.Request, tok string) {
	req.RemoteAddr = anonAddr + ":40001"
	req.Header.Set("User-Agent", anonUA)
	req.Header.Set("X-Forwarded-For", anonAddr)
	ck := "tracker=" + anonCookie
	if tok != "" {
		ck += "; " + sessionCookiePlain + "=" + tok
	}
	req.Header.Set("Cookie", ck)
}

// anonPart is one part of an anonymous multipart form, in order; a part
// with a file name is a file.
type anonPart struct {
	name, file string
	body       []byte
}

// anonMultipart posts a multipart form like a phone's browser, from anonAddr.
func anonMultipart(ts *testServer, tok, target string, parts ...anonPart) *httptest.ResponseRecorder {
	ts.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, p := range parts {
		var w io.Writer
		var err error
		if p.file != "" {
			w, err = mw.CreateFormFile(p.name, p.file)
		} else {
			w, err = mw.CreateFormField(p.name)
		}
		if err == nil {
			_, err = w.Write(p.body)
		}
		if err != nil {
			ts.t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		ts.t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, target, &b)
	anonHeaders(req, tok)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	rec := httptest.NewRecorder()
	ts.ServeHTTP(rec, req)
	return rec
}

// text is a text part of a multipart form.
func text(name, value string) anonPart { return anonPart{name: name, body: []byte(value)} }

// exifWindows are the 24-byte windows of the EXIF segment of a JPEG
// (camera model, GPS IFD, date) that are not mostly zeros: none may be
// found in a stored object.
func exifWindows(t *testing.T, jpg []byte) [][]byte {
	t.Helper()
	if len(jpg) < 6 || jpg[2] != 0xFF || jpg[3] != 0xE1 {
		t.Fatal("test image does not start with an APP1 segment")
	}
	app1 := jpg[4 : 4+int(binary.BigEndian.Uint16(jpg[4:6]))]
	var out [][]byte
	for i := 0; i+24 <= len(app1); i += 4 {
		if w := app1[i : i+24]; len(bytes.ReplaceAll(w, []byte{0}, nil)) >= 8 {
			out = append(out, w)
		}
	}
	return out
}

// TestAnonymitySubmitLeavesNoTrace submits through the whole HTTP stack
// with a distinctive address, user agent and cookies, then reads every
// object in the store and the captured logs: none of them, nor the exact
// time, may appear anywhere.
func TestAnonymitySubmitLeavesNoTrace(t *testing.T) {
	var logs syncBuffer
	ts := newTestServer(t, func(o *Options) {
		o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	ctx := context.Background()
	sg := ts.opts.Suggest.(*suggest.Service)
	b, err := sg.CreateBox(ctx, "食堂意见箱", "说说你的想法", []string{"饭菜"})
	if err != nil {
		t.Fatal(err)
	}
	tok := ts.token // a signed-in employee's browser: the session must be ignored

	rec := anonSend(ts, tok, http.MethodGet, "/s/"+b.ID+"?lang=en", nil)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "Submit anonymously") {
		t.Fatalf("form: %d\n%s", rec.Code, rec.Body.String())
	}
	m := tokenRE.FindStringSubmatch(rec.Body.String())
	if m == nil {
		t.Fatal("no form token")
	}
	// A phone photo with GPS, camera model and time taken, named by its
	// exact time, as the form sends it: token and text before the image.
	gps, err := os.ReadFile("../images/testdata/gps-exif.jpg")
	if err != nil {
		t.Fatal(err)
	}
	fileName := "IMG_" + suggestClock.Format("20060102_150405") + ".jpg"
	rec = anonMultipart(ts, tok, "/s/"+b.ID, text("token", m[1]), text("category", "饭菜"), text("body", "希望增加素菜"),
		anonPart{name: "images", file: fileName, body: gps})
	if rec.Code != 200 {
		t.Fatalf("submit: %d\n%s", rec.Code, rec.Body.String())
	}
	if !strings.Contains(rec.Body.String(), "已附 1 张图片") || strings.Contains(rec.Body.String(), fileName) {
		t.Errorf("receipt page: no image count, or it echoes the file name:\n%s", rec.Body.String())
	}
	code := codeRE.FindStringSubmatch(rec.Body.String())
	if code == nil {
		t.Fatalf("no receipt code:\n%s", rec.Body.String())
	}
	if strings.Contains(rec.Body.String(), employee.Name) {
		t.Error("the anonymous page shows the signed-in user's name: the session was read")
	}
	if got := rec.Header().Get("Cache-Control"); got != "no-store" {
		t.Errorf("receipt page Cache-Control %q", got)
	}
	rec = anonSend(ts, tok, http.MethodPost, "/s/receipt", url.Values{"token": {sg.FormToken(receiptPurpose)}, "code": {code[1]}})
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "希望增加素菜") {
		t.Fatalf("lookup: %d\n%s", rec.Code, rec.Body.String())
	}
	// The submitter sees the thumbnail inline: no image URL to carry the
	// code or the ref, and nothing handlers-only.
	items, err := sg.List(ctx, suggest.Filter{})
	if err != nil || len(items) != 1 || len(items[0].Images) != 1 {
		t.Fatalf("stored suggestions %+v %v", items, err)
	}
	page := rec.Body.String()
	if !strings.Contains(page, `src="data:image/jpeg;base64,`) || strings.Contains(page, "/suggest/items") || strings.Contains(page, items[0].Ref) {
		t.Errorf("follow-up page: no inline thumbnail, or a link to the handlers' image route or the ref:\n%s", page)
	}
	rec = anonSend(ts, tok, http.MethodPost, "/s/receipt/message", url.Values{"token": {sg.FormToken(receiptPurpose)}, "code": {code[1]}, "message": {"补充一下"}})
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "补充一下") {
		t.Fatalf("message: %d\n%s", rec.Code, rec.Body.String())
	}
	for _, r := range []*httptest.ResponseRecorder{rec} {
		if sc := r.Header().Values("Set-Cookie"); len(sc) > 0 {
			t.Errorf("an anonymous route set cookies: %q", sc)
		}
	}

	needles := []string{anonAddr, anonUA, "distinct-ua-7f3a", anonCookie, tok, fileName, "JinnangCam", "2026:05:01",
		suggestClock.Format(time.RFC3339), suggestClock.Format("15:04:05"), suggestClock.Format("150405"), strconv.FormatInt(suggestClock.Unix(), 10)}
	// The EXIF segment and a stretch of the original's compressed pixels:
	// no stored object holds the upload's bytes, only a re-encoded copy.
	binNeedles := append(exifWindows(t, gps), []byte("Exif\x00\x00"), gps[len(gps)/2:len(gps)/2+64])
	if len(binNeedles) < 20 {
		t.Fatalf("only %d byte needles from the test image", len(binNeedles))
	}
	n, imgs := 0, 0
	for obj, err := range ts.store.List(ctx, "") {
		if err != nil {
			t.Fatal(err)
		}
		rc, _, err := ts.store.Get(ctx, obj.Key)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(rc)
		if cerr := rc.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
		for _, s := range needles {
			if s != tok && (strings.Contains(obj.Key, s) || bytes.Contains(body, []byte(s))) {
				t.Errorf("object %s holds %q", obj.Key, s)
			}
		}
		for _, bn := range binNeedles {
			if bytes.Contains(body, bn) {
				t.Errorf("object %s holds bytes of the upload's metadata or original: % x", obj.Key, bn)
				break
			}
		}
		if strings.HasPrefix(obj.Key, "suggest/") && (bytes.Contains(body, []byte(employee.ID)) || bytes.Contains(body, []byte(tok))) {
			t.Errorf("suggestion object %s names the signed-in user", obj.Key)
		}
		if strings.HasPrefix(obj.Key, "suggest/images/"+items[0].Ref+"/") {
			imgs++
			if !bytes.HasPrefix(body, []byte{0xFF, 0xD8, 0xFF}) || bytes.Contains(body, []byte("Exif")) {
				t.Errorf("image object %s is not a re-encoded JPEG without EXIF", obj.Key)
			}
		}
	}
	if n < 2 || imgs != 2 {
		t.Fatalf("%d objects in the store, %d of them the suggestion's image and thumbnail", n, imgs)
	}
	out := logs.String()
	for _, s := range append(needles, "/s/") {
		if strings.Contains(out, s) {
			t.Errorf("logs hold %q:\n%s", s, out)
		}
	}
}

// TestReceiptFollowUpAndInbox: anonymous submit, the handler replies, the
// submitter sees it with the code; a wrong code gets the one same answer.
func TestReceiptFollowUpAndInbox(t *testing.T) {
	ts := newTestServer(t, nil)
	ctx := context.Background()
	sg := ts.opts.Suggest.(*suggest.Service)
	adminTok := ts.signIn(admin)
	csrf := ts.csrf(adminTok)

	rec := ts.send(adminTok, http.MethodPost, "/suggest/boxes", nil, url.Values{csrfField: {csrf}, "title": {"行政意见箱"}, "categories": {"环境，设备"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("create box: %d\n%s", rec.Code, rec.Body.String())
	}
	boxes, err := sg.Boxes(ctx)
	if err != nil || len(boxes) != 1 || len(boxes[0].Categories) != 2 {
		t.Fatalf("boxes %+v %v", boxes, err)
	}
	b := boxes[0]
	rec = ts.send(adminTok, http.MethodGet, "/suggest/boxes", nil, nil)
	if !strings.Contains(rec.Body.String(), "/s/"+b.ID) || !strings.Contains(rec.Body.String(), "/suggest/boxes/"+b.ID+"/qr") {
		t.Fatalf("box page lacks the link or QR:\n%s", rec.Body.String())
	}
	rec = ts.send(adminTok, http.MethodGet, "/suggest/boxes/"+b.ID+"/qr", nil, nil)
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "image/svg+xml" {
		t.Fatalf("qr: %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}

	// A stale or missing form token is refused.
	rec = anonSend(ts, "", http.MethodPost, "/s/"+b.ID, url.Values{"token": {"00"}, "body": {"x"}})
	if rec.Code != http.StatusForbidden {
		t.Fatalf("bad token: %d", rec.Code)
	}
	// Errors keep the input.
	rec = anonSend(ts, "", http.MethodPost, "/s/"+b.ID, url.Values{"token": {sg.FormToken(b.ID)}, "body": {"  "}})
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "请写下你的意见") {
		t.Fatalf("empty body: %d", rec.Code)
	}
	rec = anonSend(ts, "", http.MethodPost, "/s/"+b.ID, url.Values{"token": {sg.FormToken(b.ID)}, "category": {"环境"}, "body": {"会议室太冷"}})
	code := codeRE.FindStringSubmatch(rec.Body.String())
	if rec.Code != 200 || code == nil {
		t.Fatalf("submit: %d\n%s", rec.Code, rec.Body.String())
	}

	rec = ts.send(adminTok, http.MethodGet, "/suggest?status=received&category=%E7%8E%AF%E5%A2%83", nil, nil)
	if !strings.Contains(rec.Body.String(), "会议室太冷") {
		t.Fatalf("inbox:\n%s", rec.Body.String())
	}
	rec = ts.send(adminTok, http.MethodGet, "/suggest?status=adopted", nil, nil)
	if strings.Contains(rec.Body.String(), "会议室太冷") {
		t.Fatal("status filter let a received suggestion through")
	}
	items, err := sg.List(ctx, suggest.Filter{})
	if err != nil || len(items) != 1 {
		t.Fatal(items, err)
	}
	ref := items[0].Ref
	rec = ts.send(adminTok, http.MethodPost, "/suggest/items/"+ref+"/reply", nil, url.Values{csrfField: {csrf}, "reply": {"已调高空调温度"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("reply: %d\n%s", rec.Code, rec.Body.String())
	}
	rec = ts.send(adminTok, http.MethodPost, "/suggest/items/"+ref+"/publish", nil, url.Values{csrfField: {csrf}, "question": {"会议室温度"}, "answer": {"已调到 24 度"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("publish: %d\n%s", rec.Code, rec.Body.String())
	}

	rec = anonSend(ts, "", http.MethodPost, "/s/receipt", url.Values{"token": {sg.FormToken(receiptPurpose)}, "code": {strings.ToLower(code[1])}})
	body := rec.Body.String()
	if rec.Code != 200 || !strings.Contains(body, "已调高空调温度") || !strings.Contains(body, "已回复") || !strings.Contains(body, "处理团队") {
		t.Fatalf("follow-up: %d\n%s", rec.Code, body)
	}
	if strings.Contains(body, admin.Name) {
		t.Error("the follow-up page names the handler")
	}
	// The public answer is on the box page.
	rec = anonSend(ts, "", http.MethodGet, "/s/"+b.ID, nil)
	if !strings.Contains(rec.Body.String(), "已调到 24 度") {
		t.Fatal("public answer missing from the box page")
	}

	// Wrong codes: one answer, the same page, whatever is wrong.
	var first string
	last := "Z" // change the real code's last character: a near miss
	if strings.HasSuffix(code[1], last) {
		last = "Y"
	}
	for i, c := range []string{"AAAA-BBBB-CCCC-DDDD-EEEE", "short", code[1][:len(code[1])-1] + last, ""} {
		rec := anonSend(ts, "", http.MethodPost, "/s/receipt", url.Values{"token": {sg.FormToken(receiptPurpose)}, "code": {c}})
		if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "没有找到与这个回执码对应的意见") {
			t.Fatalf("wrong code %q: %d", c, rec.Code)
		}
		page := strings.ReplaceAll(rec.Body.String(), c, "")
		if i == 0 {
			first = page
		} else if page != first {
			t.Errorf("wrong code %q got a different page", c)
		}
	}

	// CSV export: BOM, header, the row, no identities.
	rec = ts.send(adminTok, http.MethodGet, "/suggest/export.csv?box="+b.ID, nil, nil)
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Fatalf("csv: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	out := rec.Body.String()
	if !strings.HasPrefix(out, "\uFEFF") {
		t.Fatal("csv without BOM")
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "\uFEFF"))).ReadAll()
	if err != nil || len(rows) != 2 || rows[1][1] != "行政意见箱" || rows[1][3] != "replied" {
		t.Fatalf("csv rows %q %v", rows, err)
	}

	// The audit log names the handler for every action.
	acts := auditActions(t, ts)
	for _, want := range []string{"suggest.box.create", "suggest.reply", "suggest.publish", "suggest.export"} {
		found := false
		for _, a := range acts {
			found = found || strings.HasPrefix(a, want+" "+admin.ID)
		}
		if !found {
			t.Errorf("audit lacks %s: %v", want, acts)
		}
	}
}

// TestSuggestImages: images sent with a suggestion show as thumbnails in
// the inbox, link to a handler-only full size, and come back to the
// submitter inline; refused images say why next to the field, keep the
// text, name no file and store nothing.
func TestSuggestImages(t *testing.T) {
	ts := newTestServer(t, nil)
	ctx := context.Background()
	sg := ts.opts.Suggest.(*suggest.Service)
	b, err := sg.CreateBox(ctx, "行政意见箱", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	tok := text("token", sg.FormToken(b.ID))
	gps, err := os.ReadFile("../images/testdata/gps-exif.jpg")
	if err != nil {
		t.Fatal(err)
	}
	const name = "王小明的照片.jpg" // a file name can name its sender
	polyglot := append(append([]byte{}, gps...), "<html><script>alert(1)</script></html>"...)
	huge := append(append([]byte{}, gps...), make([]byte, imageMaxBytes)...)
	four := []anonPart{tok, text("body", "四张图")}
	for range 4 {
		four = append(four, anonPart{"images", name, pngBytes(t)})
	}
	cases := []struct {
		name   string
		parts  []anonPart
		status int
		want   string
	}{
		{"polyglot", []anonPart{tok, text("body", "夹带内容"), {"images", "ok.png", pngBytes(t)}, {"images", name, polyglot}}, 422, "第 2 张图片里夹带了网页、脚本或压缩包等内容"},
		{"too large", []anonPart{tok, text("body", "大图片"), {"images", name, huge}}, 413, "第 1 张图片太大了，每张最多 15 MB"},
		{"not an image", []anonPart{tok, text("body", "不是图片"), {"images", name, []byte("just text")}}, 415, "第 1 个文件不是支持的图片"},
		{"four images", four, 422, "最多只能附 3 张图片"},
		{"over the form's limit", []anonPart{tok, text("body", "太多了"), {"images", name, make([]byte, 30<<20)}, {"images", name, make([]byte, 20<<20)}},
			413, "图片总共太大了：最多 3 张，每张最多 15 MB"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := anonMultipart(ts, "", "/s/"+b.ID, tc.parts...)
			body := rec.Body.String()
			if rec.Code != tc.status || !strings.Contains(body, `<p class="field-error" id="images-error">`+tc.want) {
				t.Fatalf("%d, want %d with %q next to the field\n%s", rec.Code, tc.status, tc.want, body)
			}
			if !strings.Contains(body, string(tc.parts[1].body)+"</textarea>") || !strings.Contains(body, "出错后请重新选择图片") {
				t.Error("the text was not kept, or no word on choosing the images again")
			}
			if strings.Contains(body, name) || strings.Contains(body, "王小明") {
				t.Error("the error page echoes the file name")
			}
		})
	}
	// An image before the token is refused before it is read.
	if rec := anonMultipart(ts, "", "/s/"+b.ID, anonPart{"images", "a.png", pngBytes(t)}, tok, text("body", "先发图")); rec.Code != http.StatusForbidden {
		t.Errorf("image before the token: %d, want 403", rec.Code)
	}
	if items, err := sg.List(ctx, suggest.Filter{}); err != nil || len(items) != 0 {
		t.Fatalf("refused forms stored suggestions: %d %v", len(items), err)
	}
	if keys := storeKeys(t, ts, "suggest/images/"); len(keys) != 0 {
		t.Fatalf("refused forms stored images: %q", keys)
	}

	// Two images and an empty file input (a phone that picked none sends one).
	rec := anonMultipart(ts, "", "/s/"+b.ID, tok, text("body", "楼道灯坏了"),
		anonPart{"images", name, gps}, anonPart{"images", "b.png", pngBytes(t)}, anonPart{"images", "", nil})
	code := codeRE.FindStringSubmatch(rec.Body.String())
	if rec.Code != 200 || code == nil || !strings.Contains(rec.Body.String(), "已附 2 张图片") {
		t.Fatalf("submit: %d\n%s", rec.Code, rec.Body.String())
	}
	items, err := sg.List(ctx, suggest.Filter{})
	if err != nil || len(items) != 1 || len(items[0].Images) != 2 {
		t.Fatalf("stored %+v %v", items, err)
	}
	item := "/suggest/items/" + items[0].Ref
	if keys := storeKeys(t, ts, "suggest/images/"); len(keys) != 4 {
		t.Errorf("image objects %q", keys)
	}

	// Handlers: the inbox says how many, the item shows thumbnails
	// linking to the full size.
	adminTok := ts.signIn(admin)
	if rec := ts.send(adminTok, http.MethodGet, "/suggest", nil, nil); !strings.Contains(rec.Body.String(), "2 张图片") {
		t.Errorf("inbox does not count the images:\n%s", rec.Body.String())
	}
	rec = ts.send(adminTok, http.MethodGet, item, nil, nil)
	for _, want := range []string{`<a href="` + item + `/img/1"><img src="` + item + `/thumb/1"`, `href="` + item + `/img/2"`} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Fatalf("inbox item lacks %s\n%s", want, rec.Body.String())
		}
	}
	for _, p := range []string{item + "/img/1", item + "/thumb/1", item + "/img/2"} {
		rec := ts.send(adminTok, http.MethodGet, p, nil, nil)
		h := rec.Header()
		if rec.Code != 200 || h.Get("Content-Type") != "image/jpeg" || h.Get("X-Content-Type-Options") != "nosniff" ||
			!strings.HasPrefix(h.Get("Cache-Control"), "private") || h.Get("Content-Encoding") != "" {
			t.Fatalf("%s: %d %v", p, rec.Code, h)
		}
		if body := rec.Body.Bytes(); !bytes.HasPrefix(body, []byte{0xFF, 0xD8}) || bytes.Contains(body, []byte("Exif")) || bytes.Contains(body, []byte("JinnangCam")) {
			t.Errorf("%s: not a JPEG without metadata", p)
		}
		if rec := ts.send(adminTok, http.MethodGet, p, map[string]string{"If-None-Match": h.Get("ETag")}, nil); rec.Code != http.StatusNotModified {
			t.Errorf("%s with If-None-Match: %d", p, rec.Code)
		}
	}
	for _, p := range []string{item + "/img/3", item + "/thumb/0", item + "/img/x", "/suggest/items/" + strings.Repeat("0", 64) + "/img/1"} {
		if rec := ts.send(adminTok, http.MethodGet, p, nil, nil); rec.Code != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", p, rec.Code)
		}
	}
	// Editors of 人力资源部 handle suggestions too; other editors do not.
	hr := auth.User{ID: "dev:hr", Name: "人事", Department: suggestHRDept, EditorOf: []string{suggestHRDept}}
	if rec := ts.send(ts.signIn(hr), http.MethodGet, item+"/img/2", nil, nil); rec.Code != 200 {
		t.Errorf("人力资源部 editor: %d, want 200", rec.Code)
	}
	if rec := ts.send(ts.signIn(financeEd), http.MethodGet, item+"/img/2", nil, nil); rec.Code != http.StatusForbidden {
		t.Errorf("财务部 editor: %d, want 403", rec.Code)
	}
	// No anonymous route serves an image: the submitter gets them inline.
	for _, p := range []string{"/s/receipt/img/1", "/s/" + b.ID + "/img/1"} {
		if rec := anonSend(ts, "", http.MethodGet, p, nil); rec.Code != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", p, rec.Code)
		}
	}
	rec = anonSend(ts, "", http.MethodPost, "/s/receipt", url.Values{"token": {sg.FormToken(receiptPurpose)}, "code": {code[1]}})
	if got := strings.Count(rec.Body.String(), `src="data:image/jpeg;base64,`); rec.Code != 200 || got != 2 {
		t.Errorf("follow-up: %d with %d inline thumbnails, want 2", rec.Code, got)
	}
}

// storeKeys lists the keys under prefix in the test store.
func storeKeys(t *testing.T, ts *testServer, prefix string) []string {
	t.Helper()
	var keys []string
	for obj, err := range ts.store.List(context.Background(), prefix) {
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, obj.Key)
	}
	return keys
}

// TestPollPages: the mode is stated before voting, a vote counts once,
// results are SVG charts, managers see "not yet voted".
func TestPollPages(t *testing.T) {
	ts := newTestServer(t, nil)
	ctx := context.Background()
	for _, u := range []struct{ id, dept string }{{employee.ID, employee.Department}, {"dev:s2", "销售部"}, {financeEd.ID, "财务部"}} {
		prof := admin
		prof.ID, prof.Department = u.id, u.dept
		if _, err := ts.opts.Auth.Users.Touch(ctx, prof); err != nil {
			t.Fatal(err)
		}
	}
	edTok := ts.signIn(financeEd)
	form := url.Values{csrfField: {ts.csrf(edTok)}, "title": {"团建投票"}, "mode": {"named"}, "deadline": {testNow.Add(72 * time.Hour).Format(pollDeadlineLayout)},
		"owner_dept": {"财务部"}, "dept": {"销售部", "财务部"},
		"qtext0": {"去哪里"}, "qkind0": {"single"}, "qopts0": {"爬山\r\n海边"},
		"qtext1": {"想说的"}, "qkind1": {"text"}}
	rec := ts.send(edTok, http.MethodPost, "/polls", nil, form)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("create: %d\n%s", rec.Code, rec.Body.String())
	}
	pollURL := rec.Header().Get("Location")

	// A poll in the past or without questions keeps the input and says why.
	bad := cloneValues(form)
	bad.Set("deadline", "2000-01-01T00:00")
	if rec := ts.send(edTok, http.MethodPost, "/polls", nil, bad); rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "团建投票") {
		t.Fatalf("past deadline: %d", rec.Code)
	}

	rec = ts.send(ts.token, http.MethodGet, pollURL, nil, nil)
	if !strings.Contains(rec.Body.String(), "这是实名投票") || strings.Contains(rec.Body.String(), "/results") {
		t.Fatalf("poll page (mode up front, no results before voting):\n%s", rec.Body.String())
	}
	if rec := ts.send(ts.token, http.MethodGet, pollURL+"/results", nil, nil); rec.Code != http.StatusForbidden {
		t.Fatalf("results before voting: %d", rec.Code)
	}
	vote := url.Values{csrfField: {ts.csrf(ts.token)}, "q0": {"1"}, "q1": {"早点出发"}}
	if rec := ts.send(ts.token, http.MethodPost, pollURL+"/vote", nil, vote); rec.Code != http.StatusSeeOther {
		t.Fatalf("vote: %d\n%s", rec.Code, rec.Body.String())
	}
	if rec := ts.send(ts.token, http.MethodPost, pollURL+"/vote", nil, vote); rec.Code != http.StatusConflict {
		t.Fatalf("second vote: %d", rec.Code)
	}
	// Outside the audience: the poll does not exist for tech.
	if rec := ts.send(ts.signIn(techEd), http.MethodGet, pollURL, nil, nil); rec.Code != http.StatusNotFound {
		t.Fatalf("outside the audience: %d", rec.Code)
	}

	rec = ts.send(edTok, http.MethodGet, pollURL+"/results", nil, nil)
	body := rec.Body.String()
	if rec.Code != 200 || !strings.Contains(body, "早点出发") || !strings.Contains(body, employee.Name) || !strings.Contains(body, "/chart/0") {
		t.Fatalf("results:\n%s", body)
	}
	// Not yet voted: 销售部 has 2 members, 1 voted; 财务部 1 member, 0 voted.
	if !regexp.MustCompile(`销售部</td><td>2</td><td>1</td><td class="notvoted-n">1<`).MatchString(body) ||
		!regexp.MustCompile(`财务部</td><td>1</td><td>0</td><td class="notvoted-n">1<`).MatchString(body) {
		t.Fatalf("not-voted counts:\n%s", body)
	}
	rec = ts.send(edTok, http.MethodGet, pollURL+"/chart/0", nil, nil)
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "image/svg+xml" {
		t.Fatalf("chart: %d", rec.Code)
	}
	dec := xml.NewDecoder(rec.Body)
	for {
		if _, err := dec.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("chart is not XML: %v", err)
		}
	}
	if rec := ts.send(edTok, http.MethodGet, pollURL+"/chart/1", nil, nil); rec.Code != http.StatusNotFound {
		t.Fatalf("chart of a text question: %d", rec.Code)
	}
}

// The inbox link shows to those who handle suggestions: admins and editors
// of 人力资源部, not other employees or editors.
func TestSuggestInboxNavLink(t *testing.T) {
	ts := newTestServer(t, nil)
	for _, tc := range []struct {
		user auth.User
		want bool
	}{
		{auth.User{ID: "dev:a", Name: "管理员", Admin: true}, true},
		{auth.User{ID: "dev:hr", Name: "人事", Department: "人力资源部", EditorOf: []string{"人力资源部"}}, true},
		{auth.User{ID: "dev:fin", Name: "财务", Department: "财务部", EditorOf: []string{"财务部"}}, false},
		{auth.User{ID: "dev:e", Name: "员工", Department: "人力资源部"}, false},
	} {
		rec := ts.send(ts.signIn(tc.user), "GET", "/more", nil, nil) // the 更多 page lists it (the tab bar has five places)
		if got := strings.Contains(rec.Body.String(), `href="/suggest"`); got != tc.want {
			t.Errorf("%s: inbox link shown = %v, want %v", tc.user.Name, got, tc.want)
		}
	}
}
