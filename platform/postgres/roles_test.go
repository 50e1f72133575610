package postgres_test

import (
	"context"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/platform/postgres/pgtest"
)

var guarded = postgres.Migrations{Name: "svc", FS: fstest.MapFS{
	"0001_init.sql": {Data: []byte(`
		CREATE TABLE things (id bigserial PRIMARY KEY, note text NOT NULL DEFAULT '');
		CREATE FUNCTION no_delete() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN RAISE EXCEPTION 'append-only'; END; $$;
		CREATE TRIGGER things_no_delete BEFORE DELETE ON things FOR EACH ROW EXECUTE FUNCTION no_delete();`)},
}}

// connectAs opens a connection to the database of url as role.
func connectAs(t *testing.T, url, role, password string) *pgx.Conn {
	t.Helper()
	roleURL, err := postgres.RoleURL(url, role, password)
	require.NoError(t, err)
	conn, err := pgx.Connect(t.Context(), roleURL)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

// requireRefused requires that sql fails for lack of privilege.
func requireRefused(t *testing.T, conn *pgx.Conn, sql string) {
	t.Helper()
	_, err := conn.Exec(t.Context(), sql)
	var pgErr *pgconn.PgError
	require.ErrorAs(t, err, &pgErr, sql)
	require.Equal(t, "42501", pgErr.Code, "%s: %v", sql, err) // insufficient_privilege
}

func TestAServiceRoleWorksItsRowsAndNothingElse(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url := pgtest.NewDatabase(t)
	for _, schema := range []string{"rolea", "roleb"} {
		pool, err := postgres.Connect(ctx, url, schema)
		require.NoError(t, err)
		require.NoError(t, postgres.EnsureServiceRoles(ctx, pool, schema, "secret-"+schema))
		require.NoError(t, postgres.Migrate(ctx, pool, schema, guarded))
		pool.Close()
	}

	svc := connectAs(t, url, postgres.RuntimeRole("rolea"), "secret-rolea")
	_, err := svc.Exec(ctx, "INSERT INTO rolea.things (note) VALUES ('a'), ('b')")
	require.NoError(t, err, "rows and sequences are the service's to use")
	_, err = svc.Exec(ctx, "UPDATE rolea.things SET note = 'c' WHERE id = 1")
	require.NoError(t, err)
	var n int
	require.NoError(t, svc.QueryRow(ctx, "SELECT count(*) FROM rolea.things").Scan(&n))
	require.Equal(t, 2, n)

	for _, sql := range []string{
		"ALTER TABLE rolea.things DISABLE TRIGGER things_no_delete",
		"ALTER TABLE rolea.things DISABLE TRIGGER USER",
		"TRUNCATE rolea.things",
		"DROP TABLE rolea.things",
		"ALTER TABLE rolea.things ADD COLUMN forged text",
		"CREATE TABLE rolea.more (id int)",
		"DROP FUNCTION rolea.no_delete()",
		"SELECT * FROM roleb.things",
		"INSERT INTO rolea.schema_migrations (set_name, version) VALUES ('svc', '0002')",
	} {
		requireRefused(t, svc, sql)
	}
}

// A service connected as its own role checks that its schema is migrated and
// cannot migrate it; the admin can.
func TestOnlyTheAdminMigrates(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url := pgtest.NewDatabase(t)
	admin, err := postgres.Connect(ctx, url, "rolec")
	require.NoError(t, err)
	defer admin.Close()
	require.NoError(t, postgres.EnsureServiceRoles(ctx, admin, "rolec", "pw"))

	roleURL, err := postgres.RoleURL(url, postgres.RuntimeRole("rolec"), "pw")
	require.NoError(t, err)
	svc, err := postgres.Connect(ctx, roleURL, "rolec")
	require.NoError(t, err)
	defer svc.Close()
	isRuntime, err := postgres.IsRuntimeRole(ctx, svc, "rolec")
	require.NoError(t, err)
	require.True(t, isRuntime)
	require.ErrorContains(t, postgres.CheckMigrated(ctx, svc, "rolec", guarded), "svc/0001_init pending")
	require.Error(t, postgres.Migrate(ctx, svc, "rolec", guarded))

	require.NoError(t, postgres.Migrate(ctx, admin, "rolec", guarded))
	require.NoError(t, postgres.CheckMigrated(ctx, svc, "rolec", guarded))
}

// A schema set up before roles existed (everything owned by the admin) is
// handed to the owner role, and the service's role gets its rights on it.
func TestEarlierSchemasAreAdopted(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url := pgtest.NewDatabase(t)
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer func() { _ = conn.Close(ctx) }()
	_, err = conn.Exec(ctx, `CREATE SCHEMA roled; CREATE TABLE roled.old (id bigserial PRIMARY KEY);
		CREATE FUNCTION roled.f() RETURNS int LANGUAGE sql AS 'SELECT 1'`)
	require.NoError(t, err)

	admin, err := postgres.Connect(ctx, url, "roled")
	require.NoError(t, err)
	defer admin.Close()
	require.NoError(t, postgres.Migrate(ctx, admin, "roled", guarded))

	var owners []string
	rows, err := conn.Query(ctx, `SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class WHERE relnamespace = 'roled'::regnamespace
		UNION SELECT pg_get_userbyid(proowner) FROM pg_proc WHERE pronamespace = 'roled'::regnamespace`)
	require.NoError(t, err)
	owners, err = pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	require.Equal(t, []string{postgres.OwnerRole("roled")}, owners)

	svc := connectAs(t, url, postgres.RuntimeRole("roled"), "")
	_, err = svc.Exec(ctx, "INSERT INTO roled.old DEFAULT VALUES")
	require.NoError(t, err)
	requireRefused(t, svc, "TRUNCATE roled.old")
}
