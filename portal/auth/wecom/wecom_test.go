package wecom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/auth"
)

const (
	testCorp   = "wwcorp123"
	testAgent  = "1000002"
	testSecret = "s3cr3t-corp-secret"
)

// fakeClock is a settable clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// fakeWeCom follows the documented WeCom API for the three endpoints used.
type fakeWeCom struct {
	t *testing.T

	mu         sync.Mutex
	tokenCalls int
	issued     map[string]bool // valid tokens
	revoked    map[string]bool // tokens WeCom says are expired (42001)
	alwaysBad  bool            // every token is rejected with 40014
	codes      map[string]map[string]any
	names      map[string]string // userid → name; missing → 60011 (no privilege)
	tokenHook  func()            // runs inside gettoken before answering
	userInfoAt []string          // access_tokens seen by getuserinfo

	tokenStatus int // HTTP status for gettoken; 0 = 200
	rawUserInfo string
}

func newFakeWeCom(t *testing.T) *fakeWeCom {
	return &fakeWeCom{
		t:       t,
		issued:  map[string]bool{},
		revoked: map[string]bool{},
		codes: map[string]map[string]any{
			"good":      {"errcode": 0, "errmsg": "ok", "userid": "ZhangWei"},
			"nobody":    {"errcode": 0, "errmsg": "ok", "userid": "LiNa"},
			"outsider":  {"errcode": 0, "errmsg": "ok", "openid": "oXyz123", "external_userid": "wmABC"},
			"reused":    {"errcode": 40029, "errmsg": "invalid code"},
			"untrusted": {"errcode": 50001, "errmsg": "redirect_url not authorised"},
			"busy":      {"errcode": -1, "errmsg": "system busy"},
		},
		names: map[string]string{"ZhangWei": "张伟"},
	}
}

func (f *fakeWeCom) calls() int { f.mu.Lock(); defer f.mu.Unlock(); return f.tokenCalls }

func (f *fakeWeCom) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		http.Error(w, "method", http.StatusMethodNotAllowed)
		return
	}
	q := r.URL.Query()
	reply := func(v any) {
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		if err := json.NewEncoder(w).Encode(v); err != nil {
			f.t.Errorf("encode: %v", err)
		}
	}
	switch r.URL.Path {
	case "/cgi-bin/gettoken":
		if f.tokenHook != nil {
			f.tokenHook()
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		f.tokenCalls++
		if f.tokenStatus != 0 {
			w.WriteHeader(f.tokenStatus)
			return
		}
		if q.Get("corpid") != testCorp || q.Get("corpsecret") != testSecret {
			reply(map[string]any{"errcode": 40001, "errmsg": "invalid credential"})
			return
		}
		tok := fmt.Sprintf("tok-%d", f.tokenCalls)
		f.issued[tok] = true
		reply(map[string]any{"errcode": 0, "errmsg": "ok", "access_token": tok, "expires_in": 7200})
	case "/cgi-bin/auth/getuserinfo", "/cgi-bin/user/get":
		f.mu.Lock()
		defer f.mu.Unlock()
		tok := q.Get("access_token")
		switch {
		case f.alwaysBad || !f.issued[tok]:
			reply(map[string]any{"errcode": 40014, "errmsg": "invalid access_token"})
			return
		case f.revoked[tok]:
			reply(map[string]any{"errcode": 42001, "errmsg": "access_token expired"})
			return
		}
		if r.URL.Path == "/cgi-bin/user/get" {
			name, ok := f.names[q.Get("userid")]
			if !ok {
				reply(map[string]any{"errcode": 60011, "errmsg": "no privilege to access/modify contact/party/agent"})
				return
			}
			reply(map[string]any{"errcode": 0, "errmsg": "ok", "userid": q.Get("userid"), "name": name, "department": []int{1}})
			return
		}
		f.userInfoAt = append(f.userInfoAt, tok)
		if f.rawUserInfo != "" {
			_, _ = w.Write([]byte(f.rawUserInfo))
			return
		}
		ans, ok := f.codes[q.Get("code")]
		if !ok {
			ans = map[string]any{"errcode": 40029, "errmsg": "invalid code"}
		}
		reply(ans)
	default:
		http.NotFound(w, r)
	}
}

func setup(t *testing.T) (*Provider, *fakeWeCom, *fakeClock) {
	t.Helper()
	f := newFakeWeCom(t)
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	clk := &fakeClock{now: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	p, err := New(Config{
		CorpID: testCorp, AgentID: testAgent, Secret: testSecret,
		APIBase:     srv.URL,
		AuthBase:    "https://open.weixin.qq.com",
		RedirectURL: "https://jinnang.example.com/auth/callback",
		HTTPClient:  srv.Client(),
		Clock:       clk.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return p, f, clk
}

func callback(code string) *http.Request {
	u := "/auth/callback?state=abc"
	if code != "" {
		u += "&code=" + code
	}
	return httptest.NewRequest(http.MethodGet, u, nil)
}

func TestStartURL(t *testing.T) {
	p, _, _ := setup(t)
	got, err := p.Start(context.Background(), "St4te", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := "https://open.weixin.qq.com/connect/oauth2/authorize?appid=wwcorp123" +
		"&redirect_uri=https%3A%2F%2Fjinnang.example.com%2Fauth%2Fcallback" +
		"&response_type=code&scope=snsapi_base&state=St4te&agentid=1000002#wechat_redirect"
	if got != want {
		t.Errorf("Start =\n %s\nwant\n %s", got, want)
	}
	if _, err := p.Start(context.Background(), strings.Repeat("a", 129), nil); err == nil || !strings.Contains(err.Error(), "128") {
		t.Errorf("129-byte state: err = %v, want an error naming the 128-byte limit", err)
	}
	if _, err := p.Start(context.Background(), strings.Repeat("a", 128), nil); err != nil {
		t.Errorf("128-byte state: %v", err)
	}
}

func TestNewValidates(t *testing.T) {
	good := Config{CorpID: "c", AgentID: "a", Secret: "s", RedirectURL: "https://x.example/auth/callback"}
	if _, err := New(good); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	bad := []func(*Config){
		func(c *Config) { c.Secret = "" },
		func(c *Config) { c.RedirectURL = "/auth/callback" },
		func(c *Config) { c.APIBase = "qyapi.weixin.qq.com" },
	}
	for i, mod := range bad {
		c := good
		mod(&c)
		if _, err := New(c); err == nil {
			t.Errorf("case %d: New accepted an invalid config", i)
		}
	}
}

func TestFinishSuccess(t *testing.T) {
	p, _, _ := setup(t)
	id, err := p.Finish(context.Background(), callback("good"))
	if err != nil {
		t.Fatal(err)
	}
	want := auth.Identity{Provider: "wecom", Subject: "ZhangWei", Name: "张伟"}
	if id.Provider != want.Provider || id.Subject != want.Subject || id.Name != want.Name {
		t.Errorf("identity = %+v, want %+v", id, want)
	}
}

func TestNameFallsBackToUserID(t *testing.T) {
	p, _, _ := setup(t)
	id, err := p.Finish(context.Background(), callback("nobody")) // user/get answers 60011
	if err != nil {
		t.Fatal(err)
	}
	if id.Subject != "LiNa" || id.Name != "LiNa" {
		t.Errorf("identity = %+v, want subject and name LiNa", id)
	}
}

func TestTokenCachedAndRefreshed(t *testing.T) {
	p, f, clk := setup(t)
	ctx := context.Background()
	for range 3 {
		if _, err := p.Finish(ctx, callback("good")); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.calls(); n != 1 {
		t.Fatalf("gettoken called %d times for 3 sign-ins, want 1", n)
	}
	clk.Add(7200*time.Second - refreshEarly - time.Second)
	if _, err := p.Finish(ctx, callback("good")); err != nil {
		t.Fatal(err)
	}
	if n := f.calls(); n != 1 {
		t.Fatalf("gettoken called %d times before the renewal point, want 1", n)
	}
	clk.Add(2 * time.Second) // now inside the last 5 minutes of the token's life
	if _, err := p.Finish(ctx, callback("good")); err != nil {
		t.Fatal(err)
	}
	if n := f.calls(); n != 2 {
		t.Fatalf("gettoken called %d times after the renewal point, want 2", n)
	}
}

func TestExpiredTokenRefreshedOnce(t *testing.T) {
	p, f, _ := setup(t)
	ctx := context.Background()
	if _, err := p.Finish(ctx, callback("good")); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	f.revoked["tok-1"] = true // WeCom revokes the token early: 42001
	f.mu.Unlock()
	id, err := p.Finish(ctx, callback("good"))
	if err != nil {
		t.Fatalf("Finish after revocation: %v", err)
	}
	if id.Subject != "ZhangWei" {
		t.Errorf("subject = %q", id.Subject)
	}
	if n := f.calls(); n != 2 {
		t.Errorf("gettoken called %d times, want 2", n)
	}
	f.mu.Lock()
	last := f.userInfoAt[len(f.userInfoAt)-1]
	f.mu.Unlock()
	if last != "tok-2" {
		t.Errorf("retried getuserinfo with %q, want tok-2", last)
	}
}

func TestInvalidTokenRetriedOnlyOnce(t *testing.T) {
	p, f, _ := setup(t)
	f.alwaysBad = true
	_, err := p.Finish(context.Background(), callback("good"))
	if err == nil || !strings.Contains(err.Error(), "40014") {
		t.Fatalf("err = %v, want errcode 40014", err)
	}
	if n := f.calls(); n != 2 {
		t.Errorf("gettoken called %d times, want 2 (one retry)", n)
	}
}

func TestFinishErrors(t *testing.T) {
	tests := []struct {
		code     string
		want     error // nil: any error that is neither ErrRetry nor ErrDenied
		contains string
	}{
		{"", auth.ErrRetry, "without code"},
		{"reused", auth.ErrRetry, "40029"},
		{"untrusted", auth.ErrRetry, "trusted domain"},
		{"outsider", auth.ErrDenied, "not a member"},
		{"busy", nil, "errcode -1"},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			p, _, _ := setup(t)
			id, err := p.Finish(context.Background(), callback(tt.code))
			if err == nil {
				t.Fatalf("Finish succeeded: %+v", id)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			if tt.want == nil && (errors.Is(err, auth.ErrRetry) || errors.Is(err, auth.ErrDenied)) {
				t.Errorf("err = %v, want a plain error", err)
			}
			if !strings.Contains(err.Error(), tt.contains) {
				t.Errorf("err = %q, want it to mention %q", err, tt.contains)
			}
		})
	}
}

func TestServerFailures(t *testing.T) {
	t.Run("gettoken 500", func(t *testing.T) {
		p, f, _ := setup(t)
		f.tokenStatus = http.StatusInternalServerError
		_, err := p.Finish(context.Background(), callback("good"))
		if err == nil || !strings.Contains(err.Error(), "500") {
			t.Fatalf("err = %v, want an HTTP 500 error", err)
		}
		if strings.Contains(err.Error(), testSecret) {
			t.Errorf("error leaks the secret: %v", err)
		}
	})
	t.Run("invalid JSON", func(t *testing.T) {
		p, f, _ := setup(t)
		f.rawUserInfo = `{"errcode":0,"userid":`
		if _, err := p.Finish(context.Background(), callback("good")); err == nil || !strings.Contains(err.Error(), "decode") {
			t.Fatalf("err = %v, want a decode error", err)
		}
	})
	t.Run("bad secret", func(t *testing.T) {
		p, _, _ := setup(t)
		p.secret = "wrong"
		if _, err := p.Finish(context.Background(), callback("good")); err == nil || !strings.Contains(err.Error(), "40001") {
			t.Fatalf("err = %v, want errcode 40001", err)
		}
	})
	t.Run("unreachable", func(t *testing.T) {
		p, _, _ := setup(t)
		srv := httptest.NewServer(http.NotFoundHandler())
		p.apiBase = srv.URL
		srv.Close()
		_, err := p.Finish(context.Background(), callback("good"))
		if err == nil {
			t.Fatal("Finish succeeded against a closed server")
		}
		if strings.Contains(err.Error(), testSecret) || strings.Contains(err.Error(), "corpsecret") {
			t.Errorf("error leaks the request URL: %v", err)
		}
	})
}

func TestConcurrentFinishSharesOneTokenFetch(t *testing.T) {
	p, f, _ := setup(t)
	entered := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	f.tokenHook = func() {
		once.Do(func() { close(entered) })
		<-release
	}
	const n = 16
	var started, done sync.WaitGroup
	errs := make(chan error, n)
	started.Add(n)
	done.Add(n)
	for range n {
		go func() {
			defer done.Done()
			started.Done()
			_, err := p.Finish(context.Background(), callback("good"))
			errs <- err
		}()
	}
	started.Wait()
	<-entered // one fetch is in progress; the others find it in flight
	close(release)
	done.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if c := f.calls(); c != 1 {
		t.Errorf("gettoken called %d times by %d concurrent sign-ins, want 1", c, n)
	}
}

func TestWaiterGivesUpWithContext(t *testing.T) {
	p, f, _ := setup(t)
	release := make(chan struct{})
	f.tokenHook = func() { <-release }
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.Finish(ctx, callback("good")); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

// TestTokensSharedWithOtherCalls: messages and directory sync use the
// provider's cache, so sign-ins and those calls share one gettoken.
func TestTokensSharedWithOtherCalls(t *testing.T) {
	p, f, _ := setup(t)
	if _, err := p.Finish(context.Background(), callback("good")); err != nil {
		t.Fatal(err)
	}
	tok, err := p.Tokens().Token(context.Background())
	if err != nil || tok == "" {
		t.Fatalf("token %q, %v", tok, err)
	}
	if n := f.calls(); n != 1 {
		t.Errorf("gettoken called %d times, want 1 shared fetch", n)
	}
	p.Tokens().Invalidate(tok)
	if _, err := p.Finish(context.Background(), callback("good")); err != nil {
		t.Fatal(err)
	}
	if n := f.calls(); n != 2 {
		t.Errorf("after Invalidate: gettoken called %d times, want 2", n)
	}
	if _, err := NewTokens("", "s", "", nil, nil); err == nil {
		t.Error("NewTokens without a corp id accepted")
	}
}

// TestDirectoryNamesTheMember: with the address book synced, sign-in takes
// name and department from it (no user/get).
func TestDirectoryNamesTheMember(t *testing.T) {
	p, _, _ := setup(t)
	p.directory = func(_ context.Context, id string) (string, string, bool) {
		if id == "ZhangWei" {
			return "张伟（通讯录）", "人力资源部", true
		}
		return "", "", false
	}
	id, err := p.Finish(context.Background(), callback("good"))
	if err != nil {
		t.Fatal(err)
	}
	if id.Name != "张伟（通讯录）" || id.Department != "人力资源部" {
		t.Errorf("identity %+v, want name and department from the directory", id)
	}
	id, err = p.Finish(context.Background(), callback("nobody"))
	if err != nil || id.Name != "LiNa" || id.Department != "" {
		t.Errorf("unknown to the directory: %+v %v", id, err)
	}
}
