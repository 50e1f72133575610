package e2e_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"
)

// Every backend runs as its own database role: it reads and writes its own
// rows, and may not change its schema, empty or disable the guards of its
// tables, or read another service's schema. A compromised service cannot
// rewrite the audit trail, nor reach another service's data.
func TestServicesRunAsTheirOwnDatabaseRoles(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	refused := map[string][]string{
		"feedback": {
			"ALTER TABLE feedback.timeline_entries DISABLE TRIGGER USER",
			"ALTER TABLE feedback.timeline_entries DISABLE TRIGGER timeline_entries_no_update_delete",
			"TRUNCATE feedback.timeline_entries",
			"DROP TABLE feedback.chain_heads",
			"UPDATE feedback.schema_migrations SET version = version",
			"SELECT count(*) FROM intake.whistles",
		},
		"intake": {
			"SELECT count(*) FROM feedback.timeline_entries",
			"TRUNCATE intake.outbox",
			"CREATE TABLE intake.forged (id int)",
			"SELECT count(*) FROM discovery.reports",
		},
		"discovery": {
			"SELECT count(*) FROM intake.whistles",
			"TRUNCATE discovery.outbox",
			"DROP TABLE discovery.reports",
		},
		"routing":  {"SELECT count(*) FROM response.dispatches", "ALTER TABLE routing.outbox ADD COLUMN x int"},
		"response": {"SELECT count(*) FROM routing.outbox", "DROP TABLE response.dispatches"},
	}
	for svc, stmts := range refused {
		conn, err := pgx.Connect(context.Background(), s.db[svc])
		require.NoError(t, err, svc)
		var user string
		require.NoError(t, conn.QueryRow(context.Background(), "SELECT current_user").Scan(&user))
		require.Equal(t, "whistle_"+svc, user)
		for _, stmt := range stmts {
			_, err := conn.Exec(context.Background(), stmt)
			var pgErr *pgconn.PgError
			require.ErrorAs(t, err, &pgErr, "%s: %s", svc, stmt)
			require.Equal(t, "42501", pgErr.Code, "%s: %s: %v", svc, stmt, err) // insufficient_privilege
		}
		_ = conn.Close(context.Background())
	}
}
