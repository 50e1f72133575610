package steady

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/chuishao/whistle/tools/bench/internal/report"
	"github.com/chuishao/whistle/tools/bench/internal/stats"
)

// DeskDelays are when a desk acts on a dispatch, counted from its
// dispatch.created on the stream. The defaults scale a brisk real response
// (acknowledged within 2 minutes, on site at 20, resolved within the hour)
// down 120 times, so a short run sees every step.
type DeskDelays struct {
	Ack, Arrive, Resolve time.Duration
}

// DefaultDeskDelays: 1 s, 10 s and 30 s.
var DefaultDeskDelays = DeskDelays{Ack: time.Second, Arrive: 10 * time.Second, Resolve: 30 * time.Second}

// Created is a dispatch.created seen on the live stream.
type Created struct {
	DispatchID, WhistleID, Department, DistrictID string
}

// Desks plays the duty desks: each dispatch seen on the stream is
// acknowledged (接单), arrived at (到场报到, at the whistle's location) and
// resolved (办结) by its department's desk after DeskDelays.
type Desks struct {
	c      *Client
	delays DeskDelays

	mu        sync.Mutex
	tokens    map[string]string // department@district → desk token
	locations map[string]LatLng // whistle → where it was raised
	latency   map[string][]time.Duration
	failed    int
	firstErr  string
	wg        sync.WaitGroup
}

// NewDesks returns desks acting through c after delays.
func NewDesks(c *Client, delays DeskDelays) *Desks {
	return &Desks{c: c, delays: delays, tokens: map[string]string{}, locations: map[string]LatLng{}, latency: map[string][]time.Duration{}}
}

// Raised remembers where a whistle was raised: its desks check in there.
func (d *Desks) Raised(whistleID string, at LatLng) {
	d.mu.Lock()
	d.locations[whistleID] = at
	d.mu.Unlock()
}

// Created schedules the three actions on a new dispatch; they stop when ctx ends.
func (d *Desks) Created(ctx context.Context, ev Created, seenAt time.Time) {
	d.wg.Go(func() {
		token, err := d.token(ctx, ev.Department, ev.DistrictID)
		if err != nil {
			d.fail(err)
			return
		}
		path := "/v1/dispatches/" + url.PathEscape(ev.DispatchID)
		steps := []struct {
			action string
			after  time.Duration
			body   func() any
		}{
			{"acknowledge", d.delays.Ack, func() any { return map[string]any{} }},
			{"arrive", d.delays.Arrive, func() any {
				d.mu.Lock()
				at, ok := d.locations[ev.WhistleID]
				d.mu.Unlock()
				if !ok {
					return map[string]any{}
				}
				return map[string]any{"location": at}
			}},
			{"resolve", d.delays.Resolve, func() any { return map[string]any{"summary": "bench: 已处置完毕"} }},
		}
		for _, s := range steps {
			wait := time.NewTimer(time.Until(seenAt.Add(s.after)))
			select {
			case <-ctx.Done():
				wait.Stop()
				return
			case <-wait.C:
			}
			t0 := time.Now()
			if _, err := d.c.call(ctx, http.MethodPost, path+":"+s.action, token, nil, s.body(), nil); err != nil {
				if ctx.Err() == nil {
					d.fail(fmt.Errorf("%s %s: %w", s.action, ev.DispatchID, err))
				}
				return
			}
			d.mu.Lock()
			d.latency[s.action] = append(d.latency[s.action], time.Since(t0))
			d.mu.Unlock()
		}
	})
}

// token signs the desk of department in district in once.
func (d *Desks) token(ctx context.Context, department, district string) (string, error) {
	key := department + "@" + district
	d.mu.Lock()
	tok, ok := d.tokens[key]
	d.mu.Unlock()
	if ok {
		return tok, nil
	}
	tok, err := d.c.DeskToken(ctx, department, district)
	if err != nil {
		return "", err
	}
	d.mu.Lock()
	d.tokens[key] = tok
	d.mu.Unlock()
	return tok, nil
}

func (d *Desks) fail(err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.failed++
	if d.firstErr == "" {
		d.firstErr = err.Error()
	}
}

// Wait waits for the scheduled actions (bounded by the ctx given to Created)
// and summarises them.
func (d *Desks) Wait() *report.Desks {
	d.wg.Wait()
	d.mu.Lock()
	defer d.mu.Unlock()
	return &report.Desks{
		Acknowledged: stats.Summarize(d.latency["acknowledge"]),
		Arrived:      stats.Summarize(d.latency["arrive"]),
		Resolved:     stats.Summarize(d.latency["resolve"]),
		Failed:       d.failed, FirstError: d.firstErr,
	}
}
