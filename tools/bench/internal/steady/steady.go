package steady

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chuishao/whistle/tools/bench/internal/report"
	"github.com/chuishao/whistle/tools/bench/internal/stats"
)

// Categories are the seeded categories with a three-department fan-out
// (lead plus two cooperating departments).
var Categories = []string{"joint-enforcement", "noise"}

// FanOut is the dispatches each of Categories gets.
const FanOut = 3

// Config is the scenario's shape.
type Config struct {
	Rate     float64       // whistles per second
	Duration time.Duration // how long to raise
	// Drain bounds the wait for the last whistles' dispatches after raising.
	Drain time.Duration
	// MaxInFlight bounds concurrent raise requests.
	MaxInFlight int
	// SampleEvery: every n-th raised whistle is also polled with
	// GET /v1/whistles/{id} until it shows all its dispatches, a second view
	// of "visible" that does not depend on the live stream (0: never). At
	// most MaxPolling samples are polled at once (a sample is skipped while
	// all are busy), so a lagging stack is not buried under the bench's own
	// GETs: 16 × 10 polls/s at most.
	SampleEvery int
	// Streets limits how many seeded streets raise (0: all).
	Streets int
	// Desks, when set, has each dispatch acknowledged, arrived at and
	// resolved by its desk after these delays; the run then also waits (up to
	// the drain) for the last resolve.
	Desks *DeskDelays
	Log   *slog.Logger
}

// Run raises whistles at cfg.Rate for cfg.Duration and measures them.
func Run(ctx context.Context, c *Client, cfg Config) (report.Steady, error) {
	res := report.Steady{Rate: cfg.Rate, Duration: cfg.Duration, FanOut: FanOut}
	if cfg.Rate <= 0 || cfg.Duration <= 0 {
		return res, errors.New("rate and duration must be positive")
	}
	sup, logins, err := c.SignInStreets(ctx, cfg.Streets)
	if err != nil {
		return res, err
	}
	cfg.Log.Info("steady: signed in", "streets", len(logins))

	tr := NewTracker(FanOut)
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	var desks *Desks
	if cfg.Desks != nil {
		desks = NewDesks(c, *cfg.Desks)
	}
	streamErrs, err := c.Watch(watchCtx, sup, func(ev Created, at time.Time) {
		tr.Dispatched(ev.WhistleID, at)
		if desks != nil && ev.DispatchID != "" {
			desks.Created(watchCtx, ev, at)
		}
	})
	if err != nil {
		return res, err
	}

	total := int(cfg.Rate * cfg.Duration.Seconds())
	interval := time.Duration(float64(time.Second) / cfg.Rate)
	sem := make(chan struct{}, max(cfg.MaxInFlight, 1))
	var (
		wg         sync.WaitGroup
		raised     atomic.Int64
		failed     atomic.Int64
		mu         sync.Mutex
		raiseLat   []time.Duration
		polled     []time.Duration
		polls      sync.WaitGroup
		polling    atomic.Int64
		firstError string
	)
	runID := time.Now().UTC().Format("20060102T150405")
	start := time.Now()
	// One interval of grace: the last tick falls due just at Duration.
	deadline := start.Add(cfg.Duration + interval)
	// Bounded twice: by count and by time; a slow stack yields fewer
	// whistles, never a longer run. Paced from the start, not by a ticker: a
	// ticker drops the ticks a busy machine delays, so the bench would offer
	// less than the rate it reports; here a late raise is caught up at once.
	for i := 0; i < total && time.Now().Before(deadline); i++ {
		if err := WaitTurn(ctx, start, i, interval); err != nil {
			return res, err
		}
		select {
		case sem <- struct{}{}:
		default:
			// Every slot busy: the stack is not keeping up; count it as an
			// error rather than silently lowering the offered rate.
			failed.Add(1)
			mu.Lock()
			if firstError == "" {
				firstError = fmt.Sprintf("more than %d raises in flight", cap(sem))
			}
			mu.Unlock()
			continue
		}
		s := logins[i%len(logins)]
		// Jitter of ±0.0003° (~30 m) keeps the point inside the street.
		req := RaiseRequest{
			StreetID:    s.ID,
			Category:    Categories[i%len(Categories)],
			Description: fmt.Sprintf("bench %s #%d: 占道经营，堵塞消防通道", runID, i),
			Location: LatLng{
				Lat: s.Centroid.Lat + (rand.Float64()-0.5)*0.0006,
				Lng: s.Centroid.Lng + (rand.Float64()-0.5)*0.0006,
			},
		}
		key := fmt.Sprintf("bench-%s-%d", runID, i)
		wg.Go(func() {
			defer func() { <-sem }()
			t0 := time.Now()
			id, err := c.Raise(ctx, s.Token, key, req)
			t1 := time.Now()
			if err != nil {
				failed.Add(1)
				mu.Lock()
				if firstError == "" {
					firstError = err.Error()
				}
				mu.Unlock()
				return
			}
			n := raised.Add(1)
			mu.Lock()
			raiseLat = append(raiseLat, t1.Sub(t0))
			mu.Unlock()
			tr.Raised(id, t1)
			if desks != nil {
				desks.Raised(id, req.Location)
			}
			if cfg.SampleEvery > 0 && n%int64(cfg.SampleEvery) == 0 {
				if polling.Add(1) > MaxPolling {
					polling.Add(-1)
					return
				}
				polls.Go(func() {
					defer polling.Add(-1)
					if d, ok := pollVisible(ctx, c, s.Token, id, t1, deadline.Add(cfg.Drain)); ok {
						mu.Lock()
						polled = append(polled, d)
						mu.Unlock()
					}
				})
			}
		})
	}
	wg.Wait()
	cfg.Log.Info("steady: raising done; waiting for the last dispatches", "raised", raised.Load(), "pending", tr.Pending())

	drain := time.NewTimer(cfg.Drain)
	defer drain.Stop()
waiting:
	for tr.Pending() > 0 {
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case err := <-streamErrs:
			if err != nil {
				return res, err
			}
			streamErrs = nil
		case <-drain.C:
			cfg.Log.Warn("steady: drain timeout", "pending", tr.Pending())
			break waiting
		case <-tr.Changed():
		}
	}
	polls.Wait()
	if desks != nil {
		// The last dispatches' resolves fall due one resolve delay after them.
		wait := time.NewTimer(time.Until(tr.LastDone().Add(cfg.Desks.Resolve + 5*time.Second)))
		select {
		case <-ctx.Done():
		case <-wait.C:
		}
		wait.Stop()
		stopWatch()
		res.Desks = desks.Wait()
	}
	lat := tr.Latencies()
	res.Polled = stats.Summarize(polled)
	res.Raised = int(raised.Load())
	res.Errors = int(failed.Load())
	res.Visible = len(lat)
	res.Missing = res.Raised - res.Visible
	res.Elapsed = tr.LastDone().Sub(start)
	res.RaiseLatency = stats.Summarize(raiseLat)
	res.VisibleAfter = stats.Summarize(lat)
	res.FirstError = firstError
	return res, nil
}

// MaxPolling bounds the samples polled at once (Config.SampleEvery).
const MaxPolling = 16

// pollVisible polls a whistle every 100 ms until it shows FanOut dispatches
// or until (bounded by time, like every loop of the bench).
func pollVisible(ctx context.Context, c *Client, token, id string, raisedAt, until time.Time) (time.Duration, bool) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for time.Now().Before(until) {
		n, err := c.DispatchCount(ctx, token, id)
		if err == nil && n >= FanOut {
			return time.Since(raisedAt), true
		}
		select {
		case <-ctx.Done():
			return 0, false
		case <-tick.C:
		}
	}
	return 0, false
}

// WaitTurn waits until the i-th raise of a run paced every interval from
// start is due (at once when it is late: a load generator that falls behind
// catches up instead of offering less than its rate), or ctx ends.
func WaitTurn(ctx context.Context, start time.Time, i int, interval time.Duration) error {
	wait := time.Until(start.Add(time.Duration(i) * interval))
	if wait <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
