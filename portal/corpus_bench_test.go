package portal

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/internal/gen"
)

// BenchmarkCorpusHTTP measures the embedded default the way a company runs
// it, end to end, with the real binary in processes of its own (so the
// figures hold the portal only, not the benchmark's generated data):
//
//  1. builds jinnang, writes half of gen.CorpusSize packs (10,000 by
//     default) as Markdown files and runs `jinnang import DIR`: import
//     packs/s and the import process's peak RSS;
//  2. imports the other half (20,000 packs in all) and starts `jinnang` on
//     that data directory: start-up time;
//  3. sends the search page (gen.SearchQueries, signed in through the header
//     provider) over HTTP, one at a time for latency (p50/p95/p99), then from
//     20 connections for searches per second;
//  4. reports the serving process's peak RSS (VmHWM) and the bleve index
//     size against the Markdown corpus.
//
// JINNANG_BENCH_PACKS=2000 makes a quick run. Run it alone (-bench
// CorpusHTTP): it starts processes and takes minutes at the full size.
// JINNANG_BENCH_DIR=DIR keeps the data directory in DIR: a later run with
// the same DIR (and size) skips the corpus and the import and measures the
// search only (the import metrics are then not reported).
func BenchmarkCorpusHTTP(b *testing.B) {
	total := gen.CorpusSize(gen.DefaultCorpusSize)
	work := os.Getenv("JINNANG_BENCH_DIR")
	if work == "" {
		work = b.TempDir()
	} else if err := os.MkdirAll(work, 0o755); err != nil {
		b.Fatal(err)
	}
	bin := filepath.Join(work, "jinnang")
	// JINNANG_BENCH_PPROF=FILE builds the portal with -tags pprof and writes
	// a CPU profile of the server over the latency loop to FILE.
	profOut := os.Getenv("JINNANG_BENCH_PPROF")
	args := []string{"build", "-o", bin}
	if profOut != "" {
		args = append(args, "-tags", "pprof")
	}
	build := exec.Command("go", append(args, "..")...)
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		b.Fatalf("go build: %v", err)
	}
	data := filepath.Join(work, "data")
	env := append(os.Environ(), "JINNANG_DATA_DIR="+data, "JINNANG_LOG_LEVEL=warn")
	done := filepath.Join(work, fmt.Sprintf("imported-%d", total)) // holds the corpus bytes
	var corpusBytes int64
	var importRate, importRSS float64
	if raw, err := os.ReadFile(done); err == nil {
		corpusBytes, _ = strconv.ParseInt(string(raw), 10, 64)
	} else {
		corpusBytes, importRate, importRSS = importCorpus(b, bin, work, env, total)
		if err := os.WriteFile(done, []byte(strconv.FormatInt(corpusBytes, 10)), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	port := freePort(b)
	srv := exec.Command(bin, "-addr", "127.0.0.1:"+port, "-auth", "header", "-trusted-proxies", "127.0.0.1/32")
	srv.Env = env
	pprofAddr := ""
	if profOut != "" {
		pprofAddr = "127.0.0.1:" + freePort(b)
		srv.Env = append(slices.Clone(env), "HOTPATH_PPROF_ADDR="+pprofAddr)
	}
	srv.Stderr = io.Discard
	start := time.Now()
	if err := srv.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = srv.Process.Kill(); _ = srv.Wait() }()
	base := "http://127.0.0.1:" + port
	waitReady(b, base)
	startup := time.Since(start)
	idleRSS := procStatus(b, srv.Process.Pid, "VmRSS:")
	// The kernel keeps the peak of the whole resident set (VmHWM), which
	// counts the index files' pages that bleve maps (page cache, shared and
	// reclaimable); the peak of the process's own memory (RssAnon) is
	// sampled here.
	var anonPeak float64
	stopSampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			anonPeak = max(anonPeak, procStatus(b, srv.Process.Pid, "RssAnon:"))
			select {
			case <-stopSampling:
				return
			case <-t.C:
			}
		}
	}()

	// A browser behind the SSO proxy: the header names the person, and the
	// session cookie set on the first answer comes back with the next.
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 32}}
	get := func(ctx context.Context, q string) error {
		req, _ := http.NewRequestWithContext(ctx, "GET", base+"/search?q="+url.QueryEscape(q), nil)
		req.Header.Set("X-Forwarded-User", "bench")
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("search %q: %s", q, resp.Status)
		}
		return nil
	}
	// Warm up: the first searches load the index's segments.
	for _, q := range gen.SearchQueries {
		if err := get(b.Context(), q); err != nil {
			b.Fatal(err)
		}
	}

	var lat []time.Duration
	i := 0
	stopProfile := startServerProfile(b, pprofAddr, profOut)
	cpu0 := procCPU(b, srv.Process.Pid)
	for b.Loop() {
		q := gen.SearchQueries[i%len(gen.SearchQueries)]
		i++
		t0 := time.Now()
		if err := get(b.Context(), q); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	serverCPU := (procCPU(b, srv.Process.Pid) - cpu0) / time.Duration(len(lat))
	stopProfile()
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.95), "p95-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(serverCPU.Microseconds())/1000, "server-cpu-ms/search")

	// Throughput from 20 connections for a fixed number of searches.
	const conns, each = 20, 25
	var wg sync.WaitGroup
	t0 := time.Now()
	errs := make(chan error, conns)
	for c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range each {
				if err := get(b.Context(), gen.SearchQueries[(c*each+k)%len(gen.SearchQueries)]); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	b.ReportMetric(float64(conns*each)/time.Since(t0).Seconds(), "searches/s@20")
	close(stopSampling)
	<-sampled
	b.ReportMetric(procStatus(b, srv.Process.Pid, "VmHWM:"), "serve-peak-RSS-MB")
	b.ReportMetric(anonPeak, "serve-peak-anon-MB")
	b.ReportMetric(idleRSS, "serve-idle-RSS-MB")
	b.ReportMetric(float64(dirBytes(filepath.Join(data, "index.bleve")))/float64(corpusBytes), "index/corpus")
	b.ReportMetric(float64(total), "packs")
	// Reported after the loop: b.Loop resets the metrics reported before it.
	if importRate > 0 {
		b.ReportMetric(importRate, "import-packs/s")
		b.ReportMetric(importRSS, "import-peak-RSS-MB")
	}
	b.ReportMetric(startup.Seconds(), "startup-s")
}

// importCorpus writes gen.Corpus(1, total) as Markdown in two halves under
// work and imports them one after the other: the Markdown bytes, and the
// first import's packs/s and peak RSS (MB).
func importCorpus(b *testing.B, bin, work string, env []string, total int) (corpusBytes int64, rate, rss float64) {
	corpus := gen.Corpus(1, total)
	writeHalf := func(dir string, packs []gen.Pack) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.Fatal(err)
		}
		for _, p := range packs {
			md := p.Markdown()
			corpusBytes += int64(len(md))
			if err := os.WriteFile(filepath.Join(dir, p.Slug+".md"), md, 0o644); err != nil {
				b.Fatal(err)
			}
		}
	}
	half := total / 2
	writeHalf(filepath.Join(work, "a"), corpus[:half])
	writeHalf(filepath.Join(work, "b"), corpus[half:])
	corpus = nil

	importDir := func(dir string) (time.Duration, float64) {
		cmd := exec.Command(bin, "import", dir)
		cmd.Env = env
		cmd.Stderr = io.Discard
		start := time.Now()
		if out, err := cmd.Output(); err != nil {
			b.Fatalf("jinnang import %s: %v\n%s", dir, err, out)
		}
		took := time.Since(start)
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		b.Logf("import %s: %d packs in %v, CPU %v user + %v sys, peak RSS %.0f MB", filepath.Base(dir), half, took.Round(time.Millisecond),
			cmd.ProcessState.UserTime().Round(time.Millisecond), cmd.ProcessState.SystemTime().Round(time.Millisecond), float64(ru.Maxrss)/1024)
		return took, float64(ru.Maxrss) / 1024
	}
	took, rss := importDir(filepath.Join(work, "a"))
	importDir(filepath.Join(work, "b"))
	return corpusBytes, float64(half) / took.Seconds(), rss
}

// startServerProfile starts a CPU profile of the server at pprofAddr (its
// net/http/pprof) when addr is set; the returned func stops it and writes it
// to out once the profile's window is over.
func startServerProfile(b *testing.B, addr, out string) func() {
	if addr == "" {
		return func() {}
	}
	// net/http/pprof profiles for a fixed window: set it to about the
	// loop's length (JINNANG_BENCH_PPROF_SECONDS, 8 by default).
	secs := os.Getenv("JINNANG_BENCH_PPROF_SECONDS")
	if secs == "" {
		secs = "8"
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		resp, err := http.Get("http://" + addr + "/debug/pprof/profile?seconds=" + secs)
		if err != nil {
			b.Logf("pprof: %v", err)
			return
		}
		defer resp.Body.Close()
		f, err := os.Create(out)
		if err != nil {
			b.Logf("pprof: %v", err)
			return
		}
		defer f.Close()
		_, _ = io.Copy(f, resp.Body)
	}()
	return func() { <-done }
}

func freePort(b *testing.B) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

func waitReady(b *testing.B, base string) {
	deadline := time.Now().Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.Fatal("portal not ready within 5 minutes")
}

// procStatus reads a size in MB from a process's /proc status (VmHWM: the
// peak resident set size, VmRSS: the current one).
func procStatus(b *testing.B, pid int, field string) float64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Logf("no /proc: %v", err)
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			return kb / 1024
		}
	}
	return 0
}

// procCPU is the CPU time (user and system) a process has used, from
// /proc/PID/stat, in clock ticks of 10 ms: read it over many requests.
func procCPU(b *testing.B, pid int) time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Logf("no /proc: %v", err)
		return 0
	}
	// The command name may hold spaces: the fields start after the last ')'.
	f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+1:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

func dirBytes(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}
