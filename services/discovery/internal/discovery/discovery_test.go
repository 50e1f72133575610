package discovery

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/invalid"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"

	"github.com/chuishao/whistle/services/discovery/internal/reports"
)

func TestFileReport(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, tc := range []struct {
		name     string
		id       auth.Identity
		street   string
		category string
		want     string
		source   reports.Source
	}{
		{"a grid worker on its street", grid1, "", "noise", "ok", reports.SourceGrid},
		{"a street on itself", street, streetA, "noise", "ok", reports.SourceStreet},
		{"a street on another", street, streetB, "noise", "denied", ""},
		{"a desk", desk, streetA, "noise", "denied", ""},
		{"a supervisor", sup, streetA, "noise", "denied", ""},
		{"an unknown category", grid1, "", "weather", "invalid", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var f invalid.Violations
			n := reports.New{StreetID: tc.street, Category: tc.category, Description: "夜间施工噪音", HasLocation: true, Lat: 39.914, Lng: 116.404}
			got, err := e.s.FileReport(t.Context(), tc.id, n, &f)
			require.Equal(t, tc.want, kind(err))
			if err != nil {
				return
			}
			require.Equal(t, string(tc.source), got.Report.Source)
			require.Equal(t, streetA, got.Report.StreetID)
			require.Equal(t, district, got.Report.DistrictID)
			require.Equal(t, tc.id.GridID, got.Report.GridID)
			require.True(t, t0.Add(reports.DefaultTriageLimit).Equal(got.Report.TriageBy))
			require.NotEmpty(t, got.FollowUpToken)
		})
	}
	// Each report filed wrote its event with it; the refused ones nothing.
	require.Equal(t, []string{"report.v1.filed.110101", "report.v1.filed.110101"}, e.outbox(t))
}

func TestReportScope(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	byGrid1 := e.file(t, grid1, "", "一号网格").Report
	resident := e.file(t, auth.Identity{}, streetA, "居民报告").Report
	for _, tc := range []struct {
		name string
		id   auth.Identity
		// the outcome of reading the grid worker's report, and the resident's
		grid, resident string
	}{
		{"its grid worker", grid1, "full", "full"},
		{"another grid of the street", grid2, "not found", "full"},
		{"the street", street, "full", "full"},
		{"another street", streetOf, "not found", "not found"},
		{"the district's supervisor", sup, "full", "full"},
		{"another district's supervisor", supOther, "not found", "not found"},
		{"the city", city, "full", "full"},
		{"a desk", desk, "denied", "denied"},
		{"the public", public, "public", "public"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, c := range []struct {
				id, want string
			}{{byGrid1.ID, tc.grid}, {resident.ID, tc.resident}} {
				r, err := e.s.GetReport(t.Context(), tc.id, c.id)
				got := kind(err)
				if err == nil {
					got = map[bool]string{true: "full", false: "public"}[r.Full]
				}
				require.Equal(t, c.want, got, "report %s", c.id)
			}
		})
	}
	// A street's list is what each reader may see of it.
	for _, tc := range []struct {
		id   auth.Identity
		want int
		err  string
	}{{street, 2, "ok"}, {grid1, 2, "ok"}, {grid2, 1, "ok"}, {sup, 2, "ok"}, {streetOf, 0, "not found"}, {desk, 0, "denied"}} {
		rows, err := e.s.ListReports(t.Context(), tc.id, ReportQuery{Street: streetA})
		require.Equal(t, tc.err, kind(err), tc.id.Subject)
		require.Len(t, rows, tc.want, tc.id.Subject)
	}
}

func TestTriage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.w.known["w-open"] = &intakev1.Whistle{Id: "w-open", StreetId: streetA, Status: intakev1.Whistle_RESPONDING}
	e.w.known["w-closed"] = &intakev1.Whistle{Id: "w-closed", StreetId: streetA, Status: intakev1.Whistle_CLOSED}
	for _, tc := range []struct {
		name    string
		id      auth.Identity
		in      Triage
		want    string
		status  reports.Status
		whistle string
	}{
		{"handled locally", street, Triage{Action: reports.TriageLocal, Result: "已劝离施工队"}, "ok", reports.StatusClosed, ""},
		{"rejected", street, Triage{Action: reports.TriageReject, Result: "不属于本街道"}, "ok", reports.StatusClosed, ""},
		{"handled locally without a result", street, Triage{Action: reports.TriageLocal}, "invalid", "", ""},
		{"merged into an open whistle", street, Triage{Action: reports.TriageMerge, WhistleID: "w-open"}, "ok", reports.StatusInProgress, "w-open"},
		{"merged into a closed whistle", street, Triage{Action: reports.TriageMerge, WhistleID: "w-closed"}, "state", "", ""},
		{"merged into an unknown whistle", street, Triage{Action: reports.TriageMerge, WhistleID: "w-none"}, "not found", "", ""},
		{"blown as a whistle", street, Triage{Action: reports.TriageWhistle}, "ok", reports.StatusInProgress, "w-raised"},
		{"by a grid worker", grid1, Triage{Action: reports.TriageLocal, Result: "已处理"}, "denied", "", ""},
		{"by another street", streetOf, Triage{Action: reports.TriageLocal, Result: "已处理"}, "not found", "", ""},
		{"an unknown action", street, Triage{Action: "IGNORE"}, "invalid", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.file(t, grid1, "", "工地夜间施工").Report
			tc.in.ReportIDs = []string{r.ID}
			got, err := e.s.Triage(t.Context(), tc.id, tc.in)
			require.Equal(t, tc.want, kind(err))
			if err != nil {
				return
			}
			require.Len(t, got.Reports, 1)
			require.Equal(t, string(tc.status), got.Reports[0].Status)
			require.Equal(t, tc.whistle, got.Reports[0].WhistleID)
			require.Equal(t, tc.whistle, got.Whistle.GetId())
			// The same triage again answers the same; another is refused.
			again, err := e.s.Triage(t.Context(), tc.id, tc.in)
			require.NoError(t, err)
			require.Equal(t, got.Reports[0].Status, again.Reports[0].Status)
			other := Triage{ReportIDs: tc.in.ReportIDs, Action: reports.TriageReject, Result: "重复"}
			if tc.in.Action == reports.TriageReject {
				other = Triage{ReportIDs: tc.in.ReportIDs, Action: reports.TriageLocal, Result: "已处理"}
			}
			_, err = e.s.Triage(t.Context(), tc.id, other)
			require.Equal(t, "state", kind(err))
		})
	}
}

func TestBlowingTheWhistleKeepsResidentsWordsOut(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resident := e.file(t, auth.Identity{}, streetA, "我家楼下每晚施工").Report
	_, err := e.s.Triage(t.Context(), street, Triage{ReportIDs: []string{resident.ID}, Action: reports.TriageWhistle})
	require.NoError(t, err)
	require.Len(t, e.w.raised, 1)
	call := e.w.raised[0]
	// Raised as the triaging street itself, keyed by the reports.
	require.Equal(t, street, call.actor)
	require.Regexp(t, `^reports:[0-9a-f]{32}$`, call.key)
	require.NotContains(t, call.req.GetDescription(), "我家楼下")
	require.Contains(t, call.req.GetDescription(), resident.ID)
	require.InDelta(t, 39.914, call.req.GetLocation().GetLat(), 1e-9) // rounded to 0.001°
	require.Equal(t, streetA, call.req.GetStreetId())
	require.Equal(t, "noise", call.req.GetCategory())
}

func TestFollowUpOfALocallyHandledReport(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	filed := e.file(t, auth.Identity{}, streetA, "路灯不亮")
	fu, err := e.s.GetFollowUp(t.Context(), filed.FollowUpToken)
	require.NoError(t, err)
	require.Equal(t, "report", fu.Kind)
	require.False(t, fu.CanRate) // nothing to rate before the result

	notFixed, fixed := false, true
	for _, tc := range []struct {
		name string
		// triage handles the report locally (again) a minute later, first.
		triage bool
		in     Rating
		want   string
		status reports.Status // the report's after the rating
	}{
		{"before any result", false, Rating{Token: filed.FollowUpToken, Satisfaction: 5, Fixed: &fixed}, "state", reports.StatusReceived},
		{"without fixed", true, Rating{Token: filed.FollowUpToken, Satisfaction: 1}, "invalid", reports.StatusClosed},
		{"an unknown token", false, Rating{Token: "nope", Satisfaction: 1, Fixed: &fixed}, "not found", reports.StatusClosed},
		{"not fixed", false, Rating{Token: filed.FollowUpToken, Satisfaction: 1, Fixed: &notFixed, Comment: "还是不亮"}, "ok", reports.StatusReceived},
		{"while back in the inbox", false, Rating{Token: filed.FollowUpToken, Satisfaction: 1, Fixed: &notFixed}, "state", reports.StatusReceived},
		{"the next result", true, Rating{Token: filed.FollowUpToken, Satisfaction: 5, Fixed: &fixed}, "ok", reports.StatusClosed},
		{"a second time", false, Rating{Token: filed.FollowUpToken, Satisfaction: 5, Fixed: &fixed}, "already rated", reports.StatusClosed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.triage {
				e.clock.Advance(time.Minute)
				_, err := e.s.Triage(t.Context(), street, Triage{ReportIDs: []string{filed.Report.ID}, Action: reports.TriageLocal, Result: "已修复"})
				require.NoError(t, err)
			}
			_, err := e.s.RateFollowUp(t.Context(), tc.in)
			require.Equal(t, tc.want, kind(err))
			r, err := e.s.GetReport(t.Context(), street, filed.Report.ID)
			require.NoError(t, err)
			require.Equal(t, string(tc.status), r.Status)
		})
	}
	require.Empty(t, e.w.reopened) // no whistle to reopen

	// A token works for FollowUpTTL after the result.
	e.clock.Advance(reports.DefaultFollowUpTTL + time.Hour)
	_, err = e.s.GetFollowUp(t.Context(), filed.FollowUpToken)
	require.Equal(t, "expired", kind(err))
}

func TestFollowUpOfAWhistle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// A resolved whistle, as intake answers it and as its events left it in discovery's facts.
	e.w.known["w1"] = &intakev1.Whistle{Id: "w1", StreetId: streetA, DistrictId: district, Category: "noise", Status: intakev1.Whistle_RESOLVED}
	_, err := e.pool.Exec(t.Context(), `INSERT INTO whistles (id, street_id, district_id, category, status, raised_at, resolved_at)
		VALUES ('w1', $1, $2, 'noise', 'RESOLVED', $3, $3)`, streetA, district, t0)
	require.NoError(t, err)
	for _, tc := range []struct {
		id   auth.Identity
		want string
	}{{grid1, "denied"}, {sup, "denied"}, {streetOf, "not found"}, {street, "ok"}} {
		_, err := e.s.IssueFollowUpToken(t.Context(), tc.id, "w1")
		require.Equal(t, tc.want, kind(err), tc.id.Subject)
	}
	notFixed, fixed := false, true
	for _, tc := range []struct {
		fixed            *bool
		reopened, closed int
	}{{&notFixed, 1, 0}, {&fixed, 0, 1}} {
		token, err := e.s.IssueFollowUpToken(t.Context(), street, "w1")
		require.NoError(t, err)
		e.w.reopened, e.w.closed = nil, nil
		fu, err := e.s.RateFollowUp(t.Context(), Rating{Token: token, Satisfaction: 3, Fixed: tc.fixed, Comment: "还行"})
		require.NoError(t, err)
		require.Equal(t, "whistle", fu.Kind)
		// The whistle side acts for the resident: the token is the scope.
		require.Len(t, e.w.reopened, tc.reopened)
		require.Len(t, e.w.closed, tc.closed)
	}
}

func TestTickets(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ticket := func(number, s string) reports.Ticket {
		return reports.Ticket{ExternalNumber: number, Type: "general",
			Report: reports.New{StreetID: s, Category: "noise", Description: "12345 来电：施工噪音"}}
	}
	for _, tc := range []struct {
		name string
		id   auth.Identity
		t    reports.Ticket
		want string
	}{
		{"a supervisor of its district", sup, ticket("T1", streetA), "ok"},
		{"the same number again", sup, ticket("T1", streetA), "ok"},
		{"a street for itself", street, ticket("T2", streetA), "ok"},
		{"a street for another", street, ticket("T3", streetB), "invalid"},
		{"a supervisor for another district", sup, ticket("T4", streetC), "invalid"},
		{"an unknown street", sup, ticket("T5", "110101999"), "invalid"},
		{"a grid worker", grid1, ticket("T6", streetA), "denied"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var f invalid.Violations
			r, err := e.s.ImportTicket(t.Context(), tc.id, "", tc.t, &f)
			require.Equal(t, tc.want, kind(err))
			if err != nil {
				return
			}
			require.Equal(t, string(reports.SourceHotline), r.Source)
			require.Equal(t, reports.DefaultTicketSource, r.ExternalSource)
			require.True(t, r.DueAt.Valid, "the type's statutory limit sets the due time")
			require.InDelta(t, 39.9, r.Lat, 1e-9, "a ticket without a point is placed at its street's centroid")
		})
	}
	filed := 0
	for _, s := range e.outbox(t) {
		if s == "report.v1.filed.110101" {
			filed++
		}
	}
	require.Equal(t, 2, filed, "the same number again files nothing")

	for _, tc := range []struct {
		id   auth.Identity
		want string
	}{{street, "ok"}, {grid2, "ok"}, {sup, "ok"}, {city, "ok"}, {streetOf, "not found"}, {supOther, "not found"}, {desk, "denied"}} {
		_, err := e.s.GetTicket(t.Context(), tc.id, "", "T1")
		require.Equal(t, tc.want, kind(err), tc.id.Subject)
	}
}

func TestTicketCSV(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	csv := "external_number,street_id,category,description,lat,lng,address,received_at,due_at\n" +
		"C1," + streetA + ",noise,施工噪音,,,,,2026-03-10 18:00\n" +
		"C2," + streetB + ",weather,刮风,,,,,2026-03-10 18:00\n"
	for _, tc := range []struct {
		name                    string
		imported, importedAgain int
	}{{"the first time", 1, 0}, {"again", 0, 1}} {
		var f invalid.Violations
		got, err := e.s.ImportTicketsCSV(t.Context(), sup, "", csv, "", &f)
		require.NoError(t, err, tc.name)
		require.Equal(t, 2, got.Rows, tc.name)
		require.Equal(t, tc.imported, got.Imported, tc.name)
		require.Equal(t, tc.importedAgain, got.AlreadyImported, tc.name)
		require.Equal(t, []reports.RowError{{Line: 3, Field: "category", Reason: "unknown category"}}, got.Errors, tc.name)
	}
	var f invalid.Violations
	_, err := e.s.ImportTicketsCSV(t.Context(), grid1, "", csv, "", &f)
	require.Equal(t, "denied", kind(err))
}
