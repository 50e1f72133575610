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
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
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

// isBreach matches sla.breached of dispatch id on clock.
func isBreach(id, clock string) func(*eventsv1.Event) bool {
	return func(ev *eventsv1.Event) bool {
		return ev.GetDispatchId() == id && ev.GetSlaBreached().GetClock() == clock
	}
}

// collect returns done once every wanted event has been seen.
func collect(wanted ...func(*eventsv1.Event) bool) func(*eventsv1.Event) bool {
	seen := make([]bool, len(wanted))
	return func(ev *eventsv1.Event) bool {
		all := true
		for i, w := range wanted {
			seen[i] = seen[i] || w(ev)
			all = all && seen[i]
		}
		return all
	}
}

func countByClock(evs []*eventsv1.Event) map[string]int {
	out := map[string]int{}
	for _, ev := range evs {
		switch p := ev.GetPayload().(type) {
		case *eventsv1.Event_SlaBreached:
			out["breached:"+p.SlaBreached.GetClock()]++
		case *eventsv1.Event_SlaWarning:
			out["warning:"+p.SlaWarning.GetClock()]++
		}
	}
	return out
}

func TestMissedArrivalBreachesExactlyOnceAcrossInstances(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.start()
	e.start() // a second replica on the same database and stream, racing for the timers
	created := e.watch(events.SubjectFor("dispatch.created"))
	sla := e.watch("sla.v1.>")

	const ndispatches = 5
	var ids []string
	var wanted []func(*eventsv1.Event) bool
	for i := range ndispatches {
		id := "d-" + string(rune('a'+i))
		e.createDispatch(created, e.request(id, "w-"+id, department))
		ids = append(ids, id)
		wanted = append(wanted, isBreach(id, "ack"), isBreach(id, "arrive"))
	}

	// Nobody acknowledges; the arrival deadline at 09:30 passes. Stay short of
	// 09:35, when the ack clock's ladder climbs to 督办 (5 min + 30 min).
	e.advanceUntil(t0.Add(34*time.Minute), 30*time.Second, sla, collect(wanted...))
	e.settle()

	breaches := e.stored("sla.v1.breached.>")
	require.Len(t, breaches, 2*ndispatches, "one ack and one arrive breach per dispatch, no more")
	cli, ctx := e.client(a, deskOf(department, district))
	for _, id := range ids {
		evs := e.storedFor("sla.v1.>", id)
		require.Equal(t, map[string]int{"warning:ack": 1, "breached:ack": 1, "warning:arrive": 1, "breached:arrive": 1}, countByClock(evs), id)
		for _, ev := range evs {
			require.Equal(t, "w-"+id, ev.GetWhistleId())
			require.Equal(t, district, ev.GetDistrictId())
			require.Equal(t, street, ev.GetStreetId())
			require.Equal(t, department, ev.GetDepartment())
			require.Equal(t, &typesv1.Actor{Role: "system", Id: "response"}, ev.GetActor())
			if b := ev.GetSlaBreached(); b != nil {
				require.EqualValues(t, 1, b.GetEscalationLevel())
				want := map[string]time.Duration{"ack": 5 * time.Minute, "arrive": 30 * time.Minute}[b.GetClock()]
				require.True(t, b.GetDueAt().AsTime().Equal(t0.Add(want)), "due_at %s", b.GetDueAt().AsTime())
			}
		}
		d, err := cli.GetDispatch(ctx, &responsev1.GetDispatchRequest{Id: id})
		require.NoError(t, err)
		require.Equal(t, []string{"ack", "arrive"}, d.GetBreaches())
		require.Equal(t, responsev1.Dispatch_PENDING, d.GetStatus())
	}
}

func TestArrivingInTimeMeansNoArrivalBreach(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.start()
	e.start()
	created := e.watch(events.SubjectFor("dispatch.created"))
	sla := e.watch("sla.v1.>")
	e.createDispatch(created, e.request("d-met", "w-met", department))
	e.createDispatch(created, e.request("d-late", "w-late", department)) // the control: nobody comes
	cli, ctx := e.client(a, deskOf(department, district))

	e.clk.Advance(2 * time.Minute)
	_, err := cli.AcknowledgeDispatch(ctx, &responsev1.AcknowledgeDispatchRequest{Id: "d-met"})
	require.NoError(t, err)
	e.clk.Advance(18 * time.Minute)
	_, err = cli.ArriveDispatch(ctx, &responsev1.ArriveDispatchRequest{Id: "d-met", Location: whistleLocation})
	require.NoError(t, err)

	// The control's arrival breach shows the pollers ran past the deadline.
	e.advanceUntil(t0.Add(35*time.Minute), 30*time.Second, sla, isBreach("d-late", "arrive"))
	e.settle()

	require.Empty(t, e.storedFor("sla.v1.>", "d-met"))
	require.Equal(t, map[string]int{"warning:ack": 1, "breached:ack": 1, "warning:arrive": 1, "breached:arrive": 1},
		countByClock(e.storedFor("sla.v1.>", "d-late")))
	d, err := cli.GetDispatch(ctx, &responsev1.GetDispatchRequest{Id: "d-met"})
	require.NoError(t, err)
	require.Empty(t, d.GetBreaches())
}

func TestRedispatchInheritsTheClockAndFiresWhatIsAlreadyDue(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.start()
	created := e.watch(events.SubjectFor("dispatch.created"))
	sla := e.watch("sla.v1.>")

	// Returned by another department 26 minutes into the clocks.
	start := t0.Add(-26 * time.Minute)
	d := e.createDispatch(created, inheritedStart(e.request("d-2", "w-1", "district-government"), start))
	require.True(t, d.GetSlaStartedAt().AsTime().Equal(start))
	require.True(t, d.GetDispatchedAt().AsTime().Equal(t0))
	require.True(t, d.GetDeadlines().GetArriveBy().AsTime().Equal(t0.Add(4*time.Minute)))

	// The ack deadline passed before the dispatch existed: it fires without
	// the clock moving, woken by the new timer's notification.
	e.next(sla, isBreach("d-2", "ack"))
	e.advanceUntil(t0.Add(10*time.Minute), 30*time.Second, sla, isBreach("d-2", "arrive"))
	e.settle()
	// Warnings already past at creation are not sent late.
	require.Equal(t, map[string]int{"breached:ack": 1, "breached:arrive": 1}, countByClock(e.storedFor("sla.v1.>", "d-2")))
}

func TestSameRequestTwiceCreatesOneDispatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.start()
	created := e.watch(events.SubjectFor("dispatch.created"))
	first := e.request("d-1", "w-1", department)
	e.createDispatch(created, first)

	// Routing retried: same dispatch id, new event id (so JetStream and the
	// processed-events table both let it through).
	second := e.request("d-1", "w-1", department)
	asked(second).GetRequest().Category = "garbage"
	require.NotEqual(t, first.GetId(), second.GetId())
	e.publish(second)
	e.publish(first) // and a plain redelivery
	e.settle()

	require.Len(t, e.storedFor(events.SubjectFor("dispatch.created"), "d-1"), 1)
	cli, ctx := e.client(a, deskOf(department, district))
	list, err := cli.ListDispatches(ctx, &responsev1.ListDispatchesRequest{WhistleId: "w-1"})
	require.NoError(t, err)
	require.Len(t, list.GetDispatches(), 1)
	require.Equal(t, "noise", list.GetDispatches()[0].GetCategory())
}

func TestCancelledWhistleCancelsItsDispatches(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.start()
	created := e.watch(events.SubjectFor("dispatch.created"))
	cancelled := e.watch(events.SubjectFor("dispatch.cancelled"))
	sla := e.watch("sla.v1.>")
	e.createDispatch(created, e.request("d-1", "w-1", department))
	e.createDispatch(created, e.request("d-2", "w-1", "urban-management"))
	e.createDispatch(created, e.request("d-other", "w-2", department))
	cli, ctx := e.client(a, deskOf(department, district))
	_, err := cli.AcknowledgeDispatch(ctx, &responsev1.AcknowledgeDispatchRequest{Id: "d-1"})
	require.NoError(t, err)

	ev := events.New(e.clk.Now(), &typesv1.Actor{Role: auth.RoleStreet, Id: "street-user"})
	ev.WhistleId, ev.DistrictId, ev.StreetId = "w-1", district, street
	ev.Payload = &eventsv1.Event_WhistleCancelled{WhistleCancelled: &eventsv1.WhistleCancelled{Reason: "resolved by itself"}}
	e.publish(ev)
	got := e.next(cancelled, ofDispatch("d-1"))
	require.Equal(t, responsev1.Dispatch_CANCELLED, got.GetDispatchCancelled().GetDispatch().GetStatus())
	e.next(cancelled, ofDispatch("d-2"))

	d, err := cli.GetDispatch(ctx, &responsev1.GetDispatchRequest{Id: "d-1"})
	require.NoError(t, err)
	require.Equal(t, responsev1.Dispatch_CANCELLED, d.GetStatus())
	_, err = cli.ArriveDispatch(ctx, &responsev1.ArriveDispatchRequest{Id: "d-1", Location: whistleLocation})
	requireCode(t, err, codes.FailedPrecondition)

	// A request for the cancelled whistle that arrives late starts nothing.
	e.publish(e.request("d-3", "w-1", "environment"))

	e.advanceUntil(t0.Add(35*time.Minute), 30*time.Second, sla, isBreach("d-other", "arrive"))
	e.settle()
	for _, id := range []string{"d-1", "d-2", "d-3"} {
		require.Empty(t, e.storedFor("sla.v1.>", id), id)
	}
	require.Empty(t, e.storedFor(events.SubjectFor("dispatch.created"), "d-3"))
	sup, sctx := e.client(a, auth.Identity{Subject: "city", Role: auth.RoleSupervisor})
	_, err = sup.GetDispatch(sctx, &responsev1.GetDispatchRequest{Id: "d-3"})
	requireCode(t, err, codes.NotFound)
}

func TestDeadlinePassedWhileDownFiresOnceAfterRestart(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, stop := e.startStoppable()
	created := e.watch(events.SubjectFor("dispatch.created"))
	sla := e.watch("sla.v1.>")
	e.createDispatch(created, e.request("d-1", "w-1", department))
	e.settle()
	stop()

	// The service is down as both deadlines pass.
	e.clk.Advance(31 * time.Minute)
	e.start()
	e.start()
	e.advanceUntil(t0.Add(35*time.Minute), 30*time.Second, sla, collect(isBreach("d-1", "ack"), isBreach("d-1", "arrive")))
	e.settle()
	require.Equal(t, map[string]int{"warning:ack": 1, "breached:ack": 1, "warning:arrive": 1, "breached:arrive": 1},
		countByClock(e.storedFor("sla.v1.>", "d-1")))
}

func TestAPoisonRequestIsDroppedAloneAndTheRestOfItsBatchCommits(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	created := e.watch(events.SubjectFor("dispatch.created"))
	poison := e.request("", "w-2", department)     // names no dispatch: can never be handled
	e.publish(e.request("d-1", "w-1", department)) // published before the service starts,
	e.publish(poison)                              // so the three come in one batch
	e.publish(e.request("d-2", "w-3", department))
	a := e.start()
	e.next(created, ofDispatch("d-1"))
	e.next(created, ofDispatch("d-2"))
	e.settle()

	cli, ctx := e.client(a, deskOf(department, district))
	for _, id := range []string{"d-1", "d-2"} {
		d, err := cli.GetDispatch(ctx, &responsev1.GetDispatchRequest{Id: id})
		require.NoError(t, err, id)
		require.Equal(t, responsev1.Dispatch_PENDING, d.GetStatus())
	}
	require.Len(t, e.stored(events.SubjectFor("dispatch.created")), 2, "the poison event made nothing")
}
