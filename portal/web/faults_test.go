package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"iter"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/auth"
	"github.com/jinnang/jinnang/portal/files"
	"github.com/jinnang/jinnang/portal/images"
	"github.com/jinnang/jinnang/portal/index/bleveindex"
	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/suggest"
)

// breakable is a store whose calls fail with err on keys under prefix while
// err is set.
type breakable struct {
	store.Store
	mu     sync.Mutex
	prefix string
	err    error
}

func (b *breakable) fail(key string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil && strings.HasPrefix(key, b.prefix) {
		return b.err
	}
	return nil
}

func (b *breakable) set(prefix string, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.prefix, b.err = prefix, err
}

func (b *breakable) Get(ctx context.Context, key string) (io.ReadCloser, store.Object, error) {
	if err := b.fail(key); err != nil {
		return nil, store.Object{}, err
	}
	return b.Store.Get(ctx, key)
}

func (b *breakable) Stat(ctx context.Context, key string) (store.Object, error) {
	if err := b.fail(key); err != nil {
		return store.Object{}, err
	}
	return b.Store.Stat(ctx, key)
}

func (b *breakable) List(ctx context.Context, prefix string) iter.Seq2[store.Object, error] {
	return func(yield func(store.Object, error) bool) {
		if err := b.fail(prefix); err != nil {
			yield(store.Object{}, err)
			return
		}
		for o, err := range b.Store.List(ctx, prefix) {
			if !yield(o, err) {
				return
			}
		}
	}
}

// syncBuf is a log sink safe for concurrent handlers.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestAnonymousPathLogsNothing: 404, 403, 429 and 500 on /s/ leave no log
// line that names the path, the box, the address or the browser; the 500
// logs only a random incident id, which the visitor sees too.
func TestAnonymousPathLogsNothing(t *testing.T) {
	logs := &syncBuf{}
	disk, err := store.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	brk := &breakable{Store: disk}
	sg, _ := newTestSuggest(t, brk)
	ts2 := newTestServer(t, func(o *Options) {
		o.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		o.Auth.WriteLimit = auth.NewLimiter(1, 2, nil)
		o.Suggest = sg
	})
	ctx := context.Background()
	box, err := sg.CreateBox(ctx, "食堂意见箱", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	const ua = "Mozilla/5.0 (iPhone) MicroMessenger/8.0.50 Unique-Agent-7731"
	anon := func(method, target string, form url.Values) *httptest.ResponseRecorder {
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req := httptest.NewRequest(method, target, body)
		req.RemoteAddr = "203.0.113.77:50123"
		req.Header.Set("User-Agent", ua)
		req.Header.Set("X-Forwarded-For", "198.51.100.23")
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		rec := httptest.NewRecorder()
		ts2.ServeHTTP(rec, req)
		return rec
	}
	if rec := anon(http.MethodGet, "/s/no-such-box-4242", nil); rec.Code != http.StatusNotFound {
		t.Errorf("missing box: %d", rec.Code)
	}
	if rec := anon(http.MethodPost, "/s/"+box.ID, url.Values{"body": {"没有令牌"}}); rec.Code != http.StatusForbidden {
		t.Errorf("no token: %d", rec.Code)
	}
	limited := false
	for range 5 {
		if anon(http.MethodPost, "/s/"+box.ID, url.Values{"body": {"太快了"}}).Code == http.StatusTooManyRequests {
			limited = true
		}
	}
	if !limited {
		t.Error("the anonymous write limit never answered 429")
	}
	brk.set("suggest/", errors.New("disk on fire"))
	rec := anon(http.MethodGet, "/s/"+box.ID, nil)
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("broken store: %d", rec.Code)
	}
	id := regexp.MustCompile(`[0-9a-f]{12}`).FindString(regexp.MustCompile(`事件编号 [0-9a-f]{12}`).FindString(rec.Body.String()))
	if id == "" {
		t.Fatalf("the 500 page shows no incident id:\n%s", rec.Body.String())
	}
	out := logs.String()
	if !strings.Contains(out, "incident="+id) {
		t.Errorf("the incident id %s is not in the log:\n%s", id, out)
	}
	for _, secret := range []string{"/s/", box.ID, "no-such-box", "203.0.113.77", "198.51.100.23", "Unique-Agent", "anon:", "path="} {
		if strings.Contains(out, secret) {
			t.Errorf("the log holds %q:\n%s", secret, out)
		}
	}
	if n := strings.Count(out, "\n"); n != 1 {
		t.Errorf("%d log lines, want only the incident line:\n%s", n, out)
	}
}

// TestUnavailableIs503: a store that is down or too slow gives the friendly
// 503 page (or fragment) with Retry-After, not a 500.
func TestUnavailableIs503(t *testing.T) {
	for _, cause := range []error{
		fmt.Errorf("read departments: %w", store.ErrUnavailable),
		&url.Error{Op: "Get", URL: "http://minio:9000/", Err: &timeoutErr{}},
	} {
		disk, err := store.NewDisk(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		brk := &breakable{Store: disk}
		ts2 := newTestServer(t, func(o *Options) { o.Files = newFilesOver(t, brk) })
		brk.set("departments/", cause)
		for _, h := range []map[string]string{nil, hx, english} {
			rec := ts2.send(ts2.token, http.MethodGet, "/departments", h, nil)
			if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
				t.Errorf("%v %v: %d, Retry-After %q", cause, h, rec.Code, rec.Header().Get("Retry-After"))
			}
			body := rec.Body.String()
			want := "请稍候再试"
			if h != nil && h["Cookie"] != "" {
				want = "Please try again shortly"
			}
			if !strings.Contains(body, want) {
				t.Errorf("%v: 503 page lacks %q", h, want)
			}
			if h != nil && h["HX-Request"] != "" && strings.Contains(body, "<html") {
				t.Error("an HTMX request got a whole page, not a fragment")
			}
		}
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

// TestClientGoneIsNot500: a request whose client went away is logged as
// such, not as an ERROR with status 500.
func TestClientGoneIsNot500(t *testing.T) {
	logs := &syncBuf{}
	ts := newTestServer(t, func(o *Options) {
		o.Logger = slog.New(slog.NewTextHandler(logs, nil))
	})
	ts.packs.searchErr = context.Canceled
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequest(http.MethodGet, "/search?q=报销", nil).WithContext(ctx)
	req.Header.Set("Cookie", sessionCookiePlain+"="+ts.token)
	rec := httptest.NewRecorder()
	ts.ServeHTTP(rec, req)
	out := logs.String()
	if strings.Contains(out, "level=ERROR") || strings.Contains(out, "status=500") {
		t.Errorf("a client that went away was logged as a server error:\n%s", out)
	}
	if !strings.Contains(out, "client went away") || !strings.Contains(out, "status=499") {
		t.Errorf("the log does not say the client went away:\n%s", out)
	}
}

// newFilesOver is a files service over st with an in-memory index.
func newFilesOver(t *testing.T, st store.Store) *files.Service {
	t.Helper()
	ix, err := bleveindex.Open("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	return files.New(st, ix, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// sizedPNG is a w×h PNG.
func sizedPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(i / 7)
	}
	var b bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestPhotoBudgets: busy decoders give 503 with Retry-After; an anonymous
// address over its pixel rate gets 429, counted in pixels, not requests.
func TestPhotoBudgets(t *testing.T) {
	budget := images.NewBudget(1, 20*time.Millisecond)
	ts := newTestServer(t, func(o *Options) {
		o.PhotoBudget = budget
		o.AnonPixelLimit = auth.NewLimiter(1, 10, nil) // 10 megapixels at once
	})
	small := pngBytes(t)
	release, err := budget.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	rec := ts.postStoryForm(ts.token, "忙的时候发的", map[string][]byte{"a.png": small}, []string{"a.png"})
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Errorf("story photo with every decode slot busy: %d, Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
	}
	release()
	if rec := ts.postStoryForm(ts.token, "不忙了", map[string][]byte{"a.png": small}, []string{"a.png"}); rec.Code != http.StatusSeeOther {
		t.Errorf("story photo with a free slot: %d", rec.Code)
	}

	sg := ts.opts.Suggest.(*suggest.Service)
	box, err := sg.CreateBox(context.Background(), "食堂", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	four := sizedPNG(t, 2000, 2000) // 4 megapixels
	post := func() int {
		var body bytes.Buffer
		w := multipart.NewWriter(&body)
		w.WriteField("token", sg.FormToken(box.ID))
		w.WriteField("body", "图片建议")
		fw, _ := w.CreateFormFile("images", "a.png")
		fw.Write(four)
		w.Close()
		req := httptest.NewRequest(http.MethodPost, "/s/"+box.ID, &body)
		req.Header.Set("Content-Type", w.FormDataContentType())
		rec := httptest.NewRecorder()
		ts.ServeHTTP(rec, req)
		return rec.Code
	}
	// 4 + 4 megapixels fit the burst of 10; the third image does not,
	// though it is only the third request.
	for i, want := range []int{http.StatusOK, http.StatusOK, http.StatusTooManyRequests} {
		if got := post(); got != want {
			t.Errorf("anonymous post %d: %d, want %d", i+1, got, want)
		}
	}
}

// TestTruncatedPDFTellsTheEditor: a PDF cut short is stored, and its
// editors are told that its text could not be read; a long Chinese file
// name is kept for display while the store key stays short.
func TestTruncatedPDFTellsTheEditor(t *testing.T) {
	ts := newTestServer(t, nil)
	tok := ts.signIn(financeEd)
	pdf, err := os.ReadFile("../extract/testdata/差旅标准.pdf")
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("差旅报销标准说明", 38) + ".pdf" // 304 Chinese characters
	rec := ts.sendMultipart(tok, "/files", nil, []field{{csrfField, ts.csrf(tok)}, {"dept", "财务部"}, {"title", "差旅标准"}},
		&upload{"file", long, bytes.NewReader(pdf[:len(pdf)/2])})
	m := fileLocation.FindStringSubmatch(rec.Header().Get("Location"))
	if rec.Code != http.StatusSeeOther || m == nil {
		t.Fatalf("upload of a truncated PDF with a long name: %d\n%.500s", rec.Code, rec.Body.String())
	}
	page := ts.send(tok, http.MethodGet, "/files/"+m[1], nil, nil).Body.String()
	if !strings.Contains(page, "这个文件的文字无法读取") {
		t.Error("the editor is not told that the PDF's text could not be read")
	}
	if !strings.Contains(page, "差旅报销标准说明差旅报销标准说明") {
		t.Error("the file page lost the display name")
	}
	if other := ts.send(ts.token, http.MethodGet, "/files/"+m[1], nil, nil).Body.String(); strings.Contains(other, "这个文件的文字无法读取") {
		t.Error("an employee who cannot edit sees the editor's notice")
	}
	f, err := ts.files.Get(context.Background(), m[1])
	if err != nil {
		t.Fatal(err)
	}
	for _, seg := range strings.Split(f.Current().Key, "/") {
		if len(seg) > 100 {
			t.Errorf("store key segment of %d bytes: %s", len(seg), f.Current().Key)
		}
	}
}

// TestClientAddressBehindProxies: X-Forwarded-For names the client only
// when the direct peer is a trusted proxy; otherwise a client cannot pick
// its own rate-limit bucket.
func TestClientAddressBehindProxies(t *testing.T) {
	s := &server{trusted: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}}
	for _, tc := range []struct {
		remote string
		xff    []string
		want   string
	}{
		{"203.0.113.9:5000", nil, "203.0.113.9"},
		{"203.0.113.9:5000", []string{"198.51.100.1"}, "203.0.113.9"},                  // untrusted peer: header ignored
		{"10.0.0.2:5000", []string{"198.51.100.1"}, "198.51.100.1"},                    // the balancer
		{"10.0.0.2:5000", []string{"6.6.6.6, 198.51.100.1, 10.0.0.7"}, "198.51.100.1"}, // two proxies; a forged first hop
		{"10.0.0.2:5000", []string{"6.6.6.6", "198.51.100.1"}, "198.51.100.1"},         // several headers
		{"[fd00::1]:5000", []string{"2001:db8::5"}, "2001:db8::5"},
		{"10.0.0.2:5000", []string{"not-an-ip"}, "10.0.0.2"},
		{"10.0.0.2:5000", nil, "10.0.0.2"},
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = tc.remote
		for _, h := range tc.xff {
			r.Header.Add("X-Forwarded-For", h)
		}
		if got := s.clientAddr(r); got != tc.want {
			t.Errorf("%s %q: %s, want %s", tc.remote, tc.xff, got, tc.want)
		}
	}
}

// TestSignInBehindBalancerIsPerClient: behind a trusted load balancer,
// sign-ins from many clients do not share one bucket, while one client
// is still limited.
func TestSignInBehindBalancerIsPerClient(t *testing.T) {
	ts := newTestServer(t, func(o *Options) {
		o.Auth.LoginLimit = auth.NewLimiter(2, 2, nil)
		o.Auth.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")} // httptest's RemoteAddr
	})
	start := func(client string) int {
		return ts.send("", http.MethodGet, "/auth/start", map[string]string{"X-Forwarded-For": client}, nil).Code
	}
	for i := range 50 {
		if code := start(fmt.Sprintf("198.51.100.%d", i)); code != http.StatusSeeOther {
			t.Fatalf("client %d behind the balancer: %d", i, code)
		}
	}
	start("203.0.113.1")
	start("203.0.113.1")
	if code := start("203.0.113.1"); code != http.StatusTooManyRequests {
		t.Errorf("one client's third sign-in: %d, want 429", code)
	}
}

// TestSearchBackendDownIs503: an index that cannot be reached (as
// Meilisearch down: its client wraps the dial error) gives 503 on the
// pages that search, not 500.
func TestSearchBackendDownIs503(t *testing.T) {
	down := fmt.Errorf("meilisearch: search: %w", &url.Error{Op: "Post", URL: "http://meili:7700/multi-search",
		Err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}})
	ts := newTestServer(t, func(o *Options) {
		o.Search = failingSearch{inner: o.Search, err: down} // /search asks one index for everything
	})
	ts.packs.searchErr = down
	for _, p := range []string{"/search?q=报销", "/packs", "/"} {
		if rec := do(ts, http.MethodGet, p, nil); rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
			t.Errorf("GET %s with the index down: %d", p, rec.Code)
		}
	}
}
