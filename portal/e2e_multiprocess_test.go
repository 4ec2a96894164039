package portal

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/announce"
	"github.com/jinnang/jinnang/portal/config"
	"github.com/jinnang/jinnang/portal/index/bleveindex"
	"github.com/jinnang/jinnang/portal/internal/miniotest"
	"github.com/jinnang/jinnang/portal/jobs"
	"github.com/jinnang/jinnang/portal/markdown"
	"github.com/jinnang/jinnang/portal/packs"
	"github.com/jinnang/jinnang/portal/points"
	"github.com/jinnang/jinnang/portal/polls"
	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/stories"
)

const multiMetricsToken = "multi-process-scrape-0123"

// startProcess runs one portal process (its own server, caches, scheduler
// and bleve index in dataDir) on the MinIO bucket cfg.
func startProcess(t *testing.T, cfg store.S3Config, dataDir string) string {
	t.Helper()
	args := []string{"-addr", "127.0.0.1:0", "-data-dir", dataDir, "-log-level", "warn",
		"-s3-endpoint", cfg.Endpoint, "-s3-access-key", cfg.AccessKey, "-s3-secret-key", cfg.SecretKey,
		"-s3-bucket", cfg.Bucket, "-metrics-token", multiMetricsToken}
	c, err := config.Load(args, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, c, Files{Templates: os.DirFS("../templates"), Assets: os.DirFS("../assets"), Content: os.DirFS("../content")},
			testWriter{t}, func(a net.Addr) { addr <- a })
	}()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case a := <-addr:
		return "http://" + a.String()
	case err := <-done:
		t.Fatalf("portal did not start: %v", err)
	case <-time.After(90 * time.Second):
		t.Fatal("portal did not start within 90s")
	}
	return ""
}

// alternating is a reverse proxy that sends each request to the next
// backend in turn, as a round-robin load balancer does.
type alternating struct {
	*httptest.Server
	served []atomic.Int64
}

func newAlternating(t *testing.T, bases ...string) *alternating {
	var targets []*url.URL
	for _, b := range bases {
		u, err := url.Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		targets = append(targets, u)
	}
	p := &alternating{served: make([]atomic.Int64, len(targets))}
	var n atomic.Uint64
	rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		i := int(n.Add(1) % uint64(len(targets)))
		p.served[i].Add(1)
		r.SetURL(targets[i])
		r.Out.Host = r.In.Host // the processes see the balancer's host, as behind nginx
	}}
	p.Server = httptest.NewServer(rp)
	t.Cleanup(p.Close)
	return p
}

func scrapeMetrics(t *testing.T, base string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+multiMetricsToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s/metrics: %d", base, resp.StatusCode)
	}
	return string(b)
}

// jobRuns sums jinnang_job_runs_total of one job in a scrape.
func jobRuns(out, job string) int {
	re := regexp.MustCompile(`(?m)^jinnang_job_runs_total\{job="` + regexp.QuoteMeta(job) + `",result="[a-z]+"\} (\d+)`)
	n := 0
	for _, m := range re.FindAllStringSubmatch(out, -1) {
		v, _ := strconv.Atoi(m[1])
		n += v
	}
	return n
}

func getBody(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestManyProcessesOneTruth runs two portal processes on one MinIO behind
// an alternating proxy: a session made through one works through the
// other, likes and votes stay create-once and read receipts are all kept
// when both processes take them at once, a start-up job runs once and not once per process, a pack
// changed by another process is re-rendered by both, and a third process
// on the first one's bleve directory refuses to start.
func TestManyProcessesOneTruth(t *testing.T) {
	ctx := context.Background()
	cfg := miniotest.Start(t)
	dirA := t.TempDir()
	a := startProcess(t, cfg, dirA)
	b := startProcess(t, cfg, t.TempDir())
	lb := newAlternating(t, a, b)

	// Sign in through one process (the flow's requests alternate), continue through the other.
	client := devClient(t, lb.URL, "wangmin")
	for i := 0; i < 4; i++ {
		code, body := getBody(t, client, lb.URL+"/me")
		if code != http.StatusOK || !strings.Contains(body, `class="who"`) {
			t.Fatalf("request %d after sign-in through the proxy: %d, signed in: %v", i, code, strings.Contains(body, `class="who"`))
		}
	}
	if lb.served[0].Load() == 0 || lb.served[1].Load() == 0 {
		t.Fatalf("the proxy did not use both processes: %d %d", lb.served[0].Load(), lb.served[1].Load())
	}

	// The test's own view of the bucket, as a third process would have.
	st, err := store.NewS3(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := bleveindex.Open("")
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))

	// Likes: the same person likes one story through both processes at once.
	ss := stories.New(st, ix, quiet, stories.Options{})
	story, err := ss.Create(ctx, stories.NewStory{Author: stories.Author{ID: "dev:lihua", Name: "李华", Department: "技术部"}, Text: "两个进程一起点赞"})
	if err != nil {
		t.Fatal(err)
	}
	tok := csrfOf(t, client, lb.URL+"/stories/new")
	concurrently(t, 6, func() int {
		resp, err := client.PostForm(lb.URL+"/stories/"+story.ID+"/like", url.Values{"_csrf": {tok}})
		if err != nil {
			t.Error(err)
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	})
	if n, _, err := ss.Likes(ctx, story.ID, "dev:wangmin"); err != nil || n != 1 {
		t.Errorf("likes after six concurrent likes through two processes: %d %v, want 1", n, err)
	}

	// Votes: one vote, whichever process takes it.
	key := bytes.Repeat([]byte{7}, 32)
	ps, err := polls.New(st, key, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	poll, err := ps.Create(ctx, polls.Poll{Title: "团建去哪里", Questions: []polls.Question{{Text: "地点", Kind: polls.Single, Options: []string{"山", "海"}}},
		Deadline: time.Now().Add(24 * time.Hour), Mode: polls.Anonymous, Owner: "dev:zhangwei", Created: time.Now().Format("2006-01-02")})
	if err != nil {
		t.Fatal(err)
	}
	codes := concurrently(t, 6, func() int {
		resp, err := client.PostForm(lb.URL+"/polls/"+poll.ID+"/vote", url.Values{"_csrf": {tok}, "q0": {"1"}})
		if err != nil {
			t.Error(err)
			return 0
		}
		resp.Body.Close()
		if resp.Request.URL.Query().Get("voted") == "1" {
			return http.StatusSeeOther
		}
		return resp.StatusCode
	})
	if codes[http.StatusSeeOther] != 1 || codes[http.StatusConflict] != 5 {
		t.Errorf("six concurrent votes: %v, want one accepted and five 409", codes)
	}
	votes := 0
	for _, err := range st.List(ctx, "polls/"+poll.ID+"/votes/") {
		if err != nil {
			t.Fatal(err)
		}
		votes++
	}
	if votes != 1 {
		t.Errorf("%d vote records, want 1", votes)
	}

	// Read receipts: four people, each confirming twice at once through both
	// processes; receipts of one department share a record (If-Match), none is lost.
	as := announce.New(st, markdown.New(), nil)
	ann, err := as.Create(ctx, announce.Input{Title: "年终盘点安排", Body: "请确认已读。", Everyone: true, Confirm: true, By: "dev:zhangwei", ByName: "张伟"})
	if err != nil {
		t.Fatal(err)
	}
	readers := map[string]string{"wangmin": "财务部", "liuyang": "技术部", "lina": "行政部", "chenchen": "销售部"}
	clients := map[string]*http.Client{"wangmin": client}
	tokens := map[string]string{"wangmin": tok}
	for who := range readers {
		if clients[who] == nil {
			clients[who] = devClient(t, lb.URL, who)
			tokens[who] = csrfOf(t, clients[who], lb.URL+"/stories/new")
		}
	}
	var jobsMu sync.Mutex
	var queue []string
	for who := range readers {
		queue = append(queue, who, who)
	}
	codes = concurrently(t, len(queue), func() int {
		jobsMu.Lock()
		who := queue[0]
		queue = queue[1:]
		jobsMu.Unlock()
		resp, err := clients[who].PostForm(lb.URL+"/announcements/"+ann.ID+"/receipt", url.Values{"_csrf": {tokens[who]}, "kind": {announce.ReceiptAck}})
		if err != nil {
			t.Error(err)
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	})
	if codes[http.StatusOK] != 8 {
		t.Errorf("eight concurrent confirmations: %v, want all answered 200 (after the redirect)", codes)
	}
	var depts []string
	for _, d := range readers {
		depts = append(depts, d)
	}
	got, err := as.Receipts(ctx, ann.ID, depts)
	if err != nil {
		t.Fatal(err)
	}
	for who, dept := range readers {
		if len(got[dept]) != 1 || got[dept]["dev:"+who].Kind != announce.ReceiptAck {
			t.Errorf("receipts of %s: %+v, want exactly %s's", dept, got[dept], who)
		}
	}

	// Jobs: the start-up upkeep ran in one process, not in each.
	outA, outB := scrapeMetrics(t, a), scrapeMetrics(t, b)
	for _, job := range []string{jobKnowledgeUpkeep, jobOutboxReplay} {
		if n := jobRuns(outA, job) + jobRuns(outB, job); n != 1 {
			t.Errorf("%s ran %d times across two processes, want 1 (a: %d, b: %d)", job, n, jobRuns(outA, job), jobRuns(outB, job))
		}
	}
	// A third process starting now finds the job done within its period.
	rec := jobs.New(st, jobs.Options{})
	rec.Register(jobKnowledgeUpkeep, time.Hour, time.Minute, func(context.Context) error { return nil })
	if ran, err := rec.RunDue(ctx, jobKnowledgeUpkeep); ran || err != nil {
		t.Errorf("a third scheduler ran knowledge upkeep right after start-up: %v %v", ran, err)
	}
	if last, err := rec.Last(ctx, jobKnowledgeUpkeep); err != nil || last.Holder == "" || !last.OK() {
		t.Errorf("last knowledge upkeep: %+v %v", last, err)
	}

	// Render cache: both processes render the pack, another process changes it, both show the change.
	const page = "/packs/expense-reimbursement"
	for i := 0; i < 2; i++ {
		if code, body := getBody(t, client, lb.URL+page); code != http.StatusOK || !strings.Contains(body, "十二年") {
			t.Fatalf("GET %s: %d", page, code)
		}
	}
	rc, _, err := st.Get(ctx, packs.Key("expense-reimbursement"))
	if err != nil {
		t.Fatal(err)
	}
	src, _ := io.ReadAll(rc)
	rc.Close()
	changed := strings.Replace(string(src), "十二年", "十三年（另一进程改的）", 1)
	if _, err := st.Put(ctx, packs.Key("expense-reimbursement"), strings.NewReader(changed), store.PutOptions{Size: int64(len(changed))}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if _, body := getBody(t, client, lb.URL+page); !strings.Contains(body, "十三年（另一进程改的）") {
			t.Errorf("request %d after another process changed the pack still shows the old text", i)
		}
	}

	// Embedded bleve: a process on the first one's data directory refuses to start.
	c, err := config.Load([]string{"-addr", "127.0.0.1:0", "-data-dir", dirA, "-log-level", "warn",
		"-s3-endpoint", cfg.Endpoint, "-s3-access-key", cfg.AccessKey, "-s3-secret-key", cfg.SecretKey, "-s3-bucket", cfg.Bucket},
		func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	err = run(rctx, c, Files{Templates: os.DirFS("../templates"), Assets: os.DirFS("../assets"), Content: os.DirFS("../content")}, testWriter{t}, nil)
	if !errors.Is(err, bleveindex.ErrLocked) || !strings.Contains(err.Error(), filepath.Join(dirA, "index.bleve")) {
		t.Errorf("a second process on %s: %v, want the bleve lock refusal", dirA, err)
	}
}

// concurrently runs f n times at once and counts the results.
func concurrently(t *testing.T, n int, f func() int) map[int]int {
	var mu sync.Mutex
	out := map[int]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			code := f()
			mu.Lock()
			out[code]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	return out
}

// TestPointsCacheAcrossProcesses: the leaderboard a process caches catches
// up with a story another process posted once the cache time (a minute)
// has passed, without any message between the processes.
func TestPointsCacheAcrossProcesses(t *testing.T) {
	ctx := context.Background()
	st, err := store.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	newProcess := func(now func() time.Time) (*stories.Service, *points.Service) {
		ix, err := bleveindex.Open("")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ix.Close() })
		ss := stories.New(st, ix, quiet, stories.Options{})
		ps := points.New(nil, now, points.PostsSource(st, points.KindPack), ss.PointsSource())
		ps.UseStore(st) // as portal.go: the stored tally, kept by story writes
		ss.SetPoints(ps)
		return ss, ps
	}
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	sa, _ := newProcess(clock)
	_, pb := newProcess(clock)
	board, err := pb.Board(ctx, clock())
	if err != nil || len(board.Entries) != 0 {
		t.Fatalf("empty board: %+v %v", board, err)
	}
	if _, err := sa.Create(ctx, stories.NewStory{Author: stories.Author{ID: "dev:lihua", Name: "李华", Department: "技术部"}, Text: "另一进程发的故事"}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	now = now.Add(points.CacheFor + time.Second)
	mu.Unlock()
	board, err = pb.Board(ctx, clock())
	if err != nil {
		t.Fatal(err)
	}
	if len(board.Entries) != 1 || board.Entries[0].UserID != "dev:lihua" || board.Entries[0].Points == 0 {
		t.Fatalf("board a cache time after another process's story: %+v", board.Entries)
	}
}
