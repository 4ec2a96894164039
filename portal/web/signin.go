package web

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/audit"
	"github.com/jinnang/jinnang/portal/auth"
)

// loginView is the data of the login page.
type loginView struct {
	base
	Bye         bool   // just signed out
	StartURL    string // "" when the provider signs in through the proxy only
	ButtonKey   string // catalogue key of the sign-in button
	Interactive bool
}

// loginPage offers the sign-in button of the configured provider. A user who
// is already signed in goes straight on to next.
func (s *server) loginPage(c echo.Context) error {
	next := safeNext(c.QueryParam("next"))
	bye := c.QueryParam("bye") == "1"
	if userOf(c) != nil && !bye {
		return c.Redirect(http.StatusSeeOther, next)
	}
	l := langOf(c)
	v := loginView{base: s.newBase(c, l, "login.title"), Bye: bye}
	name := s.auth.Provider.Name()
	if _, proxy := s.auth.Provider.(auth.Authenticator); !proxy {
		v.Interactive = true
		v.StartURL = "/auth/start"
		if next != "/" {
			v.StartURL += "?" + url.Values{"next": {next}}.Encode()
		}
	}
	v.ButtonKey = "login.with." + name
	if _, ok := messages[v.ButtonKey]; !ok {
		v.ButtonKey = "login.with"
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return s.render(c, http.StatusOK, pageLogin, tmplContent, v)
}

// start begins a sign-in round trip: /auth/start?next=.
func (s *server) start(c echo.Context) error {
	return s.beginSignIn(c, safeNext(c.QueryParam("next")))
}

// beginSignIn makes the signed state (returning to next), binds it to this
// browser with the nonce cookie and sends the browser to the provider.
func (s *server) beginSignIn(c echo.Context, next string) error {
	req := c.Request()
	if err := s.limit(c, s.auth.LoginLimit, "ip:"+s.clientAddr(req)); err != nil {
		return err
	}
	state, nonce, err := s.auth.States.New(c.Request().Context(), next)
	if err != nil {
		return fmt.Errorf("sign-in state: %w", err)
	}
	target, err := s.auth.Provider.Start(req.Context(), state, req)
	if errors.Is(err, auth.ErrNotInteractive) {
		return c.Redirect(http.StatusSeeOther, loginURL(next))
	}
	if err != nil {
		return s.signInFailed(c, fmt.Errorf("provider %s start: %w", s.auth.Provider.Name(), err))
	}
	s.setCookie(c, s.stateCookie(), nonce, stateCookieAge)
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Redirect(http.StatusSeeOther, target)
}

// devPickView is the data of the dev provider's picker.
type devPickView struct {
	base
	State  string
	People []auth.Identity
}

// devPick is the dev provider's sign-in page: the demo people as buttons of
// one POST form to /auth/callback. It exists only while the dev provider runs.
func (s *server) devPick(c echo.Context) error {
	if len(s.auth.DemoUsers) == 0 {
		return &Error{Status: http.StatusNotFound, Public: "error.404", Cause: errors.New("dev picker: no demo users")}
	}
	state := c.QueryParam("state")
	if state == "" {
		return s.signInFailed(c, fmt.Errorf("dev picker without state: %w", auth.ErrRetry))
	}
	v := devPickView{base: s.newBase(c, langOf(c), "dev.title"), State: state, People: s.auth.DemoUsers}
	c.Response().Header().Set("Cache-Control", "no-store")
	return s.render(c, http.StatusOK, pageDevPick, tmplContent, v)
}

// callback finishes a sign-in (GET for redirect providers, POST for the dev
// picker or a form_post provider): it consumes the single-use state bound to
// the nonce cookie, asks the provider who this is, and starts a new session.
// Every failure is a friendly page, never a 500: 403 when the provider
// refused the person, else 400 with "try again".
func (s *server) callback(c echo.Context) error {
	req := c.Request()
	if err := s.limit(c, s.auth.LoginLimit, "ip:"+s.clientAddr(req)); err != nil {
		return err
	}
	ctx := req.Context()
	nonce := cookieValue(c, s.stateCookie())
	s.setCookie(c, s.stateCookie(), "", -1)
	back, err := s.auth.States.Consume(ctx, c.FormValue("state"), nonce)
	if err != nil {
		return s.signInFailed(c, fmt.Errorf("sign-in state: %w", err))
	}
	id, err := s.auth.Provider.Finish(ctx, req)
	if err != nil {
		return s.signInFailed(c, fmt.Errorf("provider %s finish: %w", s.auth.Provider.Name(), err))
	}
	if err := s.signIn(c, s.auth.Roles.User(id)); err != nil {
		return s.signInFailed(c, err)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Redirect(http.StatusSeeOther, safeNext(back))
}

// signInView is the data of the sign-in failure page.
type signInView struct {
	base
	Status  int
	Message string // catalogue key
	Retry   bool   // offer "try again"
}

// signInFailed logs why a sign-in failed and renders the friendly page:
// 403 for ErrDenied, otherwise 400 with a retry button.
func (s *server) signInFailed(c echo.Context, err error) error {
	l := langOf(c)
	v := signInView{Status: http.StatusBadRequest, Message: "signin.retry", Retry: true}
	level := slog.LevelWarn
	switch {
	case errors.Is(err, auth.ErrDenied):
		v.Status, v.Message, v.Retry = http.StatusForbidden, "auth.denied", false
	case !errors.Is(err, auth.ErrRetry):
		level = slog.LevelError // not the user's fault: a provider or store problem
	}
	s.log.LogAttrs(c.Request().Context(), level, "sign-in failed",
		slog.String("provider", s.auth.Provider.Name()), slog.Int("status", v.Status), slog.Any("cause", err))
	v.base = s.newBase(c, l, "signin.title")
	c.Response().Header().Set("Cache-Control", "no-store")
	return s.render(c, v.Status, pageSignIn, tmplContent, v)
}

// logout ends the session for real (the record is deleted, so the old cookie
// is worthless) and shows the login page with "you have signed out".
func (s *server) logout(c echo.Context) error {
	if sess, token := sessionOf(c); sess != nil {
		if err := checkCSRF(c); err != nil {
			return err
		}
		if err := s.auth.Sessions.Destroy(c.Request().Context(), token); err != nil {
			return fmt.Errorf("logout: %w", err)
		}
		s.record(c, audit.Entry{Actor: sess.User.ID, Action: "auth.logout", Target: "user:" + sess.User.ID})
		setSession(c, nil, "")
	}
	s.setCookie(c, s.sessionCookie(), "", -1)
	return c.Redirect(http.StatusSeeOther, loginPath+"?bye=1")
}
