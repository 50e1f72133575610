package sla

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chuishao/whistle/services/response/internal/store"
)

// armer holds a poller's armed groups. Each is a transaction on a
// connection of the armer's own, which fires a group of timers and waits to
// commit until the last of them is due, so that at the deadline only the
// commit is left to do.
//
// The transaction holds the group's timers and dispatches. A desk's action
// on one of those dispatches waits for it; the group looks for such a waiter
// more often as its deadline nears (awaitDue) and, finding one before the
// deadline, rolls back (the
// action then runs at its own time, as if nothing was armed) and the poller
// arms again without that dispatch. At or after the deadline it commits: an
// action reaching the dispatch then is late whoever goes first.
//
// The events and the dispatches' updated_at carry the group's deadline (the
// latest due time in it) as the time of firing; the commit follows it by the
// commit's own latency, which is the lateness benchmarks measure.
type armer struct {
	p *Poller
	// pool is nil when arming is off.
	pool *pgxpool.Pool
	// slots holds a token per group armed.
	slots chan struct{}
	// ended is signalled when a group commits or steps aside: time to arm again.
	ended chan struct{}
	wg    sync.WaitGroup
}

func (p *Poller) newArmer(ctx context.Context) (*armer, error) {
	a := &armer{p: p, ended: make(chan struct{}, 1)}
	if p.lead() <= 0 {
		return a, nil
	}
	n := p.MaxArmed
	if n <= 0 {
		n = DefaultMaxArmed
	}
	cfg := p.Pool.Config().Copy()
	cfg.MaxConns, cfg.MinConns, cfg.MaxConnIdleTime = int32(n), 0, time.Minute
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connections for armed timers: %w", err)
	}
	a.pool, a.slots = pool, make(chan struct{}, n)
	return a, nil
}

// close waits for the armed groups to end (they roll back once ctx is
// cancelled) and closes their connections.
func (a *armer) close() {
	a.wg.Wait()
	if a.pool != nil {
		a.pool.Close()
	}
}

// armAhead arms groups of the timers falling due within Lead of now until
// none is left or every slot is taken.
func (a *armer) armAhead(ctx context.Context, now time.Time) error {
	if a.pool == nil {
		return nil
	}
	for {
		select {
		case a.slots <- struct{}{}:
		default:
			return nil
		}
		armed, err := a.armOne(ctx, now)
		if err != nil || !armed {
			<-a.slots
			return err
		}
	}
}

// armOne arms the next group, if any, and leaves it waiting for its deadline.
func (a *armer) armOne(ctx context.Context, now time.Time) (bool, error) {
	p := a.p
	conn, err := a.pool.Acquire(ctx)
	if err != nil {
		return false, fmt.Errorf("acquire connection for armed timers: %w", err)
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		conn.Release()
		return false, fmt.Errorf("begin armed group: %w", err)
	}
	// Rolls back unless committed; after a cancelled ctx it still ends the transaction.
	end := func() {
		_ = tx.Rollback(context.WithoutCancel(ctx))
		conn.Release()
	}
	q := store.New(tx)
	limit := p.ArmMax
	if limit <= 0 {
		limit = DefaultArmMax
	}
	rows, err := q.ArmTimers(ctx, store.ArmTimersParams{
		Horizon:   now.Add(p.lead()),
		Spread:    pgtype.Interval{Microseconds: p.armWindow().Microseconds(), Valid: true},
		MaxTimers: limit,
	})
	if err != nil || len(rows) == 0 {
		end()
		if err != nil {
			return false, fmt.Errorf("arm timers: %w", err)
		}
		return false, nil
	}
	due := make([]store.ClaimDueTimersRow, len(rows))
	for i, r := range rows {
		due[i] = store.ClaimDueTimersRow(r)
	}
	// Ordered by due time: the last is when the whole group is due.
	at := due[len(due)-1].TimerDueAt
	dueAt, err := p.fireClaimed(ctx, tx, due, at)
	if err != nil {
		end()
		return false, err
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		defer func() {
			end()
			<-a.slots
			select {
			case a.ended <- struct{}{}:
			default:
			}
		}()
		a.commitWhenDue(ctx, tx, q, at, dueAt)
	}()
	return true, nil
}

// commitWhenDue commits the armed group once at is reached, unless an
// action waits for it first.
func (a *armer) commitWhenDue(ctx context.Context, tx pgx.Tx, q *store.Queries, at time.Time, dueAt []time.Time) {
	p := a.p
	stepAside, err := p.awaitDue(ctx, q, at)
	switch {
	case ctx.Err() != nil:
	case err != nil:
		p.Log.WarnContext(ctx, "armed timers dropped, to be fired once due", "timers", len(dueAt), "due_at", at, "err", err)
	case stepAside:
		p.Log.DebugContext(ctx, "armed timers give way to an action", "timers", len(dueAt), "due_at", at)
		// Let the waiter take its lock before the group is armed again.
		select {
		case <-ctx.Done():
		case <-time.After(p.waiterCheck()):
		}
	default:
		if err := tx.Commit(ctx); err != nil {
			p.Log.WarnContext(ctx, "armed timers not committed, to be fired once due", "timers", len(dueAt), "due_at", at, "err", err)
			return
		}
		if p.OnFired != nil {
			p.OnFired(dueAt, p.Clock.Now())
		}
	}
}

// awaitDue waits, holding the armed transaction, until at on the clock. It
// returns true as soon as another transaction waits for one of its locks.
// It looks for one every tenth of the time left, between WaiterCheck and
// maxWaiterCheck apart: a waiter is let through within that, so one that
// came before the deadline still acts before it, and the checks stay few.
func (p *Poller) awaitDue(ctx context.Context, q *store.Queries, at time.Time) (stepAside bool, err error) {
	wait := at.Sub(p.Clock.Now())
	if wait <= 0 {
		return false, nil
	}
	due := p.Clock.After(wait)
	for {
		every := min(max(at.Sub(p.Clock.Now())/10, p.waiterCheck()), maxWaiterCheck)
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-due:
			return false, nil
		case <-time.After(every):
			waiting, err := q.SomeoneWaitsForUs(ctx)
			if err != nil {
				return false, fmt.Errorf("look for waiting actions: %w", err)
			}
			if waiting {
				return true, nil
			}
		}
	}
}

func (p *Poller) lead() time.Duration {
	if p.Lead == 0 {
		return DefaultLead
	}
	return p.Lead
}

func (p *Poller) armWindow() time.Duration {
	if p.ArmWindow <= 0 {
		return DefaultArmWindow
	}
	return p.ArmWindow
}

func (p *Poller) waiterCheck() time.Duration {
	if p.WaiterCheck <= 0 {
		return DefaultWaiterCheck
	}
	return p.WaiterCheck
}
