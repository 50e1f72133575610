package usage_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/tools/bench/internal/usage"
)

func TestTheSummaryHoldsTheProcessesCPUAndMemoryAndThePeakBacklogs(t *testing.T) {
	var pending atomic.Int64
	pending.Store(40)
	ops := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "# TYPE whistle_consumer_pending gauge\nwhistle_consumer_pending{consumer=\"response\"} %d\n", pending.Load())
		fmt.Fprint(w, "# TYPE whistle_outbox_backlog gauge\nwhistle_outbox_backlog{service=\"intake\"} 3\n")
	}))
	defer ops.Close()

	s, err := usage.Start(os.Getpid(), "this test", 0, []string{strings.TrimPrefix(ops.URL, "http://")}, 10*time.Millisecond)
	require.NoError(t, err)
	for end := time.Now().Add(200 * time.Millisecond); time.Now().Before(end); {
		// Busy: the test itself is the sampled process.
	}
	pending.Store(7) // the peak stays
	sum := s.Stop()

	var self *usage.Process
	for i := range sum.Processes {
		if sum.Processes[i].Name == "this test" {
			self = &sum.Processes[i]
		}
	}
	require.NotNil(t, self, "the root process is in the summary: %+v", sum.Processes)
	require.Positive(t, self.CPU)
	require.Positive(t, self.PeakRSS)
	require.Equal(t, 40.0, sum.PeakPending["response"])
	require.Equal(t, 3.0, sum.PeakOutbox["intake"])
	require.Contains(t, strings.Join(sum.Lines(), "\n"), "response 40")
}

func TestTheSummaryGivesTheLatenessOfTheTimersThatFiredInTheWindow(t *testing.T) {
	var fired atomic.Int64 // breaches fired so far: 90 on time, then 10 between 5 and 10 s late
	ops := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		onTime, late := min(fired.Load(), 90), max(fired.Load()-90, 0)
		fmt.Fprint(w, "# TYPE whistle_timer_lateness_seconds histogram\n")
		for _, b := range []struct {
			le string
			n  int64
		}{{"0.1", onTime}, {"5", onTime}, {"10", onTime + late}, {"+Inf", onTime + late}} {
			fmt.Fprintf(w, "whistle_timer_lateness_seconds_bucket{clock=\"ack\",le=%q} %d\n", b.le, b.n)
		}
		fmt.Fprintf(w, "whistle_timer_lateness_seconds_sum{clock=\"ack\"} 1\nwhistle_timer_lateness_seconds_count{clock=\"ack\"} %d\n", onTime+late)
	}))
	defer ops.Close()

	fired.Store(50) // fired before the window: not counted
	s, err := usage.Start(os.Getpid(), "this test", 0, []string{strings.TrimPrefix(ops.URL, "http://")}, time.Hour)
	require.NoError(t, err)
	fired.Store(100)
	sum := s.Stop()
	sum.TimeScale = 10

	require.Equal(t, 50.0, sum.Lateness.Total())
	require.Equal(t, 0.1, sum.Lateness.Quantile(0.5))
	require.Equal(t, 10.0, sum.Lateness.Quantile(0.99))
	require.Contains(t, strings.Join(sum.Lines(), "\n"),
		"SLA breach timers fired: 50, lateness (real time) p50 ≤ 0.01 s, p99 ≤ 1 s, max ≤ 1 s")
}
