package ratelimit_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/services/gateway/internal/ratelimit"
)

func TestBucketRefillsOnTheClock(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	l := ratelimit.New(ratelimit.Limit{Rate: 2, Burst: 2}, clk)
	for range 2 {
		ok, _ := l.Take("k")
		require.True(t, ok)
	}
	ok, wait := l.Take("k")
	require.False(t, ok)
	require.Equal(t, 500*time.Millisecond, wait, "two per second: the next token in half a second")

	ok, _ = l.Take("other")
	require.True(t, ok, "keys have their own buckets")

	clk.Advance(500 * time.Millisecond)
	ok, _ = l.Take("k")
	require.True(t, ok, "a refused request spent nothing, so the refill is whole")
}

func TestZeroRateDisables(t *testing.T) {
	t.Parallel()
	require.Nil(t, ratelimit.New(ratelimit.Limit{}, clock.NewFake(time.Now())))
}
