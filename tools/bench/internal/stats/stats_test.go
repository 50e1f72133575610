package stats_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/tools/bench/internal/stats"
)

func TestSummarizeReportsNearestRankPercentiles(t *testing.T) {
	t.Parallel()
	// 1..100 ms in reverse order: p50 is the 50th smallest, p99 the 99th.
	var samples []time.Duration
	for i := 100; i >= 1; i-- {
		samples = append(samples, time.Duration(i)*time.Millisecond)
	}
	s := stats.Summarize(samples)
	require.Equal(t, stats.Summary{
		Count: 100,
		P50:   50 * time.Millisecond,
		P95:   95 * time.Millisecond,
		P99:   99 * time.Millisecond,
		Max:   100 * time.Millisecond,
	}, s)
	require.Equal(t, 100*time.Millisecond, samples[0], "the caller's samples keep their order")
}

func TestSummarizeOfFewSamplesNeverInventsValues(t *testing.T) {
	t.Parallel()
	s := stats.Summarize([]time.Duration{3 * time.Millisecond, time.Millisecond})
	require.Equal(t, time.Millisecond, s.P50)
	require.Equal(t, 3*time.Millisecond, s.P95)
	require.Equal(t, 3*time.Millisecond, s.P99)

	require.Equal(t, stats.Summary{}, stats.Summarize(nil))
	require.Equal(t, 7*time.Millisecond, stats.Percentile([]time.Duration{7 * time.Millisecond}, 99))
}
