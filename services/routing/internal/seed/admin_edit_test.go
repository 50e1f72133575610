package seed_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/platform/postgres/pgtest"
	"github.com/chuishao/whistle/services/routing/internal/seed"
	"github.com/chuishao/whistle/services/routing/internal/store"
	"github.com/chuishao/whistle/services/routing/migrations"
)

// A department or street an admin has renamed keeps its names when the seed
// is loaded again at the next start-up; the others still follow the seed.
func TestSeedLeavesAdminEditsAlone(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, err := postgres.Connect(ctx, pgtest.NewDatabase(t), "routing")
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	require.NoError(t, postgres.Migrate(ctx, pool, "routing", postgres.Migrations{Name: "routing", FS: migrations.FS}))
	d, err := seed.Beijing()
	require.NoError(t, err)
	load := func() {
		require.NoError(t, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return seed.Load(ctx, store.New(tx)) }))
	}
	load()
	q := store.New(pool)
	at := pgtype.Timestamptz{Time: time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC), Valid: true}
	street, dept := d.Streets[0], d.Departments[0]
	_, err = q.RenameStreet(ctx, store.RenameStreetParams{ID: street.ID, Name: "改名街道", NameEn: "Renamed", EditedAt: at, EditedBy: "admin"})
	require.NoError(t, err)
	_, err = q.SaveDepartment(ctx, store.SaveDepartmentParams{Code: dept.Code, Name: "改名部门", NameEn: "Renamed", EditedAt: at, EditedBy: "admin"})
	require.NoError(t, err)

	load()
	got, err := q.GetStreet(ctx, street.ID)
	require.NoError(t, err)
	require.Equal(t, "改名街道", got.Name)
	deps, err := q.ListDepartments(ctx)
	require.NoError(t, err)
	names := map[string]string{}
	for _, r := range deps {
		names[r.Code] = r.Name
	}
	require.Equal(t, "改名部门", names[dept.Code])
	require.Equal(t, d.Departments[1].Name, names[d.Departments[1].Code], "an unedited department follows the seed")
}
