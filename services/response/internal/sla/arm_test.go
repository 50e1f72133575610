package sla_test

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/services/response/internal/response"
	"github.com/chuishao/whistle/services/response/internal/sla"
	"github.com/chuishao/whistle/services/response/internal/store"
)

// awaitArmed returns once n transactions other than the test's hold timers
// they are deleting: pollers holding armed groups (nothing else deletes
// timers while the clock stands still before a deadline).
func (r *rig) awaitArmed(n int) {
	r.t.Helper()
	for range 5000 {
		var armed int
		err := r.pool.QueryRow(r.ctx, `
			SELECT count(DISTINCT l.pid) FROM pg_locks l
			WHERE l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
			  AND l.relation = 'timers'::regclass AND l.mode = 'RowExclusiveLock' AND l.granted
			  AND l.pid <> pg_backend_pid()`).Scan(&armed)
		require.NoError(r.t, err)
		if armed >= n {
			return
		}
		select {
		case <-r.ctx.Done():
			r.t.Fatal("test ended")
		case <-time.After(2 * time.Millisecond):
		}
	}
	r.t.Fatalf("fewer than %d armed groups", n)
}

// ackWarning is when the ack clock of a dispatch created at t0 warns (80 % of 5 min).
var ackWarning = t0.Add(4 * time.Minute)

func TestArmedTimersFireAtTheirDeadlineNotBefore(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.createDispatch("d-1")
	r.createDispatch("d-2")
	r.startPollers(1)
	r.advanceUntilFired(t0, time.Second) // the dispatches' own events published

	r.clk.Advance(ackWarning.Sub(t0) - time.Second)
	r.awaitArmed(1)
	// Armed: the work is done but not committed before the deadline.
	q := store.New(r.pool)
	pending, err := q.CountOutbox(r.ctx)
	require.NoError(t, err)
	require.Zero(t, pending)
	d, err := q.GetDispatch(r.ctx, "d-1")
	require.NoError(t, err)
	require.Empty(t, d.Warnings)

	r.advanceUntilFired(ackWarning, time.Second)
	seen := map[string]int{}
	for _, ev := range r.slaEvents() {
		seen[key(ev)]++
		// Fired as of the deadline, which the commit follows.
		require.Equal(t, ackWarning, ev.GetOccurredAt().AsTime(), key(ev))
	}
	require.Equal(t, map[string]int{"d-1/warning/ack": 1, "d-2/warning/ack": 1}, seen)
	d, err = q.GetDispatch(r.ctx, "d-1")
	require.NoError(t, err)
	require.Equal(t, []string{"ack"}, d.Warnings)
}

func TestArmedTimersGiveWayToADeskActingBeforeTheDeadline(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.createDispatch("d-acting")
	r.createDispatch("d-idle")
	r.startPollers(2)

	r.clk.Advance(ackWarning.Sub(t0) - time.Second)
	r.awaitArmed(1)
	// A second before its ack clock warns, the desk acknowledges d-acting: it
	// waits for the armed poller to step aside, then acts at its own time.
	err := pgx.BeginFunc(r.ctx, r.pool, func(tx pgx.Tx) error {
		q := store.New(tx)
		row, err := q.LockDispatch(r.ctx, "d-acting")
		if err != nil {
			return err
		}
		d, err := row.Domain()
		if err != nil {
			return err
		}
		acked, _, err := response.Apply(d, response.Command{Action: response.Acknowledge, By: "desk"}, r.clk.Now(), 500)
		if err != nil {
			return err
		}
		_, err = q.SaveAction(r.ctx, acked)
		return err
	})
	require.NoError(t, err)

	r.advanceUntilFired(ackWarning, time.Second)
	seen := map[string]int{}
	for _, ev := range r.slaEvents() {
		seen[key(ev)]++
	}
	require.Equal(t, map[string]int{"d-idle/warning/ack": 1}, seen, "the acknowledged clock does not warn")
	d, err := store.New(r.pool).GetDispatch(r.ctx, "d-acting")
	require.NoError(t, err)
	require.Empty(t, d.Warnings)
	require.Equal(t, ackWarning.Add(-time.Second), d.AcknowledgedAt.UTC(), "acknowledged at its own time")
}

func TestArmingOffClaimsTimersOnlyOnceDue(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.createDispatch("d-1")
	p := &sla.Poller{Pool: r.pool, Clock: r.clk, Log: r.log, Lead: -1}
	r.run(p.Run)
	r.advanceUntilFired(ackWarning, 20*time.Second)
	seen := map[string]int{}
	for _, ev := range r.slaEvents() {
		seen[key(ev)]++
	}
	require.Equal(t, map[string]int{"d-1/warning/ack": 1}, seen)
}
