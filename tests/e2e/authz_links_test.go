package e2e_test

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	feedbackv1 "github.com/chuishao/whistle/proto/gen/whistle/feedback/v1"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
)

// linkFixture is what the link rows act on (nearBoundaryPair): 东华门's
// target and the duplicate merged into it (景山, the matrix's district
// street, is informed of the duplicate as a neighbour, not of the target),
// another whistle of 东华门 景山 is informed of with a report of 东华门
// triaged into it, and a whistle of 景山.
type linkFixture struct {
	target, dup, informed, report, jingshan string
}

// linkClients are the backends plus intake's report service.
type linkClients struct {
	*backendClients
	reports intakev1.ReportServiceClient
}

type linkRoute = authzRoute[linkFixture, linkClients]

// linksAuthzMatrix: reads that follow a link. Columns are matrixCallers'. On
// a row through a link, A means the caller reads the object and what the
// link brings in, H that it reads the object with the link left out.
//
//	own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
var linksAuthzMatrix = []linkRoute{
	{
		name: "GetWhistle mergedIntoTarget", method: http.MethodGet,
		path: func(f linkFixture) string { return "/v1/whistles/" + f.dup },
		rpc: func(ctx context.Context, c linkClients, f linkFixture) (bool, error) {
			w, err := c.intake.GetWhistle(ctx, &intakev1.GetWhistleRequest{Id: f.dup})
			return slices.ContainsFunc(w.GetDispatches(), func(d *responsev1.Dispatch) bool { return d.GetWhistleId() == f.target }), err
		},
		seen: func(b map[string]any, f linkFixture) bool { return listHas(b, "dispatches", "whistle_id", f.target) },
		// The neighbour reads the duplicate but not the target's dispatches.
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "A   H   N   A    N   N   A   N    A    F   U    U   U   U   U",
	},
	{
		name: "GetWhistle mergedWhistles", method: http.MethodGet,
		path: func(f linkFixture) string { return "/v1/whistles/" + f.target },
		rpc: func(ctx context.Context, c linkClients, f linkFixture) (bool, error) {
			w, err := c.intake.GetWhistle(ctx, &intakev1.GetWhistleRequest{Id: f.target})
			return slices.Contains(w.GetMergedWhistleIds(), f.dup), err
		},
		seen: func(b map[string]any, f linkFixture) bool {
			return slices.ContainsFunc(list(b["merged_whistle_ids"]), func(x any) bool { return str(x) == f.dup })
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "A   N   N   A    N   N   A   N    A    F   U    U   U   U   U",
	},
	{
		name: "GetTimeline mergedIntoTarget", method: http.MethodGet,
		path: func(f linkFixture) string { return "/v1/whistles/" + f.dup + "/timeline" },
		rpc: func(ctx context.Context, c linkClients, f linkFixture) (bool, error) {
			tl, err := c.feedback.GetTimeline(ctx, &feedbackv1.GetTimelineRequest{WhistleId: f.dup})
			return slices.ContainsFunc(tl.GetEntries(), func(e *feedbackv1.TimelineEntry) bool { return e.GetWhistleId() == f.target }), err
		},
		seen: func(b map[string]any, f linkFixture) bool { return listHas(b, "entries", "whistle_id", f.target) },
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "A   H   N   A    N   N   A   N    A    F   U    U   U   U   U",
	},
	{
		name: "GetWhistleReport mergedIntoTarget", method: http.MethodGet,
		path: func(f linkFixture) string { return "/v1/whistles/" + f.dup + "/report" },
		rpc: func(ctx context.Context, c linkClients, f linkFixture) (bool, error) {
			r, err := c.feedback.GetWhistleReport(ctx, &feedbackv1.GetWhistleReportRequest{WhistleId: f.dup})
			return slices.ContainsFunc(r.GetDispatches(), func(d *feedbackv1.DispatchSummary) bool { return d.GetWhistleId() == f.target }), err
		},
		seen: func(b map[string]any, f linkFixture) bool { return listHas(b, "dispatches", "whistle_id", f.target) },
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "A   H   N   A    N   N   A   N    A    F   U    U   U   U   U",
	},
	{
		name: "ListReports linkedToWhistle", method: http.MethodGet,
		path: func(f linkFixture) string { return "/v1/whistles/" + f.informed + "/reports" },
		rpc: func(ctx context.Context, c linkClients, f linkFixture) (bool, error) {
			r, err := c.reports.ListReports(ctx, &intakev1.ListReportsRequest{WhistleId: f.informed})
			return slices.ContainsFunc(r.GetReports(), func(x *intakev1.Report) bool { return x.GetId() == f.report }), err
		},
		seen: func(b map[string]any, f linkFixture) bool { return listHas(b, "reports", "id", f.report) },
		// The whistle's parties read its reports; a neighbour informed of it does not.
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "A   H   N   A    N   N   A   N    A    F   U    U   U   U   U",
	},
	{
		name: "MergeWhistle intoAnotherStreet", method: http.MethodPost,
		body: func(f linkFixture) any { return map[string]any{"into_whistle_id": f.jingshan} },
		path: func(f linkFixture) string { return "/v1/whistles/" + f.target + ":merge" },
		rpc: func(ctx context.Context, c linkClients, f linkFixture) (bool, error) {
			_, err := c.intake.MergeWhistle(ctx, &intakev1.MergeWhistleRequest{Id: f.target, IntoWhistleId: f.jingshan})
			return true, err
		},
		// The owner street's own whistle, into a whistle it may not write: 404 as for an unknown id.
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "N   N   N   F    F   F   F   F    F    F   U    U   U   U   U",
	},
}

// TestLinksAuthorisationMatrix checks the link rows for every caller, at the
// gateway and at the backends.
func TestLinksAuthorisationMatrix(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	target, dup := mergedNearBoundary(t, s)
	ownTok := streetToken(t, s, donghuamen)
	informed := str(raiseAt(t, s, donghuamen, "joint-enforcement", "联合执法", metresNorth(39.922, -10), 116.395)["id"])
	eventually(t, "景山 informed, the whistle routed", func() bool {
		return s.do(t, http.MethodGet, "/v1/whistles/"+informed, streetToken(t, s, "110101002"), nil).status == http.StatusOK &&
			len(list(s.do(t, http.MethodGet, "/v1/whistles/"+informed, ownTok, nil).body["dispatches"])) == 3
	})
	rep := s.do(t, http.MethodPost, "/v1/discovery/reports", ownTok, map[string]any{
		"street_id": donghuamen, "category": "joint-enforcement", "description": "居民反映夜间施工",
		"location": map[string]any{"lat": metresNorth(39.922, -10), "lng": 116.395}})
	require.Equal(t, http.StatusOK, rep.status, rep.raw)
	report := str(obj(rep.body["report"])["id"])
	triage := s.do(t, http.MethodPost, "/v1/discovery/reports:triage", ownTok, map[string]any{
		"report_ids": []string{report}, "action": "MERGE", "whistle_id": informed})
	require.Equal(t, http.StatusOK, triage.status, triage.raw)
	f := linkFixture{target: target, dup: dup, informed: informed, report: report,
		jingshan: str(raiseAt(t, s, "110101002", "garbage", "垃圾", 39.93, 116.39)["id"])}

	tokens := matrixTokens(t, s)
	for _, w := range []string{dup, target, informed} {
		eventually(t, "feedback knows the police dispatch of "+w, func() bool {
			return s.do(t, http.MethodGet, "/v1/whistles/"+w+"/timeline", tokens["owning-desk"], nil).status == http.StatusOK
		})
	}
	conn, err := grpc.NewClient(s.grpc.discovery, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	clients := linkClients{backendClients: dialBackends(t, s), reports: intakev1.NewReportServiceClient(conn)}

	runAuthzMatrix(t, s, linksAuthzMatrix, matrixCallers, tokens, clients, f)
}
