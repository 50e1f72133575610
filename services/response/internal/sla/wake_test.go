package sla_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/services/response/internal/sla"
	"github.com/chuishao/whistle/services/response/internal/store"
)

// A poller asleep until the next deadline is woken, in-process, by a
// transaction that adds an earlier timer once it commits, and fires that
// timer on time.
func TestAnEarlierTimerWakesASleepingPoller(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.createDispatch("d1") // its first deadline, the ack warning, is 4 min away
	r.run((&sla.Poller{Pool: r.pool, Clock: r.clk, Log: r.log, Lead: -1, MaxSleep: 24 * time.Hour}).Run)
	wait, cancel := context.WithTimeout(r.ctx, 10*time.Second)
	defer cancel()
	require.NoError(t, r.clk.BlockUntilContext(wait, 1), "the poller sleeps towards the ack warning")

	require.NoError(t, pgx.BeginFunc(r.ctx, r.pool, func(tx pgx.Tx) error {
		// The ack clock now warns at 1 min, and its timer says so.
		if _, err := tx.Exec(r.ctx, "UPDATE dispatches SET ack_warn_at = $1 WHERE id = 'd1'", t0.Add(time.Minute)); err != nil {
			return err
		}
		if _, err := tx.Exec(r.ctx, "UPDATE timers SET due_at = $1 WHERE dispatch_id = 'd1'", t0.Add(time.Minute)); err != nil {
			return err
		}
		store.WakeTimerPollers(tx)
		return nil
	}))
	require.NoError(t, r.clk.BlockUntilContext(wait, 2), "woken by the commit, the poller also waits for the earlier timer")

	r.clk.Advance(time.Minute)
	require.Eventually(t, func() bool {
		for _, ev := range r.slaEvents() {
			if key(ev) == "d1/warning/ack" {
				return true
			}
		}
		return false
	}, 10*time.Second, 20*time.Millisecond)
}
