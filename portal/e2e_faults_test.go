package portal

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/calls"
	"github.com/jinnang/jinnang/portal/config"
	"github.com/jinnang/jinnang/portal/files"
	"github.com/jinnang/jinnang/portal/internal/miniotest"
	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/stories"
)

// startPortalOn runs the whole portal on the MinIO server srv (bucket cfg),
// with a two-second store deadline and the given store middleware.
func startPortalOn(t *testing.T, cfg store.S3Config, mw ...calls.Middleware) string {
	t.Helper()
	args := []string{"-addr", "127.0.0.1:0", "-data-dir", t.TempDir(), "-log-level", "warn",
		"-s3-endpoint", cfg.Endpoint, "-s3-access-key", cfg.AccessKey, "-s3-secret-key", cfg.SecretKey,
		"-s3-bucket", cfg.Bucket, "-store-timeout", "2s", "-demo-content=false"}
	c, err := config.Load(args, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- runWith(ctx, c, Files{
			Templates: os.DirFS("../templates"),
			Assets:    os.DirFS("../assets"),
			Content:   os.DirFS("../content"),
		}, testWriter{t}, runOptions{listening: func(a net.Addr) { addr <- a }, storeMW: mw})
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
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

// csrfOf reads the CSRF token from a form page.
func csrfOf(t *testing.T, c *http.Client, url string) string {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfRE.FindSubmatch(b)
	if m == nil {
		t.Fatalf("no CSRF token on %s (%d)", url, resp.StatusCode)
	}
	return string(m[1])
}

// postMultipart sends fields (in order) and one file part.
func postMultipart(t *testing.T, c *http.Client, url string, fields [][2]string, fileField, fileName string, file []byte) *http.Response {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, f := range fields {
		if err := w.WriteField(f[0], f[1]); err != nil {
			t.Fatal(err)
		}
	}
	if fileField != "" {
		fw, err := w.CreateFormFile(fileField, fileName)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(file)
	}
	w.Close()
	req, err := http.NewRequest(http.MethodPost, url, &buf)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Origin", strings.TrimSuffix(strings.SplitN(url, "/", 4)[0]+"//"+strings.SplitN(url, "/", 4)[2], "/"))
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func status(t *testing.T, c *http.Client, url string) (int, string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(b) + "\nRetry-After: " + resp.Header.Get("Retry-After")
}

// TestFrozenMinIOAnswers503: with MinIO stopped by SIGSTOP, pages and a
// write answer 503 with Retry-After (not a hang); after SIGCONT they work.
func TestFrozenMinIOAnswers503(t *testing.T) {
	srv := miniotest.Run(t)
	base := startPortalOn(t, miniotest.NewBucket(srv.Config()))
	client := devClient(t, base, "chenchen")
	client.Timeout = 60 * time.Second // generous: the answer must come, its speed is not asserted
	waitFor200(t, client, base+"/stories")
	tok := csrfOf(t, client, base+"/stories/new")

	srv.Freeze()
	for _, p := range []string{"/", "/stories", "/packs/expense-claims", "/me", "/departments"} {
		code, body := status(t, client, base+p)
		if code != http.StatusServiceUnavailable || !strings.Contains(body, "Retry-After: 1") {
			t.Errorf("GET %s while MinIO is frozen: %d, want 503 with Retry-After", p, code)
		}
		if !strings.Contains(body, "请稍候再试") {
			t.Errorf("GET %s: the 503 page is not the friendly one", p)
		}
	}
	resp := postMultipart(t, client, base+"/stories", [][2]string{{"_csrf", tok}, {"text", "冻住的时候发的"}}, "", "", nil)
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("POST /stories while MinIO is frozen: %d, want 503", resp.StatusCode)
	}
	srv.Thaw()
	waitFor200(t, client, base+"/stories")
}

// waitFor200 polls url until it answers 200: on a busy machine a MinIO call
// may outlast the short test deadline now and then, which is a 503, not a
// failure of what the tests check.
func waitFor200(t *testing.T, c *http.Client, url string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		code, _ := status(t, c, url)
		if code == 200 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: still %d after a minute", url, code)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestKilledMinIOMidPostAndUpload: MinIO dies (SIGKILL) after a story's
// photos and before its record, and after a file's bytes and before its
// record. The post and the upload fail with 503, no partial story or file
// is visible after a restart, and the orphan sweep removes the leftovers.
func TestKilledMinIOMidPostAndUpload(t *testing.T) {
	srv := miniotest.Run(t)
	bucket := miniotest.NewBucket(srv.Config())
	var killOn atomic.Value // the key suffix whose Put kills MinIO
	killOn.Store("")
	kill := func(ctx context.Context, c *calls.Call, next calls.Next) error {
		if suffix := killOn.Load().(string); suffix != "" && c.Op == "put" && strings.HasSuffix(c.Key, suffix) {
			killOn.Store("")
			srv.Kill()
		}
		return next(ctx)
	}
	base := startPortalOn(t, bucket, kill)
	photo, err := os.ReadFile("images/testdata/gps-exif.jpg")
	if err != nil {
		t.Fatal(err)
	}
	const text = "服务器崩溃时发的故事"

	client := devClient(t, base, "chenchen")
	client.Timeout = 90 * time.Second
	tok := csrfOf(t, client, base+"/stories/new")
	killOn.Store("/story.json")
	resp := postMultipart(t, client, base+"/stories", [][2]string{{"_csrf", tok}, {"text", text}}, "images", "IMG_1.jpg", photo)
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("POST /stories with MinIO killed mid-post: %d, want 503", resp.StatusCode)
	}

	srv.Restart()
	waitFor200(t, client, base+"/stories")
	editor := devClient(t, base, "wangmin")
	editor.Timeout = 90 * time.Second
	ftok := csrfOf(t, editor, base+"/files/new")
	killOn.Store("/meta.json")
	resp = postMultipart(t, editor, base+"/files", [][2]string{{"_csrf", ftok}, {"dept", "财务部"}, {"title", "崩溃时上传的表格"}},
		"file", "报销.txt", []byte("出差报销需要发票原件。\n"))
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("POST /files with MinIO killed mid-upload: %d, want 503", resp.StatusCode)
	}

	srv.Restart()
	waitFor200(t, editor, base+"/files")
	ctx := t.Context()
	st, err := store.NewS3(ctx, bucket)
	if err != nil {
		t.Fatal(err)
	}
	count := func(prefix string) (n int, records int) {
		for o, err := range st.List(ctx, prefix) {
			if err != nil {
				t.Fatal(err)
			}
			n++
			if strings.HasSuffix(o.Key, "/story.json") || strings.HasSuffix(o.Key, "/meta.json") {
				records++
			}
		}
		return n, records
	}
	if n, recs := count("stories/"); n == 0 || recs != 0 {
		t.Errorf("after the crash: %d story objects, %d records; want orphan photos and no record", n, recs)
	}
	if n, recs := count("files/"); n == 0 || recs != 0 {
		t.Errorf("after the crash: %d file objects, %d records; want orphan bytes and no record", n, recs)
	}
	for _, p := range []string{"/stories", "/files"} {
		code, body := status(t, editor, base+p)
		if code != 200 || strings.Contains(body, text) || strings.Contains(body, "崩溃时上传的表格") {
			t.Errorf("GET %s after the crash: %d, or it shows the half-written post", p, code)
		}
	}
	// The sweep removes what is older than its cutoff (here: everything).
	later := time.Now().Add(time.Minute)
	if n, err := stories.New(st, nil, nil, stories.Options{}).SweepOrphans(ctx, later); err != nil || n == 0 {
		t.Errorf("story sweep: %d, %v", n, err)
	}
	if n, err := files.New(st, nil, nil).SweepOrphans(ctx, later); err != nil || n == 0 {
		t.Errorf("file sweep: %d, %v", n, err)
	}
	if n, _ := count("stories/"); n != 0 {
		t.Errorf("%d story objects left after the sweep", n)
	}
	if n, _ := count("files/"); n != 0 {
		t.Errorf("%d file objects left after the sweep", n)
	}
}
