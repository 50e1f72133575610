package sla_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/services/response/internal/response"
)

// countTimerWrites makes the database count every row written to timers
// (inserted, updated, deleted) per dispatch, with a trigger of the test's own.
func (r *rig) countTimerWrites() {
	r.t.Helper()
	_, err := r.pool.Exec(r.ctx, `
		CREATE TABLE timer_writes (op text NOT NULL, dispatch_id text NOT NULL);
		CREATE FUNCTION count_timer_write() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			INSERT INTO timer_writes VALUES (TG_OP, coalesce(NEW.dispatch_id, OLD.dispatch_id));
			RETURN NULL;
		END $$;
		CREATE TRIGGER count_timer_write AFTER INSERT OR UPDATE OR DELETE ON timers
			FOR EACH ROW EXECUTE FUNCTION count_timer_write();`)
	require.NoError(r.t, err)
}

// timerWrites are the rows written to timers for the dispatches named
// prefix*, per operation.
func (r *rig) timerWrites(prefix string) map[string]int {
	r.t.Helper()
	rows, err := r.pool.Query(r.ctx, "SELECT op, count(*) FROM timer_writes WHERE dispatch_id LIKE $1 || '%' GROUP BY op", prefix)
	require.NoError(r.t, err)
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var op string
		var n int
		require.NoError(r.t, rows.Scan(&op, &n))
		out[op] = n
	}
	require.NoError(r.t, rows.Err())
	return out
}

// TestTimerRowsWrittenPerDispatch counts the rows a dispatch writes to timers
// over its life. Before (one row per step, four indexes: primary key, unique
// (dispatch, clock, kind), due time, one-ladder partial), a dispatch inserted
// six rows at creation (three indexed entries each) and deleted each as it
// was met or fired, and each breach starting the ladder and each of its steps
// inserted one more (four entries): a dispatch whose desk acknowledges,
// arrives and resolves in time wrote 12 rows (6 inserts, 6 deletes; 18 index
// entries); one left alone to the ladder's top and the resolve breach 16 (8
// inserts, 8 deletes; 26 index entries). Now it has one row (two indexes:
// primary key, due time), inserted at creation, moved by each firing and each
// action that changes its next step, deleted when nothing is left.
func TestTimerRowsWrittenPerDispatch(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.countTimerWrites()
	const n = 5
	for i := range n {
		r.createDispatch(fmt.Sprintf("attended-%d", i))
		r.createDispatch(fmt.Sprintf("alone-%d", i))
	}
	r.startPollers(2)
	actAll := func(a response.Action) {
		for i := range n {
			r.act(fmt.Sprintf("attended-%d", i), a)
		}
	}
	// Each step's instant in turn, so that each fires in a firing of its own
	// (a poller behind would fire several at once and move the row once).
	r.advanceUntilFired(t0.Add(time.Minute), time.Minute)
	actAll(response.Acknowledge)
	r.advanceUntilFired(t0.Add(4*time.Minute), time.Minute)
	r.advanceUntilFired(t0.Add(5*time.Minute), time.Minute)
	r.advanceUntilFired(t0.Add(10*time.Minute), time.Minute)
	actAll(response.Arrive)
	r.advanceUntilFired(t0.Add(20*time.Minute), time.Minute)
	actAll(response.Resolve)
	for _, at := range []time.Duration{24 * time.Minute, 30 * time.Minute, 35 * time.Minute, 155 * time.Minute, 72 * time.Hour * 8 / 10, 72 * time.Hour} {
		r.advanceUntilFired(t0.Add(at), time.Hour)
	}

	attended, alone := r.timerWrites("attended-"), r.timerWrites("alone-")
	t.Logf("timer rows written per dispatch: attended %v, left alone %v (of %d each)", attended, alone, n)
	require.Equal(t, map[string]int{"INSERT": n, "UPDATE": 2 * n, "DELETE": n}, attended,
		"created; moved by acknowledging and arriving; deleted by resolving: 4 rows, 6 index entries (before: 12 rows, 18 entries)")
	require.Equal(t, map[string]int{"INSERT": n, "UPDATE": 7 * n, "DELETE": n}, alone,
		"created; moved by 7 of its 8 steps, deleted by the last: 9 rows, 16 index entries (before: 16 rows, 26 entries)")
	require.Len(t, r.keys(), 8*n, "the 8 steps of each left alone; the attended ones met every clock in time")
}
