package e2e_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/timestamppb"

	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
)

// reportCallers are callers of the authorisation matrix (matrixTokens) plus
// three grid workers: one of the owner street (on micro-grid DHM-01, the
// reporter), one of another street of the district, and one of the owner
// street's next micro-grid (DHM-02).
var reportCallers = []string{
	"owner-street", "district-street", "other-street", "owning-desk", "district-desk", "other-desk",
	"supervisor", "other-supervisor", "city-supervisor", "admin", "no-token", "expired-token", "foreign-key-token",
	"owner-grid", "other-grid", "sibling-grid",
}

// reportFixture is what the report routes act on: a whistle of the owner
// street, a grid worker's report, a ticket and a follow-up token.
type reportFixture struct {
	whistleID, reportID, ticket, followUp string
}

type reportRoute = authzRoute[reportFixture, intakev1.ReportServiceClient]

const reportCSVBody = "external_number,street_id,category,description,lat,lng,address,received_at,due_at\n" +
	"AUTHZ-CSV-1," + donghuamen + ",garbage,d,39.91,116.40,,,2026-11-26 08:00\n"

func ticketRequest() *intakev1.ImportTicketRequest {
	return &intakev1.ImportTicketRequest{ExternalNumber: "AUTHZ-T-2", StreetId: donghuamen, Category: "garbage",
		Description: "来电", Location: &typesv1.LatLng{Lat: spotLat, Lng: spotLng}, DueAt: timestamppb.New(t0.Add(72 * time.Hour))}
}

// reportsAuthzMatrix holds the rows of issue 13's methods. Columns:
//
//	own dSt oSt desk dDk oDk sup oSup city adm none exp key | oGrid xGrid sGrid
//
// Public routes answer everyone, but a token that is sent is still verified.
// A street or supervisor importing a ticket for a street outside its scope
// is a field error (the row is refused), hence A.
var reportsAuthzMatrix = []reportRoute{
	{
		name: "GetInbox", method: http.MethodGet,
		path: func(reportFixture) string { return "/v1/streets/" + donghuamen + "/inbox" },
		rpc: func(ctx context.Context, c intakev1.ReportServiceClient, _ reportFixture) (bool, error) {
			_, err := c.GetInbox(ctx, &intakev1.GetInboxRequest{StreetId: donghuamen})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key oGrid xGrid sGrid
		want: "A   N   N   F    F   F   A   N    A    F   U    U   U   A     N     A",
	},
	{
		name: "GetReport", method: http.MethodGet,
		path: func(f reportFixture) string { return "/v1/discovery/reports/" + f.reportID },
		rpc: func(ctx context.Context, c intakev1.ReportServiceClient, f reportFixture) (bool, error) {
			_, err := c.GetReport(ctx, &intakev1.GetReportRequest{Id: f.reportID})
			return true, err
		},
		want: "A   N   N   F    F   F   A   N    A    F   U    U   U   A     N     N",
	},
	{
		name: "ListReports", method: http.MethodGet,
		path: func(reportFixture) string { return "/v1/discovery/reports?street_id=" + donghuamen },
		rpc: func(ctx context.Context, c intakev1.ReportServiceClient, f reportFixture) (bool, error) {
			r, err := c.ListReports(ctx, &intakev1.ListReportsRequest{StreetId: donghuamen})
			return slices.ContainsFunc(r.GetReports(), func(x *intakev1.Report) bool { return x.GetId() == f.reportID }), err
		},
		seen: func(b map[string]any, f reportFixture) bool {
			return slices.ContainsFunc(list(b["reports"]), func(x any) bool { return str(obj(x)["id"]) == f.reportID })
		},
		want: "A   N   N   F    F   F   A   N    A    F   U    U   U   A     N     H",
	},
	{
		name: "ListReports ofWhistle", method: http.MethodGet,
		path: func(f reportFixture) string { return "/v1/whistles/" + f.whistleID + "/reports" },
		rpc: func(ctx context.Context, c intakev1.ReportServiceClient, f reportFixture) (bool, error) {
			_, err := c.ListReports(ctx, &intakev1.ListReportsRequest{WhistleId: f.whistleID})
			return true, err
		},
		// Whoever may read the whistle (GetWhistle's row); grid workers read reports, not whistles.
		want: "A   N   N   A    N   N   A   N    A    F   U    U   U   F     F     F",
	},
	{
		name: "GetTicket", method: http.MethodGet,
		path: func(f reportFixture) string { return "/v1/tickets/" + f.ticket },
		rpc: func(ctx context.Context, c intakev1.ReportServiceClient, f reportFixture) (bool, error) {
			_, err := c.GetTicket(ctx, &intakev1.GetTicketRequest{ExternalNumber: f.ticket})
			return true, err
		},
		want: "A   N   N   F    F   F   A   N    A    F   U    U   U   A     N     A",
	},
	{
		name: "FileReport", method: http.MethodPost,
		path: func(reportFixture) string { return "/v1/discovery/reports" },
		body: map[string]any{"street_id": donghuamen, "category": "garbage", "description": "垃圾",
			"location": map[string]any{"lat": spotLat, "lng": spotLng}},
		rpc: func(ctx context.Context, c intakev1.ReportServiceClient, _ reportFixture) (bool, error) {
			_, err := c.FileReport(ctx, &intakev1.FileReportRequest{StreetId: donghuamen, Category: "garbage", Description: "垃圾",
				Location: &typesv1.LatLng{Lat: spotLat, Lng: spotLng}})
			return true, err
		},
		want: "A   F   F   F    F   F   F   F    F    F   U    U   U   A     F     A",
	},
	{
		name: "ImportTicket", method: http.MethodPost,
		path: func(reportFixture) string { return "/v1/tickets" },
		body: map[string]any{"external_number": "AUTHZ-T-2", "street_id": donghuamen, "category": "garbage", "description": "来电",
			"location": map[string]any{"lat": spotLat, "lng": spotLng}, "due_at": t0.Add(72 * time.Hour).Format(time.RFC3339)},
		rpc: func(ctx context.Context, c intakev1.ReportServiceClient, _ reportFixture) (bool, error) {
			_, err := c.ImportTicket(ctx, ticketRequest())
			return true, err
		},
		// A street of another district imports none for 东华门: NotFound once it exists.
		want: "A   A   A   F    F   F   A   A    A    F   U    U   U   F     F     F",
	},
	{
		name: "ImportTicketsCsv", method: http.MethodPost,
		path: func(reportFixture) string { return "/v1/tickets:importCsv" },
		body: map[string]any{"csv": reportCSVBody},
		rpc: func(ctx context.Context, c intakev1.ReportServiceClient, _ reportFixture) (bool, error) {
			_, err := c.ImportTicketsCsv(ctx, &intakev1.ImportTicketsCsvRequest{Csv: reportCSVBody})
			return true, err
		},
		want: "A   A   A   F    F   F   A   A    A    F   U    U   U   F     F     F",
	},
	{
		name: "IssueFollowUpToken", method: http.MethodPost, body: map[string]any{},
		path: func(f reportFixture) string { return "/v1/whistles/" + f.whistleID + ":followUpToken" },
		rpc: func(ctx context.Context, c intakev1.ReportServiceClient, f reportFixture) (bool, error) {
			_, err := c.IssueFollowUpToken(ctx, &intakev1.IssueFollowUpTokenRequest{WhistleId: f.whistleID})
			return true, err
		},
		want: "A   N   N   F    F   F   F   F    F    F   U    U   U   F     F     F",
	},
	{
		name: "SubmitPublicReport", method: http.MethodPost,
		path: func(reportFixture) string { return "/v1/public/reports" },
		body: map[string]any{"street_id": donghuamen, "category": "garbage", "description": "垃圾",
			"location": map[string]any{"lat": spotLat, "lng": spotLng}},
		rpc: func(ctx context.Context, c intakev1.ReportServiceClient, _ reportFixture) (bool, error) {
			_, err := c.SubmitPublicReport(ctx, &intakev1.SubmitPublicReportRequest{StreetId: donghuamen, Category: "garbage",
				Description: "垃圾", Location: &typesv1.LatLng{Lat: spotLat, Lng: spotLng}})
			return true, err
		},
		want: "A   A   A   A    A   A   A   A    A    A   A    U   U   A     A     A",
	},
	{
		name: "GetFollowUp", method: http.MethodGet,
		path: func(f reportFixture) string { return "/v1/public/follow-ups/" + f.followUp },
		rpc: func(ctx context.Context, c intakev1.ReportServiceClient, f reportFixture) (bool, error) {
			_, err := c.GetFollowUp(ctx, &intakev1.GetFollowUpRequest{Token: f.followUp})
			return true, err
		},
		want: "A   A   A   A    A   A   A   A    A    A   A    U   U   A     A     A",
	},
	{
		name: "RateFollowUp", method: http.MethodPost, body: map[string]any{"satisfaction": 5, "fixed": true},
		path: func(f reportFixture) string { return "/v1/public/follow-ups/" + f.followUp + ":rate" },
		rpc: func(ctx context.Context, c intakev1.ReportServiceClient, f reportFixture) (bool, error) {
			fixed := true
			_, err := c.RateFollowUp(ctx, &intakev1.RateFollowUpRequest{Token: f.followUp, Satisfaction: 5, Fixed: &fixed})
			return true, err
		},
		// The report is not closed yet: FailedPrecondition for everyone who gets through.
		want: "A   A   A   A    A   A   A   A    A    A   A    U   U   A     A     A",
	},
	{
		name: "GetPublicResults", method: http.MethodGet,
		path: func(reportFixture) string { return "/v1/public/results?district_id=" + dongcheng },
		rpc: func(ctx context.Context, c intakev1.ReportServiceClient, _ reportFixture) (bool, error) {
			_, err := c.GetPublicResults(ctx, &intakev1.GetPublicResultsRequest{DistrictId: dongcheng})
			return true, err
		},
		want: "A   A   A   A    A   A   A   A    A    A   A    U   U   A     A     A",
	},
	{
		// Asked with an invalid attachment: the reporter gets 415 (the JSON
		// body is no photo) or InvalidArgument; the street reads the report
		// but adds no photo to a grid worker's.
		name: "AddReportAttachment", method: http.MethodPost, body: map[string]any{},
		path: func(f reportFixture) string { return "/v1/discovery/reports/" + f.reportID + "/attachments" },
		rpc: func(ctx context.Context, c intakev1.ReportServiceClient, f reportFixture) (bool, error) {
			_, err := c.AddReportAttachment(ctx, &intakev1.AddReportAttachmentRequest{Attachment: &intakev1.Attachment{
				ReportId: f.reportID, Stage: "report", Id: "not-a-uuid"}})
			return true, err
		},
		want: "F   N   N   F    F   F   F   F    F    F   U    U   U   A     N     N",
	},
	{
		// An unknown variant is refused only after the report's own check.
		name: "GetReportAttachment", method: http.MethodGet,
		path: func(f reportFixture) string {
			return "/v1/discovery/reports/" + f.reportID + "/attachments/00000000-0000-7000-8000-000000000000?variant=bogus"
		},
		rpc: func(ctx context.Context, c intakev1.ReportServiceClient, f reportFixture) (bool, error) {
			_, err := c.GetReportAttachment(ctx, &intakev1.GetReportAttachmentRequest{
				ReportId: f.reportID, Id: "00000000-0000-7000-8000-000000000000", Variant: "bogus"})
			return true, err
		},
		want: "A   N   N   F    F   F   A   N    A    F   U    U   U   A     N     N",
	},
	{
		name: "RecordTicketFollowUp", method: http.MethodPost, body: map[string]any{"satisfaction": 5, "fixed": true},
		path: func(f reportFixture) string { return "/v1/tickets/" + f.ticket + ":followUp" },
		rpc: func(ctx context.Context, c intakev1.ReportServiceClient, f reportFixture) (bool, error) {
			fixed := true
			_, err := c.RecordTicketFollowUp(ctx, &intakev1.RecordTicketFollowUpRequest{ExternalNumber: f.ticket, Satisfaction: 5, Fixed: &fixed})
			return true, err
		},
		// The ticket is open: FailedPrecondition for whoever finds it in scope.
		want: "A   N   N   F    F   F   A   N    A    F   U    U   U   F     F     F",
	},
	{
		name: "ListTicketReturns", method: http.MethodGet,
		path: func(reportFixture) string { return "/v1/districts/" + dongcheng + "/ticket-returns" },
		rpc: func(ctx context.Context, c intakev1.ReportServiceClient, _ reportFixture) (bool, error) {
			_, err := c.ListTicketReturns(ctx, &intakev1.ListTicketReturnsRequest{DistrictId: dongcheng})
			return true, err
		},
		// Supervisors only; another district's is NotFound.
		want: "F   F   F   F    F   F   A   N    A    F   U    U   U   F     F     F",
	},
	{
		// Last: the owner street really triages the report.
		name: "TriageReports", method: http.MethodPost,
		path: func(reportFixture) string { return "/v1/discovery/reports:triage" },
		body: func(f reportFixture) any {
			return map[string]any{"report_ids": []string{f.reportID}, "action": "HANDLE_LOCALLY", "result": "已处理"}
		},
		rpc: func(ctx context.Context, c intakev1.ReportServiceClient, f reportFixture) (bool, error) {
			_, err := c.TriageReports(ctx, &intakev1.TriageReportsRequest{ReportIds: []string{f.reportID},
				Action: intakev1.Report_HANDLE_LOCALLY, Result: "已处理"})
			return true, err
		},
		want: "A   N   N   F    F   F   F   F    F    F   U    U   U   F     F     F",
	},
}

// TestReportsAuthorisationMatrix checks every ReportService route for every
// caller at the gateway and at intake's gRPC port, like TestAuthorisationMatrix.
func TestReportsAuthorisationMatrix(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	whistleID, _ := raise(t, s, donghuamen, "joint-enforcement", 3)
	tokens := matrixTokens(t, s)
	tokens["owner-grid"] = gridToken(t, s, donghuamen, "DHM-01")
	tokens["other-grid"] = gridToken(t, s, "110101002", "JGS-01")
	tokens["sibling-grid"] = gridToken(t, s, donghuamen, "DHM-02")

	filed := s.do(t, http.MethodPost, "/v1/discovery/reports", tokens["owner-grid"], map[string]any{
		"category": "garbage", "description": "垃圾", "location": map[string]any{"lat": spotLat, "lng": spotLng}})
	require.Equal(t, http.StatusOK, filed.status, filed.raw)
	ticket := s.do(t, http.MethodPost, "/v1/tickets", tokens["supervisor"], map[string]any{
		"external_number": "AUTHZ-T-1", "street_id": donghuamen, "category": "garbage", "description": "来电",
		"due_at": t0.Add(72 * time.Hour).Format(time.RFC3339)})
	require.Equal(t, http.StatusOK, ticket.status, ticket.raw)
	f := reportFixture{whistleID: whistleID, reportID: str(obj(filed.body["report"])["id"]), ticket: "AUTHZ-T-1",
		followUp: str(filed.body["follow_up_token"])}
	conn, err := grpc.NewClient(s.grpc.discovery, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	client := intakev1.NewReportServiceClient(conn)
	// The owning desk reads the whistle once its dispatch is known to intake.
	eventually(t, "intake knows the police dispatch", func() bool {
		return s.do(t, http.MethodGet, "/v1/whistles/"+whistleID, tokens["owning-desk"], nil).status == http.StatusOK
	})

	runAuthzMatrix(t, s, reportsAuthzMatrix, reportCallers, tokens, client, f)
}
