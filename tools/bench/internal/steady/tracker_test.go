package steady_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/tools/bench/internal/steady"
)

func TestTrackerMeasuresFromTheAnswerToTheLastDispatch(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)
	tr := steady.NewTracker(3)

	tr.Raised("w1", t0)
	tr.Dispatched("w1", t0.Add(10*time.Millisecond))
	tr.Dispatched("w1", t0.Add(12*time.Millisecond))
	require.Equal(t, 1, tr.Pending(), "two of three dispatches are not enough")
	tr.Dispatched("w1", t0.Add(30*time.Millisecond))
	require.Zero(t, tr.Pending())

	// The stream may beat the HTTP answer: never a negative latency.
	for range 3 {
		tr.Dispatched("w2", t0.Add(time.Second))
	}
	tr.Raised("w2", t0.Add(time.Second+time.Millisecond))
	tr.Dispatched("w1", t0.Add(time.Hour)) // a re-dispatch later changes nothing

	require.Equal(t, []time.Duration{30 * time.Millisecond, 0}, tr.Latencies())
	require.Zero(t, tr.Pending())
	require.Equal(t, t0.Add(time.Second+time.Millisecond), tr.LastDone())
}

func TestOnlyLoopbackTargetsAreAccepted(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"http://127.0.0.1:8080", "http://localhost:8080", "http://[::1]:8080"} {
		_, err := steady.NewClient(ok)
		require.NoError(t, err, ok)
	}
	_, err := steady.NewClient("https://whistle.example.gov.cn")
	require.ErrorContains(t, err, "not a loopback address")
}
