package pgtest

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
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

// BenchLoad fills a benchmark's table with n generated rows, unless it holds
// rows already (a kept WHISTLE_BENCH_DATABASE_URL), and answers how many it
// holds. load is one statement that generates rows $1 to $2 of $3 as of $4
// (now); it runs for 100,000 rows at a time.
func BenchLoad(b *testing.B, pool *pgxpool.Pool, table string, n int, load string, now time.Time) int {
	b.Helper()
	ctx := context.Background()
	var have int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{table}.Sanitize()).Scan(&have); err != nil {
		b.Fatal(err)
	}
	if have > 0 {
		return have
	}
	start := time.Now()
	const chunk = 100_000
	for lo := 1; lo <= n; lo += chunk {
		if _, err := pool.Exec(ctx, load, lo, min(lo+chunk-1, n), n, now); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("loaded %d rows into %s in %s", n, table, time.Since(start).Round(time.Second))
	return n
}
