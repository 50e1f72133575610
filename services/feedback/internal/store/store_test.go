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
	url := pgtest.NewDatabaseFrom(t, "feedback", pgtest.Migrated("feedback", postgres.Migrations{Name: "feedback", FS: migrations.FS}))
	pool, err := postgres.Connect(ctx, url, "feedback")
	require.NoError(t, err)
	t.Cleanup(pool.Close)

	at := pgtype.Timestamptz{Time: time.Date(2026, 5, 11, 1, 0, 0, 0, time.UTC), Valid: true}
	q := store.New(pool)
	heads, err := q.ClaimChainHeads(ctx, []string{"w-1"})
	require.NoError(t, err)
	require.Len(t, heads, 1)
	require.Zero(t, heads[0].LastSeq)
	require.NoError(t, q.AppendEntries(ctx, store.AppendEntriesParams{
		WhistleIds: []string{"w-1"}, Seqs: []int64{1}, EventIds: []string{"ev-1"}, Types: []string{"whistle.raised"},
		Ats: []pgtype.Timestamptz{at}, ActorRoles: []string{"street"}, ActorIds: []string{"u-1"}, DispatchIds: []string{""},
		Departments: []string{""}, Datas: [][]byte{[]byte(`{"whistle":{"id":"w-1"}}`)}, PrevHashes: []string{""},
		Hashes: []string{"abc"}, RecordedAts: []pgtype.Timestamptz{at}, KeyIds: []string{"k1"},
	}))

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

	heads, err = q.ClaimChainHeads(ctx, []string{"w-1"})
	require.NoError(t, err)
	require.EqualValues(t, 1, heads[0].LastSeq, "the head advanced with the append")
	require.Equal(t, "abc", heads[0].LastHash)
}
