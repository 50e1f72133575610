package sla_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/platform/postgres/pgtest"
	"github.com/chuishao/whistle/services/response/internal/sla"
	"github.com/chuishao/whistle/services/response/internal/store"
	"github.com/chuishao/whistle/services/response/migrations"
)

// BenchmarkFireTenThousandAmongAMillion seeds 1,000,000 pending timers, of
// which 10,000 fall due in the same second on the real clock, and fires them
// with WHISTLE_BENCH_POLLERS pollers (default 3). It reports the lateness of
// each timer (commit of its transaction minus its due time), the sustained
// firing rate, the cost of moving a timer and the size of the table.
// Minutes of seeding, so it runs only with WHISTLE_BENCH_TIMERS=1:
//
//	WHISTLE_BENCH_TIMERS=1 go test -run '^$' -bench FireTenThousand -benchtime 1x ./internal/sla/
func BenchmarkFireTenThousandAmongAMillion(b *testing.B) {
	if os.Getenv("WHISTLE_BENCH_TIMERS") == "" {
		b.Skip("set WHISTLE_BENCH_TIMERS=1 to seed 1,000,000 timers")
	}
	pollers := 3
	if v, err := strconv.Atoi(os.Getenv("WHISTLE_BENCH_POLLERS")); err == nil && v > 0 {
		pollers = v
	}
	// WHISTLE_BENCH_LEAD=-1ns turns arming off: timers are claimed only once due.
	var lead time.Duration
	if v, err := time.ParseDuration(os.Getenv("WHISTLE_BENCH_LEAD")); err == nil {
		lead = v
	}
	// WHISTLE_BENCH_SPREAD=1 spreads the 10,000 due times evenly over their
	// second instead of putting them all on its first instant.
	spread := os.Getenv("WHISTLE_BENCH_SPREAD") == "1"
	const (
		total   = 1_000_000
		dueNow  = 10_000
		inserts = 2_000
		chunk   = 100_000
	)
	ctx := context.Background()
	pool, err := postgres.Connect(ctx, pgtest.NewDatabase(b)+"&pool_max_conns=8", "response")
	require.NoError(b, err)
	b.Cleanup(pool.Close)
	require.NoError(b, postgres.Migrate(ctx, pool, "response", bus.Migrations, postgres.Migrations{Name: "response", FS: migrations.FS}))
	q := store.New(pool)
	now := time.Now()
	later := now.Add(24 * time.Hour)

	// Write cost: one timer moved per statement, autocommit, as a desk's
	// action moves its dispatch's row.
	_, err = q.SeedDueDispatches(ctx, store.SeedDueDispatchesParams{Prefix: "ins-", Now: now, DueAt: later, N: inserts})
	require.NoError(b, err)
	move := func(q *store.Queries, i int, by time.Duration) error {
		return q.SetTimers(ctx, store.SetTimersParams{
			DispatchIds: []string{fmt.Sprintf("ins-%d", i)}, DueAts: []time.Time{later.Add(by)},
			Clocks: []string{"arrive"}, Kinds: []string{"breach"},
		})
	}
	began := time.Now()
	for i := 1; i <= inserts; i++ {
		require.NoError(b, move(q, i, time.Minute))
	}
	writeCost := time.Since(began) / inserts
	// The same inside one transaction: the marginal cost without a commit per timer.
	tx, err := pool.Begin(ctx)
	require.NoError(b, err)
	began = time.Now()
	for i := 1; i <= inserts; i++ {
		require.NoError(b, move(store.New(tx), i, 2*time.Minute))
	}
	require.NoError(b, tx.Commit(ctx))
	writeInTx := time.Since(began) / inserts

	// The pending million (with their dispatches), in bulk.
	began = time.Now()
	seeded := int64(inserts)
	for i := 0; seeded < total-dueNow; i++ {
		n := min(chunk, total-dueNow-int(seeded))
		got, err := q.SeedDueDispatches(ctx, store.SeedDueDispatchesParams{
			Prefix: fmt.Sprintf("p%d-", i), Now: now, DueAt: later.Add(time.Duration(i) * time.Minute), N: int32(n),
		})
		require.NoError(b, err)
		seeded += got
	}
	bulkRate := float64(seeded-inserts) / time.Since(began).Seconds()

	// 10,000 due in the same second, ahead by more than the pollers' lead so
	// they sleep towards it.
	// Seeded first, then given their due times in one statement just before
	// the pollers start, so that setting up does not eat into their lead.
	_, err = q.SeedDueDispatches(ctx, store.SeedDueDispatchesParams{Prefix: "due-", Now: now, DueAt: later, N: dueNow})
	require.NoError(b, err)
	count, err := q.CountTimers(ctx)
	require.NoError(b, err)
	size, err := q.TimerTableSize(ctx)
	require.NoError(b, err)
	_, err = pool.Exec(ctx, "ANALYZE timers") // as autovacuum would after a bulk load
	require.NoError(b, err)
	var step time.Duration
	if spread {
		step = time.Second / dueNow
	}
	due := time.Now().Add(sla.DefaultLead + 1500*time.Millisecond).Truncate(time.Second)
	_, err = pool.Exec(ctx, `
		UPDATE timers t SET due_at = $1::timestamptz + (substr(t.dispatch_id, 5)::int - 1) * $2::interval
		WHERE t.dispatch_id LIKE 'due-%'`, due, step)
	require.NoError(b, err)

	var mu sync.Mutex
	var late []time.Duration
	var firstDue time.Time
	var lastCommit time.Time
	done := make(chan struct{})
	onFired := func(dueAt []time.Time, committed time.Time) {
		mu.Lock()
		defer mu.Unlock()
		for _, d := range dueAt {
			late = append(late, committed.Sub(d))
			if firstDue.IsZero() || d.Before(firstDue) {
				firstDue = d
			}
		}
		if committed.After(lastCommit) {
			lastCommit = committed
		}
		if len(late) == dueNow {
			close(done)
		}
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	b.ResetTimer()
	for range pollers {
		p := &sla.Poller{Pool: pool, Clock: clock.Real(), Log: log, BatchSize: 500, Lead: lead, OnFired: onFired}
		wg.Go(func() { _ = p.Run(runCtx) })
	}
	select {
	case <-done:
	case <-time.After(5 * time.Minute):
		b.Fatalf("only %d of %d timers fired", len(late), dueNow)
	}
	b.StopTimer()
	cancel()
	wg.Wait()

	slices.Sort(late)
	pct := func(p float64) time.Duration { return late[int(p*float64(len(late)-1))] }
	// From the first deadline to the last commit. With arming, the work is
	// done before the deadline, so for timers all due on one instant this is
	// the commits' rate, not the work's; spread over their second
	// (WHISTLE_BENCH_SPREAD=1) it is the rate of deadlines kept up with.
	rate := float64(dueNow) / lastCommit.Sub(firstDue).Seconds()
	b.ReportMetric(float64(pct(0.5).Milliseconds()), "p50-late-ms")
	b.ReportMetric(float64(pct(0.99).Milliseconds()), "p99-late-ms")
	b.ReportMetric(float64(late[len(late)-1].Milliseconds()), "max-late-ms")
	b.ReportMetric(rate, "timers/s")
	b.ReportMetric(float64(writeCost.Microseconds()), "write-autocommit-us/timer")
	b.ReportMetric(float64(writeInTx.Microseconds()), "write-in-tx-us/timer")
	b.ReportMetric(bulkRate, "bulk-seed-timers/s")
	b.ReportMetric(float64(count), "pending-timers")
	b.ReportMetric(float64(size.TableBytes)/(1<<20), "table-MiB")
	b.ReportMetric(float64(size.IndexBytes)/(1<<20), "index-MiB")
	if avg, err := os.ReadFile("/proc/loadavg"); err == nil {
		var load1 float64
		if _, err := fmt.Sscan(string(avg), &load1); err == nil {
			b.ReportMetric(load1, "load1")
		}
	}
}
