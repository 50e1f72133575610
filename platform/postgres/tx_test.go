package postgres_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/platform/postgres/pgtest"
)

// Work that joins a caller's transaction (WithTx) is committed by the caller,
// and what it leaves for after (AfterTx) runs only once the caller ends the
// transaction (EndTx), where the work's row is visible to everyone; without
// a caller's transaction the work commits on its own and AfterTx runs at once.
func TestWorkAfterAJoinedTransactionWaitsForItsEnd(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool, err := postgres.Connect(ctx, pgtest.NewDatabase(t), "tx")
	require.NoError(t, err)
	defer pool.Close()
	_, err = pool.Exec(ctx, `CREATE SCHEMA tx; CREATE TABLE tx.items (n int)`)
	require.NoError(t, err)
	count := func() (n int) {
		require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM tx.items`).Scan(&n))
		return n
	}
	work := func(ctx context.Context, seen *int) {
		require.NoError(t, postgres.InTx(ctx, pool, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO tx.items VALUES (1)`)
			return err
		}))
		postgres.AfterTx(ctx, func() { *seen = count() })
	}

	outer, err := pool.Begin(ctx)
	require.NoError(t, err)
	actx := postgres.WithTx(ctx, outer)
	seen := -1
	work(actx, &seen)
	require.True(t, postgres.Joined(actx))
	require.Equal(t, -1, seen, "nothing runs before the caller's transaction ends")
	require.NoError(t, outer.Commit(ctx))
	postgres.EndTx(actx)
	require.Equal(t, 1, seen, "after the end, the work's row is there")

	work(ctx, &seen)
	require.Equal(t, 2, seen, "alone, the work commits and AfterTx runs at once")
}
