package oidc

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/jinnang/jinnang/portal/auth"
)

const (
	clientID     = "jinnang"
	clientSecret = "client-secret"
	redirectURL  = "https://jinnang.example.com/auth/callback"
)

var (
	signingKey = sync.OnceValue(func() *rsa.PrivateKey { return mustKey() })
	otherKey   = sync.OnceValue(func() *rsa.PrivateKey { return mustKey() })
)

func mustKey() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}

// grant is what the fake IdP remembers about an issued code.
type grant struct {
	challenge string
	claims    map[string]any
	key       *rsa.PrivateKey
}

// fakeIdP is a minimal OpenID provider: discovery, JWKS and a token endpoint
// that checks the PKCE verifier against the S256 challenge.
type fakeIdP struct {
	t   *testing.T
	srv *httptest.Server

	mu     sync.Mutex
	grants map[string]grant
}

func newFakeIdP(t *testing.T) *fakeIdP {
	f := &fakeIdP{t: t, grants: map[string]grant{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", f.discovery)
	mux.HandleFunc("GET /jwks", f.jwks)
	mux.HandleFunc("POST /token", f.token)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeIdP) writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		f.t.Errorf("encode: %v", err)
	}
}

func (f *fakeIdP) discovery(w http.ResponseWriter, _ *http.Request) {
	u := f.srv.URL
	f.writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                u,
		"authorization_endpoint":                u + "/authorize",
		"token_endpoint":                        u + "/token",
		"jwks_uri":                              u + "/jwks",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"code_challenge_methods_supported":      []string{"S256"},
	})
}

func (f *fakeIdP) jwks(w http.ResponseWriter, _ *http.Request) {
	f.writeJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &signingKey().PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"},
	}})
}

func (f *fakeIdP) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		f.writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != clientID || secret != clientSecret {
		f.writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	if r.PostForm.Get("grant_type") != "authorization_code" || r.PostForm.Get("redirect_uri") != redirectURL {
		f.writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	f.mu.Lock()
	g, found := f.grants[r.PostForm.Get("code")]
	delete(f.grants, r.PostForm.Get("code")) // a code works once
	f.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	if !found || base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
		f.writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": "code or code_verifier invalid"})
		return
	}
	f.writeJSON(w, http.StatusOK, map[string]any{
		"access_token": "at-123",
		"token_type":   "Bearer",
		"expires_in":   300,
		"id_token":     sign(f.t, g.key, g.claims),
	})
}

func sign(t *testing.T, key *rsa.PrivateKey, claims map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: "k1"}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// authorize plays the browser and the IdP's login page: it follows the URL
// Start returned, issues a code bound to the challenge it carried, and
// returns the callback request. edit may change the ID token claims.
func (f *fakeIdP) authorize(t *testing.T, p *Provider, state string, edit func(map[string]any)) *http.Request {
	t.Helper()
	start, err := p.Start(context.Background(), state, nil)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(start)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	now := time.Now()
	claims := map[string]any{
		"iss":    f.srv.URL,
		"sub":    "u-1234",
		"aud":    q.Get("client_id"),
		"exp":    now.Add(5 * time.Minute).Unix(),
		"iat":    now.Unix(),
		"nonce":  q.Get("nonce"),
		"name":   "王敏",
		"groups": []string{"finance-editors", "staff"},
	}
	key := signingKey()
	if edit != nil {
		edit(claims)
		if _, ok := claims["__other_key"]; ok {
			delete(claims, "__other_key")
			key = otherKey()
		}
	}
	code := "code-" + base64.RawURLEncoding.EncodeToString([]byte(state))
	f.mu.Lock()
	f.grants[code] = grant{challenge: q.Get("code_challenge"), claims: claims, key: key}
	f.mu.Unlock()
	return httptest.NewRequest(http.MethodGet, "/auth/callback?code="+url.QueryEscape(code)+"&state="+url.QueryEscape(q.Get("state")), nil)
}

func newProvider(t *testing.T, f *fakeIdP, mod func(*Config)) *Provider {
	t.Helper()
	cfg := Config{
		Issuer: f.srv.URL, ClientID: clientID, ClientSecret: clientSecret, RedirectURL: redirectURL,
		Key:        []byte("0123456789abcdef0123456789abcdef"),
		HTTPClient: f.srv.Client(),
	}
	if mod != nil {
		mod(&cfg)
	}
	p, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestStartURL(t *testing.T) {
	f := newFakeIdP(t)
	p := newProvider(t, f, nil)
	got, err := p.Start(context.Background(), "st.ate-1", nil)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(got)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Path != "/authorize" || q.Get("response_type") != "code" || q.Get("client_id") != clientID ||
		q.Get("redirect_uri") != redirectURL || q.Get("state") != "st.ate-1" ||
		q.Get("scope") != "openid profile email" || q.Get("code_challenge_method") != "S256" {
		t.Errorf("unexpected authorize URL %s", got)
	}
	if len(q.Get("code_challenge")) != 43 || len(q.Get("nonce")) != 43 {
		t.Errorf("challenge %q / nonce %q: want 43-char base64url values", q.Get("code_challenge"), q.Get("nonce"))
	}
	again, err := p.Start(context.Background(), "st.ate-1", nil)
	if err != nil || again != got {
		t.Errorf("Start is not deterministic in state: %v", err)
	}
	other, err := p.Start(context.Background(), "st.ate-2", nil)
	if err != nil {
		t.Fatal(err)
	}
	ou, err := url.Parse(other)
	if err != nil {
		t.Fatal(err)
	}
	if ou.Query().Get("nonce") == q.Get("nonce") || ou.Query().Get("code_challenge") == q.Get("code_challenge") {
		t.Error("different states gave the same nonce or challenge")
	}
}

func TestFinishSuccess(t *testing.T) {
	f := newFakeIdP(t)
	p := newProvider(t, f, nil)
	r := f.authorize(t, p, "state-1", func(c map[string]any) { c["department"] = "财务部" })
	id, err := p.Finish(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	if id.Provider != "oidc" || id.Subject != "u-1234" || id.Name != "王敏" || id.Department != "财务部" ||
		!slices.Equal(id.Groups, []string{"finance-editors", "staff"}) {
		t.Errorf("identity = %+v", id)
	}
	// The same code cannot be used twice.
	if _, err := p.Finish(context.Background(), r); !errors.Is(err, auth.ErrRetry) {
		t.Errorf("reused code: err = %v, want ErrRetry", err)
	}
}

func TestFinishOtherProcess(t *testing.T) {
	// A second process with the same key finishes what the first started.
	f := newFakeIdP(t)
	p1 := newProvider(t, f, nil)
	p2 := newProvider(t, f, nil)
	if _, err := p2.Finish(context.Background(), f.authorize(t, p1, "state-x", nil)); err != nil {
		t.Fatal(err)
	}
}

func TestClaimShapes(t *testing.T) {
	f := newFakeIdP(t)
	p := newProvider(t, f, func(c *Config) { c.GroupsClaim = "roles" })
	r := f.authorize(t, p, "state-2", func(c map[string]any) {
		delete(c, "name")
		delete(c, "groups")
		c["preferred_username"] = "liuyang"
		c["roles"] = "jinnang-admins"
	})
	id, err := p.Finish(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	if id.Name != "liuyang" || !slices.Equal(id.Groups, []string{"jinnang-admins"}) || id.Department != "" {
		t.Errorf("identity = %+v", id)
	}
}

func TestFinishRejects(t *testing.T) {
	tests := []struct {
		name string
		edit func(map[string]any)
		want string
	}{
		{"wrong nonce", func(c map[string]any) { c["nonce"] = "not-the-nonce" }, "nonce"},
		{"no nonce", func(c map[string]any) { delete(c, "nonce") }, "nonce"},
		{"wrong audience", func(c map[string]any) { c["aud"] = "another-client" }, "audience"},
		{"expired", func(c map[string]any) {
			c["exp"] = time.Now().Add(-time.Hour).Unix()
			c["iat"] = time.Now().Add(-2 * time.Hour).Unix()
		}, "expired"},
		{"wrong issuer", func(c map[string]any) { c["iss"] = "https://evil.example" }, "different provider"},
		{"foreign key", func(c map[string]any) { c["__other_key"] = true }, "signature"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeIdP(t)
			p := newProvider(t, f, nil)
			id, err := p.Finish(context.Background(), f.authorize(t, p, "state-"+tt.name, tt.edit))
			if err == nil {
				t.Fatalf("Finish accepted the token: %+v", id)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to mention %q", err, tt.want)
			}
			if errors.Is(err, auth.ErrDenied) {
				t.Errorf("a bad token must not look like a refusal of the person: %v", err)
			}
		})
	}
}

func TestPKCEMismatch(t *testing.T) {
	f := newFakeIdP(t)
	p := newProvider(t, f, nil)
	r := f.authorize(t, p, "state-a", nil)
	// The callback arrives with another state than the one the code was
	// issued for: the derived verifier does not match the challenge.
	q := r.URL.Query()
	q.Set("state", "state-b")
	r.URL.RawQuery = q.Encode()
	if _, err := p.Finish(context.Background(), r); !errors.Is(err, auth.ErrRetry) || !strings.Contains(err.Error(), "invalid_grant") {
		t.Errorf("err = %v, want ErrRetry from invalid_grant", err)
	}
	// Another process with a different key cannot finish either.
	p2 := newProvider(t, f, func(c *Config) { c.Key = []byte("another-key-another-key-another-k") })
	if _, err := p2.Finish(context.Background(), f.authorize(t, p, "state-c", nil)); !errors.Is(err, auth.ErrRetry) {
		t.Errorf("other key: err = %v, want ErrRetry", err)
	}
}

func TestCallbackErrors(t *testing.T) {
	f := newFakeIdP(t)
	p := newProvider(t, f, nil)
	tests := map[string]error{
		"/auth/callback?error=access_denied&error_description=User+cancelled&state=s": auth.ErrDenied,
		"/auth/callback?error=temporarily_unavailable&state=s":                        auth.ErrRetry,
		"/auth/callback?state=s":              auth.ErrRetry,
		"/auth/callback?code=abc":             auth.ErrRetry,
		"/auth/callback?code=unknown&state=s": auth.ErrRetry,
	}
	for _, target := range slices.Sorted(maps.Keys(tests)) {
		_, err := p.Finish(context.Background(), httptest.NewRequest(http.MethodGet, target, nil))
		if !errors.Is(err, tests[target]) {
			t.Errorf("%s: err = %v, want %v", target, err, tests[target])
		}
	}
	_, err := p.Finish(context.Background(), httptest.NewRequest(http.MethodGet, "/auth/callback?error=invalid_scope", nil))
	if err == nil || errors.Is(err, auth.ErrDenied) || errors.Is(err, auth.ErrRetry) {
		t.Errorf("invalid_scope: err = %v, want a plain (configuration) error", err)
	}
}

func TestNewValidates(t *testing.T) {
	f := newFakeIdP(t)
	base := Config{Issuer: f.srv.URL, ClientID: clientID, RedirectURL: redirectURL,
		Key: []byte("0123456789abcdef0123456789abcdef"), HTTPClient: f.srv.Client()}
	bad := map[string]func(*Config){
		"short key":      func(c *Config) { c.Key = []byte("short") },
		"no client":      func(c *Config) { c.ClientID = "" },
		"relative uri":   func(c *Config) { c.RedirectURL = "/auth/callback" },
		"wrong issuer":   func(c *Config) { c.Issuer = f.srv.URL + "/realms/other" },
		"issuer differs": func(c *Config) { c.Issuer = strings.Replace(f.srv.URL, "127.0.0.1", "localhost", 1) },
	}
	for name, mod := range bad {
		c := base
		mod(&c)
		if _, err := New(context.Background(), c); err == nil {
			t.Errorf("%s: New accepted the config", name)
		}
	}
	c := base
	c.Scopes = []string{"profile", "groups"}
	p, err := New(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.oauth.Scopes, []string{"openid", "profile", "groups"}) {
		t.Errorf("scopes = %v", p.oauth.Scopes)
	}
}
