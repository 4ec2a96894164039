// Package miniotest runs a real MinIO server for tests.
//
// The server binary is found through JINNANG_MINIO_BIN, then
// ${XDG_CACHE_HOME:-$HOME/.cache}/jinnang/bin/minio, then PATH. Without it,
// tests skip (or fail when CI=true) and say how to install it: `make minio`.
//
// Start runs a dedicated server for one test (a second or two) and kills it
// in t.Cleanup; on Linux the server is also killed if the test binary dies
// without cleaning up. Tests that need several stores on one server take a
// fresh bucket per store with NewBucket.
package miniotest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/store"
)

// EnvBin names the environment variable that points at a minio server binary.
const EnvBin = "JINNANG_MINIO_BIN"

// readyTimeout bounds how long the server may take to answer its health check.
const readyTimeout = 30 * time.Second

var buckets atomic.Int64

type server struct {
	cmd     *exec.Cmd
	out     *syncBuffer
	cfg     store.S3Config
	exited  chan struct{}
	waitErr error
	bin     string
	dir     string
	console string
	drives  int // 0: one directory; n: erasure coding over n drive directories
}

// Start starts a MinIO server for this test on free loopback ports, with a
// temp data directory and random root credentials, and returns the
// configuration of a fresh bucket on it (store.NewS3 creates the bucket).
// The server is killed in t.Cleanup; if the test fails, its output is logged.
func Start(t testing.TB) store.S3Config {
	t.Helper()
	return NewBucket(Run(t).Config())
}

// Server is a MinIO server a fault test can freeze, thaw, kill and restart.
type Server struct {
	t  testing.TB
	mu sync.Mutex
	s  *server
}

// Config is the server's address and credentials (without a bucket; take
// one with NewBucket).
func (s *Server) Config() store.S3Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.s.cfg
}

// Freeze stops the server process with SIGSTOP: connections stay open and
// nothing answers, as with a hung disk or a paused VM.
func (s *Server) Freeze() { s.signal(syscall.SIGSTOP) }

// Thaw lets a frozen server go on (SIGCONT).
func (s *Server) Thaw() { s.signal(syscall.SIGCONT) }

func (s *Server) signal(sig syscall.Signal) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.s.cmd.Process.Signal(sig); err != nil {
		s.t.Fatalf("miniotest: signal %v: %v", sig, err)
	}
}

// Kill ends the server with SIGKILL, as a crash would.
func (s *Server) Kill() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.s.stop(); err != nil {
		s.t.Fatal(err)
	}
}

// Restart starts the killed server again on the same data, address and
// credentials, and waits until it is ready.
func (s *Server) Restart() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.s
	ns, err := launch(old.bin, old.dir, old.cfg, old.console, old.drives)
	if err != nil {
		s.t.Fatalf("miniotest: restart: %v", err)
	}
	s.s = ns
}

// Run starts a MinIO server for this test, like Start, and returns it for
// fault injection. It is killed in t.Cleanup (thawed first if frozen).
func Run(t testing.TB) *Server {
	t.Helper()
	return run(t, 0)
}

// ErasureDrives is how many drive directories RunErasure gives the server.
const ErasureDrives = 4

// RunErasure starts a MinIO server like Run, but erasure-coded over four
// drive directories on one server (`minio server dir{1...4}`), as MinIO runs
// in production: objects are split into data and parity shards (EC:2 by
// default for four drives), so the loss of one drive loses nothing.
func RunErasure(t testing.TB) *Server {
	t.Helper()
	return run(t, ErasureDrives)
}

// Drive is the directory of drive i (1-based) of a RunErasure server.
func (s *Server) Drive(i int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return filepath.Join(s.s.dir, "data"+strconv.Itoa(i))
}

// RemoveDrive deletes drive i's directory with everything in it while the
// server runs, as a failed disk would lose it.
func (s *Server) RemoveDrive(i int) {
	s.t.Helper()
	if err := os.RemoveAll(s.Drive(i)); err != nil {
		s.t.Fatalf("miniotest: remove drive %d: %v", i, err)
	}
}

func run(t testing.TB, drives int) *Server {
	t.Helper()
	bin, err := FindBinary()
	if err != nil {
		msg := fmt.Sprintf("miniotest: %v; install it with `make minio` or set %s", err, EnvBin)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	s, err := startServer(bin, t.TempDir(), drives)
	if err != nil {
		t.Fatalf("miniotest: %v", err)
	}
	srv := &Server{t: t, s: s}
	t.Cleanup(func() {
		srv.mu.Lock()
		defer srv.mu.Unlock()
		s := srv.s
		if t.Failed() {
			t.Logf("miniotest: minio server output:\n%s", s.out.String())
		}
		_ = s.cmd.Process.Signal(syscall.SIGCONT) // a frozen process must run to die cleanly
		if err := s.stop(); err != nil {
			t.Errorf("miniotest: %v", err)
		}
	})
	return srv
}

// NewBucket returns cfg with a new, unused bucket name.
func NewBucket(cfg store.S3Config) store.S3Config {
	cfg.Bucket = fmt.Sprintf("test-%d-%s", buckets.Add(1), randomHex(4))
	return cfg
}

func (s *server) stop() error {
	select {
	case <-s.exited:
		return nil // already killed
	default:
	}
	if err := s.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill minio: %w", err)
	}
	<-s.exited
	return nil
}

// FindBinary locates the minio server binary.
func FindBinary() (string, error) {
	if p := os.Getenv(EnvBin); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w", EnvBin, p, err)
		}
		return p, nil
	}
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		if home, err := os.UserHomeDir(); err == nil {
			cache = filepath.Join(home, ".cache")
		}
	}
	if cache != "" {
		p := filepath.Join(cache, "jinnang", "bin", "minio")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	p, err := exec.LookPath("minio")
	if err != nil {
		return "", errors.New("minio server binary not found (checked $" + EnvBin + ", $XDG_CACHE_HOME/jinnang/bin, PATH)")
	}
	return p, nil
}

func startServer(bin, dir string, drives int) (*server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	console, err := freeAddr()
	if err != nil {
		return nil, err
	}
	return launch(bin, dir, store.S3Config{
		Endpoint:  addr,
		AccessKey: "test-" + randomHex(8),
		SecretKey: randomHex(20),
	}, console, drives)
}

// launch runs the server on dir with cfg's address and credentials.
func launch(bin, dir string, cfg store.S3Config, console string, drives int) (*server, error) {
	s := &server{
		out:     &syncBuffer{},
		exited:  make(chan struct{}),
		cfg:     cfg,
		bin:     bin,
		dir:     dir,
		console: console,
		drives:  drives,
	}
	data := filepath.Join(dir, "data")
	if drives > 0 {
		data += "{1..." + strconv.Itoa(drives) + "}" // MinIO expands the ellipsis itself
	}
	cmd := exec.Command(bin, "server", data, "--quiet", "--address", cfg.Endpoint, "--console-address", console)
	cmd.Env = append(os.Environ(),
		"MINIO_ROOT_USER="+s.cfg.AccessKey,
		"MINIO_ROOT_PASSWORD="+s.cfg.SecretKey,
		"MINIO_BROWSER=off",
		"MINIO_UPDATE=off",
		"MINIO_CI_CD=1",
	)
	cmd.SysProcAttr = sysProcAttr()
	cmd.Stdout = s.out
	cmd.Stderr = s.out
	s.cmd = cmd
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	if err := s.waitReady(); err != nil {
		if kerr := cmd.Process.Kill(); kerr != nil && !errors.Is(kerr, os.ErrProcessDone) {
			err = errors.Join(err, kerr)
		}
		<-s.exited
		return nil, fmt.Errorf("%w; minio output:\n%s", err, s.out.String())
	}
	return s, nil
}

func (s *server) waitReady() error {
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	// /minio/health/live answers before IAM and bucket metadata are loaded,
	// when S3 calls still fail with XMinioServerNotInitialized; /cluster waits
	// for both.
	url := "http://" + s.cfg.Endpoint + "/minio/health/cluster"
	client := &http.Client{Timeout: 2 * time.Second}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return fmt.Errorf("health request: %w", err)
		}
		resp, err := client.Do(req)
		if err == nil {
			cerr := resp.Body.Close()
			if resp.StatusCode == http.StatusOK && cerr == nil {
				return nil
			}
		}
		select {
		case <-s.exited:
			return fmt.Errorf("minio exited before it was ready: %v", s.waitErr)
		case <-ctx.Done():
			return fmt.Errorf("minio not ready at %s within %s", url, readyTimeout)
		case <-tick.C:
		}
	}
}

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find free port: %w", err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		return "", fmt.Errorf("find free port: %w", err)
	}
	return addr, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error
	return hex.EncodeToString(b)
}

// syncBuffer collects the server's output; the process writes while tests read.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	const limit = 1 << 20 // keep the last MiB at most
	if b.buf.Len()+len(p) > limit {
		keep := b.buf.Bytes()[max(0, b.buf.Len()-limit/2):]
		rest := string(keep)
		b.buf.Reset()
		b.buf.WriteString(rest)
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
