package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/record"
)

// Error is a handler error with a status, a public message and an internal
// cause. Public is a message-catalogue key (e.g. "error.404"); text that is
// not a key is shown as is. The cause is logged, never shown.
type Error struct {
	Status int
	Public string
	Cause  error
}

// Error describes the error for logs.
func (e *Error) Error() string {
	if e.Cause == nil {
		return fmt.Sprintf("http %d: %s", e.Status, e.Public)
	}
	return fmt.Sprintf("http %d: %s: %v", e.Status, e.Public, e.Cause)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Cause }

// errorView is the data of the error page.
type errorView struct {
	base
	Status  int
	Message string
	// Incident is the random id of an anonymous 5xx, also in the log.
	Incident string
}

// newIncident is a random id for a failed anonymous request.
func newIncident() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error
	return hex.EncodeToString(b)
}

// toError maps any handler error to an *Error.
func toError(err error) *Error {
	var we *Error
	if errors.As(err, &we) {
		out := *we
		if out.Status < 400 || out.Status > 599 {
			out.Status = http.StatusInternalServerError
		}
		if out.Public == "" {
			out.Public = statusKey(out.Status)
		}
		return &out
	}
	if errors.Is(err, store.ErrNotFound) {
		return &Error{Status: http.StatusNotFound, Public: "error.404", Cause: err}
	}
	if unavailable(err) {
		return &Error{Status: http.StatusServiceUnavailable, Public: "error.503", Cause: err}
	}
	if errors.Is(err, record.ErrCorrupt) {
		return &Error{Status: http.StatusInternalServerError, Public: "error.corrupt", Cause: err}
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		status := he.Code
		if status < 400 || status > 599 {
			status = http.StatusInternalServerError
		}
		return &Error{Status: status, Public: statusKey(status), Cause: err}
	}
	return &Error{Status: http.StatusInternalServerError, Public: "error.500", Cause: err}
}

// unavailable reports whether err means a backend is down or too slow: the
// store or index said so (a deadline ran out, MinIO refused), or a network
// error or deadline came through a backend that does not map its errors.
func unavailable(err error) bool {
	var (
		oe *net.OpError
		ue *url.Error
	)
	return errors.Is(err, store.ErrUnavailable) || errors.Is(err, index.ErrUnavailable) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.As(err, &oe) || errors.As(err, &ue) && ue.Timeout()
}

// unavailableRetry is the Retry-After of a 503, in seconds: long enough for a
// restarted MinIO or Meilisearch, short enough that a reload soon works.
const unavailableRetry = 15

// clientGone reports whether the request failed because the client went
// away (closed the tab, lost the network): nobody is left to answer.
func clientGone(c echo.Context, err error) bool {
	return c.Request().Context().Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, syscall.ECONNRESET))
}

// clientGoneKey marks a request whose client went away, for requestLog.
const clientGoneKey = "web.clientGone"

// statusClientClosed is the status logged for a client that went away
// before the answer (nginx's 499); it is never sent.
const statusClientClosed = 499

// statusKey is the catalogue key of the generic message for a status.
func statusKey(status int) string {
	key := fmt.Sprintf("error.%d", status)
	if _, ok := messages[key]; ok {
		return key
	}
	if status >= 500 {
		return "error.500"
	}
	return "error.400"
}

// handleError is the one central error handler: it logs the cause and renders
// the friendly error page, or only its fragment for HTMX requests.
//
// The anonymous /s/ routes log nothing of a visit: not a 404, 403 or 429,
// not their path. A 5xx there logs only a random incident id and its status
// (not the cause, which may name the box), and the page shows the same id,
// so a visitor's report can be matched to the line without the log holding
// a path, a box, an address or a browser.
func (s *server) handleError(err error, c echo.Context) {
	req := c.Request()
	if clientGone(c, err) {
		// Not a server error: the browser left. Nothing can be sent.
		c.Set(clientGoneKey, true)
		if !anonymousPath(req.URL.Path) {
			s.log.LogAttrs(req.Context(), slog.LevelInfo, "client went away before the answer",
				slog.String("method", req.Method), slog.String("path", strings.ToValidUTF8(req.URL.Path, "\uFFFD")))
		}
		return
	}
	e := toError(err)
	anon := anonymousPath(req.URL.Path)
	incident := ""
	switch {
	case anon && e.Status >= http.StatusInternalServerError:
		incident = newIncident()
		// The cause may name the box or a key: only the incident id and
		// the status are logged.
		s.log.LogAttrs(context.WithoutCancel(req.Context()), slog.LevelError, "anonymous request failed",
			slog.String("incident", incident), slog.Int("status", e.Status))
	case anon:
		// no line at all
	default:
		level := slog.LevelWarn
		if e.Status >= http.StatusInternalServerError {
			level = slog.LevelError
		} else if e.Status == http.StatusNotFound {
			level = slog.LevelInfo
		}
		s.log.LogAttrs(req.Context(), level, "request failed",
			slog.String("method", req.Method),
			slog.String("path", strings.ToValidUTF8(req.URL.Path, "\uFFFD")),
			slog.Int("status", e.Status),
			slog.Any("cause", err),
		)
	}
	if c.Response().Committed {
		return
	}
	if e.Status == http.StatusServiceUnavailable && c.Response().Header().Get("Retry-After") == "" {
		c.Response().Header().Set("Retry-After", strconv.Itoa(unavailableRetry))
	}
	if req.Method == http.MethodHead {
		if werr := c.NoContent(e.Status); werr != nil {
			s.log.Error("write error response", slog.Any("err", werr))
		}
		return
	}
	l := langOf(c)
	msg, terr := translate(l, e.Public)
	if terr != nil {
		msg = e.Public
	}
	titleKey := "error.title"
	switch e.Status {
	case http.StatusForbidden:
		titleKey = "error.403.title"
	case http.StatusTooManyRequests:
		titleKey = "error.429.title"
	case http.StatusNotFound:
		titleKey = "error.404.title"
	case http.StatusInternalServerError:
		titleKey = "error.500.title"
	case http.StatusServiceUnavailable:
		titleKey = "error.503.title"
	}
	v := errorView{base: s.newBase(c, l, titleKey), Status: e.Status, Message: msg, Incident: incident}
	if rerr := s.render(c, e.Status, pageError, tmplContent, v); rerr != nil {
		s.log.Error("render error page", slog.Any("err", rerr))
		if werr := c.String(e.Status, http.StatusText(e.Status)); werr != nil {
			s.log.Error("write error response", slog.Any("err", werr))
		}
	}
}
