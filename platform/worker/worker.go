// Package worker is the one shape of every time-driven loop that waits for
// work in Postgres and then does it (timer pollers, delivery workers, clocks):
// a session of work runs until its context ends and starts again after a
// failure, with backoff (the work waits durably in its table meanwhile, so a
// failure delays it and loses nothing); between rounds it sleeps until a
// writer of its process signals new work, a deadline on the injected clock
// comes, or the poll interval passes.
//
// The signal is postgres.WakeAfterCommit on the loop's pool: in-process and
// after commit, with no connection of its own (no LISTEN, no pg_notify in the
// writers' transactions); polling covers other processes' writes.
package worker

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/platform/retry"
)

// DefaultPoll is how often a loop looks without a signal when Poll is unset.
const DefaultPoll = 30 * time.Second

// Loop is one time-driven loop.
type Loop struct {
	// Name names the loop in the logs of its failures.
	Name  string
	Log   *slog.Logger
	Clock clock.Clock
	// Pool and Topic, when both set, make the Wait's Signal fire after each
	// commit on Pool that marked Topic (postgres.WakeAfterCommit).
	Pool  *pgxpool.Pool
	Topic string
	// Poll is how long, on Clock, a Wait's Poll waits (DefaultPoll when zero):
	// the fallback for work no signal announces.
	Poll time.Duration
}

// Run runs session until ctx is cancelled, running it again after each
// failure with a backoff that grows from 100 ms to 5 s (real time: it waits
// for a database to come back, not for a deadline). A session does work and
// waits on w between rounds; it returns nil once ctx ends.
func (l Loop) Run(ctx context.Context, session func(ctx context.Context, w *Wait) error) error {
	w := &Wait{clock: l.Clock, poll: l.Poll, signal: make(chan struct{})}
	if w.poll <= 0 {
		w.poll = DefaultPoll
	}
	if l.Pool != nil && l.Topic != "" {
		var stop func()
		w.signal, stop = postgres.Wakeups(l.Pool, l.Topic)
		defer stop()
	}
	return retry.Forever(ctx, l.Log, l.Name, func(ctx context.Context) error {
		return session(ctx, w)
	})
}

// Sweep runs step again and again until ctx is cancelled: at once while it
// reports more (a full batch: more may be due), else after a signal or a poll
// interval. A failing step is retried with Run's backoff.
func (l Loop) Sweep(ctx context.Context, step func(ctx context.Context) (more bool, err error)) error {
	return l.Run(ctx, func(ctx context.Context, w *Wait) error {
		for {
			more, err := step(ctx)
			if err != nil {
				return err
			}
			if more {
				continue
			}
			select {
			case <-w.Signal():
			case <-w.Poll():
			case <-ctx.Done():
				return nil
			}
		}
	})
}

// Wait is what a loop's session sleeps on between rounds, beside channels of
// its own (work that ended, a lock to look at again).
type Wait struct {
	clock  clock.Clock
	poll   time.Duration
	signal <-chan struct{}
	at     time.Time
	due    <-chan time.Time
}

// Signal fires after a commit that marked the loop's topic; signals coalesce
// while nobody reads. It never fires for a loop without a topic.
func (w *Wait) Signal() <-chan struct{} { return w.signal }

// Poll fires once the poll interval has passed on the clock.
func (w *Wait) Poll() <-chan time.Time { return w.clock.After(w.poll) }

// Until fires when the clock reaches t (at once when t has passed). Asking
// again for the same t returns the same wait, so a loop that looks again
// before its next deadline does not pile up timers on the clock.
func (w *Wait) Until(t time.Time) <-chan time.Time {
	if w.due != nil && w.at.Equal(t) {
		return w.due
	}
	d := t.Sub(w.clock.Now())
	if d <= 0 {
		w.Forget()
		now := make(chan time.Time, 1)
		now <- w.clock.Now()
		return now
	}
	w.at, w.due = t, w.clock.After(d)
	return w.due
}

// Forget drops the wait Until set, once it fired or its deadline is gone, so
// the next Until starts a new one.
func (w *Wait) Forget() { w.at, w.due = time.Time{}, nil }
