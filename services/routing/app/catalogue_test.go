package app_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
)

func TestPublishedCatalogueRoutesNewWhistlesOnly(t *testing.T) {
	t.Parallel()
	h := start(t, options{seed: true})
	admin := h.as(t, auth.Identity{Subject: "admin-1", Role: auth.RoleAdmin})
	street := h.as(t, auth.Identity{Subject: "st", Role: auth.RoleStreet, StreetID: "110101001", DistrictID: "110101"})

	before := newWhistle("noise")
	h.publish(t, raised(h.clk.Now(), before))
	require.Equal(t, "seed-1", h.seen.await(t, 1, "whistle.routed", before.GetId())[0].GetWhistleRouted().GetCatalogueVersion())

	draft, err := h.client.GetCatalogue(admin, &routingv1.GetCatalogueRequest{Version: "draft"})
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(draft.GetRules()), 12)

	// An invalid draft is refused field by field: two leads for noise, an unknown department.
	bad := append([]*routingv1.CatalogueRule(nil), draft.GetRules()...)
	bad = append(bad, &routingv1.CatalogueRule{Category: "noise", LeadDepartment: "police", Sla: bad[0].GetSla()},
		&routingv1.CatalogueRule{Category: "garbage", DistrictId: "110101", LeadDepartment: "sanitation", Sla: bad[0].GetSla()})
	_, err = h.client.UpdateCatalogueDraft(admin, &routingv1.UpdateCatalogueDraftRequest{Rules: bad})
	n := len(draft.GetRules())
	requireField(t, err, "rules["+itoa(n)+"].category")
	requireField(t, err, "rules["+itoa(n+1)+"].lead_department")
	require.Contains(t, status.Convert(err).Message(), "exactly one lead")
	require.Contains(t, status.Convert(err).Message(), `unknown department "sanitation"`)
	_, err = h.client.UpdateCatalogueDraft(street, &routingv1.UpdateCatalogueDraftRequest{Rules: draft.GetRules()})
	require.Equal(t, codes.PermissionDenied, status.Code(err))

	// Noise in Dongcheng goes to police as lead from the new version on.
	good := append([]*routingv1.CatalogueRule(nil), draft.GetRules()...)
	good = append(good, &routingv1.CatalogueRule{Category: "noise", DistrictId: "110101", LeadDepartment: "police",
		CooperatingDepartments: []string{"environment"},
		Sla:                    &routingv1.SlaPolicy{AckWithin: durationpb.New(5 * time.Minute), ArriveWithin: durationpb.New(20 * time.Minute), ResolveWithin: durationpb.New(24 * time.Hour)}})
	_, err = h.client.UpdateCatalogueDraft(admin, &routingv1.UpdateCatalogueDraftRequest{Rules: good, Description: "夜间噪音由公安牵头"})
	require.NoError(t, err)
	diff, err := h.client.DiffCatalogue(admin, &routingv1.DiffCatalogueRequest{})
	require.NoError(t, err)
	require.Equal(t, "seed-1", diff.GetFromVersion())
	require.Len(t, diff.GetChanges(), 1)
	require.Equal(t, "added", diff.GetChanges()[0].GetChange())

	// Published to take effect in an hour: nothing changes until then.
	v2, err := h.client.PublishCatalogue(admin, &routingv1.PublishCatalogueRequest{EffectiveAt: timestamppb.New(h.clk.Now().Add(time.Hour))})
	require.NoError(t, err)
	require.Equal(t, "v2", v2.GetVersion())
	require.Equal(t, "admin-1", v2.GetPublishedBy())
	early := newWhistle("noise")
	h.publish(t, raised(h.clk.Now(), early))
	require.Equal(t, "seed-1", h.seen.await(t, 1, "whistle.routed", early.GetId())[0].GetWhistleRouted().GetCatalogueVersion())

	h.clk.Advance(time.Hour)
	after := newWhistle("noise")
	h.publish(t, raised(h.clk.Now(), after))
	routed := h.seen.await(t, 1, "whistle.routed", after.GetId())[0].GetWhistleRouted()
	require.Equal(t, "v2", routed.GetCatalogueVersion())
	require.Equal(t, "category:noise@110101", routed.GetRule())
	require.Equal(t, "police", routed.GetDepartments()[0].GetDepartment())
	require.Len(t, routed.GetDepartments(), 2)
	req := h.seen.requests(after.GetId())[0].GetRequest()
	require.Equal(t, 20*time.Minute, req.GetArriveWithin().AsDuration())

	// The earlier whistle keeps its decision and explains it by its own version.
	street = h.as(t, auth.Identity{Subject: "st", Role: auth.RoleStreet, StreetID: "110101001", DistrictID: "110101"})
	explained, err := h.client.ExplainRouting(street, &routingv1.ExplainRoutingRequest{WhistleId: before.GetId()})
	require.NoError(t, err)
	require.Equal(t, "seed-1", explained.GetCatalogueVersion())
	require.Len(t, explained.GetDepartments(), 3)
	current, err := h.client.GetCatalogue(street, &routingv1.GetCatalogueRequest{})
	require.NoError(t, err)
	require.Equal(t, "v2", current.GetVersion())
	// The unpublished draft is for admins and supervisors only.
	_, err = h.client.GetCatalogue(street, &routingv1.GetCatalogueRequest{Version: "draft"})
	require.Equal(t, codes.PermissionDenied, status.Code(err))
	_, err = h.client.DiffCatalogue(street, &routingv1.DiffCatalogueRequest{})
	require.Equal(t, codes.PermissionDenied, status.Code(err))
}

func itoa(n int) string { return string(rune('0'+n/10)) + string(rune('0'+n%10)) }

func TestLocationIsCheckedAgainstTheMap(t *testing.T) {
	t.Parallel()
	h := start(t, options{seed: true})

	// On the boundary with Jingshan: Jingshan is informed, routing is unchanged.
	edge := newWhistle("noise")
	edge.Location = &typesv1.LatLng{Lat: 39.922 - 20/111195.0, Lng: 116.395}
	h.publish(t, raised(h.clk.Now(), edge))
	checked := h.seen.await(t, 1, "whistle.jurisdiction_checked", edge.GetId())[0].GetWhistleJurisdictionChecked()
	require.Equal(t, "near_boundary", checked.GetResult())
	require.Equal(t, []string{"110101002"}, checked.GetNeighbourStreetIds())
	require.False(t, checked.GetNeedsConfirmation())
	require.Len(t, h.seen.awaitRequests(t, 3, edge.GetId()), 3)

	// Clearly in another street: flagged for the raising street to confirm.
	outside := newWhistle("noise")
	outside.Location = &typesv1.LatLng{Lat: 39.93, Lng: 116.392}
	h.publish(t, raised(h.clk.Now(), outside))
	flagged := h.seen.await(t, 1, "whistle.jurisdiction_checked", outside.GetId())[0].GetWhistleJurisdictionChecked()
	require.Equal(t, "outside", flagged.GetResult())
	require.True(t, flagged.GetNeedsConfirmation())
	require.Equal(t, []string{"110101002"}, flagged.GetNeighbourStreetIds())

	// The raising street sees the flag on the whistle and confirms the location; once is enough.
	street := h.as(t, auth.Identity{Subject: "st", Role: auth.RoleStreet, StreetID: "110101001", DistrictID: "110101"})
	explained, err := h.client.ExplainRouting(street, &routingv1.ExplainRoutingRequest{WhistleId: outside.GetId()})
	require.NoError(t, err)
	require.True(t, explained.GetJurisdiction().GetNeedsConfirmation())
	require.Nil(t, explained.GetJurisdiction().GetConfirmedAt())
	for range 2 {
		confirmed, err := h.client.ConfirmLocation(street, &routingv1.ConfirmLocationRequest{WhistleId: outside.GetId(), Note: "地址在两街交界，由我街道负责"})
		require.NoError(t, err)
		require.Equal(t, "st", confirmed.GetJurisdiction().GetConfirmedBy())
		require.NotNil(t, confirmed.GetJurisdiction().GetConfirmedAt())
	}
	require.Equal(t, "outside", h.seen.await(t, 1, "whistle.location_confirmed", outside.GetId())[0].GetWhistleLocationConfirmed().GetResult())
	_, err = h.client.ConfirmLocation(street, &routingv1.ConfirmLocationRequest{WhistleId: edge.GetId()})
	require.Equal(t, codes.FailedPrecondition, status.Code(err), "a location on the boundary needs no confirmation")
	neighbour := h.as(t, auth.Identity{Subject: "st2", Role: auth.RoleStreet, StreetID: "110101002", DistrictID: "110101"})
	_, err = h.client.ConfirmLocation(neighbour, &routingv1.ConfirmLocationRequest{WhistleId: outside.GetId()})
	require.Equal(t, codes.NotFound, status.Code(err))

	// In no street at all: the district government takes it, and a person reviews it.
	lost := newWhistle("noise")
	lost.Location = &typesv1.LatLng{Lat: 39.0, Lng: 115.0}
	h.publish(t, raised(h.clk.Now(), lost))
	routed := h.seen.await(t, 1, "whistle.routed", lost.GetId())[0].GetWhistleRouted()
	require.Equal(t, "fallback:no_street", routed.GetRule())
	require.Len(t, routed.GetDepartments(), 1)
	require.Equal(t, "district-government", routed.GetDepartments()[0].GetDepartment())
	review := h.seen.of("whistle.jurisdiction_checked", lost.GetId())[0].GetWhistleJurisdictionChecked()
	require.Equal(t, "no_street", review.GetResult())
	require.NotEmpty(t, review.GetReviewId())
	supervisor := h.as(t, auth.Identity{Subject: "sup", Role: auth.RoleSupervisor, DistrictID: "110101"})
	queue, err := h.client.ListArbitrations(supervisor, &routingv1.ListArbitrationsRequest{})
	require.NoError(t, err)
	require.Len(t, queue.GetArbitrations(), 1)
	require.Equal(t, "location", queue.GetArbitrations()[0].GetKind())
	require.Equal(t, review.GetReviewId(), queue.GetArbitrations()[0].GetId())

	// Inside, away from any boundary: nothing to say.
	inside := newWhistle("noise")
	h.publish(t, raised(h.clk.Now(), inside))
	h.seen.await(t, 1, "whistle.routed", inside.GetId())
	require.Empty(t, h.seen.of("whistle.jurisdiction_checked", inside.GetId()))

	located, err := h.client.LocateStreet(supervisor, &routingv1.LocateStreetRequest{StreetId: "110101001", Location: &typesv1.LatLng{Lat: 39.922, Lng: 116.395}})
	require.NoError(t, err)
	require.Equal(t, "near_boundary", located.GetResult())
}

// A return re-routes only where it says where: not our remit, or a department
// routing does not know, goes to the district supervisor's arbitration.
func TestReturnWithoutAKnownDepartmentGoesToArbitration(t *testing.T) {
	t.Parallel()
	h := start(t, options{seed: true})
	for _, tc := range []struct {
		code       responsev1.Dispatch_ReturnCode
		department string
	}{
		{responsev1.Dispatch_NOT_OUR_REMIT, ""},
		{responsev1.Dispatch_NEEDS_ANOTHER_DEPARTMENT, "no-such-department"},
	} {
		w := newWhistle("street-vending")
		h.publish(t, raised(h.clk.Now(), w))
		market := byDepartment(t, h.seen.awaitRequests(t, 2, w.GetId()))["market-regulation"]
		h.publish(t, returned(h.clk.Now(), &responsev1.Dispatch{
			Id: market.GetDispatchId(), WhistleId: w.GetId(), DistrictId: "110101", Department: "market-regulation",
			SlaStartedAt: timestamppb.New(t0), ReturnReason: "不归市场监管", ReturnCode: tc.code, ReturnDepartment: tc.department,
		}))
		asked := h.seen.await(t, 1, "whistle.arbitration_requested", w.GetId())[0].GetWhistleArbitrationRequested()
		require.Equal(t, tc.code, asked.GetReturnCode())
		require.Equal(t, tc.department, asked.GetReturnDepartment())
		require.Equal(t, int32(1), asked.GetReturnCount())
		require.Empty(t, h.seen.of("whistle.rerouted", w.GetId()))
		require.Len(t, h.seen.requests(w.GetId()), 2)
	}
}

func TestStreetOrSupervisorAddsADepartment(t *testing.T) {
	t.Parallel()
	h := start(t, options{seed: true})
	w := newWhistle("street-vending")
	h.publish(t, raised(h.clk.Now(), w))
	h.seen.await(t, 1, "whistle.routed", w.GetId())

	own := h.as(t, auth.Identity{Subject: "st", Role: auth.RoleStreet, StreetID: "110101001", DistrictID: "110101"})
	neighbour := h.as(t, auth.Identity{Subject: "st2", Role: auth.RoleStreet, StreetID: "110101002", DistrictID: "110101"})
	otherSup := h.as(t, auth.Identity{Subject: "sup", Role: auth.RoleSupervisor, DistrictID: "110105"})
	desk := h.as(t, auth.Identity{Subject: "d", Role: auth.RoleDesk, DistrictID: "110101", Department: "urban-management"})

	_, err := h.client.AddDepartment(neighbour, &routingv1.AddDepartmentRequest{WhistleId: w.GetId(), Department: "police"})
	require.Equal(t, codes.NotFound, status.Code(err))
	_, err = h.client.AddDepartment(otherSup, &routingv1.AddDepartmentRequest{WhistleId: w.GetId(), Department: "police"})
	require.Equal(t, codes.NotFound, status.Code(err))
	_, err = h.client.AddDepartment(desk, &routingv1.AddDepartmentRequest{WhistleId: w.GetId(), Department: "police"})
	require.Equal(t, codes.PermissionDenied, status.Code(err))
	_, err = h.client.AddDepartment(own, &routingv1.AddDepartmentRequest{WhistleId: w.GetId(), Department: "firefighters"})
	requireField(t, err, "department")

	explained, err := h.client.AddDepartment(own, &routingv1.AddDepartmentRequest{WhistleId: w.GetId(), Department: "police", Reason: "摊贩暴力抗法"})
	require.NoError(t, err)
	require.Len(t, explained.GetDepartments(), 3)
	added := h.seen.await(t, 1, "whistle.department_added", w.GetId())[0]
	require.Equal(t, "street", added.GetActor().GetRole())
	require.Equal(t, "police", added.GetWhistleDepartmentAdded().GetDepartment().GetDepartment())
	require.Equal(t, "added", added.GetWhistleDepartmentAdded().GetDepartment().GetRole())
	all := h.seen.awaitRequests(t, 3, w.GetId())
	require.Equal(t, "manual", all[2].GetRequest().GetRule())
	require.Same(t, added, all[2].ev, "whistle.department_added carries the request")

	// Asking for the same department again does not dispatch it twice.
	sup := h.as(t, auth.Identity{Subject: "sup-dc", Role: auth.RoleSupervisor, DistrictID: "110101"})
	_, err = h.client.AddDepartment(sup, &routingv1.AddDepartmentRequest{WhistleId: w.GetId(), Department: "police"})
	require.NoError(t, err)
	_, err = h.client.AddDepartment(sup, &routingv1.AddDepartmentRequest{WhistleId: w.GetId(), Department: "environment"})
	require.NoError(t, err)
	h.seen.await(t, 2, "whistle.department_added", w.GetId())
	require.Len(t, h.seen.requests(w.GetId()), 4)

	// A cancelled whistle is not live: nobody is added to it any more.
	cancelled := events.New(h.clk.Now(), &typesv1.Actor{Role: auth.RoleStreet, Id: "st"})
	cancelled.WhistleId, cancelled.DistrictId, cancelled.StreetId = w.GetId(), w.GetDistrictId(), w.GetStreetId()
	cancelled.Payload = &eventsv1.Event_WhistleCancelled{WhistleCancelled: &eventsv1.WhistleCancelled{Reason: "已自行解决"}}
	h.publish(t, cancelled)
	require.Eventually(t, func() bool {
		_, err := h.client.AddDepartment(own, &routingv1.AddDepartmentRequest{WhistleId: w.GetId(), Department: "water"})
		return status.Code(err) == codes.FailedPrecondition
	}, 10*time.Second, 20*time.Millisecond)
}

func TestReopenedWhistleGoesBackToItsDepartments(t *testing.T) {
	t.Parallel()
	h := start(t, options{seed: true})
	w := newWhistle("street-vending")
	h.publish(t, raised(h.clk.Now(), w))
	first := byDepartment(t, h.seen.awaitRequests(t, 2, w.GetId()))

	h.clk.Advance(3 * time.Hour)
	ev := events.New(h.clk.Now(), &typesv1.Actor{Role: auth.RoleStreet, Id: "st"})
	ev.WhistleId, ev.DistrictId, ev.StreetId = w.GetId(), w.GetDistrictId(), w.GetStreetId()
	ev.Payload = &eventsv1.Event_WhistleReopened{WhistleReopened: &eventsv1.WhistleReopened{Reason: "摊贩又回来了"}}
	h.publish(t, ev)

	all := h.seen.awaitRequests(t, 4, w.GetId())
	second := byDepartment(t, all[2:])
	redispatched := h.seen.of("whistle.redispatched", w.GetId())
	require.Len(t, redispatched, 1, "one event sends the whistle back to both departments")
	require.Equal(t, "摊贩又回来了", redispatched[0].GetWhistleRedispatched().GetReason())
	require.Same(t, redispatched[0], all[2].ev)
	for dep, d := range first {
		round2 := second[dep]
		require.NotNil(t, round2, dep)
		require.NotEqual(t, d.GetDispatchId(), round2.GetDispatchId())
		require.Equal(t, "reopen:"+d.GetDispatchId(), round2.GetRequest().GetRule(), "round 2 links to round 1")
		require.Nil(t, round2.GetRequest().GetSlaStartedAt(), "round 2 has its own clocks")
	}
}
