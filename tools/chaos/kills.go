package main

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/chuishao/whistle/platform/postgres/pgcluster"
	"github.com/chuishao/whistle/tools/chaos/internal/fleet"
	"github.com/chuishao/whistle/tools/chaos/internal/natscluster"
)

// Kill kinds: a service (by its kind: one replica of response), a NATS node,
// the Postgres server.
const (
	killNATS     = "nats"
	killPostgres = "postgres"
)

var serviceKinds = []string{"intake", "discovery", "routing", "response", "feedback", "gateway"}

// planKills turns --kills into a sequence of kinds: "1-of-each" (every
// service, one NATS node and Postgres, shuffled), "random:N", or a comma
// list of kinds.
func planKills(spec string, rnd *rand.Rand) ([]string, error) {
	all := append(append([]string(nil), serviceKinds...), killNATS, killPostgres)
	switch {
	case spec == "" || spec == "none":
		return nil, nil
	case spec == "1-of-each":
		rnd.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
		return all, nil
	case strings.HasPrefix(spec, "random:"):
		n, err := strconv.Atoi(strings.TrimPrefix(spec, "random:"))
		if err != nil || n < 0 {
			return nil, fmt.Errorf("--kills %q: random:N needs a count", spec)
		}
		out := make([]string, n)
		for i := range out {
			out[i] = all[rnd.IntN(len(all))]
		}
		return out, nil
	default:
		out := strings.Split(spec, ",")
		for _, k := range out {
			if !slices.Contains(all, k) {
				return nil, fmt.Errorf("--kills: unknown kind %q (one of %s, 1-of-each, random:N)", k, strings.Join(all, ", "))
			}
		}
		return out, nil
	}
}

// recovery is one kill and how long the system took to get over it.
type recovery struct {
	Target string
	At     time.Duration // since the storm began
	// Back is kill → the target serves again (readyz, node healthy, server
	// accepting); CaughtUp is kill → everything published before it was back
	// has been handled by the consumers concerned (and, for a NATS node,
	// its replica is current).
	Back, CaughtUp time.Duration
	// Err is a kill or restart that failed (the run fails); Slow says the
	// target was not back or caught up within the timeout, which is a timing
	// and only reported (the invariants, checked once settled, decide).
	Err, Slow string
}

type killer struct {
	fleet    *fleet.Fleet
	nats     *natscluster.Cluster
	pg       *pgcluster.Cluster
	js       jetstream.JetStream
	rnd      *rand.Rand
	natsDown time.Duration
	timeout  time.Duration
}

// run does the planned kills one after another, spread evenly over the
// storm (a kill whose turn came while the previous one was still recovering
// follows it at once).
func (k *killer) run(ctx context.Context, plan []string, start time.Time, storm time.Duration, log *slog.Logger) []recovery {
	var out []recovery
	for i, kind := range plan {
		at := start.Add(time.Duration(i+1) * storm / time.Duration(len(plan)+1))
		select {
		case <-ctx.Done():
			return out
		case <-time.After(time.Until(at)):
		}
		at0 := time.Since(start)
		r := k.kill(ctx, kind)
		r.At = at0
		log.Info("chaos: killed", "target", r.Target, "back", r.Back, "caught_up", r.CaughtUp, "slow", r.Slow, "err", r.Err)
		out = append(out, r)
	}
	return out
}

// kill does one kill of kind and measures the recovery.
func (k *killer) kill(ctx context.Context, kind string) recovery {
	switch kind {
	case killNATS:
		return k.killNATS(ctx)
	case killPostgres:
		return k.restartPostgres(ctx)
	default:
		return k.killService(ctx, kind)
	}
}

func (k *killer) killService(ctx context.Context, kind string) recovery {
	var pick []*fleet.Service
	for _, s := range k.fleet.Services {
		if s.Kind == kind {
			pick = append(pick, s)
		}
	}
	s := pick[k.rnd.IntN(len(pick))]
	r := recovery{Target: s.Name}
	t0 := time.Now()
	s.Kill()
	if err := s.Start(); err != nil {
		r.Err = err.Error()
		return r
	}
	if err := s.WaitReady(ctx, k.timeout); err != nil {
		r.Slow = err.Error()
		return r
	}
	r.Back = time.Since(t0)
	var consumers []string
	if s.Consumer != "" {
		consumers = []string{s.Consumer}
	}
	if err := k.caughtUp(ctx, consumers); err != nil {
		r.Slow = err.Error()
		return r
	}
	r.CaughtUp = time.Since(t0)
	return r
}

func (k *killer) killNATS(ctx context.Context) recovery {
	n := k.nats.Nodes[k.rnd.IntN(len(k.nats.Nodes))]
	r := recovery{Target: n.Name}
	t0 := time.Now()
	n.Kill()
	// A node that is really gone for a while, not one that blinks.
	select {
	case <-ctx.Done():
		r.Err = ctx.Err().Error()
		return r
	case <-time.After(k.natsDown):
	}
	if err := n.Start(); err != nil {
		r.Err = err.Error()
		return r
	}
	if err := poll(ctx, k.timeout, func() bool { return n.Healthy(ctx) }); err != nil {
		r.Slow = "node not healthy: " + err.Error()
		return r
	}
	r.Back = time.Since(t0)
	err := poll(ctx, k.timeout, func() bool {
		st, err := k.js.Stream(ctx, streamName)
		if err != nil {
			return false
		}
		info := st.CachedInfo()
		if info.Cluster == nil || info.Cluster.Leader == "" || len(info.Cluster.Replicas) != len(k.nats.Nodes)-1 {
			return false
		}
		for _, p := range info.Cluster.Replicas {
			if !p.Current || p.Offline {
				return false
			}
		}
		return true
	})
	if err != nil {
		r.Slow = "stream replicas not current: " + err.Error()
		return r
	}
	r.CaughtUp = time.Since(t0)
	return r
}

func (k *killer) restartPostgres(ctx context.Context) recovery {
	r := recovery{Target: "postgres"}
	t0 := time.Now()
	if err := k.pg.RestartImmediate(ctx); err != nil {
		r.Err = err.Error()
		return r
	}
	r.Back = time.Since(t0)
	for _, s := range k.fleet.Services {
		if err := s.WaitReady(ctx, k.timeout); err != nil {
			r.Slow = err.Error()
			return r
		}
	}
	var consumers []string
	for _, s := range k.fleet.Services {
		if s.Consumer != "" && !slices.Contains(consumers, s.Consumer) {
			consumers = append(consumers, s.Consumer)
		}
	}
	if err := k.caughtUp(ctx, consumers); err != nil {
		r.Slow = err.Error()
		return r
	}
	r.CaughtUp = time.Since(t0)
	return r
}

// caughtUp waits until each consumer has acknowledged everything the stream
// held when it was called: its acknowledged floor reaches that sequence, or it
// has nothing pending at all.
func (k *killer) caughtUp(ctx context.Context, consumers []string) error {
	var target uint64
	err := poll(ctx, k.timeout, func() bool {
		st, err := k.js.Stream(ctx, streamName)
		if err != nil {
			return false
		}
		target = st.CachedInfo().State.LastSeq
		return true
	})
	if err != nil {
		return fmt.Errorf("stream info: %w", err)
	}
	for _, name := range consumers {
		err := poll(ctx, k.timeout, func() bool {
			c, err := k.js.Consumer(ctx, streamName, name)
			if err != nil {
				return false
			}
			ci := c.CachedInfo()
			return ci.AckFloor.Stream >= target || (ci.NumPending == 0 && ci.NumAckPending == 0)
		})
		if err != nil {
			return fmt.Errorf("consumer %s not caught up: %w", name, err)
		}
	}
	return nil
}

// poll calls ok every 20 ms until it is true or timeout passes.
func poll(ctx context.Context, timeout time.Duration, ok func() bool) error {
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			return fmt.Errorf("not within %v", timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}
