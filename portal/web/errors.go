package web

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/store"
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
func (s *server) handleError(err error, c echo.Context) {
	e := toError(err)
	req := c.Request()
	level := slog.LevelWarn
	if e.Status >= http.StatusInternalServerError {
		level = slog.LevelError
	} else if e.Status == http.StatusNotFound {
		level = slog.LevelInfo
	}
	s.log.LogAttrs(req.Context(), level, "request failed",
		slog.String("method", req.Method),
		slog.String("path", req.URL.Path),
		slog.Int("status", e.Status),
		slog.Any("cause", err),
	)
	if c.Response().Committed {
		return
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
	}
	v := errorView{base: s.newBase(c, l, titleKey), Status: e.Status, Message: msg}
	if rerr := s.render(c, e.Status, pageError, tmplContent, v); rerr != nil {
		s.log.Error("render error page", slog.Any("err", rerr))
		if werr := c.String(e.Status, http.StatusText(e.Status)); werr != nil {
			s.log.Error("write error response", slog.Any("err", werr))
		}
	}
}
