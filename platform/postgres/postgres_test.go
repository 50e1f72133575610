package postgres_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/platform/postgres/pgtest"
)

func TestMigrationsApplyOnceInTheServiceSchema(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url := pgtest.NewDatabase(t)
	set := postgres.Migrations{Name: "svc", FS: fstest.MapFS{
		"0001_init.sql": {Data: []byte("CREATE TABLE things (id int PRIMARY KEY);")},
		"0002_more.sql": {Data: []byte("INSERT INTO things VALUES (1);")},
	}}
	pool, err := postgres.Connect(ctx, url, "alpha")
	require.NoError(t, err)
	defer pool.Close()
	require.NoError(t, postgres.Migrate(ctx, pool, "alpha", set))
	require.NoError(t, postgres.Migrate(ctx, pool, "alpha", set), "a second run applies nothing")
	var n int
	require.NoError(t, pool.QueryRow(ctx, "SELECT count(*) FROM alpha.things").Scan(&n))
	require.Equal(t, 1, n)

	// Another service's schema is separate: same file names, own history, own tables.
	other, err := postgres.Connect(ctx, url, "beta")
	require.NoError(t, err)
	defer other.Close()
	require.NoError(t, postgres.Migrate(ctx, other, "beta", set))
	require.NoError(t, other.QueryRow(ctx, "SELECT count(*) FROM things").Scan(&n))
	require.Equal(t, 1, n)
}

func TestABrokenMigrationLeavesNothingBehind(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool, err := postgres.Connect(ctx, pgtest.NewDatabase(t), "gamma")
	require.NoError(t, err)
	defer pool.Close()
	bad := postgres.Migrations{Name: "svc", FS: fstest.MapFS{
		"0001_init.sql": {Data: []byte("CREATE TABLE ok (id int); CREATE TABLE broken (id nosuchtype);")},
	}}
	require.ErrorContains(t, postgres.Migrate(ctx, pool, "gamma", bad), "0001_init.sql")
	var exists bool
	require.NoError(t, pool.QueryRow(ctx, "SELECT to_regclass('gamma.ok') IS NOT NULL").Scan(&exists))
	require.False(t, exists)
}

// A service's pool leaves room beside its long-lived loops unless the URL
// sizes it.
func TestPoolSizeDefaultsAboveThreeListenersUnlessTheURLSetsIt(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url := pgtest.NewDatabase(t)
	pool, err := postgres.Connect(ctx, url, "delta")
	require.NoError(t, err)
	defer pool.Close()
	require.GreaterOrEqual(t, pool.Config().MaxConns, int32(10))

	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	sized, err := postgres.Connect(ctx, url+sep+"pool_max_conns=3", "delta")
	require.NoError(t, err)
	defer sized.Close()
	require.Equal(t, int32(3), sized.Config().MaxConns)
}
