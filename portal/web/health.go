package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// readyTimeout bounds each readiness ping.
const readyTimeout = 2 * time.Second

// healthz answers 200 while the process is alive.
func (s *server) healthz(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.String(http.StatusOK, "ok")
}

// readyz pings every checker concurrently, each with a 2s timeout, and
// answers 200 when all are ready or 503 naming the ones that failed. Causes
// are logged, not shown.
func (s *server) readyz(c echo.Context) error {
	names := make([]string, 0, len(s.ready))
	for n := range s.ready {
		names = append(names, n)
	}
	slices.Sort(names)
	failed := make([]bool, len(names))
	var wg sync.WaitGroup
	for i, n := range names {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(c.Request().Context(), readyTimeout)
			defer cancel()
			if err := s.ready[n].Ping(ctx); err != nil {
				failed[i] = true
				s.log.Warn("readiness check failed", slog.String("check", n), slog.Any("err", err))
			}
		})
	}
	wg.Wait()
	var b strings.Builder
	status := http.StatusOK
	for i, n := range names {
		state := "ok"
		if failed[i] {
			state, status = "fail", http.StatusServiceUnavailable
		}
		fmt.Fprintf(&b, "%s: %s\n", n, state)
	}
	if status == http.StatusOK {
		b.WriteString("ready\n")
	} else {
		b.WriteString("not ready\n")
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.String(status, b.String())
}
