package drill

import (
	"context"
	"fmt"
	"time"
)

// Clock is what a replay waits on: the wall clock, or a test's fake one.
type Clock interface {
	Now() time.Time
	Sleep(ctx context.Context, d time.Duration) error
}

// WallClock is the real time.
type WallClock struct{}

// Now is time.Now.
func (WallClock) Now() time.Time { return time.Now() }

// Sleep waits d or until ctx is done.
func (WallClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Replay raises rec's raises at their offsets divided by speed, counted
// from the replay's start (a raise that is late, because raising took long,
// goes at once). raise is called for each in order; the first error stops.
func Replay(ctx context.Context, rec Recording, speed float64, clock Clock, raise func(context.Context, Raise) error) error {
	if speed <= 0 {
		return fmt.Errorf("speed %v: must be above 0", speed)
	}
	start := clock.Now()
	for _, r := range rec.Raises {
		due := start.Add(time.Duration(float64(r.Offset()) / speed))
		if wait := due.Sub(clock.Now()); wait > 0 {
			if err := clock.Sleep(ctx, wait); err != nil {
				return err
			}
		}
		if err := raise(ctx, r); err != nil {
			return fmt.Errorf("raise %d (street %s, %s): %w", r.Seq, r.StreetID, r.Category, err)
		}
	}
	return nil
}
