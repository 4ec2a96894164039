package web

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/metrics"
)

// MetricsOptions turns on /metrics.
type MetricsOptions struct {
	// Token is the bearer token a scraper sends (Authorization: Bearer …);
	// empty leaves /metrics unserved (404). Requests are counted either way.
	Token string
	// Registry is the process's metrics, shared with the store, index and
	// job metrics the portal records; nil gives the server its own.
	Registry *metrics.Metrics
}

// metricsMiddleware counts every request under its route pattern and status
// class. It runs outermost, after the error handler has written the status.
func (s *server) metricsMiddleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		code := c.Response().Status
		if err != nil && !c.Response().Committed {
			code = http.StatusInternalServerError
			if he := (*echo.HTTPError)(nil); errors.As(err, &he) {
				code = he.Code
			}
		}
		s.metrics.Observe(c.Path(), anonymousPath(c.Request().URL.Path), code, time.Since(start))
		return err
	}
}

// serveMetrics answers the scraper that presents the configured token.
func (s *server) serveMetrics(c echo.Context) error {
	if s.metricsToken == "" {
		return echo.ErrNotFound
	}
	got, ok := strings.CutPrefix(c.Request().Header.Get(echo.HeaderAuthorization), "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(s.metricsToken)) != 1 {
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="metrics"`)
		return c.String(http.StatusUnauthorized, "401 metrics need the bearer token (JINNANG_METRICS_TOKEN)\n")
	}
	s.metrics.Handler().ServeHTTP(c.Response(), c.Request())
	return nil
}
