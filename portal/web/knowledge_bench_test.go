package web

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/audit"
	"github.com/jinnang/jinnang/portal/auth"
	"github.com/jinnang/jinnang/portal/auth/dev"
	"github.com/jinnang/jinnang/portal/index/bleveindex"
	"github.com/jinnang/jinnang/portal/internal/gen"
	"github.com/jinnang/jinnang/portal/packs"
	"github.com/jinnang/jinnang/portal/store"
)

// benchServer is the portal's Echo over the real pack service (disk store,
// in-memory bleve) with one signed-in editor, for benchmarks.
type benchServer struct {
	*echo.Echo
	packs *packs.Service
	token string
	csrf  string
}

func newBenchServer(b *testing.B) *benchServer {
	b.Helper()
	st, err := store.NewDisk(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	ix, err := bleveindex.Open("")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ix.Close() })
	roles, err := auth.ParseRoles("roles.yaml", []byte(dev.RolesYAML))
	if err != nil {
		b.Fatal(err)
	}
	discard := slog.New(slog.NewTextHandler(io.Discard, nil))
	ps := packs.New(st, ix, fakeMarkdown, discard)
	sessions := auth.NewSessions(st, auth.SessionOptions{})
	e, err := New(Options{Packs: ps, Editor: ps, Templates: os.DirFS("../../templates"), Assets: os.DirFS("../../assets"), Logger: discard,
		Now: func() time.Time { return testNow },
		Auth: AuthOptions{Provider: dev.New(), Sessions: sessions, States: auth.NewStateCodec(testStateKey, st, nil), Roles: roles,
			Users: auth.NewUsers(st, nil), Audit: audit.New(st, nil), DemoUsers: dev.New().Users(),
			WriteLimit: auth.NewLimiter(1e9, 1e9, nil), LoginLimit: auth.NewLimiter(1e9, 1e9, nil)}})
	if err != nil {
		b.Fatal(err)
	}
	tok, sess, err := sessions.Create(context.Background(), financeEd)
	if err != nil {
		b.Fatal(err)
	}
	return &benchServer{Echo: e, packs: ps, token: tok, csrf: sess.CSRF}
}

func (bs *benchServer) send(method, target string, headers map[string]string, form url.Values) *httptest.ResponseRecorder {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, target, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Cookie", sessionCookiePlain+"="+bs.token)
	rec := httptest.NewRecorder()
	bs.ServeHTTP(rec, req)
	return rec
}

// cpuTime is the process's user and system CPU time: on a shared machine
// wall time per op grows with other people's load, CPU time does not.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// generatedBody is about n bytes of realistic Chinese Markdown (headings,
// lists, paragraphs from the shared generator).
func generatedBody(n int) string {
	g := gen.New(3)
	depts := gen.Departments(5)
	people := g.People(20, depts)
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		p := g.Pack(i, depts, people)
		_, body, _ := strings.Cut(string(p.Markdown()), "\n---\n")
		b.WriteString(body)
	}
	return b.String()
}

// BenchmarkPreview20KB is the live preview of a 20 KB pack: the HTMX
// request through routing, CSRF, form parsing, goldmark, the sanitizer and
// the fragment template (the goal is ≤ 5 ms).
func BenchmarkPreview20KB(b *testing.B) {
	bs := newBenchServer(b)
	body := generatedBody(20 << 10)
	form := url.Values{csrfField: {bs.csrf}, "draft": {testDraftID}, "title": {"长文"}, "department": {"财务部"}, "body": {body}}
	b.SetBytes(int64(len(body)))
	start := cpuTime()
	n := 0
	for b.Loop() {
		rec := bs.send(http.MethodPost, "/editor/preview", hx, form)
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), "<h2") {
			b.Fatalf("preview: %d", rec.Code)
		}
		n++
	}
	b.ReportMetric(float64((cpuTime()-start).Nanoseconds())/float64(n), "cpu-ns/op")
}

// BenchmarkHistoryPage200 is GET /packs/:slug/history of a pack with 200
// versions, all on the first page (the goal is ≤ 50 ms): the meta record and
// one log chunk are read, whatever the history's length.
func BenchmarkHistoryPage200(b *testing.B) {
	bs := newBenchServer(b)
	ctx := context.Background()
	svc := bs.packs
	pub := packs.Publication{Slug: "long-history", Fields: fakeFields("长历史"), Body: "v1", By: financeEd.ID, ByName: financeEd.Name, Note: "第一版"}
	p, _, err := svc.Publish(ctx, pub)
	if err != nil {
		b.Fatal(err)
	}
	for i := 2; i <= 200; i++ {
		pub.IfMatch, pub.Body, pub.Note = p.ETag, fmt.Sprintf("v%d", i), fmt.Sprintf("第 %d 次修改：补充说明", i)
		if p, _, err = svc.Publish(ctx, pub); err != nil {
			b.Fatal(err)
		}
	}
	start := cpuTime()
	n := 0
	for b.Loop() {
		rec := bs.send(http.MethodGet, "/packs/long-history/history", nil, nil)
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), "第 200 次修改") || !strings.Contains(rec.Body.String(), "第一版") {
			b.Fatalf("history: %d", rec.Code)
		}
		n++
	}
	b.ReportMetric(float64((cpuTime()-start).Nanoseconds())/float64(n), "cpu-ns/op")
}
