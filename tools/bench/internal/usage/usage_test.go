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

	s, err := usage.Start(os.Getpid(), "this test", []string{strings.TrimPrefix(ops.URL, "http://")}, 10*time.Millisecond)
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
