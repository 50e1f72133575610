package reports_test

import (
	"cmp"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/auth"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"

	"github.com/chuishao/whistle/services/feedback/internal/feedback"
	ft "github.com/chuishao/whistle/services/feedback/internal/feedbacktest"
	"github.com/chuishao/whistle/services/feedback/internal/reports"
)

var (
	w1         = ft.Whistle{ID: "w-1", District: "110101", Street: "110101001", Category: "noise"}
	w2         = ft.Whistle{ID: "w-2", District: "110101", Street: "110101001", Category: "noise"}
	drilled    = ft.Whistle{ID: "drill-d1-w-9", District: "110101", Street: "110101001", Category: "noise"}
	supervisor = auth.Identity{Role: auth.RoleSupervisor, Subject: "sup", DistrictID: "110101"}
	citySup    = auth.Identity{Role: auth.RoleSupervisor, Subject: "city"}
	otherSup   = auth.Identity{Role: auth.RoleSupervisor, Subject: "sup-2", DistrictID: "110102"}
	admin      = auth.Identity{Role: auth.RoleAdmin, Subject: "admin"}
	desk       = auth.Identity{Role: auth.RoleDesk, Subject: "police-desk", Department: "police", DistrictID: "110101"}
	street     = auth.Identity{Role: auth.RoleStreet, Subject: "s", StreetID: "110101001"}
)

// day is 2026-11-23 in Beijing, the stories' day.
var day = time.Date(2026, 11, 23, 0, 0, 0, 0, feedback.ReportZone)

// setup is a service over two whistles of one street: police arrived late
// once (d-1) and in time once (d-2), urban management is pending (d-3); and
// a drill's police dispatch that arrived in time.
func setup(t *testing.T) *reports.Service {
	t.Helper()
	pool := ft.Pool(t)
	ft.Record(t, pool, ft.Raised(w1), ft.Raised(w2),
		ft.Created(1, ft.Dispatch("d-1", w1, "police", responsev1.Dispatch_PENDING, 1)),
		ft.Breached(31, ft.Dispatch("d-1", w1, "police", responsev1.Dispatch_ACKNOWLEDGED, 31), "arrive"),
		ft.Created(1, ft.Dispatch("d-2", w2, "police", responsev1.Dispatch_PENDING, 1)),
		ft.Arrived(20, ft.Dispatch("d-2", w2, "police", responsev1.Dispatch_ARRIVED, 20)),
		ft.Created(1, ft.Dispatch("d-3", w1, "urban-management", responsev1.Dispatch_PENDING, 1)),
		ft.Raised(drilled),
		ft.Arrived(20, ft.Dispatch("d-9", drilled, "police", responsev1.Dispatch_ARRIVED, 20)))
	return &reports.Service{Pool: pool, Clock: clockwork.NewFakeClockAt(ft.Minutes(60))}
}

func at(t time.Time) *time.Time { return &t }

// Every district report begins with the same checks: who may read which
// district, that one is named, and the period.
func TestEveryDistrictReportChecksTheCallerDistrictAndPeriod(t *testing.T) {
	t.Parallel()
	s := setup(t)
	ctx := context.Background()
	// The reports over a period, each naming its period's fields.
	periodic := map[string]func(caller auth.Identity, district string, from, to *time.Time) error{
		"sla": func(c auth.Identity, d string, from, to *time.Time) error {
			_, err := s.SlaReport(ctx, c, d, from, to)
			return err
		},
		"scorecards": func(c auth.Identity, d string, from, to *time.Time) error {
			_, err := s.Scorecards(ctx, c, d, from, to, feedback.Weights{}, false)
			return err
		},
		"drill": func(c auth.Identity, d string, from, to *time.Time) error {
			_, err := s.DrillReport(ctx, c, reports.DrillQuery{DrillID: "d1", District: d, RealFrom: from, RealTo: to, GroupBy: reports.ByDepartment})
			return err
		},
	}
	rename := map[string]map[string]string{"drill": {"from": "real_from", "to": "real_to"}}
	from, to := at(day), at(day.AddDate(0, 0, 1))
	for _, tc := range []struct {
		name     string
		caller   auth.Identity
		district string
		from, to *time.Time
		wantErr  error
		fields   []string
	}{
		{name: "a street", caller: street, district: "110101", from: from, to: to, wantErr: feedback.ErrWrongRole},
		{name: "a desk", caller: desk, district: "110101", from: from, to: to, wantErr: feedback.ErrWrongRole},
		{name: "another district's supervisor", caller: otherSup, district: "110101", from: from, to: to, wantErr: feedback.ErrOutOfScope},
		{name: "the city's supervisor names no district", caller: citySup, from: from, to: to, fields: []string{"district"}},
		{name: "no period", caller: supervisor, fields: []string{"from", "to"}},
		{name: "a period that ends before it begins", caller: supervisor, from: to, to: from, fields: []string{"to"}},
		{name: "a period over 366 days", caller: admin, district: "110101", from: from, to: at(day.AddDate(1, 1, 0)), fields: []string{"to"}},
		{name: "the supervisor's own district", caller: supervisor, from: from, to: to},
		{name: "an admin names one", caller: admin, district: "110102", from: from, to: to},
	} {
		for report, call := range periodic {
			t.Run(report+"/"+tc.name, func(t *testing.T) {
				var fields []string
				for _, f := range tc.fields {
					fields = append(fields, cmp.Or(rename[report][f], f))
				}
				ft.RequireOutcome(t, call(tc.caller, tc.district, tc.from, tc.to), tc.wantErr, fields)
			})
		}
	}
	// The reports of a moment name a district and nothing else in common.
	for _, tc := range []struct {
		name     string
		caller   auth.Identity
		district string
		wantErr  error
		fields   []string
	}{
		{name: "a desk", caller: desk, wantErr: feedback.ErrWrongRole},
		{name: "another district's supervisor", caller: otherSup, district: "110101", wantErr: feedback.ErrOutOfScope},
		{name: "no district", caller: admin, fields: []string{"district"}},
		{name: "the supervisor's own", caller: supervisor},
	} {
		t.Run("hotspots/"+tc.name, func(t *testing.T) {
			_, err := s.Hotspots(ctx, tc.caller, reports.HotspotQuery{District: tc.district})
			ft.RequireOutcome(t, err, tc.wantErr, tc.fields)
		})
		t.Run("monthly/"+tc.name, func(t *testing.T) {
			_, err := s.MonthlyScorecard(ctx, tc.caller, tc.district, "2026-11")
			ft.RequireOutcome(t, err, tc.wantErr, tc.fields)
		})
	}
}

// The SLA report sums the daily roll-up for whole days and scans the facts
// for partial ones: both give the same counts for the same dispatches.
func TestSlaReportCountsTheSameFromTheRollUpAndTheFacts(t *testing.T) {
	t.Parallel()
	s := setup(t)
	for _, tc := range []struct {
		name     string
		from, to time.Time
	}{
		{name: "a whole day, from the roll-up", from: day, to: day.AddDate(0, 0, 1)},
		{name: "two hours, from the facts", from: day.Add(8 * time.Hour), to: day.Add(10 * time.Hour)},
		{name: "partial days on both edges", from: day.Add(-3 * time.Hour), to: day.Add(27 * time.Hour)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := s.SlaReport(context.Background(), supervisor, "", at(tc.from), at(tc.to))
			require.NoError(t, err)
			require.Equal(t, "110101", rep.District)
			require.Len(t, rep.Departments, 2)
			require.Equal(t, "police", rep.Departments[0].Department)
			require.EqualValues(t, 2, rep.Departments[0].Dispatched, "the drill's police dispatch is not counted")
			require.EqualValues(t, 1, rep.Departments[0].ArrivedOnTime)
			require.EqualValues(t, 1, rep.Departments[0].Breaches)
			require.EqualValues(t, 3, rep.Total.Dispatched)
			name, body, err := rep.CSV()
			require.NoError(t, err)
			require.True(t, strings.HasPrefix(name, "sla-110101-"))
			lines := strings.Split(strings.TrimSpace(body), "\n")
			require.Len(t, lines, 4, "header, two departments, total")
			require.True(t, strings.HasPrefix(lines[3], "110101,"), lines[3])
			require.Contains(t, lines[3], ",total,3,")
		})
	}
}

func TestScorecardsRankUnderTheMonthsWeights(t *testing.T) {
	t.Parallel()
	s := setup(t)
	ctx := context.Background()
	from, to := at(day), at(day.AddDate(0, 0, 1))
	cards, err := s.Scorecards(ctx, supervisor, "", from, to, feedback.Weights{}, false)
	require.NoError(t, err)
	require.Equal(t, feedback.DefaultWeights, cards.Weights, "no weights set for the month: the defaults")
	require.Len(t, cards.Cards, 2)
	require.Equal(t, 1, cards.Cards[0].Rank)

	for _, tc := range []struct {
		name   string
		caller auth.Identity
		month  string
		w      feedback.Weights
		err    error
		fields []string
	}{
		{name: "a supervisor may not", caller: supervisor, month: "2026-11", w: feedback.Weights{Arrival: 1}, err: feedback.ErrWrongRole},
		{name: "a bad month and no weight", caller: admin, month: "11/2026", fields: []string{"month", "weights"}},
		{name: "negative", caller: admin, month: "2026-11", w: feedback.Weights{Arrival: -1}, fields: []string{"weights"}},
		{name: "arrival only", caller: admin, month: "2026-11", w: feedback.Weights{Arrival: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ft.RequireOutcome(t, s.SetWeights(ctx, tc.caller, tc.month, tc.w), tc.err, tc.fields)
		})
	}
	cards, err = s.Scorecards(ctx, supervisor, "", from, to, feedback.Weights{}, false)
	require.NoError(t, err)
	require.Equal(t, feedback.Weights{Arrival: 1}, cards.Weights)
	require.Equal(t, "police", cards.Cards[0].Key, "police arrived in time once; urban management never")
	require.InDelta(t, 50, cards.Cards[0].Composite, 1e-9)
	_, err = s.Scorecards(ctx, supervisor, "", from, to, feedback.Weights{Arrival: -1}, false)
	ft.RequireOutcome(t, err, nil, []string{"weights"})
}

func TestDrillReportSetsTheDrillBesideTheRealPeriod(t *testing.T) {
	t.Parallel()
	s := setup(t)
	rep, err := s.DrillReport(context.Background(), supervisor, reports.DrillQuery{
		DrillID: "d1", RealFrom: at(day), RealTo: at(day.AddDate(0, 0, 1)), GroupBy: reports.ByDepartment,
	})
	require.NoError(t, err)
	require.Equal(t, "110101", rep.District)
	require.Equal(t, []string{"police", "urban-management"}, []string{rep.Rows[0].Key, rep.Rows[1].Key})
	require.EqualValues(t, 1, rep.Rows[0].Drill.Dispatched)
	require.EqualValues(t, 1, rep.Rows[0].Drill.ArrivedOnTime)
	require.EqualValues(t, 2, rep.Rows[0].Real.Dispatched)
	require.EqualValues(t, 3, rep.Total.Real.Dispatched)
	require.EqualValues(t, 1, rep.Total.Drill.Dispatched)
	_, err = s.DrillReport(context.Background(), supervisor, reports.DrillQuery{DrillID: "Not A Drill", RealFrom: at(day), RealTo: at(day)})
	ft.RequireOutcome(t, err, nil, []string{"drill_id", "real_to"})
}

func TestHotspotsAndTheMonthlyPage(t *testing.T) {
	t.Parallel()
	s := setup(t)
	ctx := context.Background()
	h, err := s.Hotspots(ctx, supervisor, reports.HotspotQuery{})
	require.NoError(t, err)
	require.Equal(t, ft.Minutes(60), h.WindowEnd, "the window ends now")
	require.Len(t, h.Hotspots, 1)
	require.Equal(t, reports.Hotspot{StreetID: "110101001", Category: "noise", Count: 2, LastRaisedAt: ft.T0}, withUTC(h.Hotspots[0]))
	require.EqualValues(t, 2, h.Hotspots[0].Trend())
	_, err = s.Hotspots(ctx, supervisor, reports.HotspotQuery{Limit: 201, MinCount: -1})
	ft.RequireOutcome(t, err, nil, []string{"limit", "min_count"})

	page, err := s.MonthlyScorecard(ctx, supervisor, "", "2026-11")
	require.NoError(t, err)
	require.Contains(t, page, "2026年11月")
	require.Contains(t, page, feedback.DepartmentName("police"))
	_, err = s.MonthlyScorecard(ctx, supervisor, "", "November")
	ft.RequireOutcome(t, err, nil, []string{"month"})
}

func withUTC(h reports.Hotspot) reports.Hotspot {
	h.LastRaisedAt = h.LastRaisedAt.UTC()
	return h
}
