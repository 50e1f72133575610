package sla_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/proto/returncodes"
	"github.com/chuishao/whistle/services/response/internal/response"
	"github.com/chuishao/whistle/services/response/internal/store"
)

// act applies a desk's action to dispatch id at the clock's now, as the desk
// service does: lock, apply, save (which rewrites the timer row).
func (r *rig) act(id string, a response.Action) {
	r.t.Helper()
	require.NoError(r.t, pgx.BeginFunc(r.ctx, r.pool, func(tx pgx.Tx) error {
		q := store.New(tx)
		row, err := q.LockDispatch(r.ctx, id)
		if err != nil {
			return err
		}
		d, err := row.Domain()
		if err != nil {
			return err
		}
		cmd := response.Command{Action: a, By: "desk", Location: &response.LatLng{Lat: 39.9, Lng: 116.4}}
		if a == response.Return {
			cmd.Reason, cmd.Code = "不属本部门职责", returncodes.NotOurRemit
		}
		next, changed, err := response.Apply(d, cmd, r.clk.Now(), 500)
		if err != nil || !changed {
			return fmt.Errorf("%s %s: changed %v, %w", a, id, changed, err)
		}
		_, err = q.SaveAction(r.ctx, next)
		return err
	}))
}

// timer is the timer row of dispatch id: what fires next and when; ok is
// false when the dispatch has none.
func (r *rig) timer(id string) (step response.Step, ok bool) {
	r.t.Helper()
	var clock, kind string
	err := r.pool.QueryRow(r.ctx, "SELECT clock, kind, due_at FROM timers WHERE dispatch_id = $1", id).Scan(&clock, &kind, &step.DueAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return step, false
	}
	require.NoError(r.t, err)
	step.Clock, step.Kind, step.DueAt = response.Clock(clock), response.TimerKind(kind), step.DueAt.UTC()
	return step, true
}

// keys are the keys of the sla events on the stream, in stream order.
func (r *rig) keys() []string {
	var out []string
	for _, ev := range r.slaEvents() {
		out = append(out, key(ev))
	}
	return out
}

func TestAFullLadderFiresEachStepOnceInOrder(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.createDispatch("d") // defaults: ack 5 min, arrive 30 min, resolve 72 h
	step, ok := r.timer("d")
	require.True(t, ok)
	require.Equal(t, response.Step{Clock: response.ClockAck, Kind: response.Warning, DueAt: t0.Add(4 * time.Minute)}, step,
		"one row: the next step")
	r.startPollers(2)
	r.advanceUntilFired(t0.Add(73*time.Hour), 5*time.Minute)

	require.Equal(t, []string{
		"d/warning/ack", "d/breach/ack", "d/warning/arrive", "d/breach/arrive",
		"d/escalate/2", "d/escalate/3", "d/warning/resolve", "d/breach/resolve",
	}, r.keys(), "every step once, in order")
	_, ok = r.timer("d")
	require.False(t, ok, "nothing left to fire, no row")
	d, err := store.New(r.pool).GetDispatch(r.ctx, "d")
	require.NoError(t, err)
	require.EqualValues(t, response.MaxLevel, d.EscalationLevel)
}

func TestDeskActionsBetweenStepsMoveTheTimer(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.createDispatch("d")
	r.createDispatch("other") // the same schedule, left alone
	r.startPollers(1)

	r.advanceUntilFired(t0.Add(4*time.Minute), time.Minute) // the ack warning
	r.clk.Advance(30 * time.Second)
	r.act("d", response.Acknowledge)
	step, _ := r.timer("d")
	require.Equal(t, response.Step{Clock: response.ClockArrive, Kind: response.Warning, DueAt: t0.Add(24 * time.Minute)}, step,
		"the ack breach is cancelled; the arrive warning is next")

	r.advanceUntilFired(t0.Add(31*time.Minute), time.Minute) // the arrive warning and breach
	step, _ = r.timer("d")
	require.Equal(t, response.Step{Clock: response.ClockArrive, Kind: response.Escalate, DueAt: t0.Add(60 * time.Minute)}, step,
		"督办 30 min after the arrive breach")
	r.act("d", response.Arrive)
	step, _ = r.timer("d")
	require.Equal(t, response.Step{Clock: response.ClockResolve, Kind: response.Warning, DueAt: t0.Add(72 * time.Hour * 8 / 10)}, step,
		"meeting the breached clock stops the ladder")

	r.advanceUntilFired(t0.Add(3*time.Hour), 5*time.Minute)
	r.act("d", response.Resolve)
	_, ok := r.timer("d")
	require.False(t, ok, "resolved: no row")

	var mine, theirs []string
	for _, k := range r.keys() {
		if k[:2] == "d/" {
			mine = append(mine, k)
		} else {
			theirs = append(theirs, k)
		}
	}
	require.Equal(t, []string{"d/warning/ack", "d/warning/arrive", "d/breach/arrive"}, mine)
	require.Equal(t, []string{
		"other/warning/ack", "other/breach/ack", "other/warning/arrive", "other/breach/arrive", "other/escalate/2", "other/escalate/3",
	}, theirs)
}

// A re-dispatch inherits the returned dispatch's SLA start: warnings already
// due at creation are not sent (they would warn of what is late), a deadline
// already passed breaches at once.
func TestARedispatchSkipsPastWarningsAndBreachesAtOnce(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.clk.Advance(26 * time.Minute)
	r.createRedispatch("d", t0)
	step, _ := r.timer("d")
	require.Equal(t, response.Step{Clock: response.ClockAck, Kind: response.Breach, DueAt: t0.Add(5 * time.Minute)}, step)
	r.startPollers(1)
	r.advanceUntilFired(t0.Add(31*time.Minute), time.Minute)
	require.Equal(t, []string{"d/breach/ack", "d/breach/arrive"}, r.keys())
	step, _ = r.timer("d")
	require.Equal(t, response.Step{Clock: response.ClockAck, Kind: response.Escalate, DueAt: t0.Add(35 * time.Minute)}, step,
		"督办 30 min after the ack deadline")
}
