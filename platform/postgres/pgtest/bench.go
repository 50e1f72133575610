package pgtest

import (
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chuishao/whistle/platform/postgres"
)

// BenchRows is how many rows a benchmark over generated data loads: the
// number in the environment variable env (e.g. WHISTLE_BENCH_WHISTLES), else
// def. Loading takes minutes, so the benchmark is skipped unless
// WHISTLE_BENCH=1 (docs/benchmarks.md).
func BenchRows(b *testing.B, env string, def int) int {
	b.Helper()
	if os.Getenv("WHISTLE_BENCH") != "1" {
		b.Skip("set WHISTLE_BENCH=1 to load the benchmark data")
	}
	s := os.Getenv(env)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		b.Fatalf("%s: %v", env, err)
	}
	return n
}

// BenchPool is a pool on a benchmark's database, migrated: the database of
// WHISTLE_BENCH_DATABASE_URL, whose loaded rows are kept between runs (the
// benchmark loads only into an empty table), else a fresh one.
func BenchPool(b *testing.B, schema string, sets ...postgres.Migrations) *pgxpool.Pool {
	b.Helper()
	ctx := context.Background()
	url := os.Getenv("WHISTLE_BENCH_DATABASE_URL")
	if url == "" {
		url = NewDatabase(b)
	}
	pool, err := postgres.Connect(ctx, url, schema)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	if err := postgres.Migrate(ctx, pool, schema, sets...); err != nil {
		b.Fatal(err)
	}
	return pool
}
