// Package sla fires the SLA timers of dispatches: it sleeps until the next
// deadline (or until a new timer is announced), claims the due timers and, for
// each, deletes it and writes its sla.warning or sla.breached event in one
// transaction. Any number of pollers may run on one schema; every timer fires
// exactly once, because it is claimed with FOR UPDATE SKIP LOCKED and gone at commit.
package sla

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chuishao/whistle/platform/bus/outbox"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/services/response/internal/events"
	"github.com/chuishao/whistle/services/response/internal/response"
	"github.com/chuishao/whistle/services/response/internal/store"
)

// Defaults of the Poller's tuning knobs.
const (
	DefaultBatchSize = 100
	DefaultMaxSleep  = time.Minute
	DefaultLockRetry = 50 * time.Millisecond
)

// Poller fires due timers.
type Poller struct {
	Pool  *pgxpool.Pool
	Clock clock.Clock
	Log   *slog.Logger
	// BatchSize is the most timers fired per transaction.
	BatchSize int32
	// MaxSleep caps a sleep on the clock, so a lost notification or a clock
	// jump is never missed for long.
	MaxSleep time.Duration
	// LockRetry is how long, in real time, to wait before looking again at due
	// timers that another transaction holds (another poller firing them, or a
	// desk meeting them). It waits for a lock, not for a deadline, hence real time.
	LockRetry time.Duration
}

// Run fires timers until ctx is cancelled, reconnecting with backoff after a
// failure (the timers wait in their table meanwhile).
func (p *Poller) Run(ctx context.Context) error {
	wait := 100 * time.Millisecond
	for {
		err := p.listenAndFire(ctx)
		if ctx.Err() != nil {
			return nil
		}
		p.Log.Warn("sla timer poller", "err", err, "retry_in", wait)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		wait = min(wait*2, 5*time.Second)
	}
}

func (p *Poller) listenAndFire(ctx context.Context) error {
	conn, err := p.Pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("acquire listen connection: %w", err)
	}
	defer conn.Release()
	schema, err := store.New(conn).CurrentSchema(ctx)
	if err != nil {
		return fmt.Errorf("read schema: %w", err)
	}
	// Listen before the first look, so a timer added in between still wakes
	// us. LISTEN takes an identifier, not a parameter, hence not in queries.sql.
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{"timers_" + schema}.Sanitize()); err != nil {
		return fmt.Errorf("listen for timers: %w", err)
	}
	// The same connection fires the timers: notifications that arrive
	// meanwhile are kept by pgx for the next wait, and a poller needs one
	// connection only, whatever the pool's size.
	for {
		if err := p.fireDue(ctx, conn.Conn()); err != nil {
			return err
		}
		wake, err := p.nextWake(ctx, conn.Conn())
		if err != nil {
			return err
		}
		if err := waitForWake(ctx, conn.Conn(), wake); err != nil {
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

// nextWake is the channel that fires when it is time to look again: the next
// deadline on the clock (capped at MaxSleep), or soon in real time when a due
// timer is held by another transaction.
func (p *Poller) nextWake(ctx context.Context, conn *pgx.Conn) (<-chan time.Time, error) {
	maxSleep := p.MaxSleep
	if maxSleep <= 0 {
		maxSleep = DefaultMaxSleep
	}
	next, err := store.New(conn).NextTimerDue(ctx)
	if errors.Is(err, pgx.ErrNoRows) {
		return p.Clock.After(maxSleep), nil
	}
	if err != nil {
		return nil, fmt.Errorf("next timer due: %w", err)
	}
	// Read the clock after the database: a timer due by now was claimed by
	// someone else (or fell due since fireDue looked) and needs another look soon.
	wait := next.Sub(p.Clock.Now())
	if wait <= 0 {
		retry := p.LockRetry
		if retry <= 0 {
			retry = DefaultLockRetry
		}
		return time.After(retry), nil
	}
	return p.Clock.After(min(wait, maxSleep)), nil
}

// waitForWake blocks until wake fires, a notification arrives on conn, or ctx
// ends. It returns an error only when the connection failed.
func waitForWake(ctx context.Context, conn *pgx.Conn, wake <-chan time.Time) error {
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		select {
		case <-wake:
			cancel()
		case <-wctx.Done():
		}
	}()
	_, err := conn.WaitForNotification(wctx)
	cancel()
	<-done
	if err != nil && wctx.Err() == nil {
		return fmt.Errorf("wait for timer notification: %w", err)
	}
	return nil
}

// fireDue fires every timer due at the clock's now, batch by batch.
func (p *Poller) fireDue(ctx context.Context, conn *pgx.Conn) error {
	batch := p.BatchSize
	if batch <= 0 {
		batch = DefaultBatchSize
	}
	for {
		n, err := p.fireBatch(ctx, conn, batch)
		if err != nil {
			return err
		}
		if n < int(batch) {
			return nil
		}
	}
}

func (p *Poller) fireBatch(ctx context.Context, conn *pgx.Conn, batch int32) (int, error) {
	var n int
	err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		q := store.New(tx)
		now := p.Clock.Now()
		due, err := q.ClaimDueTimers(ctx, store.ClaimDueTimersParams{Now: now, BatchSize: batch})
		if err != nil {
			return fmt.Errorf("claim due timers: %w", err)
		}
		n = len(due)
		for _, row := range due {
			if err := p.fire(ctx, tx, q, row, now); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}

// fire deletes one claimed timer and writes its event in the caller's transaction.
func (p *Poller) fire(ctx context.Context, tx pgx.Tx, q *store.Queries, row store.ClaimDueTimersRow, now time.Time) error {
	if err := q.DeleteTimer(ctx, row.ID); err != nil {
		return fmt.Errorf("delete timer %d: %w", row.ID, err)
	}
	c, err := response.ParseClock(row.Clock)
	if err != nil {
		return fmt.Errorf("timer %d: %w", row.ID, err)
	}
	kind, err := response.ParseTimerKind(row.Kind)
	if err != nil {
		return fmt.Errorf("timer %d: %w", row.ID, err)
	}
	st, err := response.ParseStatus(row.Status)
	if err != nil {
		return fmt.Errorf("timer %d: %w", row.ID, err)
	}
	if !response.ClockRunning(st, c) {
		// Actions delete the timers they meet; one left behind must not fire.
		p.Log.WarnContext(ctx, "drop timer of a stopped clock", "dispatch_id", row.DispatchID, "clock", c, "kind", kind, "status", st)
		return nil
	}
	if kind == response.Breach {
		if err := q.AddBreach(ctx, store.AddBreachParams{ID: row.DispatchID, Clock: string(c), UpdatedAt: now}); err != nil {
			return fmt.Errorf("record %s breach of dispatch %s: %w", c, row.DispatchID, err)
		}
	}
	dispatch, err := q.GetDispatch(ctx, row.DispatchID)
	if err != nil {
		return fmt.Errorf("timer %d: dispatch %s: %w", row.ID, row.DispatchID, err)
	}
	d, err := dispatch.Domain()
	if err != nil {
		return fmt.Errorf("timer %d: %w", row.ID, err)
	}
	ev := events.SLAFired(events.FiredTimer{Dispatch: d, Clock: c, Kind: kind, DueAt: row.DueAt}, now)
	if err := outbox.Add(ctx, tx, ev); err != nil {
		return fmt.Errorf("fire %s %s of dispatch %s: %w", c, kind, row.DispatchID, err)
	}
	p.Log.InfoContext(ctx, "sla timer fired", "dispatch_id", row.DispatchID, "clock", c, "kind", kind,
		"due_at", row.DueAt, "late_ms", now.Sub(row.DueAt).Milliseconds())
	return nil
}
