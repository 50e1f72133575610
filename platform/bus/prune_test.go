package bus_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/clock"
)

// TestPrunerForgetsOnlyOldHandledEvents: records of events handled longer
// ago than the retention go, a few rows per statement, and recent ones stay.
func TestPrunerForgetsOnlyOldHandledEvents(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := t.Context()
	_, err := e.pool.Exec(ctx, `INSERT INTO processed_events (consumer, event_id, processed_at)
		SELECT 'c', 'old-' || i, now() - interval '8 days' FROM generate_series(1, 7) i
		UNION ALL SELECT 'c', 'new-' || i, now() - interval '6 days' FROM generate_series(1, 3) i`)
	require.NoError(t, err)

	p := &bus.Pruner{Pool: e.pool, Clock: clock.Real(), Log: e.log, Retention: 7 * 24 * time.Hour, Batch: 3}
	n, err := p.Prune(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 7, n)
	var left []string
	rows, err := e.pool.Query(ctx, "SELECT event_id FROM processed_events ORDER BY event_id")
	require.NoError(t, err)
	for rows.Next() {
		var id string
		require.NoError(t, rows.Scan(&id))
		left = append(left, id)
	}
	require.NoError(t, rows.Err())
	require.Equal(t, []string{"new-1", "new-2", "new-3"}, left)

	n, err = p.Prune(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "nothing more to prune")
}
