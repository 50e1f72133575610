package app_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/proto/events"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
)

func requireCode(t *testing.T, err error, code codes.Code) *status.Status {
	t.Helper()
	require.Error(t, err)
	st, ok := status.FromError(err)
	require.True(t, ok, "not a gRPC status: %v", err)
	require.Equal(t, code, st.Code(), "error: %v", err)
	return st
}

// requireField asserts an InvalidArgument that names field.
func requireField(t *testing.T, err error, field string) {
	t.Helper()
	st := requireCode(t, err, codes.InvalidArgument)
	var fields []string
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				fields = append(fields, v.GetField())
			}
		}
	}
	require.Contains(t, fields, field)
}

func TestDeskWorksItsDispatchToResolved(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.start()
	created := e.watch(events.SubjectFor("dispatch.created"))

	d := e.createDispatch(created, e.request("d-1", "w-1", department))
	require.Equal(t, responsev1.Dispatch_PENDING, d.GetStatus())
	require.True(t, d.GetSlaStartedAt().AsTime().Equal(t0))
	require.True(t, d.GetDispatchedAt().AsTime().Equal(t0))
	require.True(t, d.GetDeadlines().GetAckBy().AsTime().Equal(t0.Add(5*time.Minute)))
	require.True(t, d.GetDeadlines().GetArriveBy().AsTime().Equal(t0.Add(30*time.Minute)))
	require.True(t, d.GetDeadlines().GetResolveBy().AsTime().Equal(t0.Add(48*time.Hour)))
	require.True(t, proto.Equal(whistleLocation, d.GetLocation()))
	require.Equal(t, "noise", d.GetCategory())
	require.Equal(t, "lead", d.GetRole())

	desk := deskOf(department, district)
	cli, ctx := e.client(a, desk)
	list, err := cli.ListDispatches(ctx, &responsev1.ListDispatchesRequest{})
	require.NoError(t, err)
	require.Len(t, list.GetDispatches(), 1)
	require.Equal(t, "d-1", list.GetDispatches()[0].GetId())

	e.clk.Advance(2 * time.Minute)
	acked, err := cli.AcknowledgeDispatch(ctx, &responsev1.AcknowledgeDispatchRequest{Id: "d-1"})
	require.NoError(t, err)
	require.Equal(t, responsev1.Dispatch_ACKNOWLEDGED, acked.GetStatus())
	require.True(t, acked.GetAcknowledgedAt().AsTime().Equal(t0.Add(2*time.Minute)))

	// Acknowledging again (a double tap, a retry) answers the same and records nothing new.
	e.clk.Advance(time.Minute)
	again, err := cli.AcknowledgeDispatch(ctx, &responsev1.AcknowledgeDispatchRequest{Id: "d-1"})
	require.NoError(t, err)
	require.True(t, proto.Equal(acked, again), "repeat acknowledge changed the dispatch:\n%v\n%v", acked, again)

	e.clk.Advance(10 * time.Minute)
	near := &typesv1.LatLng{Lat: 39.9290, Lng: 116.3886}
	arrived, err := cli.ArriveDispatch(ctx, &responsev1.ArriveDispatchRequest{Id: "d-1", Location: near})
	require.NoError(t, err)
	require.Equal(t, responsev1.Dispatch_ARRIVED, arrived.GetStatus())
	require.False(t, arrived.GetArrivalFar())
	require.Less(t, arrived.GetArrivalDistanceM(), 50.0)
	require.True(t, proto.Equal(near, arrived.GetArrivalLocation()))

	farAway := &typesv1.LatLng{Lat: 39.95, Lng: 116.42}
	arrivedAgain, err := cli.ArriveDispatch(ctx, &responsev1.ArriveDispatchRequest{Id: "d-1", Location: farAway})
	require.NoError(t, err)
	require.True(t, proto.Equal(arrived, arrivedAgain))

	resolved, err := cli.ResolveDispatch(ctx, &responsev1.ResolveDispatchRequest{Id: "d-1", Summary: "噪音源已关停"})
	require.NoError(t, err)
	require.Equal(t, responsev1.Dispatch_RESOLVED, resolved.GetStatus())
	require.Equal(t, "噪音源已关停", resolved.GetResolutionSummary())
	require.Empty(t, resolved.GetBreaches())

	// Resolved dispatches leave the default queue but can still be asked for.
	list, err = cli.ListDispatches(ctx, &responsev1.ListDispatchesRequest{})
	require.NoError(t, err)
	require.Empty(t, list.GetDispatches())
	list, err = cli.ListDispatches(ctx, &responsev1.ListDispatchesRequest{Status: responsev1.Dispatch_RESOLVED})
	require.NoError(t, err)
	require.Len(t, list.GetDispatches(), 1)

	e.settle()
	acks := e.storedFor(events.SubjectFor("dispatch.acknowledged"), "d-1")
	require.Len(t, acks, 1, "one acknowledgement, one event")
	require.Equal(t, &typesv1.Actor{Role: auth.RoleDesk, Id: desk.Subject}, acks[0].GetActor())
	require.Equal(t, department, acks[0].GetDepartment())
	require.Equal(t, district, acks[0].GetDistrictId())
	require.Equal(t, "w-1", acks[0].GetWhistleId())
	require.Equal(t, responsev1.Dispatch_ACKNOWLEDGED, acks[0].GetDispatchAcknowledged().GetDispatch().GetStatus())
	require.Len(t, e.storedFor(events.SubjectFor("dispatch.arrived"), "d-1"), 1)
	require.Len(t, e.storedFor(events.SubjectFor("dispatch.resolved"), "d-1"), 1)
	// Everything was met in time: no SLA event at all.
	require.Empty(t, e.storedFor("sla.v1.>", "d-1"))
}

func TestDispatchOutsideCallersScopeLooksUnknown(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.start()
	created := e.watch(events.SubjectFor("dispatch.created"))
	e.createDispatch(created, e.request("d-1", "w-1", department))

	for name, id := range map[string]auth.Identity{
		"desk of another department": deskOf("water", district),
		"desk of another district":   deskOf(department, "110102"),
		"supervisor of another":      {Subject: "sup-2", Role: auth.RoleSupervisor, DistrictID: "110102"},
	} {
		t.Run(name, func(t *testing.T) {
			cli, ctx := e.client(a, id)
			_, err := cli.GetDispatch(ctx, &responsev1.GetDispatchRequest{Id: "d-1"})
			requireCode(t, err, codes.NotFound)
			list, err := cli.ListDispatches(ctx, &responsev1.ListDispatchesRequest{})
			require.NoError(t, err)
			require.Empty(t, list.GetDispatches())
			if id.Role == auth.RoleDesk {
				_, err = cli.AcknowledgeDispatch(ctx, &responsev1.AcknowledgeDispatchRequest{Id: "d-1"})
				requireCode(t, err, codes.NotFound)
				_, err = cli.ReturnDispatch(ctx, &responsev1.ReturnDispatchRequest{Id: "d-1", Reason: "not ours", ReasonCode: responsev1.Dispatch_NOT_OUR_REMIT})
				requireCode(t, err, codes.NotFound)
			}
		})
	}

	t.Run("unknown id", func(t *testing.T) {
		cli, ctx := e.client(a, deskOf(department, district))
		_, err := cli.GetDispatch(ctx, &responsev1.GetDispatchRequest{Id: "nope"})
		requireCode(t, err, codes.NotFound)
		_, err = cli.AcknowledgeDispatch(ctx, &responsev1.AcknowledgeDispatchRequest{Id: "nope"})
		requireCode(t, err, codes.NotFound)
	})

	t.Run("street and admin have no business here", func(t *testing.T) {
		for _, id := range []auth.Identity{
			{Subject: "st", Role: auth.RoleStreet, StreetID: street, DistrictID: district},
			{Subject: "adm", Role: auth.RoleAdmin},
		} {
			cli, ctx := e.client(a, id)
			_, err := cli.ListDispatches(ctx, &responsev1.ListDispatchesRequest{})
			requireCode(t, err, codes.PermissionDenied)
			_, err = cli.AcknowledgeDispatch(ctx, &responsev1.AcknowledgeDispatchRequest{Id: "d-1"})
			requireCode(t, err, codes.PermissionDenied)
		}
	})

	t.Run("supervisors read but do not act", func(t *testing.T) {
		for _, id := range []auth.Identity{
			{Subject: "sup-1", Role: auth.RoleSupervisor, DistrictID: district},
			{Subject: "city", Role: auth.RoleSupervisor},
		} {
			cli, ctx := e.client(a, id)
			got, err := cli.GetDispatch(ctx, &responsev1.GetDispatchRequest{Id: "d-1"})
			require.NoError(t, err)
			require.Equal(t, "d-1", got.GetId())
			list, err := cli.ListDispatches(ctx, &responsev1.ListDispatchesRequest{})
			require.NoError(t, err)
			require.Len(t, list.GetDispatches(), 1)
			_, err = cli.AcknowledgeDispatch(ctx, &responsev1.AcknowledgeDispatchRequest{Id: "d-1"})
			requireCode(t, err, codes.PermissionDenied)
		}
	})

	e.settle()
	require.Empty(t, e.storedFor("dispatch.v1.acknowledged.>", "d-1"))
	require.Empty(t, e.storedFor("dispatch.v1.returned.>", "d-1"))
}

func TestIllegalMovesAreRejectedClearly(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.start()
	created := e.watch(events.SubjectFor("dispatch.created"))
	e.createDispatch(created, e.request("d-ret", "w-1", department))
	e.createDispatch(created, e.request("d-new", "w-2", department))
	cli, ctx := e.client(a, deskOf(department, district))

	_, err := cli.ReturnDispatch(ctx, &responsev1.ReturnDispatchRequest{Id: "d-ret"})
	requireField(t, err, "reason")
	requireField(t, err, "reason_code")
	_, err = cli.ReturnDispatch(ctx, &responsev1.ReturnDispatchRequest{Id: "d-ret", Reason: "   "})
	requireField(t, err, "reason")
	_, err = cli.ReturnDispatch(ctx, &responsev1.ReturnDispatchRequest{Id: "d-ret", Reason: "不属于公安职责"})
	requireField(t, err, "reason_code")
	_, err = cli.ReturnDispatch(ctx, &responsev1.ReturnDispatchRequest{Id: "d-ret", Reason: "x", ReasonCode: 99})
	requireField(t, err, "reason_code")
	_, err = cli.ReturnDispatch(ctx, &responsev1.ReturnDispatchRequest{Id: "d-ret", Reason: "x", ReasonCode: responsev1.Dispatch_DUPLICATE, Department: "housing"})
	requireField(t, err, "department")

	ret := &responsev1.ReturnDispatchRequest{Id: "d-ret", Reason: "违建属住建", ReasonCode: responsev1.Dispatch_NEEDS_ANOTHER_DEPARTMENT, Department: "housing"}
	returned, err := cli.ReturnDispatch(ctx, ret)
	require.NoError(t, err)
	require.Equal(t, responsev1.Dispatch_RETURNED, returned.GetStatus())
	require.Equal(t, "违建属住建", returned.GetReturnReason())
	require.Equal(t, responsev1.Dispatch_NEEDS_ANOTHER_DEPARTMENT, returned.GetReturnCode())
	require.Equal(t, "housing", returned.GetReturnDepartment())
	again, err := cli.ReturnDispatch(ctx, ret)
	require.NoError(t, err)
	require.True(t, proto.Equal(returned, again))

	_, err = cli.AcknowledgeDispatch(ctx, &responsev1.AcknowledgeDispatchRequest{Id: "d-ret"})
	st := requireCode(t, err, codes.FailedPrecondition)
	require.Equal(t, "dispatch is RETURNED; it cannot be acknowledged", st.Message())

	_, err = cli.ArriveDispatch(ctx, &responsev1.ArriveDispatchRequest{Id: "d-new", Location: whistleLocation})
	st = requireCode(t, err, codes.FailedPrecondition)
	require.Contains(t, st.Message(), "acknowledge first")
	_, err = cli.ArriveDispatch(ctx, &responsev1.ArriveDispatchRequest{Id: "d-new", Location: &typesv1.LatLng{Lat: 91, Lng: 116}})
	requireField(t, err, "location.lat")

	_, err = cli.AcknowledgeDispatch(ctx, &responsev1.AcknowledgeDispatchRequest{Id: "d-new"})
	require.NoError(t, err)
	// Far from the whistle: accepted, but flagged.
	arrived, err := cli.ArriveDispatch(ctx, &responsev1.ArriveDispatchRequest{Id: "d-new", Location: &typesv1.LatLng{Lat: 39.95, Lng: 116.42}})
	require.NoError(t, err)
	require.True(t, arrived.GetArrivalFar())
	require.Greater(t, arrived.GetArrivalDistanceM(), 3000.0)
	_, err = cli.ReturnDispatch(ctx, &responsev1.ReturnDispatchRequest{Id: "d-new", Reason: "late", ReasonCode: responsev1.Dispatch_NOT_OUR_REMIT})
	requireCode(t, err, codes.FailedPrecondition)

	e.settle()
	require.Len(t, e.storedFor("dispatch.v1.returned.>", "d-ret"), 1)
	require.Empty(t, e.storedFor("dispatch.v1.returned.>", "d-new"))
}

func TestQueueShowsSoonestDeadlineFirst(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.start()
	created := e.watch(events.SubjectFor("dispatch.created"))
	e.createDispatch(created, e.request("d-a", "w-a", department)) // ack by 09:05
	e.clk.Advance(time.Minute)
	e.createDispatch(created, e.request("d-b", "w-b", department)) // ack by 09:06
	e.clk.Advance(time.Minute)
	e.createDispatch(created, e.request("d-c", "w-c", department)) // ack by 09:07
	e.createDispatch(created, e.request("d-x", "w-x", "water"))    // another desk's
	cli, ctx := e.client(a, deskOf(department, district))

	// Acknowledged, d-a's next deadline is arrival at 09:30: it moves last.
	_, err := cli.AcknowledgeDispatch(ctx, &responsev1.AcknowledgeDispatchRequest{Id: "d-a"})
	require.NoError(t, err)

	var ids []string
	token := ""
	for range 5 {
		page, err := cli.ListDispatches(ctx, &responsev1.ListDispatchesRequest{PageSize: 2, PageToken: token})
		require.NoError(t, err)
		for _, d := range page.GetDispatches() {
			ids = append(ids, d.GetId())
		}
		token = page.GetNextPageToken()
		if token == "" {
			break
		}
	}
	require.Equal(t, []string{"d-b", "d-c", "d-a"}, ids)

	page, err := cli.ListDispatches(ctx, &responsev1.ListDispatchesRequest{Status: responsev1.Dispatch_PENDING, WhistleId: "w-c"})
	require.NoError(t, err)
	require.Len(t, page.GetDispatches(), 1)
	require.Equal(t, "d-c", page.GetDispatches()[0].GetId())

	_, err = cli.ListDispatches(ctx, &responsev1.ListDispatchesRequest{PageToken: "garbage!"})
	requireField(t, err, "page_token")
	_, err = cli.ListDispatches(ctx, &responsev1.ListDispatchesRequest{Status: 99})
	requireField(t, err, "status")
}
