package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jinnang/jinnang/portal/auth"
	"github.com/jinnang/jinnang/portal/images"
)

// Photo decoding budget. Decoding is what a photo costs (a 6000×6000 image
// is 144 MB of pixels and seconds of CPU), so it runs under bounds that hold
// whatever is uploaded: a few decodes at once for the whole process (others
// wait in line, then get 503), a pixel allowance per request, and on the
// anonymous routes a per-address pixel rate.
const (
	// decodeSlots is how many photos are decoded at once (the machine's
	// cores, roughly); decodeWait how long an upload waits for a slot.
	decodeSlots = 2
	decodeWait  = 20 * time.Second
	// storyRequestPixels bounds the pixels of one story post (nine 12 MP
	// phone photos); suggestRequestPixels those of one suggestion.
	storyRequestPixels   = 9 * 12_000_000
	suggestRequestPixels = 3 * 16_000_000
	// anonMegapixelsPerMinute and anonMegapixelBurst bound what one address
	// may have decoded on the anonymous routes.
	anonMegapixelsPerMinute = 30
	anonMegapixelBurst      = 100
	// busyRetry is the Retry-After of a 503 for busy decoders, in seconds.
	busyRetry = 10
)

// errPixelRate is an anonymous address over its pixel rate.
var errPixelRate = fmt.Errorf("%w: this address sent too many pixels for now", images.ErrBudget)

// newDecodeBudget is the process-wide decode budget.
func newDecodeBudget() *images.Budget { return images.NewBudget(decodeSlots, decodeWait) }

// newAnonPixelLimit is the per-address pixel rate (in megapixels) of the
// anonymous routes, keyed by anonLimitKey.
func newAnonPixelLimit() *auth.Limiter {
	return auth.NewLimiter(anonMegapixelsPerMinute, anonMegapixelBurst, nil)
}

// photoLimits are the limits of one request's photos: at most requestPixels
// in all, decoded under the process budget, and on the anonymous routes
// within the address's pixel rate (counted by its HMAC, never stored).
func (s *server) photoLimits(c echo.Context, requestPixels int64) images.Limits {
	lim := imageLimits()
	req := c.Request()
	left := &images.Pixels{Left: requestPixels}
	anon := anonymousPath(req.URL.Path)
	lim.Admit = func(px int64) error {
		if err := left.Admit(px); err != nil {
			return err
		}
		if anon && !s.anonPixels.AllowN(s.anonLimitKey(req), int((px+999_999)/1_000_000)) {
			return errPixelRate
		}
		return nil
	}
	lim.Budget, lim.Ctx = s.decodes, req.Context()
	return lim
}

// photoRefusal is the whole-request answer to a photo that hit a shared
// bound (busy decoders: 503; an anonymous address over its pixel rate:
// 429), both with Retry-After; nil for errors that belong next to the field.
func photoRefusal(c echo.Context, err error) error {
	switch {
	case errors.Is(err, images.ErrBusy):
		c.Response().Header().Set("Retry-After", strconv.Itoa(busyRetry))
		return &Error{Status: http.StatusServiceUnavailable, Public: "error.503", Cause: err}
	case errors.Is(err, errPixelRate):
		c.Response().Header().Set("Retry-After", strconv.Itoa(retryAfter))
		return &Error{Status: http.StatusTooManyRequests, Public: "error.429", Cause: err}
	}
	return nil
}
