// Tests of the dispatch clocks seen from the service: breaches fire exactly
// once, in time, across instances and restarts; requests and cancellations
// from routing apply once.
package app_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
)

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
