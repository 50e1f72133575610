package reports

import (
	"context"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/platform/postgres/pgtest"

	"github.com/chuishao/whistle/services/feedback/internal/feedback"
	"github.com/chuishao/whistle/services/feedback/internal/store"
	"github.com/chuishao/whistle/services/feedback/migrations"
)

// hotspotLoad bulk-loads whistle facts $1..$2 of $3 and a report fact for
// every fourth of them: 16 districts of 20 streets, seven categories, raised
// evenly over the two years before $4; a report is a grid worker's or a
// 12345 ticket, and every third one was blown as (or merged into) its
// whistle. Generated in SQL: that many raises through the consumer would
// measure the consumer, not the analysis.
const hotspotLoad = `
WITH g AS (
    SELECT i, 'w-' || lpad(i::text, 8, '0') AS id,
           (110101 + i % 16)::text AS district, (110101 + i % 16)::text || lpad((i / 16 % 20)::text, 3, '0') AS street,
           (ARRAY['noise','street-order','garbage','parking','water','environment','building'])[1 + i / 320 % 7] AS category,
           $4::timestamptz - (i::float8 / $3::int) * interval '730 days' AS t
    FROM generate_series($1::int, $2::int) AS i
), w AS (
    INSERT INTO whistle_facts (whistle_id, district_id, street_id, category, raised_at)
    SELECT id, district, street, category, t FROM g
)
INSERT INTO report_facts (report_id, source, district_id, street_id, category, received_at, whistle_id)
SELECT 'r-' || i, CASE WHEN i % 8 = 0 THEN 'HOTLINE' ELSE 'GRID' END, district, street, category,
       t - interval '10 minutes', CASE WHEN i % 12 = 0 THEN id ELSE '' END
FROM g WHERE i % 4 = 0`

// BenchmarkHotspotAnalysis measures AnalyzeHotspots (GET
// /v1/reports/hotspots:analyze, the console's 未诉先办 page) over
// WHISTLE_BENCH_WHISTLES whistle facts (default 200,000) and a quarter as
// many report facts: the whole city, a district, and the city narrowed to a
// category or a street. It runs only with WHISTLE_BENCH=1 (see
// docs/benchmarks.md); WHISTLE_BENCH_EXPLAIN=1 logs each count query's plan,
// WHISTLE_BENCH_DATABASE_URL keeps the loaded rows for another run.
func BenchmarkHotspotAnalysis(b *testing.B) {
	n := pgtest.BenchRows(b, "WHISTLE_BENCH_WHISTLES", 200_000)
	ctx := context.Background()
	pool := pgtest.BenchPool(b, "feedback", postgres.Migrations{Name: "feedback", FS: migrations.FS})
	var err error
	now := time.Date(2026, 12, 15, 4, 0, 0, 0, time.UTC)
	have := pgtest.BenchLoad(b, pool, "whistle_facts", n, hotspotLoad, now)
	_, err = pool.Exec(ctx, "VACUUM ANALYZE whistle_facts, report_facts")
	require.NoError(b, err)

	s := &Service{Pool: pool, Clock: clockwork.NewFakeClockAt(now)}
	city := auth.Identity{Subject: "city", Role: auth.RoleSupervisor}
	district := auth.Identity{Subject: "sup", Role: auth.RoleSupervisor, DistrictID: "110105"}
	for _, q := range []struct {
		name string
		id   auth.Identity
		req  AnalysisQuery
	}{
		{"city-6-months", city, AnalysisQuery{}},
		{"city-1-month", city, AnalysisQuery{FromMonth: "2026-12"}},
		{"city-category-6-months", city, AnalysisQuery{Category: "noise"}},
		{"city-street-6-months", city, AnalysisQuery{Street: "110107003"}},
		{"district-6-months", district, AnalysisQuery{}},
	} {
		if os.Getenv("WHISTLE_BENCH_EXPLAIN") == "1" {
			// The plan once, then the server's own time over seven runs:
			// on a busy machine the client's wall time says more about
			// the machine than about the query.
			d, st, err := feedback.HotspotScope(q.id, q.req.District, q.req.Street)
			require.NoError(b, err)
			_, from, to, _, err := feedback.HotspotMonths(q.req.FromMonth, q.req.ToMonth, now)
			require.NoError(b, err)
			x := &explain{b: b, name: q.name, db: pool, log: true}
			for range 7 {
				_, err = store.New(x).HotspotMonthCounts(ctx, store.HotspotMonthCountsParams{
					DistrictID: d, StreetID: st, Category: q.req.Category, FromAt: tstz(from), ToAt: tstz(to),
				})
				require.NoError(b, err)
				x.log = false
			}
			slices.Sort(x.took)
			b.Logf("%s: server execution median %.1f ms (min %.1f, max %.1f), JIT in %d of %d plans",
				q.name, x.took[len(x.took)/2], x.took[0], x.took[len(x.took)-1], x.jit, len(x.took))
		}
		b.Run(q.name, func(b *testing.B) {
			var took []time.Duration
			for b.Loop() {
				t := time.Now()
				a, err := s.AnalyzeHotspots(ctx, q.id, q.req)
				took = append(took, time.Since(t))
				require.NoError(b, err)
				require.NotEmpty(b, a.Pairs)
			}
			slices.Sort(took)
			at := func(p float64) float64 {
				return float64(took[min(len(took)-1, int(p*float64(len(took))))].Microseconds()) / 1000
			}
			b.ReportMetric(at(0.50), "p50-ms")
			b.ReportMetric(at(0.95), "p95-ms")
		})
	}
	b.Logf("over %d whistle facts", have)
}

// explain runs each query under EXPLAIN ANALYZE (with the pool's custom
// plans), keeping the server's execution time and whether the plan was
// JIT-compiled, logging the plan when log is set, and then runs it.
type explain struct {
	b    *testing.B
	name string
	db   store.DBTX
	log  bool
	took []float64
	jit  int
}

func (e *explain) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	rows, err := e.db.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+sql, append([]any{pgx.QueryExecModeExec}, args...)...)
	if err != nil {
		return nil, err
	}
	plan, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	for _, line := range plan {
		if ms, ok := strings.CutPrefix(line, "Execution Time: "); ok {
			v, err := strconv.ParseFloat(strings.TrimSuffix(ms, " ms"), 64)
			if err != nil {
				return nil, err
			}
			e.took = append(e.took, v)
		}
		if strings.HasPrefix(line, "JIT:") {
			e.jit++
		}
	}
	if e.log {
		e.b.Logf("%s:\n%s", e.name, strings.Join(plan, "\n"))
	}
	return e.db.Query(ctx, sql, args...)
}

func (e *explain) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return e.db.QueryRow(ctx, sql, args...)
}

func (e *explain) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return e.db.Exec(ctx, sql, args...)
}
