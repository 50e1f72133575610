package clock_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/clock"
)

func TestScaledClockRunsFasterFromTheSharedOrigin(t *testing.T) {
	t.Parallel()
	origin := time.Now()
	c, err := clock.NewScaled(origin, 60)
	require.NoError(t, err)
	// Two processes given the same origin and scale agree on the time.
	other, err := clock.NewScaled(origin, 60)
	require.NoError(t, err)
	require.WithinDuration(t, c.Now(), other.Now(), time.Second)
	// A 30-minute drill deadline falls due after 30 real seconds; 60 simulated
	// seconds pass in about one real second.
	start := time.Now()
	simStart := c.Now()
	<-c.After(60 * time.Second)
	require.Less(t, time.Since(start), 10*time.Second)
	require.GreaterOrEqual(t, c.Now().Sub(simStart), 60*time.Second)
}

func TestFromConfig(t *testing.T) {
	t.Parallel()
	_, err := clock.FromConfig(60, time.Time{})
	require.ErrorContains(t, err, "WHISTLE_TIME_ORIGIN")
	c, err := clock.FromConfig(1, time.Time{})
	require.NoError(t, err)
	require.WithinDuration(t, time.Now(), c.Now(), time.Second)
	_, err = clock.NewScaled(time.Now(), 0)
	require.Error(t, err)
}
