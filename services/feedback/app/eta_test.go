package app_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	feedbackv1 "github.com/chuishao/whistle/proto/gen/whistle/feedback/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
)

// pastDispatch is one dispatch of the seeded history: dispatched at, and
// arrived and resolved after it.
type pastDispatch struct {
	department       string
	at               time.Time
	arrive, resolved time.Duration
}

// seedHistory publishes the history as resolved dispatches of one whistle and
// waits until feedback holds every one.
func seedHistory(h *harness, whistle string, past []pastDispatch) {
	h.t.Helper()
	for i, p := range past {
		d := &responsev1.Dispatch{
			Id: fmt.Sprintf("%s-d%d", whistle, i), WhistleId: whistle, DistrictId: dongcheng, StreetId: donghuamen,
			Category: "noise", Department: p.department, Role: "lead", Status: responsev1.Dispatch_RESOLVED,
			DispatchedAt: timestamppb.New(p.at), SlaStartedAt: timestamppb.New(p.at),
			ArrivedAt: timestamppb.New(p.at.Add(p.arrive)), ResolvedAt: timestamppb.New(p.at.Add(p.resolved)),
			UpdatedAt: timestamppb.New(p.at.Add(p.resolved)),
		}
		ev := events.New(p.at.Add(p.resolved), &typesv1.Actor{Role: "desk", Id: p.department + "-desk"})
		ev.WhistleId, ev.StreetId, ev.DistrictId, ev.DispatchId, ev.Department = whistle, donghuamen, dongcheng, d.GetId(), p.department
		ev.Payload = &eventsv1.Event_DispatchResolved{DispatchResolved: &eventsv1.DispatchResolved{Dispatch: d}}
		h.publish(ev, ev.GetId())
	}
	require.Eventually(h.t, func() bool {
		rep, err := h.client.GetWhistleReport(h.as(supervisor), &feedbackv1.GetWhistleReportRequest{WhistleId: whistle})
		return err == nil && len(rep.GetDispatches()) == len(past)
	}, 20*time.Second, 50*time.Millisecond)
}

// openDispatch publishes the creation of whistle's dispatch for department at
// the clock's now, with the SLA deadlines given.
func openDispatch(h *harness, whistle, id, department string, arriveBy, resolveBy time.Time) {
	h.t.Helper()
	now := h.clk.Now().Truncate(time.Microsecond) // as Postgres keeps it
	d := &responsev1.Dispatch{
		Id: id, WhistleId: whistle, DistrictId: dongcheng, StreetId: donghuamen, Category: "noise",
		Department: department, Role: "lead", Status: responsev1.Dispatch_PENDING,
		DispatchedAt: timestamppb.New(now), SlaStartedAt: timestamppb.New(now), UpdatedAt: timestamppb.New(now),
		Deadlines: &responsev1.Deadlines{ArriveBy: timestamppb.New(arriveBy), ResolveBy: timestamppb.New(resolveBy)},
	}
	ev := events.New(now, system("response"))
	ev.WhistleId, ev.StreetId, ev.DistrictId, ev.DispatchId, ev.Department = whistle, donghuamen, dongcheng, id, department
	ev.Payload = &eventsv1.Event_DispatchCreated{DispatchCreated: &eventsv1.DispatchCreated{Dispatch: d}}
	h.publish(ev, ev.GetId())
}

func (h *harness) etas(id auth.Identity, whistles ...string) []*feedbackv1.WhistleEta {
	h.t.Helper()
	resp, err := h.client.ListWhistleEtas(h.as(id), &feedbackv1.ListWhistleEtasRequest{WhistleIds: whistles})
	require.NoError(h.t, err)
	return resp.GetEtas()
}

func TestEtaFromHistoryFallsBackAndHonoursTheWindow(t *testing.T) {
	h := start(t)
	day := 24 * time.Hour
	var past []pastDispatch
	// Police at 09:00 on each of the 25 days before t0: arrived after 1..25
	// minutes, resolved two hours after arriving. The hour's median is 13
	// minutes, its 80th percentile 20.2 minutes (interpolated).
	for i := 1; i <= 25; i++ {
		past = append(past, pastDispatch{"police", t0.Add(-time.Duration(i) * day), time.Duration(i) * time.Minute, time.Duration(i)*time.Minute + 2*time.Hour})
	}
	// Police at 15:00 on 5 of those days: an hour to arrive (other hours' history).
	for i := 1; i <= 5; i++ {
		past = append(past, pastDispatch{"police", t0.Add(-time.Duration(i)*day + 6*time.Hour), time.Hour, 3 * time.Hour})
	}
	// Environment: 8 at 09:00 and 15 at 14:00, 40 minutes each: thin in the
	// hour, enough at any hour.
	for i := 1; i <= 8; i++ {
		past = append(past, pastDispatch{"environment", t0.Add(-time.Duration(i) * day), 40 * time.Minute, 5 * time.Hour})
	}
	for i := 1; i <= 15; i++ {
		past = append(past, pastDispatch{"environment", t0.Add(-time.Duration(i)*day + 5*time.Hour), 40 * time.Minute, 5 * time.Hour})
	}
	// Urban management: 10 in all, too few for any estimate.
	for i := 1; i <= 10; i++ {
		past = append(past, pastDispatch{"urban-management", t0.Add(-time.Duration(i) * day), 5 * time.Minute, time.Hour})
	}
	seedHistory(h, "w-history", past)

	now := h.clk.Now().Truncate(time.Microsecond) // as Postgres keeps it
	arriveBy, resolveBy := now.Add(30*time.Minute), now.Add(72*time.Hour)
	for _, dept := range []string{"police", "environment", "urban-management"} {
		openDispatch(h, "w-now", "w-now-"+dept, dept, arriveBy, resolveBy)
	}
	var eta *feedbackv1.WhistleEta
	require.Eventually(t, func() bool {
		got := h.etas(supervisor, "w-now")
		if len(got) == 1 && len(got[0].GetDispatches()) == 3 {
			eta = got[0]
			return true
		}
		return false
	}, 10*time.Second, 20*time.Millisecond)
	byDept := map[string]*feedbackv1.DispatchEta{}
	for _, d := range eta.GetDispatches() {
		byDept[d.GetDepartment()] = d
	}

	police := byDept["police"]
	require.Equal(t, feedbackv1.EtaBasis_ETA_BASIS_HISTORY_HOUR, police.GetArrival().GetBasis())
	require.EqualValues(t, 25, police.GetArrival().GetSamples())
	require.Equal(t, now.Add(13*time.Minute), police.GetArrival().GetExpectedAt().AsTime().In(now.Location()), "the hour's median")
	require.Equal(t, now.Add(20*time.Minute+12*time.Second), police.GetArrival().GetP80At().AsTime().In(now.Location()), "the hour's p80")
	require.Equal(t, now.Add(2*time.Hour+13*time.Minute), police.GetResolution().GetExpectedAt().AsTime().In(now.Location()))

	env := byDept["environment"]
	require.Equal(t, feedbackv1.EtaBasis_ETA_BASIS_HISTORY_ANY_HOUR, env.GetArrival().GetBasis(), "8 in the hour are too few")
	require.EqualValues(t, 23, env.GetArrival().GetSamples())
	require.Equal(t, now.Add(40*time.Minute), env.GetArrival().GetExpectedAt().AsTime().In(now.Location()))

	urban := byDept["urban-management"]
	require.Equal(t, feedbackv1.EtaBasis_ETA_BASIS_SLA, urban.GetArrival().GetBasis(), "10 in all are too few")
	require.Equal(t, arriveBy, urban.GetArrival().GetExpectedAt().AsTime().In(now.Location()))
	require.Equal(t, feedbackv1.EtaBasis_ETA_BASIS_SLA, urban.GetResolution().GetBasis())
	require.Equal(t, resolveBy, eta.GetExpectedResolutionAt().AsTime().In(now.Location()), "the whistle is done when its last department is")

	// 70 days on, the police history of days 21-25 is older than 90 days
	// and 20 remain at 09:00; a day later 19, too few, so the hour falls back
	// to any hour (19 + the 5 at 15:00). The statistics are recomputed since
	// they are older than their refresh interval.
	policeOf := func() *feedbackv1.DispatchEta {
		for _, d := range h.etas(supervisor, "w-now")[0].GetDispatches() {
			if d.GetDepartment() == "police" {
				return d
			}
		}
		t.Fatal("no police dispatch")
		return nil
	}
	h.clk.Advance(70*day - 2*time.Hour)
	police = policeOf()
	require.Equal(t, feedbackv1.EtaBasis_ETA_BASIS_HISTORY_HOUR, police.GetArrival().GetBasis())
	require.EqualValues(t, 20, police.GetArrival().GetSamples(), "days 21-25 fell out of the 90 days")
	h.clk.Advance(day)
	police = policeOf()
	require.Equal(t, feedbackv1.EtaBasis_ETA_BASIS_HISTORY_ANY_HOUR, police.GetArrival().GetBasis())
	require.EqualValues(t, 24, police.GetArrival().GetSamples())
}

func TestEtaOfTheDeskWinsAndIsScoped(t *testing.T) {
	h := start(t)
	now := h.clk.Now().Truncate(time.Microsecond) // as Postgres keeps it
	openDispatch(h, "w-desk", "w-desk-police", "police", now.Add(30*time.Minute), now.Add(72*time.Hour))
	deskAt := now.Add(45 * time.Minute)
	ev := events.New(now.Add(time.Minute), &typesv1.Actor{Role: "desk", Id: "police-desk"})
	ev.WhistleId, ev.StreetId, ev.DistrictId, ev.DispatchId, ev.Department = "w-desk", donghuamen, dongcheng, "w-desk-police", "police"
	ev.Payload = &eventsv1.Event_DispatchEtaSet{DispatchEtaSet: &eventsv1.DispatchEtaSet{
		Dispatch: &responsev1.Dispatch{Id: "w-desk-police", WhistleId: "w-desk", DistrictId: dongcheng, Department: "police", Category: "noise"},
		Eta: &responsev1.DeskEta{
			DispatchId: "w-desk-police", WhistleId: "w-desk", Department: "police", ArriveAt: timestamppb.New(deskAt),
			Note: "正在处置另一起警情", SetAt: timestamppb.New(now.Add(time.Minute)),
		},
	}}
	h.publish(ev, ev.GetId())

	street := auth.Identity{Role: auth.RoleStreet, StreetID: donghuamen, DistrictID: dongcheng}
	var arrival *feedbackv1.Estimate
	require.Eventually(t, func() bool {
		got := h.etas(street, "w-desk")
		if len(got) == 1 && len(got[0].GetDispatches()) == 1 {
			arrival = got[0].GetDispatches()[0].GetArrival()
			return arrival.GetBasis() == feedbackv1.EtaBasis_ETA_BASIS_DESK
		}
		return false
	}, 10*time.Second, 20*time.Millisecond)
	require.Equal(t, deskAt, arrival.GetExpectedAt().AsTime().In(now.Location()))
	require.Equal(t, "正在处置另一起警情", arrival.GetNote(), "the street reads the desk's note")

	public := h.etas(auth.Identity{Role: auth.RolePublic, Subject: "open311-public"}, "w-desk")
	require.Len(t, public, 1)
	require.Empty(t, public[0].GetDispatches()[0].GetArrival().GetNote(), "the public does not")

	// Who may not see the whistle does not see its ETA: it is left out.
	for name, id := range map[string]auth.Identity{
		"other street":      {Role: auth.RoleStreet, StreetID: jingshan, DistrictID: dongcheng},
		"other department":  {Role: auth.RoleDesk, Department: "environment", DistrictID: dongcheng},
		"other district":    {Role: auth.RoleSupervisor, DistrictID: xicheng},
		"own desk, sibling": {Role: auth.RoleDesk, Department: "police", DistrictID: xicheng},
	} {
		require.Empty(t, h.etas(id, "w-desk", "no-such-whistle"), name)
	}
	require.Len(t, h.etas(auth.Identity{Role: auth.RoleDesk, Department: "police", DistrictID: dongcheng}, "w-desk"), 1)
	_, err := h.client.ListWhistleEtas(h.as(auth.Identity{Role: auth.RoleAdmin}), &feedbackv1.ListWhistleEtasRequest{WhistleIds: []string{"w-desk"}})
	require.Equal(t, codes.PermissionDenied, status.Code(err))
	_, err = h.client.ListWhistleEtas(h.as(supervisor), &feedbackv1.ListWhistleEtasRequest{})
	require.Equal(t, codes.InvalidArgument, status.Code(err))
}
