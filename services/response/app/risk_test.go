package app_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/drill"
	"github.com/chuishao/whistle/proto/events"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
)

// The risk board is computed on the service's clock: a running clock is at
// risk once 80 % of its limit is used or when due within the asked minutes,
// breached once past its deadline; the most overdue first, in the caller's
// scope only.
func TestDispatchesAtRisk(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.start()
	created := e.watch(events.SubjectFor("dispatch.created"))
	e.createDispatch(created, e.request("d-1", "w-1", department))
	e.createDispatch(created, e.request("d-2", "w-2", department))
	e.createDispatch(created, e.request("d-3", "w-3", "environment"))
	// A drill's dispatch is judged in the drill's report, never on the live board.
	e.createDispatch(created, e.request("d-drill", drill.WhistleID("flood", "7c1e0f5a-2b1d-4c7e-9a51-0d3f8e6b2c44"), department))

	sup, supCtx := e.client(a, supervisorOf(district))
	board := func(req *responsev1.ListDispatchesAtRiskRequest) (ids []string, open, atRisk, breached int32) {
		t.Helper()
		resp, err := sup.ListDispatchesAtRisk(supCtx, req)
		require.NoError(t, err)
		for _, d := range resp.GetDispatches() {
			ids = append(ids, d.GetId())
		}
		return ids, resp.GetOpen(), resp.GetAtRisk(), resp.GetBreached()
	}

	// Fresh: nothing at risk, unless asked for what is due within 10 minutes (the 5-minute ack clocks).
	ids, open, atRisk, breached := board(&responsev1.ListDispatchesAtRiskRequest{})
	require.Empty(t, ids)
	require.Equal(t, [3]int32{3, 0, 0}, [3]int32{open, atRisk, breached})
	ids, _, atRisk, _ = board(&responsev1.ListDispatchesAtRiskRequest{WithinMinutes: 10})
	require.Equal(t, []string{"d-1", "d-2", "d-3"}, ids)
	require.EqualValues(t, 3, atRisk)

	// d-2 is acknowledged: its arrive clock (30 minutes) runs instead.
	desk, deskCtx := e.client(a, deskOf(department, district))
	e.clk.Advance(time.Minute)
	_, err := desk.AcknowledgeDispatch(deskCtx, &responsev1.AcknowledgeDispatchRequest{Id: "d-2"})
	require.NoError(t, err)

	// 4½ minutes in: the pending ack clocks have used 90 % of their limit.
	e.clk.Advance(3*time.Minute + 30*time.Second)
	ids, open, atRisk, breached = board(&responsev1.ListDispatchesAtRiskRequest{})
	require.Equal(t, []string{"d-1", "d-3"}, ids)
	require.Equal(t, [3]int32{3, 2, 0}, [3]int32{open, atRisk, breached})

	// 6 minutes in: both breached; 25 minutes in, d-2's arrival is at risk too, listed after them.
	e.clk.Advance(90 * time.Second)
	ids, _, atRisk, breached = board(&responsev1.ListDispatchesAtRiskRequest{})
	require.Equal(t, []string{"d-1", "d-3"}, ids)
	require.Equal(t, [2]int32{0, 2}, [2]int32{atRisk, breached})
	e.clk.Advance(19 * time.Minute)
	ids, _, atRisk, breached = board(&responsev1.ListDispatchesAtRiskRequest{PageSize: 2})
	require.Equal(t, []string{"d-1", "d-3"}, ids, "a page of two: the most overdue")
	require.Equal(t, [2]int32{1, 2}, [2]int32{atRisk, breached})
	ids, _, _, _ = board(&responsev1.ListDispatchesAtRiskRequest{Department: department})
	require.Equal(t, []string{"d-1", "d-2"}, ids)

	// Scope: a desk sees its department only; another district's supervisor nothing,
	// and naming another district finds nothing.
	resp, err := desk.ListDispatchesAtRisk(deskCtx, &responsev1.ListDispatchesAtRiskRequest{Department: "environment"})
	require.NoError(t, err)
	require.Empty(t, resp.GetDispatches())
	resp, err = desk.ListDispatchesAtRisk(deskCtx, &responsev1.ListDispatchesAtRiskRequest{})
	require.NoError(t, err)
	require.Len(t, resp.GetDispatches(), 2)
	other, otherCtx := e.client(a, supervisorOf("110105"))
	resp, err = other.ListDispatchesAtRisk(otherCtx, &responsev1.ListDispatchesAtRiskRequest{})
	require.NoError(t, err)
	require.Zero(t, resp.GetOpen())
	resp, err = other.ListDispatchesAtRisk(otherCtx, &responsev1.ListDispatchesAtRiskRequest{DistrictId: district})
	require.NoError(t, err)
	require.Zero(t, resp.GetOpen())

	_, err = sup.ListDispatchesAtRisk(supCtx, &responsev1.ListDispatchesAtRiskRequest{WithinMinutes: -1})
	requireField(t, err, "within_minutes")
}
