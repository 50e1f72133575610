// Package sla fires the SLA timers of dispatches: it sleeps until the next
// deadline (or until a new timer is announced), claims the due timers and, for
// each, deletes it and writes its sla.warning, sla.breached or sla.escalated
// event in one transaction (a batch of timers per transaction, recorded a few
// statements per batch rather than per timer, so a burst of deadlines keeps
// up). Any number of pollers may run on one schema; every timer fires exactly
// once, because it is claimed with FOR UPDATE SKIP LOCKED and gone at commit.
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
	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/platform/retry"
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
	added, stop := postgres.Wakeups(p.Pool, store.TimersTopic)
	defer stop()
	return retry.Forever(ctx, p.Log, "sla timer poller", func(ctx context.Context) error {
		return p.fireAndWait(ctx, added)
	})
}

// fireAndWait fires what is due, then sleeps until the next deadline, an armed
// group ends, or a transaction of this process adds a timer (added); other
// processes' timers are seen at the next deadline or after MaxSleep.
func (p *Poller) fireAndWait(ctx context.Context, added <-chan struct{}) error {
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
		wake, err := p.nextWake(ctx, conn.Conn(), armedAt)
		if err != nil {
			return err
		}
		select {
		case <-wake:
		case <-arm.ended:
		case <-added:
		case <-ctx.Done():
			return nil
		}
	}
}

// nextWake is the channel that fires when it is time to look again: Lead
// before the next deadline on the clock, or, once arming at armedAt could
// see it, every ArmWindow until it is due, capped at MaxSleep; or soon in
// real time when a due timer is held by another transaction.
func (p *Poller) nextWake(ctx context.Context, conn *pgx.Conn, armedAt time.Time) (<-chan time.Time, error) {
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
		now := p.Clock.Now()
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

// fireClaimed deletes the claimed timers and writes their events, as of
// now, in the caller's transaction. It returns their due times.
func (p *Poller) fireClaimed(ctx context.Context, tx pgx.Tx, due []store.ClaimDueTimersRow, now time.Time) ([]time.Time, error) {
	if len(due) == 0 {
		return nil, nil
	}
	q := store.New(tx)
	ids := make([]int64, len(due))
	dueAt := make([]time.Time, len(due))
	for i, row := range due {
		ids[i], dueAt[i] = row.ID, row.DueAt
	}
	if _, err := q.DeleteTimersByID(ctx, ids); err != nil {
		return nil, fmt.Errorf("delete %d fired timers: %w", len(ids), err)
	}
	return dueAt, p.fire(ctx, tx, due, now)
}

// claimed is a due timer with its names parsed.
type claimed struct {
	store.ClaimDueTimersRow
	clock response.Clock
	kind  response.TimerKind
}

// fire writes the events of a claimed (and already deleted) batch in the
// caller's transaction. Warnings and breaches are recorded a statement per
// round, not per timer, so a burst of deadlines costs a few round trips per
// batch; the ladder's rare steps go one by one.
func (p *Poller) fire(ctx context.Context, tx pgx.Tx, due []store.ClaimDueTimersRow, now time.Time) error {
	q := store.New(tx)
	var b firing
	var pending []claimed
	for _, row := range due {
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
		switch {
		case kind == response.Escalate:
			if err := p.climb(ctx, q, row, now, &b); err != nil {
				return err
			}
		case !response.ClockRunning(st, c):
			// Actions delete the timers they meet; one left behind must not fire.
			p.Log.WarnContext(ctx, "drop timer of a stopped clock", "dispatch_id", row.DispatchID, "clock", c, "kind", kind, "status", st)
		default:
			pending = append(pending, claimed{ClaimDueTimersRow: row, clock: c, kind: kind})
		}
	}
	for len(pending) > 0 {
		// One timer per dispatch per statement: UPDATE ... FROM applies
		// one row of the batch to each dispatch only.
		var round []claimed
		seen := map[string]bool{}
		rest := pending[:0:0]
		for _, t := range pending {
			if seen[t.DispatchID] {
				rest = append(rest, t)
				continue
			}
			seen[t.DispatchID] = true
			round = append(round, t)
		}
		pending = rest
		if err := p.record(ctx, q, round, now, &b); err != nil {
			return err
		}
	}
	return b.write(ctx, tx, p.Outbox, now)
}

// record writes one round of warnings and breaches and queues their events.
func (p *Poller) record(ctx context.Context, q *store.Queries, round []claimed, now time.Time, b *firing) error {
	params := store.RecordFiredParams{UpdatedAt: now}
	for _, t := range round {
		params.Ids = append(params.Ids, t.DispatchID)
		params.Clocks = append(params.Clocks, string(t.clock))
		params.Kinds = append(params.Kinds, string(t.kind))
	}
	rows, err := q.RecordFired(ctx, params)
	if err != nil {
		return fmt.Errorf("record %d fired timers: %w", len(round), err)
	}
	byID := make(map[string]store.Dispatch, len(rows))
	for _, r := range rows {
		byID[r.ID] = r
	}
	ladder := p.Ladder.WithDefaults()
	for _, t := range round {
		row, ok := byID[t.DispatchID]
		if !ok {
			return fmt.Errorf("timer %d: dispatch %s vanished", t.ID, t.DispatchID)
		}
		d, err := row.Domain()
		if err != nil {
			return fmt.Errorf("timer %d: %w", t.ID, err)
		}
		ev := events.SLAFired(events.FiredTimer{Dispatch: d, Clock: t.clock, Kind: t.kind, DueAt: t.DueAt}, now)
		if br := ev.GetSlaBreached(); br != nil {
			// The breach is 催办; the ladder climbs from where the dispatch
			// stands (a supervisor may have escalated it already).
			br.EscalationLevel = int32(d.EscalationLevel)
			b.step(ladder, d, t.clock, t.DueAt)
		}
		b.events = append(b.events, ev)
		p.Log.DebugContext(ctx, "sla timer fired", "dispatch_id", t.DispatchID, "clock", t.clock, "kind", t.kind,
			"due_at", t.DueAt, "late_ms", now.Sub(t.DueAt).Milliseconds())
	}
	return nil
}

// firing collects what a batch writes at its end: events for the outbox and
// the ladder's next steps.
type firing struct {
	events []*eventsv1.Event
	steps  store.AddEscalationTimersParams
}

// step queues the escalate timer of the step after d's level, due after the
// ladder's delay from from (when the current step was due, not when it fired,
// so a late poller does not stretch the ladder). Nothing at the top.
func (b *firing) step(l response.Ladder, d response.Dispatch, c response.Clock, from time.Time) {
	next, after, ok := l.Next(d.EscalationLevel)
	if !ok {
		return
	}
	b.steps.DispatchIds = append(b.steps.DispatchIds, d.ID)
	b.steps.Clocks = append(b.steps.Clocks, string(c))
	b.steps.Levels = append(b.steps.Levels, int32(next))
	b.steps.DueAts = append(b.steps.DueAts, from.Add(after))
}

func (b *firing) write(ctx context.Context, tx pgx.Tx, out *notify.Outbox, now time.Time) error {
	q := store.New(tx)
	if len(b.steps.DispatchIds) > 0 {
		b.steps.CreatedAt = now
		if err := q.AddEscalationTimers(ctx, b.steps); err != nil {
			return fmt.Errorf("add %d escalation timers: %w", len(b.steps.DispatchIds), err)
		}
		// The poller may sleep past the ladder's next step.
		store.WakeTimerPollers(tx)
	}
	return out.Add(ctx, tx, b.events...)
}

// climb fires an escalate timer: one step up the ladder while a breached
// clock is still unmet, then queues the step after.
func (p *Poller) climb(ctx context.Context, q *store.Queries, row store.ClaimDueTimersRow, now time.Time, b *firing) error {
	d, err := load(ctx, q, row.DispatchID)
	if err != nil {
		return fmt.Errorf("timer %d: %w", row.ID, err)
	}
	c, unmet := d.UnmetBreach()
	if !unmet || d.EscalationLevel >= response.MaxLevel {
		p.Log.InfoContext(ctx, "escalation ladder stops", "dispatch_id", d.ID, "level", d.EscalationLevel, "status", d.Status)
		return nil
	}
	level := d.EscalationLevel + 1
	if err := q.SetEscalationLevel(ctx, store.SetEscalationLevelParams{ID: d.ID, Level: int32(level), UpdatedAt: now}); err != nil {
		return fmt.Errorf("escalate dispatch %s: %w", d.ID, err)
	}
	d.EscalationLevel, d.UpdatedAt = level, now
	b.step(p.Ladder.WithDefaults(), d, c, row.DueAt)
	b.events = append(b.events, events.SLAEscalated(events.Escalation{Dispatch: d, Clock: c, Level: level}, now, events.SystemActor()))
	p.Log.InfoContext(ctx, "sla escalated", "dispatch_id", d.ID, "clock", c, "level", level,
		"due_at", row.DueAt, "late_ms", now.Sub(row.DueAt).Milliseconds())
	return nil
}

// ScheduleStep adds the escalate timer of the step after d's level, due after
// the ladder's delay from from. Nothing is added at the top of the ladder, or
// when the dispatch already has a ladder timer. The caller wakes the pollers
// (store.WakeTimerPollers) when added is true.
func ScheduleStep(ctx context.Context, q *store.Queries, l response.Ladder, d response.Dispatch, c response.Clock, from, now time.Time) (added bool, err error) {
	next, after, ok := l.Next(d.EscalationLevel)
	if !ok {
		return false, nil
	}
	err = q.AddEscalationTimer(ctx, store.AddEscalationTimerParams{
		DispatchID: d.ID, Clock: string(c), Level: int32(next), DueAt: from.Add(after), CreatedAt: now,
	})
	if err != nil {
		return false, fmt.Errorf("add escalation timer of dispatch %s: %w", d.ID, err)
	}
	return true, nil
}

func load(ctx context.Context, q *store.Queries, id string) (response.Dispatch, error) {
	row, err := q.GetDispatch(ctx, id)
	if err != nil {
		return response.Dispatch{}, fmt.Errorf("dispatch %s: %w", id, err)
	}
	return row.Domain()
}
