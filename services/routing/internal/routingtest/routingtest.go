// Package routingtest gives routing's use-case tests a database of their own,
// migrated and loaded with the seed (the Beijing catalogue, streets and map),
// cloned from a template built once per test binary.
package routingtest

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/platform/postgres/pgtest"
	"github.com/chuishao/whistle/services/routing/internal/seed"
	"github.com/chuishao/whistle/services/routing/internal/store"
	"github.com/chuishao/whistle/services/routing/migrations"
)

// Schema is routing's schema.
const Schema = "routing"

// SeededPool is a pool on a fresh seeded database for t, closed with it.
func SeededPool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool, err := postgres.Connect(t.Context(), SeededURL(t), Schema)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool
}

// SeededURL is the URL of a fresh seeded database for t (for a pool of the
// test's own, pgtest.CountedPool say), dropped with it.
func SeededURL(t *testing.T) string {
	t.Helper()
	migrated := pgtest.Migrated(Schema, bus.Migrations, postgres.Migrations{Name: Schema, FS: migrations.FS})
	return pgtest.NewDatabaseFrom(t, "routing_seeded", func(ctx context.Context, url string) error {
		if err := migrated(ctx, url); err != nil {
			return err
		}
		pool, err := postgres.Connect(ctx, url, Schema)
		if err != nil {
			return err
		}
		defer pool.Close()
		return seed.Load(ctx, store.New(pool))
	})
}
