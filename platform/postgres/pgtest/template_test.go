package pgtest_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/postgres/pgtest"
)

func TestDatabasesFromATemplateAreBuiltOnceAndIndependent(t *testing.T) {
	ctx := context.Background()
	var builds atomic.Int32
	build := func(ctx context.Context, url string) error {
		builds.Add(1)
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, "CREATE TABLE migrated (n int); INSERT INTO migrated VALUES (1)")
		return err
	}
	a := pgtest.NewDatabaseFrom(t, "pgtest_self", build)
	b := pgtest.NewDatabaseFrom(t, "pgtest_self", build)
	require.NotEqual(t, a, b)
	require.LessOrEqual(t, builds.Load(), int32(1), "built at most once (none when an earlier run of this binary left it)")

	ca, err := pgx.Connect(ctx, a)
	require.NoError(t, err)
	defer ca.Close(ctx)
	_, err = ca.Exec(ctx, "INSERT INTO migrated VALUES (2)")
	require.NoError(t, err)

	cb, err := pgx.Connect(ctx, b)
	require.NoError(t, err)
	defer cb.Close(ctx)
	var n int
	require.NoError(t, cb.QueryRow(ctx, "SELECT count(*) FROM migrated").Scan(&n))
	require.Equal(t, 1, n, "each test's copy is its own")
}
