package sla_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/services/response/internal/response"
	"github.com/chuishao/whistle/services/response/internal/store"
)

// Desks acting at random moments while two pollers fire: after every move of
// the clock each dispatch's timer row is its next step (none when nothing is
// left), no step fires twice, none before it is due, and none is left unfired.
func TestRandomDeskActionsKeepEachTimerOnTheNextStep(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	rng := rand.New(rand.NewPCG(7, 19))
	const n = 24
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("d-%02d", i)
		r.createDispatch(ids[i])
		r.clk.Advance(time.Duration(rng.IntN(90)) * time.Second)
	}
	r.startPollers(2)
	q := store.New(r.pool)
	// checkRows compares every dispatch's row with its state's next step.
	checkRows := func() {
		for _, id := range ids {
			row, err := q.GetDispatch(r.ctx, id)
			require.NoError(t, err)
			d, err := row.Domain()
			require.NoError(t, err)
			want, wantOK := d.NextStep()
			got, ok := r.timer(id)
			require.Equal(t, wantOK, ok, "%s has a row iff it has a next step", id)
			if ok {
				want.DueAt = want.DueAt.UTC()
				require.Equal(t, want, got, id)
			}
		}
	}
	// What a desk may do next, by status.
	next := map[response.Status][]response.Action{
		response.Pending:      {response.Acknowledge, response.Return},
		response.Acknowledged: {response.Arrive, response.Return},
		response.Arrived:      {response.Resolve},
	}
	acted := 0
	for range 40 {
		r.advanceUntilFired(r.clk.Now().Add(time.Duration(1+rng.IntN(20))*time.Minute), time.Minute)
		checkRows()
		id := ids[rng.IntN(n)]
		row, err := q.GetDispatch(r.ctx, id)
		require.NoError(t, err)
		if can := next[response.Status(row.Status)]; len(can) > 0 {
			r.act(id, can[rng.IntN(len(can))])
			acted++
			checkRows()
		}
	}
	r.advanceUntilFired(r.clk.Now().Add(100*time.Hour), time.Hour)
	checkRows()

	seen := map[string]bool{}
	for _, ev := range r.slaEvents() {
		k := key(ev)
		require.False(t, seen[k], "%s fired twice", k)
		seen[k] = true
		due := ev.GetSlaWarning().GetDueAt()
		if b := ev.GetSlaBreached(); b != nil {
			due = b.GetDueAt()
		}
		if due != nil {
			require.False(t, ev.GetOccurredAt().AsTime().Before(due.AsTime()), "%s fired before it was due", k)
		}
	}
	t.Logf("%d desk actions, %d steps fired", acted, len(seen))
	require.Positive(t, acted)
	require.NotEmpty(t, seen)
}
