package app_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
)

const (
	pending      = responsev1.Dispatch_PENDING
	acknowledged = responsev1.Dispatch_ACKNOWLEDGED
	arrived      = responsev1.Dispatch_ARRIVED
	resolved     = responsev1.Dispatch_RESOLVED
	returned     = responsev1.Dispatch_RETURNED
)

func TestStatusFollowsDispatchesAndFeedbackClosesIt(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := e.raise(streetA, "joint-enforcement")

	e.publish(routed(w, "police", "urban-management"))
	e.waitStatus(w.GetId(), intakev1.Whistle_ROUTED)
	e.publish(dispatchEvent(w, "urban-management", pending, 1))
	e.publish(dispatchEvent(w, "police", pending, 1))

	e.clk.Advance(5 * time.Minute)
	e.publish(dispatchEvent(w, "police", acknowledged, 3))
	ev := e.waitEvent("whistle.responding", w.GetId())
	require.Equal(t, "system", ev.GetActor().GetRole())
	got := e.waitStatus(w.GetId(), intakev1.Whistle_RESPONDING)
	require.Len(t, got.GetDispatches(), 2)
	require.Equal(t, "police", got.GetDispatches()[0].GetDepartment(), "dispatches are ordered by department")
	require.Equal(t, acknowledged, got.GetDispatches()[0].GetStatus())
	require.Equal(t, "urban-management", got.GetDispatches()[1].GetDepartment())

	// Feedback waits for the resolution.
	_, err := e.client.SubmitFeedback(e.as(streetA), &intakev1.SubmitFeedbackRequest{Id: w.GetId(), Satisfaction: 5})
	requireCode(t, err, codes.FailedPrecondition)
	require.Contains(t, err.Error(), "the whistle is RESPONDING; feedback is given once it is resolved")

	// One department's resolution is not the whistle's.
	e.publish(dispatchEvent(w, "police", arrived, 10))
	e.publish(dispatchEvent(w, "police", resolved, 20))
	got = e.waitDispatch(w.GetId(), dispatchID(w, "police"), resolved)
	require.Equal(t, intakev1.Whistle_RESPONDING, got.GetStatus())
	require.Nil(t, got.GetResolvedAt())

	e.clk.Advance(time.Hour)
	e.publish(dispatchEvent(w, "urban-management", acknowledged, 30))
	e.publish(dispatchEvent(w, "urban-management", resolved, 40))
	e.waitEvent("whistle.resolved", w.GetId())
	got = e.waitStatus(w.GetId(), intakev1.Whistle_RESOLVED)
	require.Equal(t, e.clk.Now(), got.GetResolvedAt().AsTime())
	require.Equal(t, 1, e.count("whistle.responding", w.GetId()), "responding is announced once")

	// A stale snapshot redelivered late changes nothing.
	e.publish(dispatchEvent(w, "police", acknowledged, 3))
	e.publish(dispatchEvent(w, "police", pending, 1))

	closed, err := e.client.SubmitFeedback(e.as(streetA), &intakev1.SubmitFeedbackRequest{Id: w.GetId(), Satisfaction: 4, Comment: "处理及时"})
	require.NoError(t, err)
	require.Equal(t, intakev1.Whistle_CLOSED, closed.GetStatus())
	require.EqualValues(t, 4, closed.GetSatisfaction())
	require.Equal(t, "处理及时", closed.GetFeedbackComment())
	require.Equal(t, e.clk.Now(), closed.GetClosedAt().AsTime())
	ev = e.waitEvent("whistle.closed", w.GetId())
	require.EqualValues(t, 4, ev.GetWhistleClosed().GetSatisfaction())

	again, err := e.client.SubmitFeedback(e.as(streetA), &intakev1.SubmitFeedbackRequest{Id: w.GetId(), Satisfaction: 1})
	require.NoError(t, err)
	require.True(t, proto.Equal(closed, again), "feedback on a closed whistle returns it unchanged")
	_, err = e.client.CancelWhistle(e.as(streetA), &intakev1.CancelWhistleRequest{Id: w.GetId()})
	requireCode(t, err, codes.FailedPrecondition)
	_, err = e.client.SubmitFeedback(e.as(streetA), &intakev1.SubmitFeedbackRequest{Id: w.GetId(), Satisfaction: 6})
	requireCode(t, err, codes.InvalidArgument, "satisfaction")

	// A marker published after the stale snapshots: once it shows, they were
	// consumed too (one consumer, in stream order) and moved nothing back.
	e.publish(dispatchEvent(w, "environment", pending, 50))
	final := e.waitDispatch(w.GetId(), dispatchID(w, "environment"), pending)
	require.Equal(t, intakev1.Whistle_CLOSED, final.GetStatus())
	require.Equal(t, "police", final.GetDispatches()[1].GetDepartment())
	require.Equal(t, resolved, final.GetDispatches()[1].GetStatus())
}

func TestEventsInAnyOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := e.raise(streetA, "joint-enforcement")

	// Response's events overtake routing's decision: every dispatch resolved
	// before whistle.routed says which departments were expected.
	e.publish(dispatchEvent(w, "police", resolved, 20))
	e.publish(dispatchEvent(w, "police", pending, 1)) // older snapshot after a newer one
	e.publish(dispatchEvent(w, "urban-management", acknowledged, 5))
	got := e.waitDispatch(w.GetId(), dispatchID(w, "urban-management"), acknowledged)
	require.Equal(t, intakev1.Whistle_RAISED, got.GetStatus(), "nothing is resolved before routing decided")
	require.Equal(t, resolved, got.GetDispatches()[0].GetStatus(), "an older snapshot never replaces a newer one")

	e.publish(routed(w, "police", "urban-management"))
	e.waitEvent("whistle.responding", w.GetId())
	e.waitStatus(w.GetId(), intakev1.Whistle_RESPONDING)

	e.publish(dispatchEvent(w, "urban-management", resolved, 30))
	e.waitEvent("whistle.resolved", w.GetId())
	e.waitStatus(w.GetId(), intakev1.Whistle_RESOLVED)
}

func TestReturnedDepartmentIsReplaced(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := e.raise(streetA, "joint-enforcement")
	e.publish(routed(w, "police", "urban-management"))
	e.publish(dispatchEvent(w, "police", pending, 1))
	e.publish(dispatchEvent(w, "urban-management", acknowledged, 2))
	e.waitEvent("whistle.responding", w.GetId())

	// Police return theirs; routing hands it to the district government (兜底).
	e.publish(dispatchEvent(w, "police", returned, 5))
	rerouted := whistleEvent(w, routingRole)
	rerouted.Payload = &eventsv1.Event_WhistleRerouted{WhistleRerouted: &eventsv1.WhistleRerouted{
		ReturnedDispatchId: dispatchID(w, "police"), FromDepartment: "police", Reason: "not ours",
		To: &eventsv1.RoutedDepartment{Department: "district-government", Role: "lead", DispatchId: dispatchID(w, "district-government")},
	}}
	e.publish(rerouted)
	e.publish(dispatchEvent(w, "urban-management", resolved, 10))
	got := e.waitDispatch(w.GetId(), dispatchID(w, "urban-management"), resolved)
	require.Equal(t, intakev1.Whistle_RESPONDING, got.GetStatus(), "the district government has not resolved yet")

	e.publish(dispatchEvent(w, "district-government", resolved, 20))
	e.waitEvent("whistle.resolved", w.GetId())
	e.waitStatus(w.GetId(), intakev1.Whistle_RESOLVED)
}

func TestCancelWhistle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := e.raise(streetA, "noise")
	e.clk.Advance(time.Minute)

	cancelled, err := e.client.CancelWhistle(e.as(streetA), &intakev1.CancelWhistleRequest{Id: w.GetId(), Reason: "已自行解决"})
	require.NoError(t, err)
	require.Equal(t, intakev1.Whistle_CANCELLED, cancelled.GetStatus())
	require.Equal(t, e.clk.Now(), cancelled.GetUpdatedAt().AsTime())
	ev := e.waitEvent("whistle.cancelled", w.GetId())
	require.Equal(t, "已自行解决", ev.GetWhistleCancelled().GetReason())

	again, err := e.client.CancelWhistle(e.as(streetA), &intakev1.CancelWhistleRequest{Id: w.GetId()})
	require.NoError(t, err)
	require.True(t, proto.Equal(cancelled, again), "cancelling again returns it unchanged")

	// Late events from routing and response do not revive it.
	e.publish(routed(w, "environment"))
	e.publish(dispatchEvent(w, "environment", acknowledged, 2))
	e.publish(dispatchEvent(w, "environment", resolved, 3))
	got := e.waitDispatch(w.GetId(), dispatchID(w, "environment"), resolved)
	require.Equal(t, intakev1.Whistle_CANCELLED, got.GetStatus())

	_, err = e.client.ReopenWhistle(e.as(streetA), &intakev1.ReopenWhistleRequest{Id: w.GetId(), Reason: "x"})
	requireCode(t, err, codes.FailedPrecondition)
}

func TestUnroutableWhistle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := e.raise(streetA, "noise")
	ev := whistleEvent(w, routingRole)
	ev.Payload = &eventsv1.Event_WhistleUnroutable{WhistleUnroutable: &eventsv1.WhistleUnroutable{Reason: "no rule"}}
	e.publish(ev)
	e.waitStatus(w.GetId(), intakev1.Whistle_UNROUTABLE)

	cancelled, err := e.client.CancelWhistle(e.as(streetA), &intakev1.CancelWhistleRequest{Id: w.GetId()})
	require.NoError(t, err)
	require.Equal(t, intakev1.Whistle_CANCELLED, cancelled.GetStatus())
}

func TestReopenWhistle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := e.raise(streetA, "noise")

	_, err := e.client.ReopenWhistle(e.as(streetA), &intakev1.ReopenWhistleRequest{Id: w.GetId(), Reason: "没修好"})
	requireCode(t, err, codes.FailedPrecondition)

	e.publish(routed(w, "environment"))
	e.publish(dispatchEvent(w, "environment", resolved, 10))
	e.waitEvent("whistle.resolved", w.GetId())
	e.waitStatus(w.GetId(), intakev1.Whistle_RESOLVED)

	_, err = e.client.ReopenWhistle(e.as(streetA), &intakev1.ReopenWhistleRequest{Id: w.GetId()})
	requireCode(t, err, codes.InvalidArgument, "reason")

	e.clk.Advance(time.Hour)
	reopened, err := e.client.ReopenWhistle(e.as(streetA), &intakev1.ReopenWhistleRequest{Id: w.GetId(), Reason: "没修好"})
	require.NoError(t, err)
	require.Equal(t, intakev1.Whistle_REOPENED, reopened.GetStatus())
	require.Nil(t, reopened.GetResolvedAt())
	ev := e.waitEvent("whistle.reopened", w.GetId())
	require.Equal(t, "没修好", ev.GetWhistleReopened().GetReason())

	// The old resolution, even redelivered, does not resolve it again; new work does.
	e.publish(dispatchEvent(w, "environment", resolved, 10))
	e.publish(dispatchEvent(w, "environment", acknowledged, 70))
	e.waitDispatch(w.GetId(), dispatchID(w, "environment"), acknowledged)
	e.waitStatus(w.GetId(), intakev1.Whistle_RESPONDING)
	e.publish(dispatchEvent(w, "environment", resolved, 80))
	e.waitStatus(w.GetId(), intakev1.Whistle_RESOLVED)
	e.waitEvents("whistle.resolved", w.GetId(), 2)
}

func TestWhistleWaitsForArbitration(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := e.raise(streetA, "joint-enforcement")
	e.publish(routed(w, "police", "urban-management"))
	e.publish(dispatchEvent(w, "police", pending, 1))
	e.publish(dispatchEvent(w, "urban-management", acknowledged, 2))
	e.waitEvent("whistle.responding", w.GetId())

	// Police return theirs and routing asks the supervisor; urban management
	// resolving its part does not resolve the whistle meanwhile.
	e.publish(dispatchEvent(w, "police", returned, 5))
	asked := whistleEvent(w, routingRole)
	asked.Payload = &eventsv1.Event_WhistleArbitrationRequested{WhistleArbitrationRequested: &eventsv1.WhistleArbitrationRequested{
		ArbitrationId: "arb-1", ReturnedDispatchId: dispatchID(w, "police"), FromDepartment: "police", ReturnCount: 2,
	}}
	e.publish(asked)
	e.publish(dispatchEvent(w, "urban-management", resolved, 10))
	got := e.waitDispatch(w.GetId(), dispatchID(w, "urban-management"), resolved)
	require.Equal(t, intakev1.Whistle_RESPONDING, got.GetStatus(), "the arbitration is pending")

	decided := whistleEvent(w, routingRole)
	decided.Payload = &eventsv1.Event_WhistleArbitrated{WhistleArbitrated: &eventsv1.WhistleArbitrated{
		ArbitrationId: "arb-1", To: &eventsv1.RoutedDepartment{Department: "housing", Role: "arbitrated", DispatchId: dispatchID(w, "housing")},
	}}
	e.publish(decided)
	e.publish(dispatchEvent(w, "housing", resolved, 20))
	e.waitEvent("whistle.resolved", w.GetId())
	e.waitStatus(w.GetId(), intakev1.Whistle_RESOLVED)
}
