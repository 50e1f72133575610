package app_test

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
)

func newWhistle(category string) *intakev1.Whistle {
	return &intakev1.Whistle{
		Id: uuid.Must(uuid.NewV7()).String(), StreetId: "110101001", DistrictId: "110101",
		Category: category, Description: "路边违建并伴随噪声", Location: &typesv1.LatLng{Lat: 39.91, Lng: 116.40},
		Urgency: intakev1.Whistle_HIGH, Status: intakev1.Whistle_RAISED, RaisedAt: timestamppb.New(t0),
	}
}

// byDepartment indexes dispatch requests by department.
func byDepartment(t *testing.T, reqs []asked) map[string]asked {
	t.Helper()
	out := map[string]asked{}
	for _, r := range reqs {
		require.NotContains(t, out, r.GetDepartment(), "two dispatches for one department")
		out[r.GetDepartment()] = r
	}
	return out
}

func TestJointEnforcementFansOutReturnsFallBackThenGoToArbitration(t *testing.T) {
	t.Parallel()
	h := start(t, options{seed: true})
	w := newWhistle("joint-enforcement")
	raise := raised(h.clk.Now(), w)
	h.publish(t, raise)

	// The decision asks three departments to respond, in one event.
	routed := h.seen.await(t, 1, "whistle.routed", w.GetId())[0]
	dispatches := byDepartment(t, h.seen.requests(w.GetId()))
	require.Len(t, dispatches, 3)
	wantRoles := map[string]string{"urban-management": "lead", "police": "cooperating", "environment": "cooperating"}
	for dep, role := range wantRoles {
		require.Contains(t, dispatches, dep)
		ev := dispatches[dep]
		require.Same(t, routed, ev.ev, "whistle.routed carries the request")
		req := ev.GetRequest()
		require.Equal(t, role, req.GetRole(), dep)
		require.Equal(t, "joint-enforcement", req.GetCategory())
		require.Equal(t, "category:joint-enforcement", req.GetRule())
		require.Equal(t, 30*time.Minute, req.GetArriveWithin().AsDuration(), dep)
		require.Equal(t, 5*time.Minute, req.GetAckWithin().AsDuration())
		require.Equal(t, 72*time.Hour, req.GetResolveWithin().AsDuration())
		require.Nil(t, req.GetSlaStartedAt(), "a new dispatch starts its own clocks")
		require.True(t, proto.Equal(w.GetLocation(), req.GetLocation()))
		require.Equal(t, intakev1.Whistle_HIGH, req.GetUrgency())
		require.NotEmpty(t, ev.GetDispatchId())
	}
	require.Equal(t, "110101", routed.GetDistrictId())
	require.Equal(t, "110101001", routed.GetStreetId())
	require.Equal(t, "system", routed.GetActor().GetRole())
	require.Equal(t, "routing", routed.GetActor().GetId())
	require.Equal(t, "whistle.v1.routed.110101", mustSubject(t, routed))
	r := routed.GetWhistleRouted()
	require.Equal(t, "category:joint-enforcement", r.GetRule())
	require.Equal(t, "seed-1", r.GetCatalogueVersion())
	require.Len(t, r.GetDepartments(), 3)
	require.Equal(t, "urban-management", r.GetDepartments()[0].GetDepartment(), "the lead comes first")
	for _, d := range r.GetDepartments() {
		require.Equal(t, wantRoles[d.GetDepartment()], d.GetRole())
		require.Equal(t, dispatches[d.GetDepartment()].GetDispatchId(), d.GetDispatchId())
	}

	// The same whistle raised again (a new event id, so neither JetStream nor the
	// consumer's de-duplication drops it) routes nothing new. A second whistle
	// published after it shows the consumer has got past it.
	again := raised(h.clk.Now(), w)
	require.NotEqual(t, raise.GetId(), again.GetId())
	h.publish(t, again)
	mystery := newWhistle("no-such-category")
	h.publish(t, raised(h.clk.Now(), mystery))
	h.seen.await(t, 1, "whistle.routed", mystery.GetId())
	require.Len(t, h.seen.requests(w.GetId()), 3)
	require.Len(t, h.seen.of("whistle.routed", w.GetId()), 1)

	// Police return theirs (退单) naming transport: transport takes over, with
	// the arrival clock still running from the police dispatch's start.
	policeStart := t0.Add(-12 * time.Minute)
	police := dispatches["police"]
	h.clk.Advance(12 * time.Minute)
	h.publish(t, returned(h.clk.Now(), &responsev1.Dispatch{
		Id: police.GetDispatchId(), WhistleId: w.GetId(), DistrictId: "110101", StreetId: "110101001",
		Category: "joint-enforcement", Department: "police", Role: "cooperating", Status: responsev1.Dispatch_RETURNED,
		DispatchedAt: timestamppb.New(policeStart), SlaStartedAt: timestamppb.New(policeStart),
		ReturnReason: "占用机动车道，需交通部门", ReturnCode: responsev1.Dispatch_NEEDS_ANOTHER_DEPARTMENT, ReturnDepartment: "transport",
	}))
	rerouted := h.seen.await(t, 1, "whistle.rerouted", w.GetId())[0].GetWhistleRerouted()
	all := h.seen.requests(w.GetId())
	require.Len(t, all, 4)
	fallback := all[3]
	require.Equal(t, "whistle.rerouted", events.Name(fallback.ev), "the reroute carries its request")
	req := fallback.GetRequest()
	require.Equal(t, "transport", fallback.GetDepartment())
	require.Equal(t, "redirected", req.GetRole())
	require.Equal(t, "return:needs_another_department", req.GetRule())
	require.True(t, policeStart.Equal(req.GetSlaStartedAt().AsTime()), "inherits the SLA start, got %v", req.GetSlaStartedAt().AsTime())
	require.Equal(t, 30*time.Minute, req.GetArriveWithin().AsDuration())
	require.Equal(t, 72*time.Hour, req.GetResolveWithin().AsDuration())
	require.True(t, proto.Equal(w.GetLocation(), req.GetLocation()))
	require.Equal(t, intakev1.Whistle_HIGH, req.GetUrgency())
	require.Equal(t, "joint-enforcement", req.GetCategory())
	require.Equal(t, police.GetDispatchId(), rerouted.GetReturnedDispatchId())
	require.Equal(t, "police", rerouted.GetFromDepartment())
	require.Equal(t, "占用机动车道，需交通部门", rerouted.GetReason())
	require.Equal(t, "transport", rerouted.GetTo().GetDepartment())
	require.Equal(t, "redirected", rerouted.GetTo().GetRole())
	require.Equal(t, fallback.GetDispatchId(), rerouted.GetTo().GetDispatchId())

	// The same return delivered again under a new event id changes nothing: the
	// next reroute below comes from urban management, not from police again.
	h.publish(t, returned(h.clk.Now(), &responsev1.Dispatch{
		Id: police.GetDispatchId(), WhistleId: w.GetId(), DistrictId: "110101", Department: "police",
		SlaStartedAt: timestamppb.New(policeStart), ReturnReason: "占用机动车道，需交通部门",
		ReturnCode: responsev1.Dispatch_NEEDS_ANOTHER_DEPARTMENT, ReturnDepartment: "transport",
	}))

	// Urban management returns too. It is the whistle's second return, so no
	// rule re-routes it: the district supervisor arbitrates (审定).
	um := dispatches["urban-management"]
	h.publish(t, returned(h.clk.Now(), &responsev1.Dispatch{
		Id: um.GetDispatchId(), WhistleId: w.GetId(), DistrictId: "110101", Department: "urban-management",
		SlaStartedAt: timestamppb.New(t0), ReturnReason: "不在本辖区", ReturnCode: responsev1.Dispatch_WRONG_LOCATION,
	}))
	asked := h.seen.await(t, 1, "whistle.arbitration_requested", w.GetId())[0].GetWhistleArbitrationRequested()
	require.Len(t, h.seen.requests(w.GetId()), 4)
	require.Len(t, h.seen.of("whistle.rerouted", w.GetId()), 1)
	require.Equal(t, "urban-management", asked.GetFromDepartment())
	require.Equal(t, "wrong_location", asked.GetReasonCode())
	require.Equal(t, responsev1.Dispatch_WRONG_LOCATION, asked.GetReturnCode())
	require.Equal(t, int32(2), asked.GetReturnCount())

	// The district's supervisor sees it in the queue; another district's does not.
	supervisor := h.as(t, auth.Identity{Subject: "sup-dc", Role: auth.RoleSupervisor, DistrictID: "110101"})
	queue, err := h.client.ListArbitrations(supervisor, &routingv1.ListArbitrationsRequest{})
	require.NoError(t, err)
	require.Len(t, queue.GetArbitrations(), 1)
	entry := queue.GetArbitrations()[0]
	require.Equal(t, asked.GetArbitrationId(), entry.GetId())
	require.Equal(t, "joint-enforcement", entry.GetCategory())
	require.Equal(t, responsev1.Dispatch_WRONG_LOCATION, entry.GetReturnCode())
	require.Equal(t, "wrong_location", entry.GetReasonCode())
	other := h.as(t, auth.Identity{Subject: "sup-cy", Role: auth.RoleSupervisor, DistrictID: "110105"})
	otherQueue, err := h.client.ListArbitrations(other, &routingv1.ListArbitrationsRequest{})
	require.NoError(t, err)
	require.Empty(t, otherQueue.GetArbitrations())
	_, err = h.client.DecideArbitration(other, &routingv1.DecideArbitrationRequest{Id: entry.GetId(), Department: "housing"})
	require.Equal(t, codes.NotFound, status.Code(err))
	desk := h.as(t, auth.Identity{Subject: "desk", Role: auth.RoleDesk, DistrictID: "110101", Department: "police"})
	_, err = h.client.DecideArbitration(desk, &routingv1.DecideArbitrationRequest{Id: entry.GetId(), Department: "housing"})
	require.Equal(t, codes.PermissionDenied, status.Code(err))
	_, err = h.client.DecideArbitration(supervisor, &routingv1.DecideArbitrationRequest{Id: entry.GetId(), Department: "housing", ResetSla: true})
	requireField(t, err, "reset_reason")

	// The decision is binding: housing gets the whistle with urban management's
	// original clock start; deciding it again the same way changes nothing, another way is refused.
	decided, err := h.client.DecideArbitration(supervisor, &routingv1.DecideArbitrationRequest{
		Id: entry.GetId(), Department: "housing", Note: "违建属住建"})
	require.NoError(t, err)
	require.Equal(t, "decided", decided.GetStatus())
	require.Equal(t, "sup-dc", decided.GetDecidedBy())
	arbitrated := h.seen.await(t, 1, "whistle.arbitrated", w.GetId())[0]
	require.Equal(t, "supervisor", arbitrated.GetActor().GetRole())
	require.Equal(t, "housing", arbitrated.GetWhistleArbitrated().GetTo().GetDepartment())
	require.False(t, arbitrated.GetWhistleArbitrated().GetSlaReset())
	all = h.seen.awaitRequests(t, 5, w.GetId())
	housing := all[4].GetRequest()
	require.Equal(t, "housing", all[4].GetDepartment())
	require.Equal(t, "arbitrated", housing.GetRole())
	require.Equal(t, "arbitration", housing.GetRule())
	require.True(t, t0.Equal(housing.GetSlaStartedAt().AsTime()), "keeps the original start, got %v", housing.GetSlaStartedAt().AsTime())
	_, err = h.client.DecideArbitration(supervisor, &routingv1.DecideArbitrationRequest{Id: entry.GetId(), Department: "housing"})
	require.NoError(t, err)
	_, err = h.client.DecideArbitration(supervisor, &routingv1.DecideArbitrationRequest{Id: entry.GetId(), Department: "water"})
	require.Equal(t, codes.FailedPrecondition, status.Code(err))

	// Transport returns it as well, naming yet another department: that is a
	// third return, so arbitration again, and this time the supervisor
	// restarts the clock, with a reason on record.
	h.publish(t, returned(h.clk.Now(), &responsev1.Dispatch{
		Id: fallback.GetDispatchId(), WhistleId: w.GetId(), DistrictId: "110101", Department: "transport",
		SlaStartedAt: timestamppb.New(policeStart), ReturnReason: "需应急部门",
		ReturnCode: responsev1.Dispatch_NEEDS_ANOTHER_DEPARTMENT, ReturnDepartment: "emergency",
	}))
	again2 := h.seen.await(t, 2, "whistle.arbitration_requested", w.GetId())[1].GetWhistleArbitrationRequested()
	require.Equal(t, "needs_another_department", again2.GetReasonCode())
	require.Equal(t, "emergency", again2.GetReturnDepartment())
	_, err = h.client.DecideArbitration(supervisor, &routingv1.DecideArbitrationRequest{
		Id: again2.GetArbitrationId(), Department: "emergency", ResetSla: true, ResetReason: "新的险情，重新计时"})
	require.NoError(t, err)
	reset := h.seen.await(t, 2, "whistle.arbitrated", w.GetId())[1].GetWhistleArbitrated()
	require.True(t, reset.GetSlaReset())
	require.Equal(t, "新的险情，重新计时", reset.GetSlaResetReason())
	all = h.seen.awaitRequests(t, 6, w.GetId())
	require.Equal(t, "emergency", all[5].GetDepartment())
	require.Nil(t, all[5].GetRequest().GetSlaStartedAt(), "a reset clock starts at the new dispatch")
	require.Empty(t, h.seen.of("whistle.unroutable", w.GetId()))

	// Why each department is on the whistle.
	explained, err := h.client.ExplainRouting(supervisor, &routingv1.ExplainRoutingRequest{WhistleId: w.GetId()})
	require.NoError(t, err)
	require.Equal(t, "seed-1", explained.GetCatalogueVersion())
	require.Len(t, explained.GetDepartments(), 6)
	reasons := map[string]string{}
	for _, d := range explained.GetDepartments() {
		reasons[d.GetDepartment()] = d.GetReason()
	}
	require.Equal(t, "lead department of rule category:joint-enforcement in catalogue seed-1", reasons["urban-management"])
	require.Contains(t, reasons["transport"], "police returned its dispatch")
	require.Contains(t, reasons["housing"], "arbitration")
}

func requireField(t *testing.T, err error, field string) {
	t.Helper()
	require.Equal(t, codes.InvalidArgument, status.Code(err), "%v", err)
	st, _ := status.FromError(err)
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				if v.GetField() == field {
					return
				}
			}
		}
	}
	t.Fatalf("no violation of %s in %v", field, err)
}

func TestUnknownCategoryGoesToDistrictGovernment(t *testing.T) {
	t.Parallel()
	h := start(t, options{seed: true})
	w := newWhistle("no-such-category")
	w.Urgency = intakev1.Whistle_URGENCY_UNSPECIFIED
	h.publish(t, raised(h.clk.Now(), w))

	routed := h.seen.await(t, 1, "whistle.routed", w.GetId())[0].GetWhistleRouted()
	require.Equal(t, "fallback", routed.GetRule())
	dispatches := h.seen.requests(w.GetId())
	require.Len(t, dispatches, 1)
	require.Equal(t, "district-government", dispatches[0].GetDepartment())
	req := dispatches[0].GetRequest()
	require.Equal(t, "fallback", req.GetRole())
	// No catalogue entry, no limits: the response service owns the default.
	require.Nil(t, req.GetAckWithin())
	require.Nil(t, req.GetArriveWithin())
	require.Nil(t, req.GetResolveWithin())
	require.Equal(t, intakev1.Whistle_NORMAL, req.GetUrgency())
	require.Len(t, routed.GetDepartments(), 1)
	require.True(t, proto.Equal(&eventsv1.RoutedDepartment{
		Department: "district-government", Role: "fallback", DispatchId: dispatches[0].GetDispatchId(), Request: req,
	}, routed.GetDepartments()[0]), "routed lists the fallback dispatch with its request")
}

func mustSubject(t *testing.T, ev *eventsv1.Event) string {
	t.Helper()
	s, err := events.Subject(ev)
	require.NoError(t, err)
	return s
}
