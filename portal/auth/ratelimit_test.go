package auth

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestLimiterAllowDenyRefill(t *testing.T) {
	clock := newFakeClock()
	l := NewLimiter(6, 3, clock.Now) // one token every 10s, burst 3
	for i := range 3 {
		if !l.Allow("1.2.3.4") {
			t.Fatalf("request %d of the burst denied", i+1)
		}
	}
	if l.Allow("1.2.3.4") {
		t.Fatal("request past the burst allowed")
	}
	if !l.Allow("5.6.7.8") {
		t.Fatal("another key was limited too")
	}
	clock.Advance(9 * time.Second)
	if l.Allow("1.2.3.4") {
		t.Fatal("allowed before a token refilled")
	}
	clock.Advance(time.Second)
	if !l.Allow("1.2.3.4") {
		t.Fatal("denied after a token refilled")
	}
	if l.Allow("1.2.3.4") {
		t.Fatal("one refilled token allowed two requests")
	}
	clock.Advance(time.Hour) // refills to the burst, not beyond
	for i := range 3 {
		if !l.Allow("1.2.3.4") {
			t.Fatalf("request %d after a quiet hour denied", i+1)
		}
	}
	if l.Allow("1.2.3.4") {
		t.Fatal("a quiet hour granted more than the burst")
	}
}

func TestLimiterClockBackwards(t *testing.T) {
	clock := newFakeClock()
	l := NewLimiter(60, 1, clock.Now)
	if !l.Allow("k") {
		t.Fatal("first request denied")
	}
	clock.Advance(-time.Hour)
	if l.Allow("k") {
		t.Fatal("a clock going backwards refilled the bucket")
	}
}

func TestLimiterSweep(t *testing.T) {
	clock := newFakeClock()
	l := NewLimiter(60, 1, clock.Now)
	for _, k := range []string{"a", "b", "c"} {
		if !l.Allow(k) {
			t.Fatalf("%s denied", k)
		}
	}
	clock.Advance(limiterSweepEvery)
	l.Allow("recent")
	// Idle keys are swept when a new key arrives; recent ones are kept.
	clock.Advance(limiterIdle - limiterSweepEvery + time.Second)
	if !l.Allow("d") {
		t.Fatal("d denied")
	}
	if len(l.buckets) != 2 || l.buckets["recent"] == nil || l.buckets["d"] == nil {
		t.Errorf("buckets after sweep: %v, want recent and d", l.buckets)
	}
}

func TestLimiterBound(t *testing.T) {
	clock := newFakeClock()
	l := NewLimiter(60, 1, clock.Now)
	l.maxKeys = 3
	for i := range 20 {
		key := fmt.Sprint("busy", i)
		if !l.Allow(key) {
			t.Fatalf("%s denied", key)
		}
		if n := len(l.buckets); n > l.maxKeys {
			t.Fatalf("%d buckets, bound is %d", n, l.maxKeys)
		}
		if l.Allow(key) {
			t.Fatalf("%s: second request allowed", key) // the new key's bucket is tracked
		}
	}
}

func TestLimiterIdleCoversRefill(t *testing.T) {
	// A slow limiter (1 a minute, burst 60) needs an hour to refill; its
	// buckets must not be forgotten after 10 minutes, or a flood would get
	// a fresh burst.
	clock := newFakeClock()
	l := NewLimiter(1, 60, clock.Now)
	for range 60 {
		l.Allow("k")
	}
	if l.Allow("k") {
		t.Fatal("burst exceeded")
	}
	clock.Advance(20 * time.Minute)
	l.Allow("other") // triggers a sweep
	allowed := 0
	for range 60 {
		if l.Allow("k") {
			allowed++
		}
	}
	if allowed != 20 {
		t.Errorf("after 20 minutes %d allowed, want 20", allowed)
	}
}

func TestLimiterConcurrent(t *testing.T) {
	clock := newFakeClock()
	l := NewLimiter(60, 50, clock.Now)
	var wg sync.WaitGroup
	var mu sync.Mutex
	allowed := 0
	for range 100 {
		wg.Go(func() {
			if l.Allow("k") {
				mu.Lock()
				allowed++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if allowed != 50 {
		t.Errorf("%d of 100 concurrent requests allowed, want the burst of 50", allowed)
	}
}
