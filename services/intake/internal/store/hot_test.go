package store

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
)

// A whistle's status moves while it stays open must not rewrite its index
// entries: they are HOT updates (the status is in no index nor predicate).
func TestStatusMovesOfAnOpenWhistleAreHOTUpdates(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t)
	require.NoError(t, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		q := New(tx)
		ids := []string{"w-1", "w-2", "w-3"}
		n := len(ids)
		fill := func(v string) []string {
			out := make([]string, n)
			for i := range out {
				out[i] = v
			}
			return out
		}
		lats, lngs, times := make([]float64, n), make([]float64, n), make([]time.Time, n)
		for i := range ids {
			lats[i], lngs[i], times[i] = 39.91+float64(i)*0.01, 116.40, now
		}
		_, err := q.InsertWhistles(ctx, InsertWhistlesParams{
			Ids: ids, StreetIds: fill("110101001"), DistrictIds: fill("110101"), Categories: fill("noise"),
			Titles: fill("t"), Descriptions: fill("d"), Addresses: fill("a"), Lats: lats, Lngs: lngs,
			Urgencies: fill("NORMAL"), Statuses: fill("RAISED"), RaisedByRoles: fill("street"), RaisedByIds: fill("u"),
			RaisedAts: times, UpdatedAts: times, IdempotencyKeys: fill(""),
		})
		require.NoError(t, err)
		for _, status := range []string{"ROUTED", "RESPONDING"} {
			require.NoError(t, q.SetWhistlesProgress(ctx, SetWhistlesProgressParams{
				At: now, Ids: ids, Statuses: fill(status), Routed: make([]bool, n), Resolved: make([]bool, n),
			}))
		}
		var updates, hot int
		require.NoError(t, tx.QueryRow(ctx,
			"SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relname = 'whistles'").Scan(&updates, &hot))
		require.Equal(t, 2*n, updates)
		require.Equal(t, updates, hot, "every status move is a HOT update")
		return nil
	}))
}
