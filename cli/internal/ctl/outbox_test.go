package ctl_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/platform/postgres/pgtest"
)

// An operator lists a service's outbox dead letters and moves one back into
// its outbox, against the service's schema.
func TestOutboxDeadLettersAreListedAndReplayed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	pool, err := postgres.Connect(ctx, url, "routing")
	require.NoError(t, err)
	defer pool.Close()
	require.NoError(t, postgres.Migrate(ctx, pool, "routing", bus.Migrations))
	_, err = pool.Exec(ctx, `INSERT INTO outbox_dead_letters (event_id, subject, payload, headers, error, created_at)
		VALUES ('ev-1', 'whistle.v1.department_added.110101', '\x0102', '{}', 'nats: maximum payload exceeded', now())`)
	require.NoError(t, err)

	code, _, errOut := run(t, nil, "outbox", "dead-letters")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "--service")

	env := map[string]string{"DATABASE_URL": url}
	code, out, errOut := run(t, env, "outbox", "dead-letters", "--service", "routing")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "ev-1")
	require.Contains(t, out, "maximum payload exceeded")

	code, out, errOut = run(t, env, "outbox", "replay", "--service", "routing", "ev-1")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "ev-1")
	var inOutbox int
	require.NoError(t, pool.QueryRow(ctx, "SELECT count(*) FROM outbox WHERE event_id = 'ev-1'").Scan(&inOutbox))
	require.Equal(t, 1, inOutbox)

	code, _, errOut = run(t, env, "outbox", "replay", "--service", "routing", "ev-1")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "no such dead letter")
}
