package app_test

import (
	"encoding/csv"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/google/go-cmp/cmp"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	feedbackv1 "github.com/chuishao/whistle/proto/gen/whistle/feedback/v1"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
)

// mins is a duration of m minutes and s seconds; 0 means "never happened".
func mins(m, s int) time.Duration { return time.Duration(m)*time.Minute + time.Duration(s)*time.Second }

// breach is an SLA event on a clock at an escalation level; it fires at the
// clock's deadline plus level-1 hours (the ladder's later steps).
type breach struct {
	clock string
	level int32
}

// scenarioDispatch is one dispatch of the report scenario. Offsets count
// from the SLA start; zero means the step never happened.
type scenarioDispatch struct {
	id, whistle, department, district string
	start                             time.Time
	dispatched                        time.Duration // after start (a re-dispatch inherits the start)
	ack, arrive, resolve, ret         time.Duration
	cancelled                         bool
	breaches                          []breach
}

const (
	ackWithin     = 5 * time.Minute
	arriveWithin  = 30 * time.Minute
	resolveWithin = 72 * time.Hour
)

// timedEvent is an event and when it happens, to publish in time order.
type timedEvent struct {
	at time.Time
	ev *eventsv1.Event
}

func (d scenarioDispatch) deadline(clock string) time.Time {
	switch clock {
	case "ack":
		return d.start.Add(ackWithin)
	case "arrive":
		return d.start.Add(arriveWithin)
	}
	return d.start.Add(resolveWithin)
}

// snapshot is the dispatch as the response service reports it at time at.
func (d scenarioDispatch) snapshot(at time.Time) *responsev1.Dispatch {
	p := &responsev1.Dispatch{
		Id: d.id, WhistleId: d.whistle, DistrictId: d.district, StreetId: donghuamen, Category: "noise",
		Department: d.department, Role: "lead", Status: responsev1.Dispatch_PENDING,
		DispatchedAt: timestamppb.New(d.start.Add(d.dispatched)), SlaStartedAt: timestamppb.New(d.start),
		Deadlines: &responsev1.Deadlines{
			AckBy: timestamppb.New(d.deadline("ack")), ArriveBy: timestamppb.New(d.deadline("arrive")),
			ResolveBy: timestamppb.New(d.deadline("resolve")),
		},
		UpdatedAt: timestamppb.New(at),
	}
	step := func(off time.Duration, st responsev1.Dispatch_Status) *timestamppb.Timestamp {
		if off == 0 || d.start.Add(off).After(at) {
			return nil
		}
		p.Status = st
		return timestamppb.New(d.start.Add(off))
	}
	p.AcknowledgedAt = step(d.ack, responsev1.Dispatch_ACKNOWLEDGED)
	p.ArrivedAt = step(d.arrive, responsev1.Dispatch_ARRIVED)
	p.ResolvedAt = step(d.resolve, responsev1.Dispatch_RESOLVED)
	p.ReturnedAt = step(d.ret, responsev1.Dispatch_RETURNED)
	if d.cancelled && !d.start.Add(10*time.Minute).After(at) {
		p.Status = responsev1.Dispatch_CANCELLED
	}
	for _, b := range d.breaches {
		if !d.deadline(b.clock).After(at) {
			p.Breaches = append(p.Breaches, b.clock)
		}
	}
	return p
}

// events are the dispatch.* and sla.* events of d.
func (d scenarioDispatch) events() []timedEvent {
	var out []timedEvent
	add := func(at time.Time, set func(ev *eventsv1.Event, snap *responsev1.Dispatch)) {
		ev := events.New(at, system("response"))
		ev.WhistleId, ev.DistrictId, ev.StreetId, ev.DispatchId, ev.Department = d.whistle, d.district, donghuamen, d.id, d.department
		set(ev, d.snapshot(at))
		out = append(out, timedEvent{at: at, ev: ev})
	}
	add(d.start.Add(d.dispatched), func(ev *eventsv1.Event, s *responsev1.Dispatch) {
		ev.Payload = &eventsv1.Event_DispatchCreated{DispatchCreated: &eventsv1.DispatchCreated{Dispatch: s}}
	})
	if d.ack != 0 {
		add(d.start.Add(d.ack), func(ev *eventsv1.Event, s *responsev1.Dispatch) {
			ev.Payload = &eventsv1.Event_DispatchAcknowledged{DispatchAcknowledged: &eventsv1.DispatchAcknowledged{Dispatch: s}}
		})
	}
	if d.arrive != 0 {
		add(d.start.Add(d.arrive), func(ev *eventsv1.Event, s *responsev1.Dispatch) {
			ev.Payload = &eventsv1.Event_DispatchArrived{DispatchArrived: &eventsv1.DispatchArrived{Dispatch: s}}
		})
	}
	if d.resolve != 0 {
		add(d.start.Add(d.resolve), func(ev *eventsv1.Event, s *responsev1.Dispatch) {
			ev.Payload = &eventsv1.Event_DispatchResolved{DispatchResolved: &eventsv1.DispatchResolved{Dispatch: s}}
		})
	}
	if d.ret != 0 {
		add(d.start.Add(d.ret), func(ev *eventsv1.Event, s *responsev1.Dispatch) {
			ev.Payload = &eventsv1.Event_DispatchReturned{DispatchReturned: &eventsv1.DispatchReturned{Dispatch: s}}
		})
	}
	if d.cancelled {
		add(d.start.Add(10*time.Minute), func(ev *eventsv1.Event, s *responsev1.Dispatch) {
			ev.Payload = &eventsv1.Event_DispatchCancelled{DispatchCancelled: &eventsv1.DispatchCancelled{Dispatch: s}}
		})
	}
	for _, b := range d.breaches {
		due := d.deadline(b.clock)
		add(due.Add(time.Duration(b.level-1)*time.Hour), func(ev *eventsv1.Event, s *responsev1.Dispatch) {
			ev.Payload = &eventsv1.Event_SlaBreached{SlaBreached: &eventsv1.SlaBreached{
				Clock: b.clock, DueAt: timestamppb.New(due), EscalationLevel: b.level, Dispatch: s,
			}}
		})
	}
	return out
}

// whistleEvent is a whistle.* event of whistle id at time at.
func whistleEvent(id string, at time.Time, set func(ev *eventsv1.Event)) timedEvent {
	ev := events.New(at, system("intake"))
	ev.WhistleId, ev.DistrictId, ev.StreetId = id, dongcheng, donghuamen
	set(ev)
	return timedEvent{at: at, ev: ev}
}

func closed(id string, at time.Time, satisfaction int32) timedEvent {
	return whistleEvent(id, at, func(ev *eventsv1.Event) {
		ev.Payload = &eventsv1.Event_WhistleClosed{WhistleClosed: &eventsv1.WhistleClosed{Satisfaction: satisfaction}}
	})
}

var (
	police   = "police"
	urban    = "urban-management"
	environ  = "environment"
	fallback = "district-government"
	may      = time.Date(2026, 5, 1, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))
	june     = may.AddDate(0, 1, 0)
)

// reportScenario is 21 dispatches with known times (see the expected
// numbers in TestSlaReportScenario for the hand computation).
func reportScenario() (dispatches []scenarioDispatch, whistles []timedEvent) {
	at := func(day, hour int) time.Time { return time.Date(2026, 5, day, hour, 0, 0, 0, may.Location()) }
	d := func(id, whistle, dept string, start time.Time) scenarioDispatch {
		return scenarioDispatch{id: id, whistle: whistle, department: dept, district: dongcheng, start: start}
	}
	h := time.Hour
	var ds []scenarioDispatch
	add := func(x scenarioDispatch) { ds = append(ds, x) }

	// Outside the report: dispatched a minute before the period, and in another district.
	p0 := d("p0", "w0", police, may.Add(-time.Minute))
	p0.ack, p0.arrive, p0.resolve = mins(1, 0), mins(10, 0), 2*h
	add(p0)
	x1 := d("x1", "wx", police, at(12, 9))
	x1.district = xicheng
	x1.ack = mins(1, 0)
	add(x1)

	// Police.
	p1 := d("p1", "w1", police, at(11, 9)) // arrives at exactly 30:00: on time
	p1.ack, p1.arrive, p1.resolve = mins(2, 0), mins(30, 0), 2*h
	add(p1)
	p2 := d("p2", "w2", police, at(11, 10)) // acks at exactly 5:00, arrives at 30:01: breach
	p2.ack, p2.arrive, p2.resolve = mins(5, 0), mins(30, 1), 3*h
	p2.breaches = []breach{{"arrive", 1}}
	add(p2)
	p3 := d("p3", "w3", police, at(11, 11)) // acks late
	p3.ack, p3.arrive, p3.resolve = mins(6, 0), mins(20, 0), h
	p3.breaches = []breach{{"ack", 1}}
	add(p3)
	p4 := d("p4", "w4", police, at(11, 12)) // resolves after 80 h, escalated to 督办; never rated
	p4.ack, p4.arrive, p4.resolve = mins(1, 0), mins(10, 0), 80*h
	p4.breaches = []breach{{"resolve", 1}, {"resolve", 2}}
	add(p4)
	p5 := d("p5", "w5", police, at(11, 13)) // returned after acking; routing accepts
	p5.ack, p5.ret = mins(3, 0), mins(4, 0)
	add(p5)
	p6 := d("p6", "w6", police, at(11, 14)) // never acts: ack breach, arrival climbs to 挂牌督办
	p6.breaches = []breach{{"ack", 1}, {"arrive", 1}, {"arrive", 2}, {"arrive", 3}}
	add(p6)
	p7 := d("p7", "w7", police, at(11, 15)) // resolved, then the street reopens ("not fixed")
	p7.ack, p7.arrive, p7.resolve = mins(4, 0), mins(25, 0), 2*h
	add(p7)
	p8 := d("p8", "w7", police, at(12, 9)) // round 2 of w7
	p8.ack, p8.arrive, p8.resolve = mins(1, 0), mins(15, 0), h
	add(p8)
	p9 := d("p9", "w9", police, at(11, 16)) // cancelled with its whistle: not counted
	p9.ack, p9.cancelled = mins(1, 0), true
	add(p9)
	p10 := d("p10", "w10", police, at(11, 17)) // arrives late; the appeal is accepted
	p10.ack, p10.arrive, p10.resolve = mins(2, 0), mins(45, 0), 5*h
	p10.breaches = []breach{{"arrive", 1}}
	add(p10)

	// Urban management.
	u1 := d("u1", "w1", urban, at(11, 9))
	u1.ack, u1.arrive, u1.resolve = mins(1, 0), mins(12, 0), h
	add(u1)
	u2 := d("u2", "w2", urban, at(11, 10)) // returned after acking; arbitration gives it back
	u2.ack, u2.ret = mins(4, 0), mins(10, 0)
	add(u2)
	u3 := d("u3", "w3", urban, at(11, 11)) // acks at 5:01 (breach), arrives at exactly 30:00
	u3.ack, u3.arrive, u3.resolve = mins(5, 1), mins(30, 0), 2*h
	u3.breaches = []breach{{"ack", 1}}
	add(u3)
	u4 := d("u4", "w4", urban, at(11, 12)) // returned at 2:00 without acking (a response); arbitration accepts
	u4.ret = mins(2, 0)
	add(u4)
	u5 := d("u5", "w11", urban, at(11, 18)) // arrives late; the appeal is rejected; never rated
	u5.ack, u5.arrive, u5.resolve = mins(2, 0), mins(31, 0), 24*h
	u5.breaches = []breach{{"arrive", 1}}
	add(u5)

	// Environment.
	e1 := d("e1", "w1", environ, at(11, 9))
	e1.ack, e1.arrive, e1.resolve = mins(3, 0), mins(20, 0), 10*h
	add(e1)
	e2 := d("e2", "w12", environ, at(11, 19)) // not resolved yet
	e2.ack, e2.arrive = mins(2, 0), mins(28, 0)
	add(e2)

	// 兜底: p5's re-dispatch inherits its SLA start (4 minutes earlier).
	d1 := d("d1", "w5", fallback, p5.start)
	d1.dispatched, d1.ack, d1.arrive, d1.resolve = mins(4, 0), mins(10, 0), mins(29, 0), 3*h
	d1.breaches = []breach{{"ack", 1}}
	add(d1)

	ws := []timedEvent{
		closed("w1", at(12, 0), 5),
		closed("w2", at(12, 1), 4),
		closed("w3", at(12, 2), 2),
		whistleEvent("w5", p5.start.Add(mins(4, 0)).Add(time.Second), func(ev *eventsv1.Event) {
			ev.Payload = &eventsv1.Event_WhistleRerouted{WhistleRerouted: &eventsv1.WhistleRerouted{
				ReturnedDispatchId: "p5", FromDepartment: police,
				To: &eventsv1.RoutedDepartment{Department: fallback, Role: "lead", DispatchId: "d1"}, Reason: "not our remit",
			}}
		}),
		// u4's return goes to arbitration (审定), which gives the whistle to
		// the district government: accepted.
		whistleEvent("w4", u4.start.Add(mins(2, 0)).Add(time.Second), func(ev *eventsv1.Event) {
			ev.Payload = &eventsv1.Event_WhistleArbitrationRequested{WhistleArbitrationRequested: &eventsv1.WhistleArbitrationRequested{
				ArbitrationId: "arb-u4", ReturnedDispatchId: "u4", FromDepartment: urban, ReasonCode: "wrong_location", ReturnCount: 1,
			}}
		}),
		whistleEvent("w4", u4.start.Add(mins(3, 0)), func(ev *eventsv1.Event) {
			ev.Payload = &eventsv1.Event_WhistleArbitrated{WhistleArbitrated: &eventsv1.WhistleArbitrated{
				ArbitrationId: "arb-u4", To: &eventsv1.RoutedDepartment{Department: fallback, Role: "arbitrated", DispatchId: "d-unused"},
			}}
		}),
		// u2's arbitration sends it back to urban management: not accepted.
		whistleEvent("w2", u2.start.Add(mins(10, 1)), func(ev *eventsv1.Event) {
			ev.Payload = &eventsv1.Event_WhistleArbitrationRequested{WhistleArbitrationRequested: &eventsv1.WhistleArbitrationRequested{
				ArbitrationId: "arb-u2", ReturnedDispatchId: "u2", FromDepartment: urban, ReasonCode: "not_our_remit", ReturnCount: 2,
			}}
		}),
		whistleEvent("w2", u2.start.Add(mins(15, 0)), func(ev *eventsv1.Event) {
			ev.Payload = &eventsv1.Event_WhistleArbitrated{WhistleArbitrated: &eventsv1.WhistleArbitrated{
				ArbitrationId: "arb-u2", To: &eventsv1.RoutedDepartment{Department: urban, Role: "arbitrated", DispatchId: "u2-again"},
			}}
		}),
		closed("w5", at(12, 3), 5),
		whistleEvent("w7", at(11, 20), func(ev *eventsv1.Event) {
			ev.Payload = &eventsv1.Event_WhistleReopened{WhistleReopened: &eventsv1.WhistleReopened{Reason: "still noisy"}}
		}),
		closed("w7", at(12, 12), 4),
		closed("w10", at(12, 4), 3),
		closed("w0", may.Add(3*h), 1),
	}
	return ds, ws
}

// publishScenario publishes every event in time order and waits until the
// consumer has handled the last one.
func (h *harness) publishScenario(ds []scenarioDispatch, ws []timedEvent) {
	h.t.Helper()
	all := append([]timedEvent(nil), ws...)
	for _, d := range ds {
		all = append(all, d.events()...)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].at.Before(all[j].at) })
	for _, te := range all {
		h.publish(te.ev, te.ev.GetId())
	}
	// The consumer handles the stream in order: once the sentinel is in its
	// timeline, everything before it is in the read model.
	sentinel := whistleEvent("w-sentinel", june, func(ev *eventsv1.Event) {
		ev.Payload = &eventsv1.Event_WhistleRaised{WhistleRaised: &eventsv1.WhistleRaised{Whistle: &intakev1.Whistle{Id: "w-sentinel", DistrictId: dongcheng, StreetId: donghuamen}}}
	})
	h.publish(sentinel.ev, sentinel.ev.GetId())
	h.waitForTimeline("w-sentinel", 1)
}

func line(dept string, dispatched, acked, arrived, resolvedOnTime, returned, accepted, breaches, excused, resolved, reopened, rated, satisfied, notRated int64, rates [4]float64) *feedbackv1.DepartmentSla {
	return &feedbackv1.DepartmentSla{
		Department: dept, Dispatched: dispatched, AckedOnTime: acked, ArrivedOnTime: arrived,
		ResolvedOnTime: resolvedOnTime, Returned: returned, AcceptedReturns: accepted, Breaches: breaches,
		ExcusedBreaches: excused, Resolved: resolved, Reopened: reopened, Rated: rated, Satisfied: satisfied,
		NotRated: notRated, ResponseRate: rates[0], ArrivalRate: rates[1], ResolutionRate: rates[2], SatisfactionRate: rates[3],
	}
}

// expectedReport is the scenario's report, computed by hand:
//
// police (p1-p8, p10; p9 cancelled): acked on time p1 p2(5:00) p4 p5 p7 p8 p10 = 7/9;
// arrival base 9 - p5 (accepted return) - p10 (appeal accepted) = 7, on time
// p1(30:00) p3 p4 p7 p8 = 5 (p2 at 30:01 and p6 breach); resolved on time
// p1 p2 p3 p7 p8 p10 = 6 (p4 took 80 h); resolved and not reopened p1 p2 p3
// p4 p8 p10 = 6 of 8; rated p1(5) p2(4) p3(2) p8(4) p10(3) = 5, satisfied 3;
// not rated p4 p7; breaches p2 p3 p4 p6×2 = 5, p10's excused.
//
// urban-management: acked on time u1 u2 u4(returned at 2:00) u5 = 4/5 (u3 at
// 5:01); arrival base 5 - u4 = 4, on time u1 u3(30:00) = 2; resolved u1 u3 u5
// = 3 of 4; rated u1(5) u3(2) = 2, satisfied 1; u5 not rated; breaches u3 u5.
//
// environment: 2/2 acked, 2/2 arrived, e1 resolved = 1 of 2, rated e1(5).
// district-government: d1 acked 10 min after its inherited start (breach),
// arrived at 29 min, resolved, rated 5.
func expectedReport(appealsDecided bool) *feedbackv1.SlaReport {
	pArrivalBase, pArrived, pBreaches, pExcused := 7.0, int64(5), int64(5), int64(0)
	if !appealsDecided {
		pArrivalBase, pBreaches, pExcused = 8, 6, 0
	} else {
		pExcused = 1
	}
	return &feedbackv1.SlaReport{
		District: dongcheng, From: timestamppb.New(may), To: timestamppb.New(june),
		Departments: []*feedbackv1.DepartmentSla{
			line(fallback, 1, 0, 1, 1, 0, 0, 1, 0, 1, 0, 1, 1, 0, [4]float64{0, 1, 1, 1}),
			line(environ, 2, 2, 2, 1, 0, 0, 0, 0, 1, 0, 1, 1, 0, [4]float64{1, 1, 0.5, 1}),
			line(police, 9, 7, pArrived, 6, 1, 1, pBreaches, pExcused, 6, 1, 5, 3, 2, [4]float64{7.0 / 9, float64(pArrived) / pArrivalBase, 6.0 / 8, 3.0 / 5}),
			line(urban, 5, 4, 2, 3, 2, 1, 2, 0, 3, 0, 2, 1, 1, [4]float64{4.0 / 5, 2.0 / 4, 3.0 / 4, 1.0 / 2}),
		},
		Total: line("", 17, 13, 10, 11, 3, 2, pBreaches+3, pExcused, 11, 1, 9, 6, 3,
			[4]float64{13.0 / 17, 10 / (pArrivalBase + 7), 11.0 / 15, 6.0 / 9}),
	}
}

func TestSlaReportScenario(t *testing.T) {
	t.Parallel()
	h := start(t)
	ds, ws := reportScenario()
	h.publishScenario(ds, ws)

	dongchengSupervisor := auth.Identity{Role: auth.RoleSupervisor, DistrictID: dongcheng}
	req := &feedbackv1.GetSlaReportRequest{District: dongcheng, From: timestamppb.New(may), To: timestamppb.New(june)}
	report := func() *feedbackv1.SlaReport {
		t.Helper()
		rep, err := h.client.GetSlaReport(h.as(dongchengSupervisor), req)
		require.NoError(t, err)
		return rep
	}
	requireReport(t, expectedReport(false), report())

	// The desks appeal their arrival breaches; the supervisor accepts police's
	// (force majeure) and rejects urban management's.
	policeDesk := auth.Identity{Role: auth.RoleDesk, DistrictID: dongcheng, Department: police}
	urbanDesk := auth.Identity{Role: auth.RoleDesk, DistrictID: dongcheng, Department: urban}
	pa, err := h.client.FileAppeal(h.as(policeDesk), &feedbackv1.FileAppealRequest{DispatchId: "p10", Clock: "arrive", ReasonCode: "force_majeure", Reason: "road flooded"})
	require.NoError(t, err)
	require.Equal(t, feedbackv1.Appeal_PENDING, pa.GetStatus())
	ua, err := h.client.FileAppeal(h.as(urbanDesk), &feedbackv1.FileAppealRequest{DispatchId: "u5", Clock: "arrive", ReasonCode: "other", Reason: "traffic"})
	require.NoError(t, err)
	_, err = h.client.FileAppeal(h.as(urbanDesk), &feedbackv1.FileAppealRequest{DispatchId: "u1", Clock: "arrive", ReasonCode: "other", Reason: "nothing breached"})
	require.Equal(t, codes.FailedPrecondition, status.Code(err), "u1 never breached")
	_, err = h.client.FileAppeal(h.as(urbanDesk), &feedbackv1.FileAppealRequest{DispatchId: "p10", Clock: "arrive", ReasonCode: "other", Reason: "not ours"})
	require.Equal(t, codes.NotFound, status.Code(err), "another department's dispatch")

	accepted, err := h.client.DecideAppeal(h.as(dongchengSupervisor), &feedbackv1.DecideAppealRequest{Id: pa.GetId(), Accept: true, Note: "flood warning in force"})
	require.NoError(t, err)
	require.Equal(t, feedbackv1.Appeal_ACCEPTED, accepted.GetStatus())
	_, err = h.client.DecideAppeal(h.as(dongchengSupervisor), &feedbackv1.DecideAppealRequest{Id: ua.GetId(), Accept: false})
	require.NoError(t, err)
	_, err = h.client.DecideAppeal(h.as(dongchengSupervisor), &feedbackv1.DecideAppealRequest{Id: ua.GetId(), Accept: true})
	require.Equal(t, codes.FailedPrecondition, status.Code(err), "already rejected")
	_, err = h.client.DecideAppeal(h.as(auth.Identity{Role: auth.RoleSupervisor, DistrictID: xicheng}), &feedbackv1.DecideAppealRequest{Id: pa.GetId(), Accept: true})
	require.Equal(t, codes.NotFound, status.Code(err), "another district's appeal")

	want := expectedReport(true)
	requireReport(t, want, report())
	list, err := h.client.ListAppeals(h.as(policeDesk), &feedbackv1.ListAppealsRequest{})
	require.NoError(t, err)
	require.Len(t, list.GetAppeals(), 1, "the accepted appeal stays visible")
	require.Equal(t, feedbackv1.Appeal_ACCEPTED, list.GetAppeals()[0].GetStatus())

	// Rebuilding the read model from the stream gives the same report.
	_, err = h.client.RebuildReadModel(h.as(dongchengSupervisor), &feedbackv1.RebuildReadModelRequest{})
	require.Equal(t, codes.PermissionDenied, status.Code(err))
	rebuilt, err := h.client.RebuildReadModel(h.as(auth.Identity{Role: auth.RoleAdmin}), &feedbackv1.RebuildReadModelRequest{})
	require.NoError(t, err)
	require.Equal(t, int64(len(ds)), rebuilt.GetDispatches())
	requireReport(t, want, report())

	// A period that starts or ends mid-day counts those hours from the facts
	// and the whole days from the daily roll-up: two halves add up to the month.
	mid := time.Date(2026, 5, 11, 12, 30, 0, 0, may.Location())
	first, err := h.client.GetSlaReport(h.as(dongchengSupervisor), &feedbackv1.GetSlaReportRequest{District: dongcheng, From: req.GetFrom(), To: timestamppb.New(mid)})
	require.NoError(t, err)
	second, err := h.client.GetSlaReport(h.as(dongchengSupervisor), &feedbackv1.GetSlaReportRequest{District: dongcheng, From: timestamppb.New(mid), To: req.GetTo()})
	require.NoError(t, err)
	require.Equal(t, int64(9), first.GetTotal().GetDispatched(), "p1-p4, u1-u4 and e1 were dispatched before 12:30 on the 11th")
	require.Equal(t, want.GetTotal().GetDispatched(), first.GetTotal().GetDispatched()+second.GetTotal().GetDispatched())
	require.Equal(t, want.GetTotal().GetBreaches(), first.GetTotal().GetBreaches()+second.GetTotal().GetBreaches())
	require.Equal(t, want.GetTotal().GetAckedOnTime(), first.GetTotal().GetAckedOnTime()+second.GetTotal().GetAckedOnTime())
	require.Equal(t, want.GetTotal().GetRated(), first.GetTotal().GetRated()+second.GetTotal().GetRated())

	// The CSV export has the documented header and one line per department plus the total.
	exp, err := h.client.ExportSlaReport(h.as(dongchengSupervisor), &feedbackv1.ExportSlaReportRequest{District: dongcheng, From: req.GetFrom(), To: req.GetTo()})
	require.NoError(t, err)
	records, err := csv.NewReader(strings.NewReader(exp.GetCsv())).ReadAll()
	require.NoError(t, err)
	require.Len(t, records, 6)
	require.Equal(t, strings.Split("district,from,to,department,dispatched,acked_on_time,arrived_on_time,resolved_on_time,returned,accepted_returns,breaches,excused_breaches,resolved,reopened,rated,satisfied,not_rated,response_rate,arrival_rate,resolution_rate,satisfaction_rate", ","), records[0])
	require.Equal(t, strings.Split("110101,2026-04-30T16:00:00Z,2026-05-31T16:00:00Z,police,9,7,5,6,1,1,5,1,6,1,5,3,2,0.7778,0.7143,0.7500,0.6000", ","), records[3])
	require.Equal(t, "total", records[5][3])
	require.Equal(t, "text/csv; charset=utf-8", exp.GetContentType())

	// Scope: another district's supervisor may not read it; a desk may not.
	_, err = h.client.GetSlaReport(h.as(auth.Identity{Role: auth.RoleSupervisor, DistrictID: xicheng}), req)
	require.Equal(t, codes.PermissionDenied, status.Code(err))
	_, err = h.client.GetSlaReport(h.as(policeDesk), req)
	require.Equal(t, codes.PermissionDenied, status.Code(err))
	cityRep, err := h.client.GetSlaReport(h.as(supervisor), req)
	require.NoError(t, err)
	requireReport(t, want, cityRep)
	_, err = h.client.GetSlaReport(h.as(supervisor), &feedbackv1.GetSlaReportRequest{District: dongcheng, From: timestamppb.New(june), To: timestamppb.New(may)})
	require.Equal(t, codes.InvalidArgument, status.Code(err))
}

// requireReport compares reports, rates to within rounding.
func requireReport(t *testing.T, want, got *feedbackv1.SlaReport) {
	t.Helper()
	if diff := cmp.Diff(want, got, protocmp.Transform(), cmpFloat); diff != "" {
		t.Fatalf("report differs (-want +got):\n%s", diff)
	}
}

var cmpFloat = cmp.Comparer(func(a, b float64) bool { d := a - b; return d < 1e-9 && d > -1e-9 })
