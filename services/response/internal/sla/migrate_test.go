package sla_test

import (
	"io/fs"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/services/response/internal/response"
	"github.com/chuishao/whistle/services/response/internal/store"
	"github.com/chuishao/whistle/services/response/migrations"
)

// migrationsBefore are the response migrations older than name.
func migrationsBefore(t *testing.T, name string) fs.FS {
	t.Helper()
	out := fstest.MapFS{}
	files, err := fs.Glob(migrations.FS, "*.sql")
	require.NoError(t, err)
	for _, f := range files {
		if f < name {
			data, err := fs.ReadFile(migrations.FS, f)
			require.NoError(t, err)
			out[f] = &fstest.MapFile{Data: data}
		}
	}
	return out
}

// oldDispatch inserts, at $1 = t0, a dispatch created then with the default
// limits (ack 5 min, arrive 30 min, resolve 72 h) in the given state.
func oldDispatch(id, status, warnings, breaches string, level int) string {
	return `INSERT INTO dispatches (id, whistle_id, district_id, department, status, dispatched_at, sla_started_at,
		ack_by, arrive_by, resolve_by, updated_at, warnings, breaches, escalation_level)
		VALUES ('` + id + `', 'w-` + id + `', '110101', 'police', '` + status + `', $1::timestamptz, $1::timestamptz,
		$1::timestamptz + interval '5 minutes', $1::timestamptz + interval '30 minutes', $1::timestamptz + interval '72 hours', $1::timestamptz,
		'` + warnings + `', '` + breaches + `', ` + string(rune('0'+level)) + `)`
}

// oldTimers inserts, at $1 = t0, the timer rows (one per step, as before
// migration 0008) of dispatch id: clock/kind/level/offset from t0.
func oldTimers(id string, rows ...string) string {
	stmt := `INSERT INTO timers (dispatch_id, clock, kind, level, due_at, created_at) VALUES `
	for i, r := range rows {
		if i > 0 {
			stmt += ", "
		}
		stmt += `('` + id + `', ` + r + `, $1::timestamptz)`
	}
	return stmt
}

// The migration turns a deployment's pending timers (one row per step) into
// one row per dispatch, its next step, and the steps still pending fire
// once each afterwards, the ladder included.
func TestMigrationKeepsThePendingTimersOfOldDispatches(t *testing.T) {
	t.Parallel()
	const (
		ackW     = `'ack', 'warning', 0, $1::timestamptz + interval '4 minutes'`
		ackB     = `'ack', 'breach', 0, $1::timestamptz + interval '5 minutes'`
		arriveW  = `'arrive', 'warning', 0, $1::timestamptz + interval '24 minutes'`
		arriveB  = `'arrive', 'breach', 0, $1::timestamptz + interval '30 minutes'`
		resolveW = `'resolve', 'warning', 0, $1::timestamptz + interval '3456 minutes'`
		resolveB = `'resolve', 'breach', 0, $1::timestamptz + interval '72 hours'`
		ladder   = `'ack', 'escalate', 2, $1::timestamptz + interval '35 minutes'`
	)
	r := newRigFrom(t, migrationsBefore(t, "0008"),
		// Created, nothing fired yet: its ack warning is overdue when the
		// new version starts (at 6 min), its breach too.
		oldDispatch("fresh", "PENDING", "{}", "{}", 0),
		oldTimers("fresh", ackW, ackB, arriveW, arriveB, resolveW, resolveB),
		// Acknowledged in time: the ack timers were deleted.
		oldDispatch("acked", "ACKNOWLEDGED", "{}", "{}", 0),
		oldTimers("acked", arriveW, arriveB, resolveW, resolveB),
		// Acknowledged after its ack breach: the ladder's step (督办 at 35
		// min) stays pending and fires if the arrive clock breaches too.
		oldDispatch("late", "ACKNOWLEDGED", "{ack}", "{ack}", 1),
		oldTimers("late", arriveW, arriveB, resolveW, resolveB, ladder),
		// Closed: nothing pending.
		oldDispatch("done", "RESOLVED", "{}", "{}", 0),
	)

	q := store.New(r.pool)
	n, err := q.CountTimers(r.ctx)
	require.NoError(t, err)
	require.EqualValues(t, 3, n, "one row per open dispatch")
	for _, id := range []string{"fresh", "acked", "late"} {
		row, err := q.GetDispatch(r.ctx, id)
		require.NoError(t, err)
		d, err := row.Domain()
		require.NoError(t, err)
		want, ok := d.NextStep()
		require.True(t, ok, id)
		want.DueAt = want.DueAt.UTC()
		got, ok := r.timer(id)
		require.True(t, ok, id)
		require.Equal(t, want, got, "%s: the row is the dispatch's next step", id)
	}
	fresh, _ := r.timer("fresh")
	require.Equal(t, response.Step{Clock: response.ClockAck, Kind: response.Warning, DueAt: t0.Add(4 * time.Minute)}, fresh)
	late, _ := r.timer("late")
	require.Equal(t, response.Step{Clock: response.ClockArrive, Kind: response.Warning, DueAt: t0.Add(24 * time.Minute)}, late)

	r.clk.Advance(6 * time.Minute)
	r.startPollers(2)
	r.advanceUntilFired(t0.Add(36*time.Minute), time.Minute)
	seen := map[string]int{}
	for _, k := range r.keys() {
		seen[k]++
	}
	require.Equal(t, map[string]int{
		"fresh/warning/ack": 1, "fresh/breach/ack": 1, "fresh/warning/arrive": 1, "fresh/breach/arrive": 1, "fresh/escalate/2": 1,
		"acked/warning/arrive": 1, "acked/breach/arrive": 1,
		"late/warning/arrive": 1, "late/breach/arrive": 1, "late/escalate/2": 1,
	}, seen)
}
