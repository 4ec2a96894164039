package web

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/audit"
	"github.com/jinnang/jinnang/portal/auth"
	"github.com/jinnang/jinnang/portal/store/record"
)

// AuthOptions are the identity dependencies of the HTTP layer. Every field
// but DemoUsers, SecureCookies and SessionMaxAge is required.
type AuthOptions struct {
	// Provider is the configured sign-in provider (wecom, oidc, header or dev).
	Provider auth.Provider
	// Sessions keeps signed-in browsers in the store.
	Sessions *auth.Sessions
	// States makes and checks the signed, single-use sign-in state.
	States *auth.StateCodec
	// Roles maps identities to users with roles.
	Roles *auth.Roles
	// Users keeps profiles and "my posts".
	Users *auth.Users
	// Grants keeps the roles administrators assign in the portal (merged
	// with Roles on every request); nil turns the role pages off.
	Grants *auth.Grants
	// Audit records sign-ins, content writes and admin actions.
	Audit *audit.Log
	// DemoUsers are the people of the dev picker; empty unless the dev provider runs.
	DemoUsers []auth.Identity
	// LinkKey signs download links that work without a session (the "open
	// in browser" page in WeChat); empty means a random key per process.
	LinkKey []byte
	// SecureCookies sets Secure and the __Host- prefix; false only for plain
	// HTTP on loopback.
	SecureCookies bool
	// WriteLimit throttles state-changing requests, keyed "user:<id>" and "ip:<addr>".
	WriteLimit *auth.Limiter
	// LoginLimit throttles sign-in (/auth/start, /auth/callback), keyed "ip:<addr>".
	LoginLimit *auth.Limiter
	// AddrLimit throttles state-changing requests without a signed-in user
	// (the anonymous suggestion routes, sign-out), keyed by address; nil
	// means WriteLimit. Signed-in writes are limited per user only: behind
	// an office NAT everyone shares one address.
	AddrLimit *auth.Limiter
	// TrustedProxies are the load balancers whose X-Forwarded-For names the
	// client address (see clientAddr).
	TrustedProxies []netip.Prefix
	// SessionMaxAge is the session cookie's Max-Age; it should equal
	// auth.SessionOptions.Absolute. Zero means auth.DefaultAbsolute.
	SessionMaxAge time.Duration
}

// check reports the first missing required dependency.
func (o AuthOptions) check() error {
	missing := func(name string) error { return fmt.Errorf("web: Options.Auth.%s is required", name) }
	switch {
	case o.Provider == nil:
		return missing("Provider")
	case o.Sessions == nil:
		return missing("Sessions")
	case o.States == nil:
		return missing("States")
	case o.Roles == nil:
		return missing("Roles")
	case o.Users == nil:
		return missing("Users")
	case o.Audit == nil:
		return missing("Audit")
	case o.WriteLimit == nil:
		return missing("WriteLimit")
	case o.LoginLimit == nil:
		return missing("LoginLimit")
	}
	return nil
}

const (
	sessionCookieSecure = "__Host-jinnang"
	sessionCookiePlain  = "jinnang_session"
	stateCookieSecure   = "__Host-jinnang_state"
	stateCookiePlain    = "jinnang_state"
	stateCookieAge      = 10 * time.Minute

	// csrfField and csrfHeader carry the session's CSRF token.
	csrfField  = "_csrf"
	csrfHeader = "X-CSRF-Token"

	// retryAfter is the Retry-After of a 429, in seconds: the limiters refill
	// per minute, so a minute always suffices.
	retryAfter = 60

	sessionCtxKey = "web.session"
	tokenCtxKey   = "web.token"

	loginPath = "/auth/login"
)

// sessionCookie and stateCookie are the cookie names for the cookie mode.
func (s *server) sessionCookie() string {
	if s.auth.SecureCookies {
		return sessionCookieSecure
	}
	return sessionCookiePlain
}

func (s *server) stateCookie() string {
	if s.auth.SecureCookies {
		return stateCookieSecure
	}
	return stateCookiePlain
}

// setCookie writes a host-only, HttpOnly, SameSite=Lax cookie on path /,
// replacing one of the same name set earlier in this response. maxAge < 0
// deletes it.
func (s *server) setCookie(c echo.Context, name, value string, maxAge time.Duration) {
	h := c.Response().Header()
	if old := h.Values("Set-Cookie"); len(old) > 0 {
		h.Del("Set-Cookie")
		for _, v := range old {
			if !strings.HasPrefix(v, name+"=") {
				h.Add("Set-Cookie", v)
			}
		}
	}
	ck := &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     "/",
		HttpOnly: true,
		Secure:   s.auth.SecureCookies,
		SameSite: http.SameSiteLaxMode,
	}
	if maxAge < 0 {
		ck.MaxAge = -1
		ck.Value = ""
	} else {
		ck.MaxAge = int(maxAge / time.Second)
	}
	c.SetCookie(ck)
}

// cookieValue returns the value of the named request cookie, or "".
func cookieValue(c echo.Context, name string) string {
	ck, err := c.Cookie(name)
	if err != nil {
		return ""
	}
	return ck.Value
}

// sessionOf returns the request's session and its token (nil, "" when anonymous).
func sessionOf(c echo.Context) (*auth.Session, string) {
	sess, _ := c.Get(sessionCtxKey).(*auth.Session)
	tok, _ := c.Get(tokenCtxKey).(string)
	return sess, tok
}

// userOf returns the signed-in user, or nil.
func userOf(c echo.Context) *auth.User {
	if u, _ := c.Get(userCtxKey).(*auth.User); u != nil {
		return u
	}
	if sess, _ := sessionOf(c); sess != nil {
		return &sess.User
	}
	return nil
}

// setSession makes sess the request's session.
func setSession(c echo.Context, sess *auth.Session, token string) {
	c.Set(sessionCtxKey, sess)
	c.Set(tokenCtxKey, token)
	c.Set(userCtxKey, nil) // the granted roles are merged again by applyGrants
}

// clientAddr is the address rate limits key on. It is the direct peer
// (RemoteAddr), unless that peer is one of the configured trusted proxies
// (JINNANG_TRUSTED_PROXIES: the load balancer): then it is the last address
// in X-Forwarded-For that is not itself a trusted proxy, so the whole
// company does not share the balancer's address. A client can write any
// X-Forwarded-For it likes, which is why only a trusted peer's is read, and
// only the part the proxies appended.
func (s *server) clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if !s.trustedProxy(host) {
		return host
	}
	hops := r.Header.Values("X-Forwarded-For")
	for i := len(hops) - 1; i >= 0; i-- {
		parts := strings.Split(hops[i], ",")
		for j := len(parts) - 1; j >= 0; j-- {
			hop := strings.TrimSpace(parts[j])
			a, err := netip.ParseAddr(hop)
			if err != nil {
				return host // a malformed hop: trust nothing before it
			}
			if !s.trustedProxy(a.Unmap().String()) {
				return a.Unmap().String()
			}
		}
	}
	return host
}

// trustedProxy reports whether addr is one of the trusted proxies.
func (s *server) trustedProxy(addr string) bool {
	if len(s.trusted) == 0 {
		return false
	}
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range s.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// noSession reports whether a path never reads the session (probes and assets).
func noSession(p string) bool {
	return p == "/healthz" || p == "/readyz" || p == callbackURL || strings.HasPrefix(p, assetPrefix) || anonymousPath(p)
}

// authenticate loads the session named by the cookie and, with the trusted
// proxy header provider, signs the request in transparently. It never
// rejects: requireUser decides what needs a user.
func (s *server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		// Bad records read during the request are logged with s.log; on the
		// anonymous routes they are not reported at all (no trace of a visit).
		rctx := record.WithLogger(req.Context(), s.log)
		if anonymousPath(req.URL.Path) {
			rctx = record.Quiet(rctx)
		}
		req = req.WithContext(rctx)
		c.SetRequest(req)
		if noSession(req.URL.Path) {
			return next(c)
		}
		if token := cookieValue(c, s.sessionCookie()); token != "" {
			sess, err := s.auth.Sessions.Get(req.Context(), token)
			switch {
			case err == nil:
				setSession(c, sess, token)
			case errors.Is(err, auth.ErrNoSession):
				s.setCookie(c, s.sessionCookie(), "", -1) // forget a dead or forged token
				if err != auth.ErrNoSession {             // a cleanup failure joined to ErrNoSession
					s.log.Warn("session lookup", slog.Any("err", err))
				}
			default:
				return fmt.Errorf("load session: %w", err)
			}
		}
		if a, ok := s.auth.Provider.(auth.Authenticator); ok {
			if err := s.proxySignIn(c, a); err != nil {
				return err
			}
		}
		if err := s.applyGrants(c); err != nil {
			return err
		}
		if sess, _ := sessionOf(c); sess != nil {
			if _, err := req.Cookie(langCookie); err != nil {
				if l, ok := parseLang(sess.Lang); ok {
					c.Set(langCtxKey, l)
				}
			}
		}
		return next(c)
	}
}

// proxySignIn trusts the identity a reverse proxy asserts (the provider
// checks the proxy's address) and starts a session when there is none or the
// current one belongs to someone else.
func (s *server) proxySignIn(c echo.Context, a auth.Authenticator) error {
	id, ok, err := a.Authenticate(c.Request())
	if errors.Is(err, auth.ErrDenied) {
		return &Error{Status: http.StatusForbidden, Public: "auth.denied", Cause: err}
	}
	if err != nil {
		return fmt.Errorf("proxy sign-in: %w", err)
	}
	if !ok {
		return nil
	}
	u := s.auth.Roles.User(id)
	if sess, _ := sessionOf(c); sess != nil && sess.User.ID == u.ID {
		return nil
	}
	return s.signIn(c, u)
}

// signIn records the user, ends any earlier session of this browser, and
// starts a new one under a fresh token (never reusing a token: fixation).
func (s *server) signIn(c echo.Context, u auth.User) error {
	ctx := c.Request().Context()
	prof, err := s.auth.Users.Touch(ctx, u)
	if err != nil {
		return fmt.Errorf("sign-in: profile of %s: %w", u.ID, err)
	}
	s.joinDirectory(ctx, u)
	if old, oldToken := sessionOf(c); old != nil {
		if err := s.auth.Sessions.Destroy(ctx, oldToken); err != nil {
			return fmt.Errorf("sign-in: end the previous session: %w", err)
		}
	}
	token, sess, err := s.auth.Sessions.Create(ctx, u)
	if err != nil {
		return fmt.Errorf("sign-in: %w", err)
	}
	if prof != nil {
		if l, ok := parseLang(prof.Lang); ok {
			sess.Lang = string(l)
			if err := s.auth.Sessions.Update(ctx, token, sess); err != nil {
				return fmt.Errorf("sign-in: language: %w", err)
			}
		}
	}
	s.setCookie(c, s.sessionCookie(), token, s.sessionMaxAge)
	setSession(c, sess, token)
	s.record(c, audit.Entry{Actor: u.ID, Action: "auth.login", Target: "user:" + u.ID, Detail: s.auth.Provider.Name()})
	return nil
}

// record appends an audit entry. A failure is logged at error level and does
// not undo the action it describes (which already happened).
func (s *server) record(c echo.Context, e audit.Entry) {
	if u := userOf(c); e.ActorName == "" && u != nil && u.ID == e.Actor {
		e.ActorName = u.Name
	}
	if err := s.auth.Audit.Record(c.Request().Context(), e); err != nil {
		s.log.Error("audit record failed", slog.String("action", e.Action), slog.String("actor", e.Actor), slog.Any("err", err))
	}
}

// unsafeMethod reports whether a method changes state.
func unsafeMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return false
	}
	return true
}

// callbackPath is exempt from the cross-site and CSRF-token checks: the
// single-use state bound to the nonce cookie protects it, and LoginLimit
// throttles it.
const callbackPath = "/auth/callback"

// guardWrites runs on every request. For state-changing ones (except the
// sign-in callback) it refuses cross-site requests (Sec-Fetch-Site, Origin)
// and applies WriteLimit by address and by user. The session CSRF token is
// checked by requireCSRF on the routes that have a session.
func (s *server) guardWrites(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if !unsafeMethod(req.Method) || req.URL.Path == callbackPath {
			return next(c)
		}
		defer s.writes.Add(1) // after the write: home asks the index again (home.go)
		if req.URL.Path == callbackURL {
			// WeCom's servers, from a few addresses, for every member: the
			// signature and the nonce cache guard it, not a per-address limit.
			return next(c)
		}
		if err := s.crossOrigin.Check(req); err != nil {
			return &Error{Status: http.StatusForbidden, Public: "error.csrf", Cause: err}
		}
		if u := userOf(c); u != nil {
			// Per person: an office behind one NAT address is many people.
			if err := s.limit(c, s.auth.WriteLimit, "user:"+u.ID); err != nil {
				return err
			}
			return next(c)
		}
		key := "ip:" + s.clientAddr(req)
		if anonymousPath(req.URL.Path) {
			key = s.anonLimitKey(req) // no address in memory or in a 429's log line
		}
		addrLimit := s.auth.AddrLimit
		if addrLimit == nil {
			addrLimit = s.auth.WriteLimit
		}
		if err := s.limit(c, addrLimit, key); err != nil {
			return err
		}
		return next(c)
	}
}

// limit takes a token for key from l, or answers 429 with Retry-After.
func (s *server) limit(c echo.Context, l *auth.Limiter, key string) error {
	if l.Allow(key) {
		return nil
	}
	c.Response().Header().Set("Retry-After", strconv.Itoa(retryAfter))
	return &Error{Status: http.StatusTooManyRequests, Public: "error.429", Cause: fmt.Errorf("rate limit for %s", key)}
}

// requireCSRF checks the session's CSRF token on state-changing requests
// (form field _csrf or header X-CSRF-Token). Use it after requireUser.
func (s *server) requireCSRF(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := checkCSRF(c); err != nil {
			return err
		}
		return next(c)
	}
}

// checkCSRF is the token check of requireCSRF.
func checkCSRF(c echo.Context) error {
	if !unsafeMethod(c.Request().Method) {
		return nil
	}
	sess, _ := sessionOf(c)
	tok := c.Request().Header.Get(csrfHeader)
	if tok == "" {
		tok = c.FormValue(csrfField)
	}
	if !auth.CheckCSRF(sess, tok) {
		return &Error{Status: http.StatusForbidden, Public: "error.csrf", Cause: errors.New("csrf token missing or wrong")}
	}
	return nil
}

// requireUser lets signed-in users through. Anyone else is sent to sign in:
// HTMX requests get 401 with HX-Redirect; inside WeChat/WeCom with the wecom
// provider the browser goes straight to the provider; others get a 303 to the
// login page that returns here afterwards.
func (s *server) requireUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if userOf(c) != nil {
			return next(c)
		}
		req := c.Request()
		back := "/"
		if req.Method == http.MethodGet || req.Method == http.MethodHead {
			back = safeNext(req.URL.RequestURI())
		}
		if req.Header.Get("HX-Request") == "true" {
			if u, err := url.Parse(req.Header.Get("HX-Current-URL")); err == nil && u.Path != "" {
				back = safeNext(u.RequestURI())
			}
			c.Response().Header().Set("HX-Redirect", loginURL(back))
			return c.NoContent(http.StatusUnauthorized)
		}
		if s.auth.Provider.Name() == "wecom" && inWeChat(req) && req.Method == http.MethodGet {
			return s.beginSignIn(c, back)
		}
		return c.Redirect(http.StatusSeeOther, loginURL(back))
	}
}

// requireRole builds a middleware that lets through users for which ok holds
// and answers 403 otherwise. Use it after requireUser.
func requireRole(ok func(*auth.User) bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if u := userOf(c); u == nil || !ok(u) {
				return forbidden(fmt.Errorf("%s %s: role required", c.Request().Method, c.Request().URL.Path))
			}
			return next(c)
		}
	}
}

// The role requirements of the handler edge. Department-level editing
// (CanEdit of a given department) is checked in the handlers, which know the
// department.
var (
	requireEditor    = requireRole((*auth.User).IsEditor)
	requireModerator = requireRole((*auth.User).CanModerate)
	requireAdmin     = requireRole((*auth.User).IsAdmin)
)

// forbidden is the 403 of a role check.
func forbidden(cause error) error {
	return &Error{Status: http.StatusForbidden, Public: "error.403", Cause: cause}
}

// inWeChat reports whether the request comes from WeChat's or WeCom's in-app browser.
func inWeChat(r *http.Request) bool {
	ua := r.UserAgent()
	return strings.Contains(ua, "MicroMessenger") || strings.Contains(ua, "wxwork")
}

// loginURL is the login page returning to next afterwards.
func loginURL(next string) string {
	if next == "" || next == "/" {
		return loginPath
	}
	return loginPath + "?" + url.Values{"next": {next}}.Encode()
}

// maxNextLen bounds a return path.
const maxNextLen = 2048

// safeNext returns p when it is a same-site path ("/x?y"), else "/". It
// refuses what a browser would read as another host or a script.
func safeNext(p string) string {
	if p == "" || len(p) > maxNextLen || p[0] != '/' || strings.HasPrefix(p, "//") || strings.ContainsRune(p, '\\') {
		return "/"
	}
	for _, r := range p {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return "/"
		}
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") {
		return "/"
	}
	return p
}
