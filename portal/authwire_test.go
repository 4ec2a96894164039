package portal

import (
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/auth"
)

// TestSignInLimitsForAnOffice: 500 people behind one office address open a
// link within a minute (two sign-in requests each, evenly spread): the
// production login limit lets every one of them in.
func TestSignInLimitsForAnOffice(t *testing.T) {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	l := auth.NewLimiter(loginsPerMinute, loginBurst, func() time.Time { return now })
	for i := range 1000 {
		if !l.Allow("ip:203.0.113.10") {
			t.Fatalf("sign-in request %d of 1000 within a minute refused", i+1)
		}
		now = now.Add(60 * time.Millisecond)
	}
	a := auth.NewLimiter(addrWritesPerMinute, addrWriteBurst, func() time.Time { return now })
	for i := range 500 {
		if !a.Allow("anon:office") {
			t.Fatalf("anonymous suggestion %d of 500 within a minute refused", i+1)
		}
		now = now.Add(120 * time.Millisecond)
	}
}
