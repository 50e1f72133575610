package reports

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/platform/postgres/pgtest"
	"github.com/chuishao/whistle/services/feedback/migrations"
)

// BenchmarkSlaReport measures GET /v1/reports/sla over a district
// whose month holds WHISTLE_BENCH_DISPATCHES dispatches (default 1,000,000),
// next to another district's 200,000. Loading takes about a minute, so it
// runs only with WHISTLE_BENCH=1 (see docs/benchmarks.md).
func BenchmarkSlaReport(b *testing.B) {
	n := pgtest.BenchRows(b, "WHISTLE_BENCH_DISPATCHES", 1_000_000)
	ctx := context.Background()
	pool, err := postgres.Connect(ctx, pgtest.NewDatabase(b), "feedback")
	require.NoError(b, err)
	b.Cleanup(pool.Close)
	require.NoError(b, postgres.Migrate(ctx, pool, "feedback", postgres.Migrations{Name: "feedback", FS: migrations.FS}))

	// Dispatches spread over May 2026 (CST) and nine departments; about 90 %
	// acked in time, 85 % arrived in time, 5 % returned, 70 % rated, 8 %
	// breached. Generated in SQL: a million rows through the consumer would
	// measure the consumer, not the report.
	const load = `
INSERT INTO dispatch_facts (
    dispatch_id, whistle_id, district_id, street_id, category, department, round, status,
    dispatched_at, sla_started_at, ack_by, arrive_by, resolve_by,
    acknowledged_at, arrived_at, resolved_at, returned_at, snapshot_at,
    return_accepted, satisfaction, ack_level, arrive_level, resolve_level
)
SELECT 'd-' || $1 || '-' || i, 'w-' || (i / 2), $1, $1 || lpad((i % 40)::text, 3, '0'), 'noise',
       (ARRAY['police','urban-management','environment','market-regulation','housing','transport','water','emergency','district-government'])[1 + i % 9],
       1, 'RESOLVED', t, t, t + interval '5 minutes', t + interval '30 minutes', t + interval '72 hours',
       t + (i % 400) * interval '1 second', t + (i % 2100) * interval '1 second',
       CASE WHEN i % 10 < 8 THEN t + (i % 80) * interval '1 hour' END,
       CASE WHEN i % 20 = 0 THEN t + interval '4 minutes' END, t,
       i % 40 = 0, (i % 10 < 7)::int * (1 + i % 5), (i % 400 > 300)::int, (i % 2100 > 1800)::int, 0
FROM generate_series($5::int, $6::int) AS i,
     LATERAL (SELECT $3::timestamptz + (i::float8 / $2::int) * ($4::timestamptz - $3::timestamptz) AS t) AS g`
	may := time.Date(2026, 5, 1, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))
	june := may.AddDate(0, 1, 0)
	// In chunks: the roll-up trigger sees each statement's rows at once.
	const chunk = 100_000
	for district, count := range map[string]int{"110101": n, "110102": 200_000} {
		for lo := 1; lo <= count; lo += chunk {
			_, err = pool.Exec(ctx, load, district, count, may, june.Add(-time.Second), lo, min(lo+chunk-1, count))
			require.NoError(b, err)
		}
	}
	_, err = pool.Exec(ctx, "VACUUM ANALYZE dispatch_facts")
	require.NoError(b, err)

	s := &Service{Pool: pool}
	// A calendar month, and the same month shifted by 9.5 hours so that two
	// partial days are scanned from the facts.
	for name, p := range map[string]Period{
		"month":   {District: "110101", From: may, To: june},
		"shifted": {District: "110101", From: may.Add(570 * time.Minute), To: june.Add(570 * time.Minute)},
	} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				rep, err := s.slaReport(ctx, p)
				require.NoError(b, err)
				require.Len(b, rep.Departments, 9)
			}
		})
	}
}
