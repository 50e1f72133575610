package report_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/tools/bench/internal/report"
	"github.com/chuishao/whistle/tools/bench/internal/stats"
)

func sampleRun() report.Run {
	return report.Run{
		Steady: report.Steady{
			Rate: 50, Duration: 20 * time.Second, FanOut: 3,
			Raised: 1000, Visible: 1000, Elapsed: 20 * time.Second,
			VisibleAfter: stats.Summary{Count: 1000, P50: 12 * time.Millisecond, P95: 30 * time.Millisecond, P99: 45 * time.Millisecond},
			Polled:       stats.Summary{Count: 50, P50: 60 * time.Millisecond, P99: 140 * time.Millisecond},
		},
		Baselines: []report.Baseline{
			{Name: "jetstream publish sync 512 B", Ops: 10, Rate: 5000, Unit: "msgs/s"},
			{Name: "pgx insert + outbox tx, 8 conns", Ops: 10, Rate: 400, Unit: "tx/s"},
		},
	}
}

func TestRatioDividesAchievedWhistlesByRawTransactions(t *testing.T) {
	t.Parallel()
	r := sampleRun()
	require.InDelta(t, 50.0, r.Steady.Achieved(), 1e-9)
	require.InDelta(t, 0.125, r.Ratio(), 1e-9)

	r.Baselines = r.Baselines[:1]
	require.Zero(t, r.Ratio(), "no pgx baseline, no ratio")
}

func TestTableAndRowShowTheFiguresAReaderNeeds(t *testing.T) {
	t.Parallel()
	r := sampleRun()
	var b strings.Builder
	require.NoError(t, report.WriteTable(&b, r))
	out := b.String()
	require.Contains(t, out, "50.0 whistles/s")
	require.Contains(t, out, "p99 45.0 ms")
	require.Contains(t, out, "1/8")
	require.Contains(t, out, "dispatches on GET (sample of 50)")

	row := report.MarkdownRow(report.Meta{
		Date: time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC), Commit: "abc1234", Cores: 2,
		Command: "make bench | tee x",
	}, r)
	require.True(t, strings.HasPrefix(row, "| 2026-11-23 | abc1234 | bench steady"), row)
	require.Contains(t, row, "`make bench \\| tee x`", "a pipe in the command must not split the cell")
	require.Contains(t, row, "| 2 cores |")
	require.Contains(t, row, "12.0 ms / 30.0 ms / 45.0 ms")
	require.Contains(t, row, "(50 sampled) p50 / p99 60.0 ms / 140.0 ms")
	require.Equal(t, 7, strings.Count(row, " | ")+2, "six cells")
}
