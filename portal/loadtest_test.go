package portal

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Load test shape (bounded, loopback only): 200 reading connections mixing
// the home page, pack pages, search and the story feed for loadDuration,
// and 50 writers posting stories at a person's pace. It asserts what must
// hold under load (no errors, no lost or corrupt writes) and logs req/s and
// latency percentiles as figures, never as assertions.
const (
	loadReaders  = 200
	loadWriters  = 50
	loadDuration = 60 * time.Second
	writerPause  = 2500 * time.Millisecond // within the per-person write limit
	readerPause  = 200 * time.Millisecond  // a person reads before the next click
	// loadTimeout is generous: under the race detector on a shared 2-core
	// machine a saturated portal answers in seconds, which is slow, not an
	// error; an answer that never comes is one.
	loadTimeout = 120 * time.Second
)

var storyLoc = regexp.MustCompile(`^/stories/([a-z2-7]{16})$`)

func TestLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("load test: skipped with -short")
	}
	// The header provider signs every connection in as its own person, as
	// behind the company's SSO proxy. The call deadlines are off: the
	// embedded disk store and bleve index cannot hang like a remote server,
	// but under the race detector on a saturated 2-core machine a search can
	// take longer than any deadline meant for a frozen MinIO (the deadlines
	// have their own tests).
	base := startPortal(t, "-auth", "header", "-trusted-proxies", "127.0.0.1/32",
		"-store-timeout", "0", "-index-timeout", "0")
	entries, err := os.ReadDir("../content/packs")
	if err != nil {
		t.Fatal(err)
	}
	var slugs []string
	for _, e := range entries {
		if s, ok := strings.CutSuffix(e.Name(), ".md"); ok {
			slugs = append(slugs, s)
		}
	}
	words := []string{"报销", "年假", "值班表", "入职", "发票", "合同审批", "会议室", "差旅标准"}
	transport := &http.Transport{MaxIdleConns: 400, MaxIdleConnsPerHost: 400}
	defer transport.CloseIdleConnections()
	client := func(user string) *http.Client {
		jar, _ := cookiejar.New(nil)
		return &http.Client{Jar: jar, Timeout: loadTimeout, Transport: userHeader{user: user, rt: transport},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}

	var (
		requests, failures atomic.Int64
		mu                 sync.Mutex
		latencies          []time.Duration
		firstErr           atomic.Value
	)
	fail := func(format string, a ...any) {
		failures.Add(1)
		firstErr.CompareAndSwap(nil, fmt.Sprintf(format, a...))
	}
	stop := time.Now().Add(loadDuration)
	var wg sync.WaitGroup
	for r := range loadReaders {
		wg.Go(func() {
			c := client(fmt.Sprintf("reader%03d", r))
			var mine []time.Duration
			for i := 0; time.Now().Before(stop); i++ {
				var p string
				switch n := (r + i) % 20; {
				case n < 8:
					p = "/"
				case n < 13:
					p = "/packs/" + slugs[(r*7+i)%len(slugs)]
				case n < 17:
					p = "/search?q=" + url.QueryEscape(words[(r+i)%len(words)])
				default:
					p = "/stories"
				}
				t0 := time.Now()
				resp, err := c.Get(base + p)
				if err != nil {
					fail("GET %s: %v", p, err)
					continue
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				mine = append(mine, time.Since(t0))
				requests.Add(1)
				if err != nil || resp.StatusCode != http.StatusOK {
					fail("GET %s: %d %v", p, resp.StatusCode, err)
				}
				time.Sleep(readerPause)
			}
			mu.Lock()
			latencies = append(latencies, mine...)
			mu.Unlock()
		})
	}
	type written struct{ id, text string }
	var (
		wmu   sync.Mutex
		wrote []written
	)
	for w := range loadWriters {
		wg.Go(func() {
			c := client(fmt.Sprintf("writer%02d", w))
			resp, err := c.Get(base + "/stories/new")
			if err != nil {
				fail("writer %d: %v", w, err)
				return
			}
			page, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			m := csrfRE.FindSubmatch(page)
			if m == nil {
				fail("writer %d: no CSRF token (%d)", w, resp.StatusCode)
				return
			}
			for i := 0; time.Now().Before(stop); i++ {
				text := fmt.Sprintf("压测故事 写者%02d 第%d条 #压测", w, i)
				var body bytes.Buffer
				mw := multipart.NewWriter(&body)
				mw.WriteField("_csrf", string(m[1]))
				mw.WriteField("text", text)
				mw.Close()
				req, _ := http.NewRequest(http.MethodPost, base+"/stories", &body)
				req.Header.Set("Content-Type", mw.FormDataContentType())
				t0 := time.Now()
				resp, err := c.Do(req)
				if err != nil {
					fail("POST /stories: %v", err)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				requests.Add(1)
				mu.Lock()
				latencies = append(latencies, time.Since(t0))
				mu.Unlock()
				loc := storyLoc.FindStringSubmatch(resp.Header.Get("Location"))
				if resp.StatusCode != http.StatusSeeOther || loc == nil {
					fail("POST /stories: %d %q", resp.StatusCode, resp.Header.Get("Location"))
					continue
				}
				wmu.Lock()
				wrote = append(wrote, written{loc[1], text})
				wmu.Unlock()
				time.Sleep(writerPause)
			}
		})
	}
	began := time.Now()
	wg.Wait()
	took := time.Since(began)

	slices.Sort(latencies)
	pct := func(p float64) time.Duration {
		if len(latencies) == 0 {
			return 0
		}
		return latencies[min(len(latencies)-1, int(float64(len(latencies))*p))]
	}
	t.Logf("load: %d requests in %s = %.0f req/s; p50 %s, p99 %s, max %s; %d stories written; %d errors",
		requests.Load(), took.Round(time.Millisecond), float64(requests.Load())/took.Seconds(),
		pct(0.50).Round(time.Millisecond), pct(0.99).Round(time.Millisecond), pct(1).Round(time.Millisecond), len(wrote), failures.Load())
	if n := failures.Load(); n > 0 {
		t.Errorf("%d failed requests under load; first: %v", n, firstErr.Load())
	}
	if len(wrote) == 0 {
		t.Fatal("no writes were acknowledged")
	}
	// Every acknowledged write is there, intact, and in the feed's count.
	c := client("checker")
	for _, w := range wrote {
		resp, err := c.Get(base + "/stories/" + w.id)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), strings.TrimSuffix(w.text, " #压测")) {
			t.Errorf("story %s (%q) lost or corrupt after the load: %d", w.id, w.text, resp.StatusCode)
		}
	}
	resp, err := c.Get(base + "/stories/tag/" + url.PathEscape("压测"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := fmt.Sprintf("共 %d 条故事", len(wrote)); !strings.Contains(string(b), want) {
		t.Errorf("the #压测 feed does not say %q", want)
	}
}

// userHeader is the SSO proxy: it names the person on every request.
type userHeader struct {
	user string
	rt   http.RoundTripper
}

func (u userHeader) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-User", u.user)
	return u.rt.RoundTrip(r)
}
