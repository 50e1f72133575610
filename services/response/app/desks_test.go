package app_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/proto/events"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
)

// onDuty is who a dispatch shows on duty.
func onDuty(d *responsev1.Dispatch) []string {
	var out []string
	for _, s := range d.GetOnDuty() {
		out = append(out, s.GetSeat()+":"+s.GetPerson())
	}
	return out
}

func shift(seat, person string, from, to time.Time) *responsev1.AddShiftRequest {
	return &responsev1.AddShiftRequest{Shift: &responsev1.Shift{
		Department: department, DistrictId: district, Seat: seat, Person: person,
		StartsAt: timestamppb.New(from), EndsAt: timestamppb.New(to),
	}}
}

func TestRosterHandsOverAtShiftChange(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.start()
	admin, actx := e.adminClient(a, admin)
	desk, dctx := e.client(a, deskOf(department, district))
	created := e.watch(events.SubjectFor("dispatch.created"))

	// t0 is 09:00 in Beijing: 张三 holds the desk until 09:30, then 李四.
	handOver := t0.Add(30 * time.Minute)
	_, err := admin.AddShift(actx, shift("值班长", "张三", t0.Add(-time.Hour), handOver))
	require.NoError(t, err)
	_, err = admin.AddShift(actx, shift("值班长", "李四", handOver, handOver.Add(8*time.Hour)))
	require.NoError(t, err, "a shift may begin exactly when the previous one ends")
	_, err = admin.AddShift(actx, shift("值班员", "王五", t0, t0.Add(4*time.Hour)))
	require.NoError(t, err, "another seat may overlap")

	_, err = admin.AddShift(actx, shift("值班长", "赵六", t0.Add(20*time.Minute), t0.Add(time.Hour)))
	requireField(t, err, "shift.starts_at")
	_, err = admin.AddShift(actx, shift("值班长", "赵六", t0.Add(time.Hour), t0))
	requireField(t, err, "shift.ends_at")

	// A desk and another district's supervisor may not edit this roster.
	for _, id := range []auth.Identity{deskOf(department, district), supervisorOf("110105")} {
		other, octx := e.adminClient(a, id)
		_, err = other.AddShift(octx, shift("值班员", "钱七", t0.Add(8*time.Hour), t0.Add(9*time.Hour)))
		requireCode(t, err, codes.PermissionDenied)
	}

	e.createDispatch(created, e.request("d-1", "w-1", department))
	d, err := desk.GetDispatch(dctx, &responsev1.GetDispatchRequest{Id: "d-1"})
	require.NoError(t, err)
	require.Equal(t, []string{"值班员:王五", "值班长:张三"}, onDuty(d))

	e.clk.Advance(30 * time.Minute)
	d, err = desk.GetDispatch(dctx, &responsev1.GetDispatchRequest{Id: "d-1"})
	require.NoError(t, err)
	require.Equal(t, []string{"值班员:王五", "值班长:李四"}, onDuty(d), "the hand-over happens at the shift change")
	list, err := desk.ListDispatches(dctx, &responsev1.ListDispatchesRequest{})
	require.NoError(t, err)
	require.Len(t, list.GetDispatches(), 1)
	require.Equal(t, []string{"值班员:王五", "值班长:李四"}, onDuty(list.GetDispatches()[0]))

	// The desk reads its own roster; the heartbeat answers with who is on duty.
	shifts, err := admin.ListShifts(actx, &responsev1.ListShiftsRequest{DistrictId: district, From: timestamppb.New(t0.Add(-2 * time.Hour))})
	require.NoError(t, err)
	require.Len(t, shifts.GetShifts(), 3)
	beat, err := desk.DeskHeartbeat(dctx, &responsev1.DeskHeartbeatRequest{Desk: "console"})
	require.NoError(t, err)
	require.Len(t, beat.GetOnDuty(), 2)
	require.Equal(t, 2*time.Minute, beat.GetWindow().AsDuration())
}

func TestADispatchToAnUnstaffedDeskEscalatesAtOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.start()
	desk, dctx := e.client(a, deskOf(department, district))
	created := e.watch(events.SubjectFor("dispatch.created"))
	escalated := e.watch(events.SubjectFor("sla.escalated"))

	// The police desk beats at 09:00, then goes quiet for longer than the 2 minute window.
	_, err := desk.DeskHeartbeat(dctx, &responsev1.DeskHeartbeatRequest{Desk: "console"})
	require.NoError(t, err)
	e.clk.Advance(3 * time.Minute)

	d := e.createDispatch(created, e.request("d-1", "w-1", department))
	ev := e.next(escalated, ofDispatch("d-1"))
	esc := ev.GetSlaEscalated()
	require.EqualValues(t, 2, esc.GetEscalationLevel(), "straight to 督办, the district supervisor")
	require.False(t, esc.GetManual())
	require.Contains(t, esc.GetReason(), "unstaffed")
	require.Contains(t, esc.GetReason(), "无人值守")
	require.Equal(t, d.GetDispatchedAt().AsTime(), ev.GetOccurredAt().AsTime(), "no wait: escalated when dispatched")
	got, err := desk.GetDispatch(dctx, &responsev1.GetDispatchRequest{Id: "d-1"})
	require.NoError(t, err)
	require.EqualValues(t, 2, got.GetEscalationLevel())

	// A desk that beats within the window is staffed: its dispatch waits out the ladder as usual.
	_, err = desk.DeskHeartbeat(dctx, &responsev1.DeskHeartbeatRequest{Desk: "console"})
	require.NoError(t, err)
	e.createDispatch(created, e.request("d-2", "w-2", department))
	// A department that never took part in duty tracking is not escalated either.
	e.createDispatch(created, e.request("d-3", "w-3", "fire"))
	e.settle()
	for _, id := range []string{"d-2", "d-3"} {
		require.Empty(t, e.storedFor(events.SubjectFor("sla.escalated"), id), id)
	}
	require.Len(t, e.stored(events.SubjectFor("sla.escalated")), 1)
}
