// Package sla fires the SLA steps of dispatches: warnings, breaches and the
// escalation ladder. Each dispatch with a step still to fire has one row in
// timers, due when its next step is. A poller sleeps until the next one is due
// (or until a new timer is announced), claims the due rows with their
// dispatches, fires every step due (computed from the dispatch's state, which
// records each step fired) and moves each row to its dispatch's next step, or
// deletes it, writing the sla.warning, sla.breached and sla.escalated events
// in the same transaction: a batch of timers per transaction, a fixed number
// of statements per batch, so a burst of deadlines keeps up. Any number of
// pollers may run on one schema; every step fires exactly once, because the
// row and its dispatch are claimed with FOR UPDATE SKIP LOCKED and the step is
// recorded on the dispatch in the transaction that fires it.
//
// A burst is armed ahead: shortly before a group of timers falls due, a
// poller claims it and does all of its work in a transaction it commits once
// the last timer of the group is due, never before (see armAhead). A desk
// acting on an armed dispatch meanwhile makes the poller step aside.
package sla

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/platform/worker"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	"github.com/chuishao/whistle/services/response/internal/events"
	"github.com/chuishao/whistle/services/response/internal/notify"
	"github.com/chuishao/whistle/services/response/internal/response"
	"github.com/chuishao/whistle/services/response/internal/store"
)

// Defaults of the Poller's tuning knobs.
const (
	DefaultBatchSize = 100
	DefaultMaxSleep  = time.Minute
	DefaultLockRetry = 50 * time.Millisecond
	// DefaultLead is how long before a deadline a poller claims and prepares
	// its group of timers; DefaultArmWindow bounds how far apart the due
	// times of a group are (its first timer commits that late at most);
	// DefaultArmMax bounds a group's size.
	DefaultLead      = 2 * time.Second
	DefaultArmWindow = 50 * time.Millisecond
	DefaultArmMax    = 2000
	DefaultMaxArmed  = 8
	// DefaultWaiterCheck is how often, in real time, an armed group looks
	// for an action waiting for one of its dispatches near its deadline;
	// further from it, every tenth of the time left, up to maxWaiterCheck.
	DefaultWaiterCheck = 5 * time.Millisecond
	maxWaiterCheck     = 100 * time.Millisecond
)

// Poller fires due timers.
type Poller struct {
	Pool  *pgxpool.Pool
	Clock clock.Clock
	Log   *slog.Logger
	// BatchSize is the most timers fired per transaction.
	BatchSize int32
	// MaxSleep caps a sleep on the clock, so a timer that another process
	// added, or a clock jump, is never missed for long.
	MaxSleep time.Duration
	// Ladder is the delays between escalation steps.
	Ladder response.Ladder
	// Outbox writes the events and queues their webhooks.
	Outbox *notify.Outbox
	// OnFired, when set, is told the due times of each batch fired and when
	// its transaction committed (benchmarks measure lateness with it).
	OnFired func(due []time.Time, committed time.Time)
	// LockRetry is how long, in real time, to wait before looking again at due
	// timers that another transaction holds (another poller firing them, or a
	// desk meeting them). It waits for a lock, not for a deadline, hence real time.
	LockRetry time.Duration
	// Lead is how long before a deadline its timer is armed (claimed and
	// fired in a transaction that commits at the deadline); negative turns
	// arming off, so timers are claimed only once due.
	Lead time.Duration
	// ArmWindow is the most the due times of an armed group differ by;
	// ArmMax is the most timers in one armed group; MaxArmed is the most
	// groups a poller holds armed at once, each on a connection of its own
	// (outside Pool, whose connections the desks' actions need).
	ArmWindow time.Duration
	ArmMax    int32
	MaxArmed  int
	// WaiterCheck is how often (real time), at the most, an armed group
	// looks for a transaction waiting for its locks.
	WaiterCheck time.Duration
}

// Run fires timers until ctx is cancelled, reconnecting with backoff after a
// failure (the timers wait in their table meanwhile).
func (p *Poller) Run(ctx context.Context) error {
	maxSleep := p.MaxSleep
	if maxSleep <= 0 {
		maxSleep = DefaultMaxSleep
	}
	loop := worker.Loop{Name: "sla timer poller", Log: p.Log, Clock: p.Clock,
		Pool: p.Pool, Topic: store.TimersTopic, Poll: maxSleep}
	return loop.Run(ctx, p.fireAndWait)
}

// fireAndWait fires what is due, then sleeps until the next deadline, an armed
// group ends, or a transaction of this process adds a timer (w's signal);
// other processes' timers are seen at the next deadline or after MaxSleep.
func (p *Poller) fireAndWait(ctx context.Context, w *worker.Wait) error {
	// One connection fires the due timers, whatever the pool's size.
	conn, err := p.Pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("acquire connection: %w", err)
	}
	defer conn.Release()
	arm, err := p.newArmer(ctx)
	if err != nil {
		return err
	}
	defer arm.close()
	for {
		if err := p.fireDue(ctx, conn.Conn()); err != nil {
			return err
		}
		armedAt := p.Clock.Now()
		if err := arm.armAhead(ctx, armedAt); err != nil {
			return err
		}
		wake, err := p.nextWake(ctx, conn.Conn(), armedAt, w)
		if err != nil {
			return err
		}
		select {
		case <-wake:
		case <-arm.ended:
		case <-w.Signal():
		case <-ctx.Done():
			return nil
		}
	}
}

// nextWake is the channel that fires when it is time to look again: Lead
// before the next deadline on the clock, or, once arming at armedAt could
// see it, every ArmWindow until it is due, capped at MaxSleep; or soon in
// real time when a due timer is held by another transaction.
func (p *Poller) nextWake(ctx context.Context, conn *pgx.Conn, armedAt time.Time, w *worker.Wait) (<-chan time.Time, error) {
	maxSleep := p.MaxSleep
	if maxSleep <= 0 {
		maxSleep = DefaultMaxSleep
	}
	next, err := store.New(conn).NextTimerDue(ctx)
	if errors.Is(err, pgx.ErrNoRows) {
		return w.Poll(), nil
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
	// Arm next Lead before it is due. Once armAhead, looking at armedAt, could
	// see it, it is armed (by us or another poller) or could not be, and it
	// stays the next due until it commits, hiding the timers behind it: look
	// again every window meanwhile, so that the next group is armed as soon
	// as it comes within Lead.
	if lead := p.lead(); lead > 0 {
		if next.Sub(armedAt) > lead {
			wait -= lead
		} else {
			wait = min(wait, p.armWindow())
		}
	}
	if wait <= 0 {
		now := make(chan time.Time, 1)
		now <- p.Clock.Now()
		return now, nil
	}
	return p.Clock.After(min(wait, maxSleep)), nil
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
	var dueAt []time.Time
	err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		q := store.New(tx)
		// Whole microseconds, as stored: the events carry the dispatches as
		// fired in memory, which must equal what is stored (truncated, so no
		// step is fired before it is due).
		now := p.Clock.Now().Truncate(time.Microsecond)
		due, err := q.ClaimDueTimers(ctx, store.ClaimDueTimersParams{Now: now, BatchSize: batch})
		if err != nil {
			return fmt.Errorf("claim due timers: %w", err)
		}
		n = len(due)
		dueAt, err = p.fireClaimed(ctx, tx, due, now)
		return err
	})
	if err == nil && p.OnFired != nil && len(dueAt) > 0 {
		p.OnFired(dueAt, p.Clock.Now())
	}
	return n, err
}

// fireClaimed fires, as of now, every step due by now of the dispatches whose
// timers were claimed, and moves each timer to its dispatch's next step (or
// deletes it), in the caller's transaction: one statement records the steps
// on the dispatches, one writes their timers and one their events, however
// many there are. It returns the due times of the steps fired.
//
// A dispatch is the truth, its timer only says when to look: a step fires
// only if NextStep, from the dispatch's state, says it is due, and firing
// records it there, so none fires twice and a timer due earlier than its
// dispatch's next step (one left by an older version) fires nothing.
func (p *Poller) fireClaimed(ctx context.Context, tx pgx.Tx, due []store.ClaimDueTimersRow, now time.Time) ([]time.Time, error) {
	if len(due) == 0 {
		return nil, nil
	}
	ladder := p.Ladder.WithDefaults()
	var (
		dueAt []time.Time
		evs   []*eventsv1.Event
		all   = make([]response.Dispatch, 0, len(due))
		fired []response.Dispatch
	)
	for _, row := range due {
		d, err := row.Dispatch.Domain()
		if err != nil {
			return nil, err
		}
		n := len(dueAt)
		for {
			s, ok := d.NextStep()
			if !ok || s.DueAt.After(now) {
				break
			}
			d = d.Fire(s, ladder, now)
			evs = append(evs, stepEvent(d, s, now))
			dueAt = append(dueAt, s.DueAt)
			p.Log.DebugContext(ctx, "sla step fired", "dispatch_id", d.ID, "clock", s.Clock, "kind", s.Kind,
				"due_at", s.DueAt, "late_ms", now.Sub(s.DueAt).Milliseconds())
		}
		if len(dueAt) > n {
			fired = append(fired, d)
		}
		all = append(all, d)
	}
	q := store.New(tx)
	if err := q.RecordSteps(ctx, fired); err != nil {
		return nil, err
	}
	if err := q.Reschedule(ctx, all...); err != nil {
		return nil, err
	}
	if len(evs) == 0 {
		return nil, nil
	}
	return dueAt, p.Outbox.Add(ctx, tx, evs...)
}

// stepEvent is the event of step s, fired at now; d is the dispatch after it.
func stepEvent(d response.Dispatch, s response.Step, now time.Time) *eventsv1.Event {
	if s.Kind == response.Escalate {
		return events.SLAEscalated(events.Escalation{Dispatch: d, Clock: s.Clock, Level: d.EscalationLevel}, now, events.SystemActor())
	}
	ev := events.SLAFired(events.FiredTimer{Dispatch: d, Clock: s.Clock, Kind: s.Kind, DueAt: s.DueAt}, now)
	if br := ev.GetSlaBreached(); br != nil {
		// The breach is 催办; the dispatch may stand higher already (a
		// supervisor's step, an unstaffed desk).
		br.EscalationLevel = int32(d.EscalationLevel)
	}
	return ev
}
