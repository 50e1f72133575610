package postgres_test

import (
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/platform/postgres/pgtest"
)

// A loop waiting on a topic is woken by a transaction that marked the topic
// once it commits — not by one that rolls back, nor by one on another topic.
func TestWakeupsFollowCommitsOnly(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool, err := postgres.Connect(ctx, pgtest.NewDatabase(t), "wake")
	require.NoError(t, err)
	defer pool.Close()
	woken, stop := postgres.Wakeups(pool, "jobs")
	defer stop()
	fired := func() bool {
		select {
		case <-woken:
			return true
		default:
			return false
		}
	}

	errRollback := errors.New("roll back")
	require.ErrorIs(t, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		postgres.WakeAfterCommit(tx, "jobs")
		return errRollback
	}), errRollback)
	require.False(t, fired(), "a rolled-back transaction wakes nobody")

	require.NoError(t, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		postgres.WakeAfterCommit(tx, "other")
		return nil
	}))
	require.False(t, fired(), "another topic's commit does not wake this one")

	require.NoError(t, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		postgres.WakeAfterCommit(tx, "jobs")
		require.False(t, fired(), "nothing before the commit")
		return nil
	}))
	require.True(t, fired(), "the commit wakes the waiter")
	require.False(t, fired(), "once")

	require.NoError(t, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return nil }))
	require.False(t, fired(), "an unmarked transaction wakes nobody")
}
