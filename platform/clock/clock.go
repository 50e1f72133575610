// Package clock is the injectable source of time for every service. Production
// uses the real clock, drills a scaled one, tests a fake one (clockwork).
package clock

import (
	"fmt"
	"time"

	"github.com/jonboulle/clockwork"
)

// Clock is the part of time that services use. clockwork's clocks satisfy it.
type Clock interface {
	Now() time.Time
	// After delivers the time once d has passed on this clock.
	After(d time.Duration) <-chan time.Time
}

// Real returns the wall clock.
func Real() Clock { return clockwork.NewRealClock() }

// NewFake returns a fake clock at t, advanced only by the test.
func NewFake(t time.Time) *clockwork.FakeClock { return clockwork.NewFakeClockAt(t) }

// Scaled runs factor times faster than real time from origin, so that every
// process given the same origin and factor agrees on the time (drills, demos).
type Scaled struct {
	origin time.Time
	factor float64
	real   clockwork.Clock
}

// NewScaled returns a clock that runs factor times faster than real time from origin.
func NewScaled(origin time.Time, factor float64) (*Scaled, error) {
	if factor <= 0 {
		return nil, fmt.Errorf("time scale must be positive, got %v", factor)
	}
	return &Scaled{origin: origin, factor: factor, real: clockwork.NewRealClock()}, nil
}

// Now is origin plus the real time elapsed since origin, times factor.
func (s *Scaled) Now() time.Time {
	elapsed := s.real.Since(s.origin)
	return s.origin.Add(time.Duration(float64(elapsed) * s.factor))
}

// After waits d/factor of real time.
func (s *Scaled) After(d time.Duration) <-chan time.Time {
	out := make(chan time.Time, 1)
	realC := s.real.After(time.Duration(float64(d) / s.factor))
	go func() {
		<-realC
		out <- s.Now()
	}()
	return out
}

// FromConfig returns the real clock for scale 1, a scaled clock otherwise.
func FromConfig(scale float64, origin time.Time) (Clock, error) {
	if scale == 1 || scale == 0 {
		return Real(), nil
	}
	if origin.IsZero() {
		return nil, fmt.Errorf("WHISTLE_TIME_ORIGIN is required when WHISTLE_TIME_SCALE is %v", scale)
	}
	return NewScaled(origin, scale)
}
