package auth

import (
	"sync"
	"time"
)

// Limiter bounds how often each key (an IP address, a user ID) may act:
// in-memory token buckets, nothing persisted, so each portal process limits
// on its own. Memory is bounded: buckets idle long enough to have refilled
// are evicted, and at most maxKeys are kept. It is safe for concurrent use.
type Limiter struct {
	mu        sync.Mutex
	rate      float64 // tokens per second
	burst     float64
	clock     Clock
	buckets   map[string]*bucket
	maxKeys   int
	idleAfter time.Duration // a bucket untouched this long is full again: forget it
	lastSweep time.Time
}

// bucket is one key's tokens as of last.
type bucket struct {
	tokens float64
	last   time.Time
}

// Limiter bounds.
const (
	// limiterMaxKeys caps the number of tracked keys.
	limiterMaxKeys = 100_000
	// limiterIdle is the least time a key is kept after its last request.
	limiterIdle = 10 * time.Minute
	// limiterSweepEvery spaces the sweeps of idle keys.
	limiterSweepEvery = time.Minute
	// limiterFullSweepEvery spaces the early sweeps of a full map, so a
	// flood of new keys does not make every request walk the whole map.
	limiterFullSweepEvery = time.Second
)

// NewLimiter allows each key perMinute actions a minute on average, and up to
// burst at once after a quiet spell. Values below 1 are taken as 1. A nil
// clock means time.Now.
func NewLimiter(perMinute int, burst int, clock Clock) *Limiter {
	perMinute = max(perMinute, 1)
	burst = max(burst, 1)
	rate := float64(perMinute) / 60
	// A bucket idle for burst/rate seconds is full, the same as a new one,
	// so forgetting it then changes nothing.
	refill := time.Duration(float64(burst) / rate * float64(time.Second))
	return &Limiter{
		rate:      rate,
		burst:     float64(burst),
		clock:     orNow(clock),
		buckets:   map[string]*bucket{},
		maxKeys:   limiterMaxKeys,
		idleAfter: max(limiterIdle, refill),
	}
}

// Allow takes one token from key's bucket and reports whether there was one.
func (l *Limiter) Allow(key string) bool { return l.AllowN(key, 1) }

// AllowN takes n tokens from key's bucket when it holds them all, and
// reports whether it did (a cost-weighted limit: pixels, bytes).
func (l *Limiter) AllowN(key string, n int) bool {
	now := l.clock()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		l.makeRoom(now)
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	if elapsed := now.Sub(b.last); elapsed > 0 { // a clock going backwards adds nothing
		b.tokens = min(l.burst, b.tokens+elapsed.Seconds()*l.rate)
		b.last = now
	}
	if b.tokens < float64(n) {
		return false
	}
	b.tokens -= float64(n)
	return true
}

// makeRoom runs before a new key is added: it sweeps idle buckets once a
// minute, or early (at most once a second) when the map is full; if the map is still full, it evicts
// an arbitrary bucket (which hands that key a fresh burst: the price of
// bounded memory under a flood of distinct keys).
func (l *Limiter) makeRoom(now time.Time) {
	since := now.Sub(l.lastSweep)
	full := len(l.buckets) >= l.maxKeys
	if since >= limiterSweepEvery || since < 0 || (full && since >= limiterFullSweepEvery) {
		l.lastSweep = now
		for k, b := range l.buckets {
			if now.Sub(b.last) > l.idleAfter {
				delete(l.buckets, k)
			}
		}
	}
	for k := range l.buckets {
		if len(l.buckets) < l.maxKeys {
			break
		}
		delete(l.buckets, k)
	}
}
