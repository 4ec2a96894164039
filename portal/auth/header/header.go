// Package header trusts a reverse proxy (oauth2-proxy, Authelia, a company
// SSO gateway) that has already signed the person in and passes who they are
// in request headers.
//
// Security: the headers are believed only on requests whose direct TCP peer
// (r.RemoteAddr) is one of the configured trusted proxies. X-Forwarded-For and
// similar headers are never consulted, since any client can write them. The
// trusted proxy must itself remove or overwrite these headers on every
// request it forwards, otherwise a client could set them through the proxy.
package header

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/jinnang/jinnang/portal/auth"
)

// Defaults and limits.
const (
	defaultUserHeader   = "X-Forwarded-User"
	defaultNameHeader   = "X-Forwarded-Name"
	defaultGroupsHeader = "X-Forwarded-Groups"

	maxSubjectLen = 128
	maxNameLen    = 256 // bytes after decoding
	maxGroupLen   = 256
	maxGroups     = 256
)

// Config configures the trusted-proxy provider.
type Config struct {
	UserHeader     string         // default X-Forwarded-User
	NameHeader     string         // default X-Forwarded-Name (may be UTF-8 percent-encoded)
	GroupsHeader   string         // default X-Forwarded-Groups (comma-separated)
	TrustedProxies []netip.Prefix // REQUIRED non-empty
}

// Provider reads the identity a trusted reverse proxy put in the request
// headers. It is safe for concurrent use.
type Provider struct {
	userHeader, nameHeader, groupsHeader string
	trusted                              []netip.Prefix
}

var (
	_ auth.Provider      = (*Provider)(nil)
	_ auth.Authenticator = (*Provider)(nil)
)

// New validates cfg and returns the provider. TrustedProxies must name at
// least one valid prefix (e.g. 10.0.0.5/32, or fd00::/8).
func New(cfg Config) (*Provider, error) {
	if len(cfg.TrustedProxies) == 0 {
		return nil, errors.New("header: TrustedProxies is required: headers are only believed from the proxy's address")
	}
	p := &Provider{
		userHeader:   headerName(cfg.UserHeader, defaultUserHeader),
		nameHeader:   headerName(cfg.NameHeader, defaultNameHeader),
		groupsHeader: headerName(cfg.GroupsHeader, defaultGroupsHeader),
	}
	for _, pfx := range cfg.TrustedProxies {
		if !pfx.IsValid() {
			return nil, fmt.Errorf("header: invalid trusted proxy prefix %v", pfx)
		}
		// IPv4-mapped IPv6 peers are unmapped before matching, so an IPv4
		// prefix written as ::ffff:a.b.c.d/n is turned into a.b.c.d/(n-96).
		if a := pfx.Addr(); a.Is4In6() && pfx.Bits() >= 96 {
			pfx = netip.PrefixFrom(a.Unmap(), pfx.Bits()-96)
		}
		p.trusted = append(p.trusted, pfx.Masked())
	}
	return p, nil
}

func headerName(v, def string) string {
	if v == "" {
		return def
	}
	return http.CanonicalHeaderKey(v)
}

// Name returns "header".
func (p *Provider) Name() string { return "header" }

// Start returns auth.ErrNotInteractive: the proxy signs people in.
func (p *Provider) Start(context.Context, string, *http.Request) (string, error) {
	return "", auth.ErrNotInteractive
}

// Finish returns auth.ErrNotInteractive: there is no callback.
func (p *Provider) Finish(context.Context, *http.Request) (auth.Identity, error) {
	return auth.Identity{}, auth.ErrNotInteractive
}

// Authenticate returns the identity in the request headers.
//
// Only a request whose direct peer (r.RemoteAddr, never X-Forwarded-For) lies
// in TrustedProxies is read; from any other peer the headers are ignored and
// ok is false, exactly as for a trusted request without the user header. A
// trusted request with an unusable user header (longer than 128 bytes, not
// UTF-8, control characters) is an error wrapping auth.ErrDenied.
//
// The name header may be percent-encoded UTF-8 (proxies cannot send raw
// UTF-8 reliably); it is decoded, and dropped when unusable. Groups are
// comma-separated, each optionally percent-encoded.
func (p *Provider) Authenticate(r *http.Request) (auth.Identity, bool, error) {
	if !p.trustedPeer(r.RemoteAddr) {
		return auth.Identity{}, false, nil
	}
	sub := strings.TrimSpace(r.Header.Get(p.userHeader))
	if sub == "" {
		return auth.Identity{}, false, nil
	}
	if len(sub) > maxSubjectLen || !cleanText(sub) {
		return auth.Identity{}, false, fmt.Errorf("header: unusable %s value from the proxy: %w", p.userHeader, auth.ErrDenied)
	}
	return auth.Identity{
		Provider: p.Name(),
		Subject:  sub,
		Name:     decodeText(r.Header.Get(p.nameHeader), maxNameLen),
		Groups:   p.groups(r.Header.Values(p.groupsHeader)),
	}, true, nil
}

// trustedPeer reports whether the direct peer address is a trusted proxy.
func (p *Provider) trustedPeer(remoteAddr string) bool {
	host := remoteAddr
	if h, _, err := net.SplitHostPort(remoteAddr); err == nil {
		host = h
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	addr = addr.Unmap().WithZone("")
	for _, pfx := range p.trusted {
		if pfx.Contains(addr) {
			return true
		}
	}
	return false
}

func (p *Provider) groups(values []string) []string {
	var groups []string
	for _, v := range values {
		for g := range strings.SplitSeq(v, ",") {
			if g = decodeText(g, maxGroupLen); g != "" {
				groups = append(groups, g)
				if len(groups) == maxGroups {
					return groups
				}
			}
		}
	}
	return groups
}

// decodeText percent-decodes v ("+" stays a plus) and returns it trimmed, or
// "" when it is not valid UTF-8, holds control characters or is too long.
// A value that is not valid percent-encoding is taken literally.
func decodeText(v string, max int) string {
	v = strings.TrimSpace(v)
	if d, err := url.PathUnescape(v); err == nil {
		v = strings.TrimSpace(d)
	}
	if len(v) > max || !cleanText(v) {
		return ""
	}
	return v
}

func cleanText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, unicode.IsControl)
}
