// Package storm is the rainstorm surge: a fixed number of whistles raised over
// a fixed time across every seeded street, in the categories a storm brings.
// Every raise carries an idempotency key and is retried with that same key
// until it gets a 2xx (or gives up), the way a street's client behaves when the
// network or a service fails; so a killed service or a restarted database
// delays whistles but must never lose or duplicate one. tools/bench runs it as
// --scenario storm and tools/chaos runs it while it kills things.
package storm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chuishao/whistle/tools/bench/internal/stats"
	"github.com/chuishao/whistle/tools/bench/internal/steady"
)

// Categories are the seeded categories of a rainstorm, each with a
// three-department fan-out: 道路积水 (flooding: water, transport, emergency),
// 井盖缺失 (missing-manhole-cover: covers lifted by the water, standing in for
// fallen trees, which the seed catalogue has no category for) and 联合执法
// (joint-enforcement).
var Categories = []string{"flooding", "missing-manhole-cover", "joint-enforcement"}

// Config is the storm's shape.
type Config struct {
	// Whistles is how many whistles to raise, spread evenly over Duration.
	Whistles int
	Duration time.Duration
	// Categories cycle over the raised whistles (Categories when empty).
	Categories []string
	// MaxInFlight bounds concurrent raise requests; when every slot is busy
	// the generator waits (a storm's whistles are delayed, never dropped).
	MaxInFlight int
	// GiveUp bounds how long one whistle is retried after its first attempt.
	GiveUp time.Duration
	// Jitter is the spread of the points around a street's centroid, in
	// degrees (0.0006 ≈ ±30 m when 0).
	Jitter float64
	Log    *slog.Logger
}

// Raise is one whistle that got a 2xx.
type Raise struct {
	Key, StreetID, Category, WhistleID string
	// At is when its 2xx arrived.
	At time.Time
}

// Result is what the storm did.
type Result struct {
	// Offered whistles, Accepted (2xx, possibly after retries) and Failed
	// (gave up); Retries counts repeated attempts.
	Offered, Accepted, Failed, Retries int
	Start, End                         time.Time
	// Raises are the accepted whistles.
	Raises []Raise
	// RaiseLatency is first attempt → 2xx, retries included.
	RaiseLatency stats.Summary
	FirstError   string
}

// Run raises cfg.Whistles whistles over cfg.Duration, round robin over the
// streets and categories, and returns once every one was accepted or given up.
func Run(ctx context.Context, c *steady.Client, cfg Config) (Result, error) {
	var res Result
	if cfg.Whistles <= 0 || cfg.Duration <= 0 {
		return res, errors.New("whistles and duration must be positive")
	}
	cats := cfg.Categories
	if len(cats) == 0 {
		cats = Categories
	}
	jitter := cfg.Jitter
	if jitter <= 0 {
		jitter = 0.0006
	}
	_, logins, err := c.SignInStreets(ctx, 0)
	if err != nil {
		return res, err
	}
	cfg.Log.Info("storm: signed in", "streets", len(logins), "whistles", cfg.Whistles, "over", cfg.Duration)

	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		retries  atomic.Int64
		failed   atomic.Int64
		latency  []time.Duration
		sem      = make(chan struct{}, max(cfg.MaxInFlight, 1))
		runID    = time.Now().UTC().Format("20060102T150405")
		interval = cfg.Duration / time.Duration(cfg.Whistles)
	)
	res.Start = time.Now()
	for i := range cfg.Whistles {
		// Paced from the start, not from the previous raise, so a slow
		// stretch is caught up rather than stretching the storm.
		if err := steady.WaitTurn(ctx, res.Start, i, interval); err != nil {
			wg.Wait()
			return res, err
		}
		select {
		case <-ctx.Done():
			wg.Wait()
			return res, ctx.Err()
		case sem <- struct{}{}:
		}
		s := logins[i%len(logins)]
		cat := cats[(i/len(logins))%len(cats)]
		req := steady.RaiseRequest{
			StreetID:    s.ID,
			Category:    cat,
			Description: fmt.Sprintf("storm %s #%d: 暴雨，道路积水、井盖冲开，需联合处置", runID, i),
			Location: steady.LatLng{
				Lat: s.Centroid.Lat + (rand.Float64()-0.5)*jitter,
				Lng: s.Centroid.Lng + (rand.Float64()-0.5)*jitter,
			},
		}
		key := fmt.Sprintf("storm-%s-%d", runID, i)
		res.Offered++
		wg.Go(func() {
			defer func() { <-sem }()
			t0 := time.Now()
			id, tries, err := raiseUntil(ctx, c, s.Token, key, req, cfg.GiveUp)
			retries.Add(int64(tries - 1))
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed.Add(1)
				if res.FirstError == "" {
					res.FirstError = err.Error()
				}
				return
			}
			now := time.Now()
			latency = append(latency, now.Sub(t0))
			res.Raises = append(res.Raises, Raise{Key: key, StreetID: s.ID, Category: cat, WhistleID: id, At: now})
		})
	}
	wg.Wait()
	res.End = time.Now()
	res.Accepted = len(res.Raises)
	res.Failed = int(failed.Load())
	res.Retries = int(retries.Load())
	res.RaiseLatency = stats.Summarize(latency)
	return res, nil
}

// raiseUntil raises with key until a 2xx, backing off from 100 ms to 1 s
// between attempts, for at most giveUp after the first (60 s when 0).
func raiseUntil(ctx context.Context, c *steady.Client, token, key string, req steady.RaiseRequest, giveUp time.Duration) (string, int, error) {
	if giveUp <= 0 {
		giveUp = time.Minute
	}
	deadline := time.Now().Add(giveUp)
	backoff := 100 * time.Millisecond
	for tries := 1; ; tries++ {
		id, err := c.Raise(ctx, token, key, req)
		if err == nil {
			return id, tries, nil
		}
		if ctx.Err() != nil || time.Now().Add(backoff).After(deadline) {
			return "", tries, fmt.Errorf("raise %s after %d attempts: %w", key, tries, err)
		}
		select {
		case <-ctx.Done():
			return "", tries, ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Second)
	}
}

// Client is the gateway's REST client the storm raises through.
type Client = steady.Client

// NewClient is a REST client of the gateway at base (loopback only), for
// callers outside tools/bench (tools/chaos).
func NewClient(base string) (*Client, error) { return steady.NewClient(base) }
