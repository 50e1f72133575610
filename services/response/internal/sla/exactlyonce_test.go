package sla_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/services/response/internal/sla"
	"github.com/chuishao/whistle/services/response/internal/store"
)

// TestThreePollersFireTenThousandTimersDueInTheSameSecond: 10,000 deadlines
// fall due at the same instant; three pollers race for them and the stream
// ends up with exactly one sla.breached per dispatch. Either the clock jumps
// past the deadline (the timers are claimed once due), or it stops a second
// before (the pollers arm them ahead, then commit at the deadline).
func TestThreePollersFireTenThousandTimersDueInTheSameSecond(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("10,000 timers")
	}
	for _, armed := range []bool{false, true} {
		t.Run(map[bool]string{false: "claimed once due", true: "armed ahead"}[armed], func(t *testing.T) {
			t.Parallel()
			r := newRig(t)
			const n = 10000
			due := t0.Add(time.Minute)
			seeded, err := store.New(r.pool).SeedDueDispatches(r.ctx, store.SeedDueDispatchesParams{Prefix: "d-", Now: t0, DueAt: due, N: n})
			require.NoError(t, err)
			require.EqualValues(t, n, seeded)
			for range 3 {
				p := &sla.Poller{Pool: r.pool, Clock: r.clk, Log: r.log, BatchSize: 500, ArmMax: 2000}
				r.run(p.Run)
			}
			if armed {
				r.clk.Advance(due.Sub(t0) - time.Second)
				r.awaitArmed(3)
			}
			r.advanceUntilFired(due, time.Minute)

			seen := make(map[string]int, n)
			for _, ev := range r.slaEvents() {
				require.NotNil(t, ev.GetSlaBreached(), "only breaches are due: %v", ev)
				seen[ev.GetDispatchId()]++
			}
			require.Len(t, seen, n, "every timer fired")
			for id, count := range seen {
				require.Equal(t, 1, count, "dispatch %s breached %d times", id, count)
			}
		})
	}
}
