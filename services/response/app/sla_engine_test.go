package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	"github.com/chuishao/whistle/services/response/app"
	"github.com/chuishao/whistle/services/response/internal/response"
)

func supervisorOf(districtID string) auth.Identity {
	return auth.Identity{Subject: "sup-" + districtID, Role: auth.RoleSupervisor, DistrictID: districtID}
}

var admin = auth.Identity{Subject: "admin-1", Role: auth.RoleAdmin}

// adminClient is an SlaAdminService client of a that sends a token for id.
func (e *env) adminClient(a *app.App, id auth.Identity) (responsev1.SlaAdminServiceClient, context.Context) {
	e.t.Helper()
	conn, err := grpc.NewClient(a.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(e.t, err)
	e.t.Cleanup(func() { _ = conn.Close() })
	token, err := e.signer.Sign(id, e.clk.Now(), 24*time.Hour)
	require.NoError(e.t, err)
	return responsev1.NewSlaAdminServiceClient(conn), metadata.AppendToOutgoingContext(e.ctx, "authorization", "Bearer "+token)
}

func isEscalated(id string, level int32) func(*eventsv1.Event) bool {
	return func(ev *eventsv1.Event) bool {
		return ev.GetDispatchId() == id && ev.GetSlaEscalated().GetEscalationLevel() == level
	}
}

func isWarning(id, clock string) func(*eventsv1.Event) bool {
	return func(ev *eventsv1.Event) bool {
		return ev.GetDispatchId() == id && ev.GetSlaWarning().GetClock() == clock
	}
}

// clockState picks one clock of a dispatch.
func clockState(t *testing.T, d *responsev1.Dispatch, clock string) *responsev1.ClockState {
	t.Helper()
	for _, c := range d.GetClocks() {
		if c.GetClock() == clock {
			return c
		}
	}
	t.Fatalf("dispatch %s has no %s clock", d.GetId(), clock)
	return nil
}

func escalations(evs []*eventsv1.Event) []*eventsv1.SlaEscalated {
	var out []*eventsv1.SlaEscalated
	for _, ev := range evs {
		if s := ev.GetSlaEscalated(); s != nil {
			out = append(out, s)
		}
	}
	return out
}

func TestLadderClimbsWhileAcknowledgedButNotArrived(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.start()
	e.start()
	created := e.watch(events.SubjectFor("dispatch.created"))
	sla := e.watch("sla.v1.>")
	e.createDispatch(created, e.request("d-l", "w-l", department))
	cli, ctx := e.client(a, deskOf(department, district))

	e.clk.Advance(time.Minute)
	_, err := cli.AcknowledgeDispatch(ctx, &responsev1.AcknowledgeDispatchRequest{Id: "d-l"})
	require.NoError(t, err)

	// Warning at 24 min (80 %), breach (催办) at 30, 督办 30 min later,
	// 挂牌督办 2 h after that: the ladder climbs although the desk acknowledged.
	e.advanceUntil(t0.Add(3*time.Hour), 5*time.Minute, sla, collect(
		isWarning("d-l", "arrive"), isBreach("d-l", "arrive"), isEscalated("d-l", 2), isEscalated("d-l", 3)))
	d, err := cli.GetDispatch(ctx, &responsev1.GetDispatchRequest{Id: "d-l"})
	require.NoError(t, err)
	require.EqualValues(t, 3, d.GetEscalationLevel())
	require.Equal(t, responsev1.ClockState_BREACHED, clockState(t, d, "arrive").GetState())
	require.Equal(t, responsev1.ClockState_MET, clockState(t, d, "ack").GetState())
	require.Equal(t, responsev1.ClockState_ON_TIME, clockState(t, d, "resolve").GetState())

	// At the top the ladder stops; the desk finally arrives: met late.
	e.clk.Advance(3 * time.Hour)
	arrivedAt := e.clk.Now()
	_, err = cli.ArriveDispatch(ctx, &responsev1.ArriveDispatchRequest{Id: "d-l", Location: whistleLocation})
	require.NoError(t, err)
	e.settle()

	evs := e.storedFor("sla.v1.>", "d-l")
	require.Equal(t, map[string]int{"warning:arrive": 1, "breached:arrive": 1}, countByClock(evs))
	steps := escalations(evs)
	require.Len(t, steps, 2)
	for i, s := range steps {
		require.EqualValues(t, i+2, s.GetEscalationLevel())
		require.Equal(t, "arrive", s.GetClock())
		require.False(t, s.GetManual())
		require.EqualValues(t, i+2, s.GetDispatch().GetEscalationLevel(), "the snapshot shows the level reached")
	}
	d, err = cli.GetDispatch(ctx, &responsev1.GetDispatchRequest{Id: "d-l"})
	require.NoError(t, err)
	arrive := clockState(t, d, "arrive")
	require.Equal(t, responsev1.ClockState_MET_LATE, arrive.GetState())
	require.True(t, arrive.GetDueAt().AsTime().Equal(t0.Add(30*time.Minute)))
	require.True(t, arrive.GetMetAt().AsTime().Equal(arrivedAt))
	require.Nil(t, arrive.GetOriginalDueAt())
	require.EqualValues(t, 3, d.GetEscalationLevel(), "the level reached stays on record")
}

func TestLadderStopsWhenTheBreachedClockIsMet(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.start()
	created := e.watch(events.SubjectFor("dispatch.created"))
	sla := e.watch("sla.v1.>")
	e.createDispatch(created, e.request("d-stop", "w-stop", department))
	// Arrived but not resolved: a one-hour resolve limit breaches and climbs.
	quick := e.request("d-res", "w-res", department)
	asked(quick).GetRequest().ResolveWithin = durationpb.New(time.Hour)
	e.createDispatch(created, quick)
	cli, ctx := e.client(a, deskOf(department, district))

	e.clk.Advance(time.Minute)
	for _, id := range []string{"d-stop", "d-res"} {
		_, err := cli.AcknowledgeDispatch(ctx, &responsev1.AcknowledgeDispatchRequest{Id: id})
		require.NoError(t, err)
	}
	_, err := cli.ArriveDispatch(ctx, &responsev1.ArriveDispatchRequest{Id: "d-res", Location: whistleLocation})
	require.NoError(t, err)

	e.advanceUntil(t0.Add(35*time.Minute), 5*time.Minute, sla, isBreach("d-stop", "arrive"))
	// Arriving at 40 min meets the breached clock: no 督办 at 60 min.
	e.clk.Advance(40*time.Minute - e.clk.Now().Sub(t0))
	_, err = cli.ArriveDispatch(ctx, &responsev1.ArriveDispatchRequest{Id: "d-stop", Location: whistleLocation})
	require.NoError(t, err)
	// d-res's resolve breach at 60 min climbs to 督办 at 90: the pollers ran past 60.
	e.advanceUntil(t0.Add(2*time.Hour), 5*time.Minute, sla, isEscalated("d-res", 2))
	e.settle()

	require.Empty(t, escalations(e.storedFor("sla.v1.>", "d-stop")))
	d, err := cli.GetDispatch(ctx, &responsev1.GetDispatchRequest{Id: "d-stop"})
	require.NoError(t, err)
	require.EqualValues(t, 1, d.GetEscalationLevel())
	require.Equal(t, responsev1.ClockState_MET_LATE, clockState(t, d, "arrive").GetState())

	steps := escalations(e.storedFor("sla.v1.>", "d-res"))
	require.Len(t, steps, 1)
	require.Equal(t, "resolve", steps[0].GetClock())
	res, err := cli.GetDispatch(ctx, &responsev1.GetDispatchRequest{Id: "d-res"})
	require.NoError(t, err)
	require.Equal(t, responsev1.ClockState_BREACHED, clockState(t, res, "resolve").GetState())
	require.Equal(t, responsev1.ClockState_MET, clockState(t, res, "arrive").GetState())
}

func TestSupervisorEscalatesByHand(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.start()
	created := e.watch(events.SubjectFor("dispatch.created"))
	e.createDispatch(created, e.request("d-m", "w-m", department))

	deskCli, deskCtx := e.client(a, deskOf(department, district))
	_, err := deskCli.EscalateDispatch(deskCtx, &responsev1.EscalateDispatchRequest{Id: "d-m"})
	requireCode(t, err, codes.PermissionDenied)
	other, otherCtx := e.client(a, supervisorOf("110102"))
	_, err = other.EscalateDispatch(otherCtx, &responsev1.EscalateDispatchRequest{Id: "d-m"})
	requireCode(t, err, codes.NotFound)

	sup, supCtx := e.client(a, supervisorOf(district))
	for level := int32(1); level <= 3; level++ {
		d, err := sup.EscalateDispatch(supCtx, &responsev1.EscalateDispatchRequest{Id: "d-m", Reason: "群众反映强烈"})
		require.NoError(t, err)
		require.Equal(t, level, d.GetEscalationLevel())
	}
	_, err = sup.EscalateDispatch(supCtx, &responsev1.EscalateDispatchRequest{Id: "d-m"})
	requireCode(t, err, codes.FailedPrecondition)

	e.settle()
	evs := e.storedFor(events.SubjectFor("sla.escalated"), "d-m")
	require.Len(t, evs, 3)
	for i, ev := range evs {
		s := ev.GetSlaEscalated()
		require.EqualValues(t, i+1, s.GetEscalationLevel())
		require.True(t, s.GetManual())
		require.Equal(t, "群众反映强烈", s.GetReason())
		require.Equal(t, "ack", s.GetClock(), "the clock the desk must meet next")
		require.Equal(t, supervisorOf(district).Subject, ev.GetActor().GetId())
	}
}

func TestExtensionApprovedMovesTheDeadlineAndKeepsTheOriginal(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.start()
	created := e.watch(events.SubjectFor("dispatch.created"))
	sla := e.watch("sla.v1.>")
	e.createDispatch(created, e.request("d-x", "w-x", department))
	cli, ctx := e.client(a, deskOf(department, district))
	sup, supCtx := e.client(a, supervisorOf(district))

	e.clk.Advance(time.Minute)
	_, err := cli.AcknowledgeDispatch(ctx, &responsev1.AcknowledgeDispatchRequest{Id: "d-x"})
	require.NoError(t, err)

	until := timestamppb.New(t0.Add(time.Hour))
	_, err = cli.RequestExtension(ctx, &responsev1.RequestExtensionRequest{Id: "d-x", Clock: "arrive", Until: until})
	requireField(t, err, "reason")
	_, err = cli.RequestExtension(ctx, &responsev1.RequestExtensionRequest{Id: "d-x", Clock: "arrive", Until: timestamppb.New(t0.Add(10 * time.Minute)), Reason: "x"})
	requireField(t, err, "until")
	_, err = cli.RequestExtension(ctx, &responsev1.RequestExtensionRequest{Id: "d-x", Clock: "ack", Until: until, Reason: "x"})
	requireCode(t, err, codes.FailedPrecondition) // already met

	d, err := cli.RequestExtension(ctx, &responsev1.RequestExtensionRequest{Id: "d-x", Clock: "arrive", Until: until, Reason: "道路封闭，需绕行"})
	require.NoError(t, err)
	require.Len(t, d.GetExtensions(), 1)
	ext := d.GetExtensions()[0]
	require.Equal(t, responsev1.Extension_PENDING, ext.GetStatus())
	require.True(t, ext.GetPreviousDueAt().AsTime().Equal(t0.Add(30*time.Minute)))
	_, err = cli.RequestExtension(ctx, &responsev1.RequestExtensionRequest{Id: "d-x", Clock: "arrive", Until: until, Reason: "again"})
	requireCode(t, err, codes.FailedPrecondition) // one pending request per clock

	_, err = cli.DecideExtension(ctx, &responsev1.DecideExtensionRequest{Id: "d-x", ExtensionId: ext.GetId(), Approve: true})
	requireCode(t, err, codes.PermissionDenied)
	_, err = sup.DecideExtension(supCtx, &responsev1.DecideExtensionRequest{Id: "d-x", ExtensionId: "nope", Approve: true})
	requireCode(t, err, codes.NotFound)

	e.clk.Advance(time.Minute)
	d, err = sup.DecideExtension(supCtx, &responsev1.DecideExtensionRequest{Id: "d-x", ExtensionId: ext.GetId(), Approve: true, Note: "同意"})
	require.NoError(t, err)
	require.True(t, d.GetDeadlines().GetArriveBy().AsTime().Equal(t0.Add(time.Hour)))
	arrive := clockState(t, d, "arrive")
	require.True(t, arrive.GetDueAt().AsTime().Equal(t0.Add(time.Hour)))
	require.True(t, arrive.GetOriginalDueAt().AsTime().Equal(t0.Add(30*time.Minute)), "the original deadline stays on record")
	require.Equal(t, responsev1.Extension_APPROVED, d.GetExtensions()[0].GetStatus())
	require.Equal(t, supervisorOf(district).Subject, d.GetExtensions()[0].GetDecidedBy())
	_, err = sup.DecideExtension(supCtx, &responsev1.DecideExtensionRequest{Id: "d-x", ExtensionId: ext.GetId(), Approve: false})
	requireCode(t, err, codes.FailedPrecondition) // decided already

	// No breach at 30 min; the warning moves to 48 min (80 % of the new
	// hour) and the breach comes at the new deadline.
	e.advanceUntil(t0.Add(65*time.Minute), 5*time.Minute, sla, isBreach("d-x", "arrive"))
	e.settle()
	evs := e.storedFor("sla.v1.>", "d-x")
	require.Equal(t, map[string]int{"warning:arrive": 1, "breached:arrive": 1}, countByClock(evs))
	for _, ev := range evs {
		if w := ev.GetSlaWarning(); w != nil {
			require.True(t, w.GetDueAt().AsTime().Equal(t0.Add(48*time.Minute)), "warning due %s", w.GetDueAt().AsTime())
		}
		if b := ev.GetSlaBreached(); b != nil {
			require.True(t, b.GetDueAt().AsTime().Equal(t0.Add(time.Hour)))
		}
	}
	require.Len(t, e.storedFor(events.SubjectFor("sla.extension_requested"), "d-x"), 1)
	decided := e.storedFor(events.SubjectFor("sla.extension_decided"), "d-x")
	require.Len(t, decided, 1)
	require.Equal(t, responsev1.Extension_APPROVED, decided[0].GetSlaExtensionDecided().GetExtension().GetStatus())
}

func TestExtensionRejectedKeepsTheDeadline(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.start()
	created := e.watch(events.SubjectFor("dispatch.created"))
	sla := e.watch("sla.v1.>")
	e.createDispatch(created, e.request("d-r", "w-r", department))
	cli, ctx := e.client(a, deskOf(department, district))
	sup, supCtx := e.client(a, supervisorOf(""))

	d, err := cli.RequestExtension(ctx, &responsev1.RequestExtensionRequest{
		Id: "d-r", Clock: "resolve", Until: timestamppb.New(t0.Add(96 * time.Hour)), Reason: "需协调产权单位",
	})
	require.NoError(t, err)
	d, err = sup.DecideExtension(supCtx, &responsev1.DecideExtensionRequest{Id: "d-r", ExtensionId: d.GetExtensions()[0].GetId(), Note: "材料不足"})
	require.NoError(t, err)
	require.Equal(t, responsev1.Extension_REJECTED, d.GetExtensions()[0].GetStatus())
	require.Equal(t, "材料不足", d.GetExtensions()[0].GetDecisionNote())
	resolve := clockState(t, d, "resolve")
	require.True(t, resolve.GetDueAt().AsTime().Equal(t0.Add(48*time.Hour)))
	require.Nil(t, resolve.GetOriginalDueAt())

	// The ack clock still breaches on time (nobody acknowledged).
	e.advanceUntil(t0.Add(10*time.Minute), time.Minute, sla, isBreach("d-r", "ack"))
	e.settle()
	decided := e.storedFor(events.SubjectFor("sla.extension_decided"), "d-r")
	require.Len(t, decided, 1)
	require.Equal(t, responsev1.Extension_REJECTED, decided[0].GetSlaExtensionDecided().GetExtension().GetStatus())
	require.True(t, decided[0].GetSlaExtensionDecided().GetDispatch().GetDeadlines().GetResolveBy().AsTime().Equal(t0.Add(48*time.Hour)))
}

func TestResolveInWorkingDaysAcrossNationalDay(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// 2026-09-30, a Wednesday, 10:00 in Beijing: 国庆 is 1–7 October and
	// Saturday 10 October is a make-up working day (调休).
	start := time.Date(2026, 9, 30, 10, 0, 0, 0, response.Shanghai)
	e.clk.Advance(start.Sub(t0))
	a := e.start()
	created := e.watch(events.SubjectFor("dispatch.created"))
	adm, admCtx := e.adminClient(a, admin)

	deskAdm, deskCtx := e.adminClient(a, deskOf(department, district))
	_, err := deskAdm.SetPolicy(deskCtx, &responsev1.SetPolicyRequest{Policy: &responsev1.Policy{Category: "noise", ResolveWorkingDays: 3}})
	requireCode(t, err, codes.PermissionDenied)

	_, err = adm.SetPolicy(admCtx, &responsev1.SetPolicyRequest{Policy: &responsev1.Policy{Category: "noise", DistrictId: district, ResolveWorkingDays: 3}})
	require.NoError(t, err)
	// Another district's rule does not apply here.
	_, err = adm.SetPolicy(admCtx, &responsev1.SetPolicyRequest{Policy: &responsev1.Policy{Category: "noise", DistrictId: "110102", ResolveWorkingDays: 1}})
	require.NoError(t, err)

	// 9–17 working hours: 7 h on 30 Sep, 8 h on 8 and 9 Oct, the last hour on Saturday 10 Oct.
	d1 := e.createDispatch(created, e.request("d-wd1", "w-wd1", department))
	require.True(t, d1.GetDeadlines().GetResolveBy().AsTime().Equal(time.Date(2026, 10, 10, 10, 0, 0, 0, response.Shanghai)),
		"resolve by %s", d1.GetDeadlines().GetResolveBy().AsTime().In(response.Shanghai))
	require.True(t, d1.GetDeadlines().GetArriveBy().AsTime().Equal(start.Add(30*time.Minute)), "arrival stays wall-clock")

	// A policy change applies to new dispatches only.
	_, err = adm.SetPolicy(admCtx, &responsev1.SetPolicyRequest{Policy: &responsev1.Policy{Category: "noise", DistrictId: district, ResolveWorkingDays: 5}})
	require.NoError(t, err)
	d2 := e.createDispatch(created, e.request("d-wd2", "w-wd2", department))
	// 31 h by Saturday's close, Sunday 11 Oct is a rest day, 8 h on Monday 12, the last hour on Tuesday 13.
	require.True(t, d2.GetDeadlines().GetResolveBy().AsTime().Equal(time.Date(2026, 10, 13, 10, 0, 0, 0, response.Shanghai)),
		"resolve by %s", d2.GetDeadlines().GetResolveBy().AsTime().In(response.Shanghai))
	cli, ctx := e.client(a, deskOf(department, district))
	again, err := cli.GetDispatch(ctx, &responsev1.GetDispatchRequest{Id: "d-wd1"})
	require.NoError(t, err)
	require.True(t, again.GetDeadlines().GetResolveBy().AsTime().Equal(d1.GetDeadlines().GetResolveBy().AsTime()))

	policies, err := adm.ListPolicies(admCtx, &responsev1.ListPoliciesRequest{})
	require.NoError(t, err)
	require.Len(t, policies.GetPolicies(), 2)
}

func TestSeededCalendarOf2025NationalDay(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.start()
	adm, ctx := e.adminClient(a, admin)
	days, err := adm.ListCalendarDays(ctx, &responsev1.ListCalendarDaysRequest{Year: 2025})
	require.NoError(t, err)
	cal := &response.Calendar{Special: map[string]response.DayKind{}}
	for _, d := range days.GetDays() {
		kind := response.Holiday
		if d.GetKind() == responsev1.CalendarDay_WORKDAY {
			kind = response.Workday
		}
		cal.Special[d.GetDate()] = kind
	}
	require.Equal(t, response.Workday, cal.Special["2025-10-11"], "Saturday 11 October 2025 is 国庆's make-up working day")
	require.Equal(t, response.Workday, cal.Special["2025-09-28"])
	require.Equal(t, response.Holiday, cal.Special["2025-10-08"])

	// Tuesday 30 September 2025, 10:00: 7 h that day, 8 h on 9 and 10
	// October, the 24th working hour ends at 10:00 on Saturday 11 October.
	start := time.Date(2025, 9, 30, 10, 0, 0, 0, response.Shanghai)
	got := cal.AddWorkingTime(start, 3*cal.DayLength())
	require.True(t, got.Equal(time.Date(2025, 10, 11, 10, 0, 0, 0, response.Shanghai)), "got %s", got.In(response.Shanghai))

	// An admin moves a day: dispatches computed afterwards see it.
	_, err = adm.SetCalendarDay(ctx, &responsev1.SetCalendarDayRequest{Day: &responsev1.CalendarDay{Date: "2027-02-04", Kind: responsev1.CalendarDay_HOLIDAY, Name: "春节"}})
	require.NoError(t, err)
	_, err = adm.SetCalendarDay(ctx, &responsev1.SetCalendarDayRequest{Day: &responsev1.CalendarDay{Date: "2027-02-30", Kind: responsev1.CalendarDay_HOLIDAY}})
	requireField(t, err, "day.date")
	y2027, err := adm.ListCalendarDays(ctx, &responsev1.ListCalendarDaysRequest{Year: 2027})
	require.NoError(t, err)
	require.Equal(t, "2027-02-04", y2027.GetDays()[1].GetDate())
	_, err = adm.DeleteCalendarDay(ctx, &responsev1.DeleteCalendarDayRequest{Date: "2027-02-04"})
	require.NoError(t, err)
	y2027, err = adm.ListCalendarDays(ctx, &responsev1.ListCalendarDaysRequest{Year: 2027})
	require.NoError(t, err)
	require.Equal(t, "2027-02-05", y2027.GetDays()[1].GetDate())
}

func TestCalendarOf2027IsProvisionalUntilAnAdminSetsIt(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.start()
	adm, ctx := e.adminClient(a, admin)
	days, err := adm.ListCalendarDays(ctx, &responsev1.ListCalendarDaysRequest{Year: 2027})
	require.NoError(t, err)
	// The statutory days of 全国年节及纪念日放假办法 on their 2027 dates, and
	// no 调休 until the State Council's schedule is entered.
	got := map[string]string{}
	for _, d := range days.GetDays() {
		require.Equal(t, responsev1.CalendarDay_HOLIDAY, d.GetKind(), d.GetDate())
		require.True(t, d.GetProvisional(), d.GetDate())
		got[d.GetDate()] = d.GetName()
	}
	require.Equal(t, map[string]string{
		"2027-01-01": "元旦",
		"2027-02-05": "春节", "2027-02-06": "春节", "2027-02-07": "春节", "2027-02-08": "春节",
		"2027-04-05": "清明节", "2027-05-01": "劳动节", "2027-05-02": "劳动节", "2027-06-09": "端午节",
		"2027-09-15": "中秋节", "2027-10-01": "国庆节", "2027-10-02": "国庆节", "2027-10-03": "国庆节",
	}, got)

	// The admin enters the published schedule: those days are final.
	day, err := adm.SetCalendarDay(ctx, &responsev1.SetCalendarDayRequest{Day: &responsev1.CalendarDay{Date: "2027-02-06", Kind: responsev1.CalendarDay_HOLIDAY, Name: "春节"}})
	require.NoError(t, err)
	require.False(t, day.GetProvisional())
	day, err = adm.SetCalendarDay(ctx, &responsev1.SetCalendarDayRequest{Day: &responsev1.CalendarDay{Date: "2027-02-20", Kind: responsev1.CalendarDay_WORKDAY, Name: "春节调休"}})
	require.NoError(t, err)
	require.False(t, day.GetProvisional())
	days, err = adm.ListCalendarDays(ctx, &responsev1.ListCalendarDaysRequest{Year: 2027})
	require.NoError(t, err)
	provisional := 0
	for _, d := range days.GetDays() {
		if d.GetProvisional() {
			provisional++
		}
	}
	require.Len(t, days.GetDays(), 14)
	require.Equal(t, 12, provisional)
}

// The 30-minute arrival is this service's default: a request that carries no
// limits (routing's fallback, a category without a catalogue entry) gets it,
// and an admin's policy for the category overrides it for later dispatches.
func TestArrivalDefaultsToThirtyMinutesUntilAPolicySaysOtherwise(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.start()
	created := e.watch(events.SubjectFor("dispatch.created"))
	adm, admCtx := e.adminClient(a, admin)

	bare := func(dispatchID, whistleID string) *eventsv1.Event {
		ev := e.request(dispatchID, whistleID, department)
		asked(ev).GetRequest().ResolveWithin = nil
		return ev
	}
	d := e.createDispatch(created, bare("d-default", "w-default"))
	start := d.GetSlaStartedAt().AsTime()
	require.True(t, d.GetDeadlines().GetAckBy().AsTime().Equal(start.Add(5*time.Minute)))
	require.True(t, d.GetDeadlines().GetArriveBy().AsTime().Equal(start.Add(30*time.Minute)))
	require.True(t, d.GetDeadlines().GetResolveBy().AsTime().Equal(start.Add(72*time.Hour)))

	_, err := adm.SetPolicy(admCtx, &responsev1.SetPolicyRequest{Policy: &responsev1.Policy{Category: "noise", ArriveWithin: durationpb.New(20 * time.Minute)}})
	require.NoError(t, err)
	d = e.createDispatch(created, bare("d-policy", "w-policy"))
	start = d.GetSlaStartedAt().AsTime()
	require.True(t, d.GetDeadlines().GetArriveBy().AsTime().Equal(start.Add(20*time.Minute)), "arrive by %s", d.GetDeadlines().GetArriveBy().AsTime())
	require.True(t, d.GetDeadlines().GetAckBy().AsTime().Equal(start.Add(5*time.Minute)), "the policy left the ack clock to the default")
}
