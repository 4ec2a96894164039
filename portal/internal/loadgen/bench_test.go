package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/auth"
	"github.com/jinnang/jinnang/portal/auth/dev"
	"github.com/jinnang/jinnang/portal/files"
	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/index/bleveindex"
	"github.com/jinnang/jinnang/portal/internal/miniotest"
	"github.com/jinnang/jinnang/portal/markdown"
	"github.com/jinnang/jinnang/portal/packs"
	"github.com/jinnang/jinnang/portal/paths"
	"github.com/jinnang/jinnang/portal/points"
	"github.com/jinnang/jinnang/portal/search"
	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/web"
)

// portalOver is the portal's web server over the generated company, with
// the store wrapped in cs so each page view's store operations are counted.
func portalOver(b *testing.B, cs *store.CountingStore, ix index.Index, sv *Services, co *Company) (*echo.Echo, string, *points.Service) {
	b.Helper()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	roles, err := auth.ParseRoles("roles.yaml", []byte(fmt.Sprintf("admins:\n  - %q\n", co.Admin.ID)))
	if err != nil {
		b.Fatal(err)
	}
	pk := packs.New(cs, ix, markdown.New(), log)
	if sv.Packs != nil {
		pk = sv.Packs
	}
	pt, err := paths.New(cs, bytes.Repeat([]byte{9}, 32), nil)
	if err != nil {
		b.Fatal(err)
	}
	sessions := auth.NewSessions(cs, auth.SessionOptions{})
	board := points.New(nil, nil, points.PostsSource(cs, points.KindPack), sv.Stories.PointsSource())
	board.UseStore(cs) // as portal.go: boards from the stored tally (built on the first view)
	sv.Stories.SetPoints(board)
	opts := web.Options{
		Auth: web.AuthOptions{Provider: dev.New(), Sessions: sessions, States: auth.NewStateCodec(bytes.Repeat([]byte("k"), auth.MinStateKeyLen), cs, nil),
			Roles: roles, Users: sv.Users, Audit: sv.Audit, WriteLimit: auth.NewLimiter(100000, 100000, nil), LoginLimit: auth.NewLimiter(100000, 100000, nil)},
		Packs: pk, Editor: pk, Files: files.New(cs, ix, log), Announcements: sv.Announce, Suggest: sv.Suggest, Polls: sv.Polls,
		Stories: sv.Stories, Points: board,
		Paths: pt, People: sv.People, Search: search.New(ix, cs, log, nil),
		Ready:     map[string]web.Checker{},
		Templates: os.DirFS("../../../templates"), Assets: os.DirFS("../../../assets"), Logger: log, Now: time.Now,
	}
	e, err := web.New(opts)
	if err != nil {
		b.Fatal(err)
	}
	tok, _, err := sessions.Create(context.Background(), co.Admin)
	if err != nil {
		b.Fatal(err)
	}
	return e, tok, board
}

// BenchmarkPages generates a company at S and M (JINNANG_BENCH_SIZES=S,M,L
// chooses; M takes minutes to generate, L most of an hour) on the disk
// store, or opens one loadgen made when JINNANG_BENCH_DIR_<size> names its
// data directory (go run ./portal/internal/loadgen -size L -dir DIR), then
// views each page: it reports the store operations of one view (ops/view,
// from store.Counting) and the time per view. The leaderboard is viewed
// with its one-minute cache dropped (what a view costs every minute).
// JINNANG_BENCH_PAGES, a comma-separated list of paths, views only those.
// JINNANG_BENCH_STORE=minio generates the company on a MinIO server
// (JINNANG_MINIO_BIN) instead of the disk store; ops/view then counts S3
// requests.
func BenchmarkPages(b *testing.B) {
	sizes := []string{"S", "M"}
	if env := os.Getenv("JINNANG_BENCH_SIZES"); env != "" {
		sizes = strings.Split(env, ",")
	}
	for _, size := range sizes {
		cs, sv, co := company(b, size)
		e, tok, board := portalOver(b, cs, sv.Index, sv, co)
		pages := []string{"/", "/me", "/leaderboard", "/polls", "/polls/" + co.Poll + "/results",
			"/stories", "/stories?page=20", "/stories/" + co.BusyStory, "/suggest", "/admin/audit", "/announcements",
			"/packs/" + co.Pack, "/search?q=" + url.QueryEscape("年假"), "/files"}
		if env := os.Getenv("JINNANG_BENCH_PAGES"); env != "" {
			pages = nil
			for _, p := range strings.Split(env, ",") {
				pages = append(pages, strings.NewReplacer("POLL", co.Poll, "STORY", co.BusyStory, "PACK", co.Pack).Replace(p))
			}
		}
		for _, page := range pages {
			name := strings.NewReplacer(co.Poll, "POLL", co.BusyStory, "STORY", co.Pack, "PACK", "?", "_").Replace(page)
			b.Run(size+name, func(b *testing.B) {
				view := func() int64 {
					req := httptest.NewRequest(http.MethodGet, page, nil)
					req.Header.Set("Cookie", "jinnang_session="+tok)
					rec := httptest.NewRecorder()
					if page == "/leaderboard" {
						board.Invalidate() // the view after the cache expired
					}
					before := cs.Counts()
					e.ServeHTTP(rec, req)
					if rec.Code != http.StatusOK {
						b.Fatalf("GET %s: %d", page, rec.Code)
					}
					return cs.Counts().Sub(before).Ops()
				}
				view() // warm
				var ops []int64
				var times []time.Duration
				for b.Loop() {
					t0 := time.Now()
					ops = append(ops, view())
					times = append(times, time.Since(t0))
				}
				slices.Sort(ops)
				slices.Sort(times)
				b.ReportMetric(float64(ops[len(ops)/2]), "ops/view")
				b.ReportMetric(float64(ops[len(ops)-1]), "max-ops/view")
				b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "median-ms")
			})
		}
	}
}

// company opens the company of size: the data directory loadgen filled
// when JINNANG_BENCH_DIR_<size> names one, else a new one generated in a
// temp dir.
func company(b *testing.B, size string) (*store.CountingStore, *Services, *Company) {
	b.Helper()
	if dir := os.Getenv("JINNANG_BENCH_DIR_" + size); dir != "" {
		raw, err := os.ReadFile(filepath.Join(dir, "company.json"))
		if err != nil {
			b.Fatalf("JINNANG_BENCH_DIR_%s: %v (made by go run ./portal/internal/loadgen -size %s -dir %s)", size, err, size, dir)
		}
		co := &Company{}
		if err := json.Unmarshal(raw, co); err != nil {
			b.Fatal(err)
		}
		st, err := store.NewDisk(filepath.Join(dir, "store"))
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		ix, err := bleveindex.Open(filepath.Join(dir, "index.bleve"))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = ix.Close() })
		b.Logf("size %s opened from %s in %s", size, dir, time.Since(start).Round(time.Millisecond))
		cs := store.Counting(st)
		sv, err := NewServices(cs, ix)
		if err != nil {
			b.Fatal(err)
		}
		return cs, sv, co
	}
	var st store.Store
	var err error
	if os.Getenv("JINNANG_BENCH_STORE") == "minio" { // MinIO (JINNANG_MINIO_BIN), as the first table
		st, err = store.NewS3(context.Background(), miniotest.Start(b))
	} else {
		st, err = store.NewDisk(b.TempDir())
	}
	if err != nil {
		b.Fatal(err)
	}
	cs := store.Counting(st)
	ix, err := bleveindex.Open("")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = ix.Close() })
	sv, err := NewServices(cs, ix)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	co, err := Generate(context.Background(), sv, Sizes[size], nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("size %s generated in %s", size, time.Since(start).Round(time.Second))
	return cs, sv, co
}
