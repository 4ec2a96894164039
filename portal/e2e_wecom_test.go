package portal

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/jinnang/jinnang/portal/internal/browsertest"
)

// fakeWeCom follows the documented 企业微信 endpoints: the OAuth2 authorize
// page (which, for a member already signed in to WeCom, redirects straight
// back with a code), gettoken, auth/getuserinfo and user/get.
type fakeWeCom struct {
	mu        sync.Mutex
	codes     map[string]string // code → userid, deleted when used
	authorize int
	tokens    int
}

func (f *fakeWeCom) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	reply := func(v map[string]any) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch r.URL.Path {
	case "/connect/oauth2/authorize":
		f.authorize++
		if q.Get("appid") != "ww-corp" || q.Get("agentid") != "1000002" || q.Get("scope") != "snsapi_base" || q.Get("response_type") != "code" {
			http.Error(w, "bad authorize request "+r.URL.RawQuery, http.StatusBadRequest)
			return
		}
		code := fmt.Sprintf("CODE%d", f.authorize)
		f.codes[code] = "WangMin"
		back, err := url.Parse(q.Get("redirect_uri"))
		if err != nil {
			http.Error(w, "bad redirect_uri", http.StatusBadRequest)
			return
		}
		bq := back.Query()
		bq.Set("code", code)
		bq.Set("state", q.Get("state"))
		back.RawQuery = bq.Encode()
		http.Redirect(w, r, back.String(), http.StatusFound)
	case "/cgi-bin/gettoken":
		f.tokens++
		if q.Get("corpid") != "ww-corp" || q.Get("corpsecret") != "app-secret" {
			reply(map[string]any{"errcode": 40001, "errmsg": "invalid credential"})
			return
		}
		reply(map[string]any{"errcode": 0, "errmsg": "ok", "access_token": "TOKEN", "expires_in": 7200})
	case "/cgi-bin/auth/getuserinfo":
		user, ok := f.codes[q.Get("code")]
		if q.Get("access_token") != "TOKEN" {
			reply(map[string]any{"errcode": 40014, "errmsg": "invalid access_token"})
			return
		}
		if !ok {
			reply(map[string]any{"errcode": 40029, "errmsg": "invalid code"})
			return
		}
		delete(f.codes, q.Get("code"))
		reply(map[string]any{"errcode": 0, "errmsg": "ok", "userid": user, "user_ticket": "TICKET"})
	case "/cgi-bin/user/get":
		reply(map[string]any{"errcode": 0, "errmsg": "ok", "userid": q.Get("userid"), "name": "王敏", "department": []int{2}})
	default:
		http.NotFound(w, r)
	}
}

// TestWeComSignInInsideWeChat runs the real portal with the wecom provider
// against a fake WeCom that follows the documented API: a link opened inside
// WeChat signs in without a login page and lands on the page it was for.
func TestWeComSignInInsideWeChat(t *testing.T) {
	wc := &fakeWeCom{codes: map[string]string{}}
	fake := httptest.NewServer(wc)
	t.Cleanup(fake.Close)

	// The callback URL must be known before start: reserve a loopback port.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	roles := filepath.Join(t.TempDir(), "roles.yaml")
	if err := os.WriteFile(roles, []byte("editors:\n  财务部:\n    - wecom:WangMin\ndepartments:\n  wecom:WangMin: 财务部\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := startPortal(t, "-addr", addr, "-auth", "wecom", "-base-url", "http://"+addr,
		"-secret-key", strings.Repeat("s", 40), "-roles-file", roles,
		"-wecom-corp-id", "ww-corp", "-wecom-agent-id", "1000002", "-wecom-secret", "app-secret",
		"-wecom-api-base", fake.URL, "-wecom-auth-base", fake.URL)

	jar, _ := cookiejar.New(nil)
	var hops []string
	client := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		hops = append(hops, req.URL.Path)
		req.Header.Set("User-Agent", browsertest.WeChatUA)
		return nil
	}}
	get := func(u string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", u, nil)
		req.Header.Set("User-Agent", browsertest.WeChatUA)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	status, body := get(base + "/packs/expense-reimbursement")
	if status != 200 || !strings.Contains(body, "王敏") || !strings.Contains(body, "报销流程") {
		t.Fatalf("after sign-in: status %d, hops %v, body:\n%.600s", status, hops, body)
	}
	for _, h := range hops {
		if h == "/auth/login" {
			t.Errorf("WeChat users saw the login page: hops %v", hops)
		}
	}
	if wc.authorize != 1 {
		t.Errorf("authorize called %d times, want 1", wc.authorize)
	}
	if status, body = get(base + "/me"); status != 200 || !strings.Contains(body, "财务部") {
		t.Errorf("/me: status %d, want the department from the roles file", status)
	}
	// Pages after sign-in reuse the session: no more round trips to WeCom.
	get(base + "/")
	if wc.authorize != 1 || wc.tokens != 1 {
		t.Errorf("authorize %d, gettoken %d after more pages; want 1 and 1", wc.authorize, wc.tokens)
	}
}
