// Package oidc signs people in with an OpenID Connect identity provider
// (Keycloak, Authentik, Azure AD, Google Workspace, …) using the authorization
// code flow with PKCE (S256) and a nonce.
//
// The PKCE verifier and the nonce are not stored anywhere: both are an HMAC of
// the state under the server key, so whichever portal process receives the
// callback can finish the sign-in, and nobody without the key can compute
// them from the state seen in the browser.
package oidc

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/jinnang/jinnang/portal/auth"
)

const (
	defaultGroupsClaim = "groups"
	departmentClaim    = "department"
	requestTimeout     = 10 * time.Second
	minKeyLen          = 32

	maxSubjectLen = 255 // OIDC Core 2: sub "MUST NOT exceed 255 ASCII characters"
	maxClaimLen   = 256 // name, department, each group
	maxGroups     = 256
)

// Config configures the OIDC provider.
type Config struct {
	Issuer, ClientID, ClientSecret, RedirectURL string
	GroupsClaim                                 string   // default "groups"
	Scopes                                      []string // default openid profile email (+groups if asked)
	Key                                         []byte   // server secret: PKCE verifier and nonce are HMAC(key, state)
	HTTPClient                                  *http.Client
}

// Provider is the OIDC sign-in provider. It is safe for concurrent use.
type Provider struct {
	oauth       oauth2.Config
	verifier    *gooidc.IDTokenVerifier
	client      *http.Client
	key         []byte
	groupsClaim string
}

var _ auth.Provider = (*Provider)(nil)

// New validates cfg and runs OIDC discovery against the issuer (so a wrong
// issuer fails at start-up, not at the first sign-in). Key must be at least
// 32 bytes. Scopes always include "openid"; add "groups" there if the IdP
// releases the groups claim only on request.
func New(ctx context.Context, cfg Config) (*Provider, error) {
	switch {
	case cfg.Issuer == "":
		return nil, errors.New("oidc: Issuer is required")
	case cfg.ClientID == "":
		return nil, errors.New("oidc: ClientID is required")
	case len(cfg.Key) < minKeyLen:
		return nil, fmt.Errorf("oidc: Key must be at least %d bytes", minKeyLen)
	}
	ru, err := url.Parse(cfg.RedirectURL)
	if err != nil || (ru.Scheme != "https" && ru.Scheme != "http") || ru.Host == "" {
		return nil, fmt.Errorf("oidc: RedirectURL %q must be an absolute http(s) URL", cfg.RedirectURL)
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: requestTimeout}
	}
	dctx, cancel := context.WithTimeout(gooidc.ClientContext(ctx, client), requestTimeout)
	defer cancel()
	// The provider keeps the client (not the context) for later JWKS fetches.
	op, err := gooidc.NewProvider(dctx, cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("oidc: discovery at %s: %w", cfg.Issuer, err)
	}
	scopes := cfg.Scopes
	if len(scopes) == 0 {
		scopes = []string{gooidc.ScopeOpenID, "profile", "email"}
	} else if !slices.Contains(scopes, gooidc.ScopeOpenID) {
		scopes = append([]string{gooidc.ScopeOpenID}, scopes...)
	}
	groupsClaim := cfg.GroupsClaim
	if groupsClaim == "" {
		groupsClaim = defaultGroupsClaim
	}
	return &Provider{
		oauth: oauth2.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			RedirectURL:  cfg.RedirectURL,
			Endpoint:     op.Endpoint(),
			Scopes:       scopes,
		},
		verifier:    op.Verifier(&gooidc.Config{ClientID: cfg.ClientID}),
		client:      client,
		key:         slices.Clone(cfg.Key),
		groupsClaim: groupsClaim,
	}, nil
}

// Name returns "oidc".
func (p *Provider) Name() string { return "oidc" }

// Start returns the IdP's authorization URL carrying state, the PKCE S256
// challenge and the nonce, all derived from state.
func (p *Provider) Start(_ context.Context, state string, _ *http.Request) (string, error) {
	if state == "" {
		return "", errors.New("oidc: empty state")
	}
	return p.oauth.AuthCodeURL(state,
		oauth2.S256ChallengeOption(p.derive("pkce:", state)),
		gooidc.Nonce(p.derive("nonce:", state)),
	), nil
}

// derive returns base64url(HMAC-SHA256(key, label+state)): 43 characters,
// a valid PKCE verifier (RFC 7636 4.1) and an unguessable nonce.
func (p *Provider) derive(label, state string) string {
	m := hmac.New(sha256.New, p.key)
	m.Write([]byte(label + state))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Finish handles the callback: it exchanges the code (with the PKCE verifier),
// verifies the ID token's signature, issuer, audience, expiry and nonce, and
// returns the identity from its claims.
//
// An IdP "error" parameter of access_denied is auth.ErrDenied; a transient IdP
// error, a missing code or state, or an invalid_grant (code reused, expired or
// PKCE mismatch) is auth.ErrRetry.
func (p *Provider) Finish(ctx context.Context, r *http.Request) (auth.Identity, error) {
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		return auth.Identity{}, idpError(e, q.Get("error_description"))
	}
	code, state := q.Get("code"), q.Get("state")
	if code == "" || state == "" {
		return auth.Identity{}, fmt.Errorf("oidc: callback without code or state: %w", auth.ErrRetry)
	}
	ctx, cancel := context.WithTimeout(gooidc.ClientContext(ctx, p.client), requestTimeout)
	defer cancel()
	tok, err := p.oauth.Exchange(ctx, code, oauth2.VerifierOption(p.derive("pkce:", state)))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.ErrorCode == "invalid_grant" {
			return auth.Identity{}, fmt.Errorf("oidc: exchange code: %w: %w", err, auth.ErrRetry)
		}
		return auth.Identity{}, fmt.Errorf("oidc: exchange code: %w", err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return auth.Identity{}, errors.New("oidc: token response has no id_token")
	}
	idt, err := p.verifier.Verify(ctx, raw)
	if err != nil {
		return auth.Identity{}, fmt.Errorf("oidc: verify ID token: %w", err)
	}
	want := p.derive("nonce:", state)
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(want)) != 1 {
		return auth.Identity{}, errors.New("oidc: verify ID token: nonce does not match the state")
	}
	return p.identity(idt)
}

// idpError maps the error parameter of an authorization response
// (RFC 6749 4.1.2.1, OIDC Core 3.1.2.6).
func idpError(code, desc string) error {
	msg := fmt.Sprintf("oidc: identity provider answered %q", clip(code, 64))
	if desc != "" {
		msg += fmt.Sprintf(" (%q)", clip(desc, 200))
	}
	switch code {
	case "access_denied", "unauthorized_client":
		return fmt.Errorf("%s: %w", msg, auth.ErrDenied)
	case "temporarily_unavailable", "server_error", "login_required",
		"interaction_required", "consent_required", "account_selection_required":
		return fmt.Errorf("%s: %w", msg, auth.ErrRetry)
	default:
		return errors.New(msg)
	}
}

// identity reads the claims Jinnang uses.
func (p *Provider) identity(idt *gooidc.IDToken) (auth.Identity, error) {
	sub := idt.Subject
	if sub == "" || len(sub) > maxSubjectLen || !cleanText(sub) {
		return auth.Identity{}, errors.New("oidc: ID token has an empty or invalid sub claim")
	}
	var claims map[string]json.RawMessage
	if err := idt.Claims(&claims); err != nil {
		return auth.Identity{}, fmt.Errorf("oidc: read ID token claims: %w", err)
	}
	name := stringClaim(claims["name"])
	if name == "" {
		name = stringClaim(claims["preferred_username"])
	}
	return auth.Identity{
		Provider:   p.Name(),
		Subject:    sub,
		Name:       name,
		Department: stringClaim(claims[departmentClaim]),
		Groups:     groupsClaim(claims[p.groupsClaim]),
	}, nil
}

// stringClaim returns a JSON string claim, or "" when it is absent, not a
// string, too long or holds control characters.
func stringClaim(raw json.RawMessage) string {
	var s string
	if len(raw) == 0 || json.Unmarshal(raw, &s) != nil {
		return ""
	}
	s = strings.TrimSpace(s)
	if len(s) > maxClaimLen || !cleanText(s) {
		return ""
	}
	return s
}

// groupsClaim accepts an array of strings or a single string; other shapes
// and invalid entries are ignored.
func groupsClaim(raw json.RawMessage) []string {
	if len(raw) == 0 {
		return nil
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) != nil {
		list = []json.RawMessage{raw}
	}
	var groups []string
	for _, item := range list {
		if g := stringClaim(item); g != "" && !slices.Contains(groups, g) {
			groups = append(groups, g)
			if len(groups) == maxGroups {
				break
			}
		}
	}
	return groups
}

func cleanText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, unicode.IsControl)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
