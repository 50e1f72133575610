package app_test

import (
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
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
)

// reportFiled is a report (or 12345 ticket) as intake publishes it when filed;
// triaged is the same report merged into or blown as a whistle.
func reportFiled(id string, source intakev1.Report_Source, district, street, category string, at time.Time) timedEvent {
	r := &intakev1.Report{Id: id, Source: source, DistrictId: district, StreetId: street, Category: category,
		Status: intakev1.Report_RECEIVED, ReceivedAt: timestamppb.New(at)}
	ev := events.New(at, system("intake"))
	ev.DistrictId, ev.StreetId = district, street
	ev.Payload = &eventsv1.Event_ReportFiled{ReportFiled: &eventsv1.ReportFiled{Report: r}}
	return timedEvent{at: at, ev: ev}
}

func reportTriaged(filed timedEvent, whistleID string, at time.Time) timedEvent {
	r := filed.ev.GetReportFiled().GetReport()
	ev := events.New(at, system("intake"))
	ev.DistrictId, ev.StreetId, ev.WhistleId = r.GetDistrictId(), r.GetStreetId(), whistleID
	ev.Payload = &eventsv1.Event_ReportTriaged{ReportTriaged: &eventsv1.ReportTriaged{Report: &intakev1.Report{
		Id: r.GetId(), Source: r.GetSource(), DistrictId: r.GetDistrictId(), StreetId: r.GetStreetId(), Category: r.GetCategory(),
		Status: intakev1.Report_IN_PROGRESS, Triage: intakev1.Report_BLOW_WHISTLE, WhistleId: whistleID, ReceivedAt: r.GetReceivedAt(),
	}}}
	return timedEvent{at: at, ev: ev}
}

// hotspotChannels: in March, April and May (Beijing months),
//
//	东华门 noise: whistles 1 / 2 / 1, a 12345 ticket in April, two grid
//	  reports in May of which one was blown as May's whistle
//	  → totals 1 / 3 / 2 (May's whistle is not counted again)
//	景山 garbage: three 12345 tickets in May → 0 / 0 / 3
//	西城 garbage: one ticket in May; a June report outside the period.
func hotspotChannels() []timedEvent {
	day := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 10, 0, 0, 0, may.Location()) }
	gridBlown := reportFiled("r-grid-1", intakev1.Report_GRID, dongcheng, donghuamen, "noise", day(5, 3))
	return []timedEvent{
		raised("hc-1", dongcheng, donghuamen, "noise", day(3, 20)),
		raised("hc-2", dongcheng, donghuamen, "noise", day(4, 2)),
		raised("hc-3", dongcheng, donghuamen, "noise", day(4, 28)),
		reportFiled("t-1", intakev1.Report_HOTLINE, dongcheng, donghuamen, "noise", day(4, 10)),
		gridBlown,
		raised("hc-4", dongcheng, donghuamen, "noise", day(5, 3).Add(time.Hour)),
		reportTriaged(gridBlown, "hc-4", day(5, 3).Add(time.Hour)),
		reportFiled("r-grid-2", intakev1.Report_GRID, dongcheng, donghuamen, "noise", day(5, 9)),
		reportFiled("t-2", intakev1.Report_HOTLINE, dongcheng, jingshan, "garbage", day(5, 4)),
		reportFiled("t-3", intakev1.Report_HOTLINE, dongcheng, jingshan, "garbage", day(5, 14)),
		// The last minute of May in Beijing is still May.
		reportFiled("t-4", intakev1.Report_HOTLINE, dongcheng, jingshan, "garbage", time.Date(2026, 5, 31, 23, 59, 0, 0, may.Location())),
		reportFiled("t-5", intakev1.Report_HOTLINE, xicheng, "110102001", "garbage", day(5, 20)),
		reportFiled("r-june", intakev1.Report_RESIDENT, dongcheng, jingshan, "garbage", time.Date(2026, 6, 1, 0, 0, 0, 0, may.Location())),
	}
}

type pairLine struct {
	street, category                                   string
	whistles, reports, tickets, total, last, prev, chg int64
	monthTotals                                        []int64
}

func pairLines(a *feedbackv1.HotspotAnalysis) []pairLine {
	var out []pairLine
	for _, p := range a.GetPairs() {
		var totals []int64
		for _, m := range p.GetMonths() {
			totals = append(totals, m.GetTotal())
		}
		out = append(out, pairLine{p.GetStreetId(), p.GetCategory(), p.GetWhistles(), p.GetReports(), p.GetTickets(), p.GetTotal(),
			p.GetLast(), p.GetPrevious(), p.GetChange(), totals})
	}
	return out
}

func TestAnalyzeHotspotsCountsEveryChannel(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.publishScenario(nil, hotspotChannels())
	period := &feedbackv1.AnalyzeHotspotsRequest{FromMonth: "2026-04", ToMonth: "2026-05"}
	district := auth.Identity{Role: auth.RoleSupervisor, DistrictID: dongcheng}

	a, err := h.client.AnalyzeHotspots(h.as(district), period)
	require.NoError(t, err)
	require.Equal(t, []string{"2026-04", "2026-05"}, a.GetMonths())
	require.Equal(t, dongcheng, a.GetDistrict())
	type month struct{ whistles, reports, tickets, total, change int64 }
	var series []month
	for _, m := range a.GetSeries() {
		series = append(series, month{m.GetWhistles(), m.GetReports(), m.GetTickets(), m.GetTotal(), m.GetChange()})
	}
	// April: 2 whistles + 1 ticket (March: 1); May: 1 whistle (blown from a
	// report, not counted again) + 2 reports + 3 tickets.
	require.Equal(t, []month{{2, 0, 1, 3, 2}, {1, 2, 3, 5, 2}}, series)
	noise := pairLine{donghuamen, "noise", 3, 2, 1, 5, 2, 3, -1, []int64{3, 2}}
	garbage := pairLine{jingshan, "garbage", 0, 0, 3, 3, 3, 0, 3, []int64{0, 3}}
	require.Equal(t, []pairLine{noise, garbage}, pairLines(a))
	require.Equal(t, int64(2), a.GetPairCount())
	// Without routing configured, a name is the code.
	require.Equal(t, donghuamen, a.GetPairs()[0].GetStreetName())

	rising := &feedbackv1.AnalyzeHotspotsRequest{FromMonth: "2026-04", ToMonth: "2026-05", OrderBy: "RISING"}
	a, err = h.client.AnalyzeHotspots(h.as(district), rising)
	require.NoError(t, err)
	require.Equal(t, []pairLine{garbage, noise}, pairLines(a))

	limited := &feedbackv1.AnalyzeHotspotsRequest{FromMonth: "2026-04", ToMonth: "2026-05", Limit: 1, MinTotal: 4}
	a, err = h.client.AnalyzeHotspots(h.as(district), limited)
	require.NoError(t, err)
	require.Equal(t, []pairLine{noise}, pairLines(a))
	require.Equal(t, int64(1), a.GetPairCount())

	// A street sees its own street only, whatever it asks for.
	a, err = h.client.AnalyzeHotspots(h.as(auth.Identity{Role: auth.RoleStreet, StreetID: jingshan, DistrictID: dongcheng}), period)
	require.NoError(t, err)
	require.Equal(t, jingshan, a.GetStreet())
	require.Equal(t, []pairLine{garbage}, pairLines(a))
	_, err = h.client.AnalyzeHotspots(h.as(auth.Identity{Role: auth.RoleStreet, StreetID: jingshan, DistrictID: dongcheng}),
		&feedbackv1.AnalyzeHotspotsRequest{Street: donghuamen})
	require.Equal(t, codes.PermissionDenied, status.Code(err))

	// A city-level caller sees every district; a category narrows it.
	a, err = h.client.AnalyzeHotspots(h.as(supervisor), &feedbackv1.AnalyzeHotspotsRequest{FromMonth: "2026-05", ToMonth: "2026-05", Category: "garbage"})
	require.NoError(t, err)
	require.Equal(t, []pairLine{
		{jingshan, "garbage", 0, 0, 3, 3, 3, 0, 3, []int64{3}},
		{"110102001", "garbage", 0, 0, 1, 1, 1, 0, 1, []int64{1}},
	}, pairLines(a))
	a, err = h.client.AnalyzeHotspots(h.as(auth.Identity{Role: auth.RoleAdmin}), &feedbackv1.AnalyzeHotspotsRequest{District: xicheng, FromMonth: "2026-05", ToMonth: "2026-06"})
	require.NoError(t, err)
	require.Len(t, a.GetPairs(), 1)

	// Another district's supervisor, a desk, a grid worker: refused.
	for _, id := range []auth.Identity{
		{Role: auth.RoleSupervisor, DistrictID: xicheng},
		{Role: auth.RoleDesk, DistrictID: dongcheng, Department: "police"},
		{Role: auth.RoleGrid, DistrictID: dongcheng, StreetID: donghuamen, GridID: "g1"},
	} {
		_, err = h.client.AnalyzeHotspots(h.as(id), &feedbackv1.AnalyzeHotspotsRequest{District: dongcheng})
		require.Equal(t, codes.PermissionDenied, status.Code(err), id.Role)
	}

	// Bad input names the field.
	for field, req := range map[string]*feedbackv1.AnalyzeHotspotsRequest{
		"to_month":   {ToMonth: "May"},
		"from_month": {FromMonth: "2024-01", ToMonth: "2026-05"},
		"order_by":   {OrderBy: "NEWEST"},
		"limit":      {Limit: 501},
	} {
		_, err = h.client.AnalyzeHotspots(h.as(district), req)
		require.Equal(t, codes.InvalidArgument, status.Code(err), field)
		require.Contains(t, err.Error(), field)
	}

	// A rebuilt read model gives the same numbers.
	_, err = h.client.RebuildReadModel(h.as(auth.Identity{Role: auth.RoleAdmin}), &feedbackv1.RebuildReadModelRequest{})
	require.NoError(t, err)
	a, err = h.client.AnalyzeHotspots(h.as(district), period)
	require.NoError(t, err)
	require.Equal(t, []pairLine{noise, garbage}, pairLines(a))
}
