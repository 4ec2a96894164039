package header

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/jinnang/jinnang/portal/auth"
)

func newProvider(t *testing.T) *Provider {
	t.Helper()
	p, err := New(Config{TrustedProxies: []netip.Prefix{
		netip.MustParsePrefix("10.0.0.5/32"),
		netip.MustParsePrefix("fd00:1::/64"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func request(remote string, headers map[string]string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = remote
	for k, v := range headers {
		r.Header.Set(k, v)
	}
	return r
}

func TestAuthenticate(t *testing.T) {
	p := newProvider(t)
	user := map[string]string{"X-Forwarded-User": "zhangwei"}
	tests := []struct {
		name    string
		remote  string
		headers map[string]string
		ok      bool
	}{
		{"trusted IPv4", "10.0.0.5:51234", user, true},
		{"trusted IPv4-mapped IPv6", "[::ffff:10.0.0.5]:51234", user, true},
		{"trusted IPv6", "[fd00:1::17]:443", user, true},
		{"trusted IPv6 with zone", "[fd00:1::17%eth0]:443", user, true},
		{"untrusted IPv4", "10.0.0.6:51234", user, false},
		{"untrusted IPv6", "[fd00:2::17]:443", user, false},
		{"untrusted, spoofed X-Forwarded-For", "203.0.113.9:40000",
			map[string]string{"X-Forwarded-User": "zhangwei", "X-Forwarded-For": "10.0.0.5", "X-Real-Ip": "10.0.0.5"}, false},
		{"garbage remote address", "not-an-address", user, false},
		{"trusted, no user header", "10.0.0.5:1", map[string]string{"X-Forwarded-Name": "x"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, ok, err := p.Authenticate(request(tt.remote, tt.headers))
			if err != nil {
				t.Fatal(err)
			}
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v (identity %+v)", ok, tt.ok, id)
			}
			if ok && (id.Provider != "header" || id.Subject != "zhangwei") {
				t.Errorf("identity = %+v", id)
			}
			if !ok && id.Subject != "" {
				t.Errorf("identity leaked from an ignored request: %+v", id)
			}
		})
	}
}

func TestNameAndGroups(t *testing.T) {
	p := newProvider(t)
	id, ok, err := p.Authenticate(request("10.0.0.5:1", map[string]string{
		"X-Forwarded-User":   "wangmin",
		"X-Forwarded-Name":   "%E7%8E%8B%E6%95%8F", // 王敏
		"X-Forwarded-Groups": "finance-editors, %E8%B4%A2%E5%8A%A1%E9%83%A8 ,,staff",
	}))
	if err != nil || !ok {
		t.Fatalf("ok=%v err=%v", ok, err)
	}
	if id.Name != "王敏" {
		t.Errorf("name = %q, want 王敏", id.Name)
	}
	if want := []string{"finance-editors", "财务部", "staff"}; !slices.Equal(id.Groups, want) {
		t.Errorf("groups = %q, want %q", id.Groups, want)
	}

	names := map[string]string{
		"Li+Na":       "Li+Na", // a plus is not a space
		"100%":        "100%",  // not percent-encoding: taken literally
		"%E7%8E":      "",      // truncated UTF-8
		"bad%0Aname":  "",      // control character
		"Chen%20Chen": "Chen Chen",
	}
	for raw, want := range names {
		id, _, err := p.Authenticate(request("10.0.0.5:1", map[string]string{"X-Forwarded-User": "u", "X-Forwarded-Name": raw}))
		if err != nil {
			t.Fatal(err)
		}
		if id.Name != want {
			t.Errorf("name header %q → %q, want %q", raw, id.Name, want)
		}
	}
}

func TestBadSubject(t *testing.T) {
	p := newProvider(t)
	for _, sub := range []string{strings.Repeat("a", 129), "bad\x7fuser", "a\tb", "\xff\xfe"} {
		r := request("10.0.0.5:1", nil)
		r.Header["X-Forwarded-User"] = []string{sub} // bypass Set's checks
		id, ok, err := p.Authenticate(r)
		if ok || !errors.Is(err, auth.ErrDenied) {
			t.Errorf("subject %q: ok=%v err=%v identity=%+v, want ErrDenied", sub, ok, err, id)
		}
	}
	id, ok, err := p.Authenticate(request("10.0.0.5:1", map[string]string{"X-Forwarded-User": strings.Repeat("a", 128)}))
	if err != nil || !ok || len(id.Subject) != 128 {
		t.Errorf("128-byte subject rejected: ok=%v err=%v", ok, err)
	}
}

func TestCustomHeadersAndConfig(t *testing.T) {
	if _, err := New(Config{}); err == nil {
		t.Error("New accepted an empty TrustedProxies")
	}
	if _, err := New(Config{TrustedProxies: []netip.Prefix{{}}}); err == nil {
		t.Error("New accepted an invalid prefix")
	}
	p, err := New(Config{
		UserHeader: "remote-user", NameHeader: "Remote-Name", GroupsHeader: "Remote-Groups",
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("::ffff:192.168.1.0/120")},
	})
	if err != nil {
		t.Fatal(err)
	}
	id, ok, err := p.Authenticate(request("192.168.1.20:8080", map[string]string{
		"Remote-User": "lina", "Remote-Name": "Li Na", "X-Forwarded-User": "admin",
	}))
	if err != nil || !ok || id.Subject != "lina" || id.Name != "Li Na" {
		t.Errorf("ok=%v err=%v identity=%+v", ok, err, id)
	}
	if _, err := p.Start(context.Background(), "s", nil); !errors.Is(err, auth.ErrNotInteractive) {
		t.Errorf("Start: %v", err)
	}
	if _, err := p.Finish(context.Background(), request("192.168.1.20:1", nil)); !errors.Is(err, auth.ErrNotInteractive) {
		t.Errorf("Finish: %v", err)
	}
}
