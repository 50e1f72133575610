package service_test

import (
	"context"
	"crypto/ed25519"
	"io"
	"log/slog"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/platform/config"
	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/platform/postgres/pgtest"
	"github.com/chuishao/whistle/platform/service"
)

// The deployment's migration job: the schema is migrated and Start stops there,
// without NATS (nothing listens at the configured URL) or any listener.
func TestMigrateOnlyMigratesAndStops(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pub, _, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	dbURL := pgtest.NewDatabase(t)
	cfg := config.Base{
		Database: config.Database{DatabaseURL: dbURL, MigrateOnly: true},
		Bus:      config.Bus{NATSURL: "nats://127.0.0.1:1", StreamReplicas: 1},
		Server:   config.Server{GRPCAddr: "127.0.0.1:0"},
		Tokens:   config.Tokens{JWTPublicKey: auth.EncodeKey(pub)}, Time: config.Time{TimeScale: 1},
	}
	migrations := postgres.Migrations{Name: "demo", FS: fstest.MapFS{"0001_init.sql": {Data: []byte("CREATE TABLE things (id int);")}}}
	rt, err := service.Start(ctx, "demo", cfg, migrations, service.Deps{
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Clock: clock.NewFake(time.Now()),
	})
	require.ErrorIs(t, err, config.ErrMigrated)
	require.Nil(t, rt)

	conn, err := pgx.Connect(ctx, dbURL)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	var things, outbox bool
	require.NoError(t, conn.QueryRow(ctx, "SELECT to_regclass('demo.things') IS NOT NULL, to_regclass('demo.outbox') IS NOT NULL").Scan(&things, &outbox))
	require.True(t, things, "the service's tables")
	require.True(t, outbox, "the platform's outbox")
}
