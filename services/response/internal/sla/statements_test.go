package sla_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/postgres/pgtest"
	"github.com/chuishao/whistle/services/response/internal/sla"
	"github.com/chuishao/whistle/services/response/internal/store"
)

// Firing a batch costs a fixed number of statements, however many dispatches
// it holds and however many steps each has due: here every dispatch has five
// (both ack steps, both arrive steps and 督办), fired in one go by a poller
// that was down for 36 minutes.
func TestABatchIsFiredInAFixedNumberOfStatements(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	counted, stmts := pgtest.CountedPool(t, r.url, "response")
	conn, err := counted.Acquire(r.ctx)
	require.NoError(t, err)
	defer conn.Release()
	p := &sla.Poller{Pool: counted, Clock: r.clk, Log: r.log, BatchSize: 500}

	// n dispatches created now, fired 36 minutes later: the statements it took.
	fire := func(n int) int64 {
		start := r.clk.Now()
		for i := range n {
			r.createDispatch(fmt.Sprintf("%d-%03d", n, i))
		}
		r.clk.Advance(36 * time.Minute)
		before := stmts.Count()
		require.NoError(t, p.FireDue(r.ctx, conn.Conn()))
		fired := stmts.Count() - before
		due, err := store.New(r.pool).CountDueTimers(r.ctx, r.clk.Now())
		require.NoError(t, err)
		require.Zero(t, due)
		r.clk.Advance(time.Hour - r.clk.Since(start)) // before the next group's steps
		return fired
	}
	ten, hundred := fire(10), fire(100)
	t.Logf("statements to fire 5 steps of each of 10 dispatches: %d; of 100: %d (begin and commit included)", ten, hundred)
	require.Equal(t, ten, hundred, "the count does not grow with the batch")
	r.advanceUntilFired(r.clk.Now(), time.Second)
	require.Len(t, r.keys(), 5*110)
}
