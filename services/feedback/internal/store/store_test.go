package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/platform/postgres/pgtest"
	"github.com/chuishao/whistle/services/feedback/internal/store"
	"github.com/chuishao/whistle/services/feedback/migrations"
)

func TestTimelineEntriesAreAppendOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, err := postgres.Connect(ctx, pgtest.NewDatabase(t), "feedback")
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	require.NoError(t, postgres.Migrate(ctx, pool, "feedback", postgres.Migrations{Name: "feedback", FS: migrations.FS}))

	at := pgtype.Timestamptz{Time: time.Date(2026, 5, 11, 1, 0, 0, 0, time.UTC), Valid: true}
	q := store.New(pool)
	head, err := q.ClaimChainHead(ctx, "w-1")
	require.NoError(t, err)
	require.Zero(t, head.LastSeq)
	n, err := q.AppendEntry(ctx, store.AppendEntryParams{
		WhistleID: "w-1", Seq: 1, EventID: "ev-1", Type: "whistle.raised", At: at,
		ActorRole: "street", ActorID: "u-1", Data: []byte(`{"whistle":{"id":"w-1"}}`),
		PrevHash: "", Hash: "abc", RecordedAt: at,
	})
	require.NoError(t, err)
	require.EqualValues(t, 1, n)

	// The service's own statements must not be able to rewrite history.
	for _, stmt := range []string{
		`UPDATE timeline_entries SET data = '{"forged":true}' WHERE event_id = 'ev-1'`,
		`DELETE FROM timeline_entries WHERE event_id = 'ev-1'`,
		`TRUNCATE timeline_entries`,
	} {
		_, err := pool.Exec(ctx, stmt)
		var pgErr *pgconn.PgError
		require.True(t, errors.As(err, &pgErr), "%s: %v", stmt, err)
		require.Contains(t, pgErr.Message, "append-only", stmt)
	}

	rows, err := q.ListTimeline(ctx, "w-1")
	require.NoError(t, err)
	require.Len(t, rows, 1)
	require.JSONEq(t, `{"whistle":{"id":"w-1"}}`, string(rows[0].Data))

	// The same event twice is one entry.
	n, err = q.AppendEntry(ctx, store.AppendEntryParams{
		WhistleID: "w-1", Seq: 2, EventID: "ev-1", Type: "whistle.raised", At: at,
		Data: []byte(`{}`), PrevHash: "abc", Hash: "def", RecordedAt: at,
	})
	require.NoError(t, err)
	require.Zero(t, n)
	head, err = q.ClaimChainHead(ctx, "w-1")
	require.NoError(t, err)
	require.EqualValues(t, 1, head.LastSeq, "the head advanced with the first append only")
	require.Equal(t, "abc", head.LastHash)
}
