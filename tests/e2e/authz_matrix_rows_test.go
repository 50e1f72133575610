package e2e_test

import (
	"context"
	"net/http"
	"slices"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	feedbackv1 "github.com/chuishao/whistle/proto/gen/whistle/feedback/v1"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
)

// authzMatrix is THE table. Columns:
//
//	own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
//
// Routes run top to bottom against one whistle; the mutating ones come after
// the reads, and cancel last, because allowed callers really act.
var authzMatrix = []matrixRoute{
	// Reference data: every signed-in caller reads it, whatever its scope.
	{
		name: "ListDistricts", method: http.MethodGet,
		path: func(matrixFixture) string { return "/v1/districts" },
		rpc: func(ctx context.Context, c *backendClients, _ matrixFixture) (bool, error) {
			_, err := c.routing.ListDistricts(ctx, &routingv1.ListDistrictsRequest{})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "A   A   A   A    A   A   A   A    A    A   U    U   U   U   U",
	},
	{
		name: "ListStreets", method: http.MethodGet,
		path: func(matrixFixture) string { return "/v1/streets?district=" + dongcheng },
		rpc: func(ctx context.Context, c *backendClients, _ matrixFixture) (bool, error) {
			_, err := c.routing.ListStreets(ctx, &routingv1.ListStreetsRequest{District: dongcheng})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "A   A   A   A    A   A   A   A    A    A   U    U   U   U   U",
	},
	{
		name: "GetStreet", method: http.MethodGet,
		path: func(matrixFixture) string { return "/v1/streets/" + donghuamen },
		rpc: func(ctx context.Context, c *backendClients, _ matrixFixture) (bool, error) {
			_, err := c.routing.GetStreet(ctx, &routingv1.GetStreetRequest{Id: donghuamen})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "A   A   A   A    A   A   A   A    A    A   A    U   U   U   U",
	},
	{
		name: "ListDepartments", method: http.MethodGet,
		path: func(matrixFixture) string { return "/v1/departments" },
		rpc: func(ctx context.Context, c *backendClients, _ matrixFixture) (bool, error) {
			_, err := c.routing.ListDepartments(ctx, &routingv1.ListDepartmentsRequest{})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "A   A   A   A    A   A   A   A    A    A   U    U   U   U   U",
	},
	{
		name: "ListCategories", method: http.MethodGet,
		path: func(matrixFixture) string { return "/v1/categories" },
		rpc: func(ctx context.Context, c *backendClients, _ matrixFixture) (bool, error) {
			_, err := c.routing.ListCategories(ctx, &routingv1.ListCategoriesRequest{})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "A   A   A   A    A   A   A   A    A    A   U    U   U   U   U",
	},
	{
		name: "GetCategory", method: http.MethodGet,
		path: func(matrixFixture) string { return "/v1/categories/joint-enforcement" },
		rpc: func(ctx context.Context, c *backendClients, _ matrixFixture) (bool, error) {
			_, err := c.routing.GetCategory(ctx, &routingv1.GetCategoryRequest{Code: "joint-enforcement"})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "A   A   A   A    A   A   A   A    A    A   A    U   U   U   U",
	},
	// SLA calendars and policies: the admin's alone.
	{
		name: "ListPolicies", method: http.MethodGet,
		path: func(matrixFixture) string { return "/v1/sla/policies" },
		rpc: func(ctx context.Context, c *backendClients, _ matrixFixture) (bool, error) {
			_, err := c.slaAdmin.ListPolicies(ctx, &responsev1.ListPoliciesRequest{})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   F    F   F   F   F    F    A   U    U   U   U   U",
	},
	{
		name: "ListCalendarDays", method: http.MethodGet,
		path: func(matrixFixture) string { return "/v1/sla/calendar/2026" },
		rpc: func(ctx context.Context, c *backendClients, _ matrixFixture) (bool, error) {
			_, err := c.slaAdmin.ListCalendarDays(ctx, &responsev1.ListCalendarDaysRequest{Year: 2026})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   F    F   F   F   F    F    A   U    U   U   U   U",
	},
	{
		name: "LocateStreet", method: http.MethodPost,
		path: func(matrixFixture) string { return "/v1/streets/" + donghuamen + ":locate" },
		body: map[string]any{"location": map[string]any{"lat": 39.9146, "lng": 116.4036}},
		rpc: func(ctx context.Context, c *backendClients, _ matrixFixture) (bool, error) {
			_, err := c.routing.LocateStreet(ctx, &routingv1.LocateStreetRequest{
				StreetId: donghuamen, Location: &typesv1.LatLng{Lat: 39.9146, Lng: 116.4036}})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "A   A   A   A    A   A   A   A    A    A   U    U   U   U   U",
	},
	{
		name: "ListDispatches", method: http.MethodGet,
		path: func(f matrixFixture) string { return "/v1/dispatches?whistle_id=" + f.whistleID },
		rpc: func(ctx context.Context, c *backendClients, f matrixFixture) (bool, error) {
			r, err := c.response.ListDispatches(ctx, &responsev1.ListDispatchesRequest{WhistleId: f.whistleID})
			return slices.ContainsFunc(r.GetDispatches(), func(d *responsev1.Dispatch) bool { return d.GetId() == f.dispatchID }), err
		},
		seen: func(b map[string]any, f matrixFixture) bool {
			return slices.ContainsFunc(list(b["dispatches"]), func(d any) bool { return str(obj(d)["id"]) == f.dispatchID })
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   A    H   H   A   H    A    F   U    U   U   U   U",
	},
	{
		name: "ListWhistles", method: http.MethodGet,
		path: func(matrixFixture) string { return "/v1/whistles?street_id=" + donghuamen },
		rpc: func(ctx context.Context, c *backendClients, f matrixFixture) (bool, error) {
			r, err := c.intake.ListWhistles(ctx, &intakev1.ListWhistlesRequest{StreetId: donghuamen})
			return slices.ContainsFunc(r.GetWhistles(), func(w *intakev1.Whistle) bool { return w.GetId() == f.whistleID }), err
		},
		seen: func(b map[string]any, f matrixFixture) bool {
			return slices.ContainsFunc(list(b["whistles"]), func(w any) bool { return str(obj(w)["id"]) == f.whistleID })
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "A   F   F   F    F   F   A   H    A    F   U    U   U   U   U",
	},
	{
		// A search without filters reads the caller's whole scope: a street's
		// own whistles, a desk's dispatched ones, a supervisor's district.
		name: "SearchWhistles", method: http.MethodGet,
		path: func(matrixFixture) string { return "/v1/search/whistles?page_size=100" },
		rpc: func(ctx context.Context, c *backendClients, f matrixFixture) (bool, error) {
			r, err := c.intake.SearchWhistles(ctx, &intakev1.SearchWhistlesRequest{PageSize: 100})
			return slices.ContainsFunc(r.GetWhistles(), func(w *intakev1.Whistle) bool { return w.GetId() == f.whistleID }), err
		},
		seen: func(b map[string]any, f matrixFixture) bool {
			return slices.ContainsFunc(list(b["whistles"]), func(w any) bool { return str(obj(w)["id"]) == f.whistleID })
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "A   H   H   A    H   H   A   H    A    F   U    U   U   U   U",
	},
	{
		// The risk board: every open dispatch whose deadline is within a day
		// is at risk, the police dispatch of the fixture too.
		name: "ListDispatchesAtRisk", method: http.MethodGet,
		path: func(matrixFixture) string { return "/v1/risk/dispatches?within_minutes=1440&page_size=200" },
		rpc: func(ctx context.Context, c *backendClients, f matrixFixture) (bool, error) {
			r, err := c.response.ListDispatchesAtRisk(ctx, &responsev1.ListDispatchesAtRiskRequest{WithinMinutes: 1440, PageSize: 200})
			return slices.ContainsFunc(r.GetDispatches(), func(d *responsev1.Dispatch) bool { return d.GetId() == f.dispatchID }), err
		},
		seen: func(b map[string]any, f matrixFixture) bool {
			return slices.ContainsFunc(list(b["dispatches"]), func(d any) bool { return str(obj(d)["id"]) == f.dispatchID })
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   A    H   H   A   H    A    F   U    U   U   U   U",
	},
	{
		name: "GetWhistle", method: http.MethodGet,
		path: func(f matrixFixture) string { return "/v1/whistles/" + f.whistleID },
		rpc: func(ctx context.Context, c *backendClients, f matrixFixture) (bool, error) {
			_, err := c.intake.GetWhistle(ctx, &intakev1.GetWhistleRequest{Id: f.whistleID})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "A   N   N   A    N   N   A   N    A    F   U    U   U   U   U",
	},
	{
		name: "GetTimeline", method: http.MethodGet,
		path: func(f matrixFixture) string { return "/v1/whistles/" + f.whistleID + "/timeline" },
		rpc: func(ctx context.Context, c *backendClients, f matrixFixture) (bool, error) {
			_, err := c.feedback.GetTimeline(ctx, &feedbackv1.GetTimelineRequest{WhistleId: f.whistleID})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "A   N   N   A    N   N   A   N    A    F   U    U   U   U   U",
	},
	{
		name: "GetWhistleReport", method: http.MethodGet,
		path: func(f matrixFixture) string { return "/v1/whistles/" + f.whistleID + "/report" },
		rpc: func(ctx context.Context, c *backendClients, f matrixFixture) (bool, error) {
			_, err := c.feedback.GetWhistleReport(ctx, &feedbackv1.GetWhistleReportRequest{WhistleId: f.whistleID})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "A   N   N   A    N   N   A   N    A    F   U    U   U   U   U",
	},
	{
		name: "ExplainRouting", method: http.MethodGet,
		path: func(f matrixFixture) string { return "/v1/whistles/" + f.whistleID + "/routing" },
		rpc: func(ctx context.Context, c *backendClients, f matrixFixture) (bool, error) {
			_, err := c.routing.ExplainRouting(ctx, &routingv1.ExplainRoutingRequest{WhistleId: f.whistleID})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "A   N   N   A    N   N   A   N    A    A   U    U   U   U   U",
	},
	{
		name: "GetSlaReport", method: http.MethodGet,
		path: func(matrixFixture) string {
			return "/v1/reports/sla?district=" + dongcheng + "&from=" + reportFrom + "&to=" + reportTo
		},
		rpc: func(ctx context.Context, c *backendClients, _ matrixFixture) (bool, error) {
			_, err := c.feedback.GetSlaReport(ctx, &feedbackv1.GetSlaReportRequest{District: dongcheng,
				From: timestamppb.New(mustTime(reportFrom)), To: timestamppb.New(mustTime(reportTo))})
			return true, err
		},
		// A district is a public scope (ListDistricts names them all), not an
		// object whose existence could leak, so a supervisor of another
		// district is refused with 403.
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   F    F   F   A   F    A    A   U    U   U   U   U",
	},
	{
		name: "GetScorecards", method: http.MethodGet,
		path: func(matrixFixture) string {
			return "/v1/reports/scorecards?district=" + dongcheng + "&from=" + reportFrom + "&to=" + reportTo
		},
		rpc: func(ctx context.Context, c *backendClients, _ matrixFixture) (bool, error) {
			_, err := c.feedback.GetScorecards(ctx, &feedbackv1.GetScorecardsRequest{District: dongcheng,
				From: timestamppb.New(mustTime(reportFrom)), To: timestamppb.New(mustTime(reportTo))})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   F    F   F   A   F    A    A   U    U   U   U   U",
	},
	{
		// A drill's report: the district's supervisors and admins, like the scorecards.
		name: "GetDrillReport", method: http.MethodGet,
		path: func(matrixFixture) string {
			return "/v1/drills/matrix_drill/report?district=" + dongcheng + "&real_from=" + reportFrom + "&real_to=" + reportTo
		},
		rpc: func(ctx context.Context, c *backendClients, _ matrixFixture) (bool, error) {
			_, err := c.feedback.GetDrillReport(ctx, &feedbackv1.GetDrillReportRequest{DrillId: "matrix_drill", District: dongcheng,
				RealFrom: timestamppb.New(mustTime(reportFrom)), RealTo: timestamppb.New(mustTime(reportTo))})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   F    F   F   A   F    A    A   U    U   U   U   U",
	},
	{
		// Raising into a drill: only who runs drills (the street's district
		// supervisor, a city supervisor, an admin); no street or desk.
		name: "RaiseWhistle (into a drill)", method: http.MethodPost, path: func(matrixFixture) string { return "/v1/whistles" },
		body: map[string]any{"street_id": donghuamen, "category": "garbage", "description": "演练", "drill_id": "matrix_drill",
			"location": map[string]any{"lat": 39.9146, "lng": 116.4036}},
		rpc: func(ctx context.Context, c *backendClients, _ matrixFixture) (bool, error) {
			_, err := c.intake.RaiseWhistle(ctx, &intakev1.RaiseWhistleRequest{StreetId: donghuamen, Category: "garbage",
				Description: "演练", DrillId: "matrix_drill", Location: &typesv1.LatLng{Lat: 39.9146, Lng: 116.4036}})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   F    F   F   A   N    A    A   U    U   U   U   U",
	},
	{
		name: "ListHotspots", method: http.MethodGet,
		path: func(matrixFixture) string { return "/v1/reports/hotspots?district=" + dongcheng },
		rpc: func(ctx context.Context, c *backendClients, _ matrixFixture) (bool, error) {
			_, err := c.feedback.ListHotspots(ctx, &feedbackv1.ListHotspotsRequest{District: dongcheng})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   F    F   F   A   F    A    A   U    U   U   U   U",
	},
	{
		// A street sees its own street only: another street of the district
		// is answered, without the owner's pair.
		name: "AnalyzeHotspots", method: http.MethodGet,
		path: func(matrixFixture) string { return "/v1/reports/hotspots:analyze?district=" + dongcheng },
		rpc: func(ctx context.Context, c *backendClients, _ matrixFixture) (bool, error) {
			a, err := c.feedback.AnalyzeHotspots(ctx, &feedbackv1.AnalyzeHotspotsRequest{District: dongcheng})
			return slices.ContainsFunc(a.GetPairs(), func(p *feedbackv1.HotspotPair) bool {
				return p.GetStreetId() == donghuamen && p.GetCategory() == "joint-enforcement"
			}), err
		},
		seen: func(body map[string]any, _ matrixFixture) bool {
			return slices.ContainsFunc(list(body["pairs"]), func(p any) bool {
				return str(obj(p)["street_id"]) == donghuamen && str(obj(p)["category"]) == "joint-enforcement"
			})
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "A   H   F   F    F   F   A   F    A    A   U    U   U   U   U",
	},
	{
		name: "GetMonthlyScorecard", method: http.MethodGet,
		path: func(matrixFixture) string { return "/v1/reports/monthly?district=" + dongcheng + "&month=2026-11" },
		rpc: func(ctx context.Context, c *backendClients, _ matrixFixture) (bool, error) {
			_, err := c.feedback.GetMonthlyScorecard(ctx, &feedbackv1.GetMonthlyScorecardRequest{District: dongcheng, Month: "2026-11"})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   F    F   F   A   F    A    A   U    U   U   U   U",
	},
	{
		name: "ListArbitrations", method: http.MethodGet,
		path: func(matrixFixture) string { return "/v1/arbitrations?district=" + dongcheng },
		rpc: func(ctx context.Context, c *backendClients, _ matrixFixture) (bool, error) {
			_, err := c.routing.ListArbitrations(ctx, &routingv1.ListArbitrationsRequest{District: dongcheng})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   F    F   F   A   F    A    F   U    U   U   U   U",
	},
	{
		name: "GetDispatch", method: http.MethodGet,
		path: func(f matrixFixture) string { return "/v1/dispatches/" + f.dispatchID },
		rpc: func(ctx context.Context, c *backendClients, f matrixFixture) (bool, error) {
			_, err := c.response.GetDispatch(ctx, &responsev1.GetDispatchRequest{Id: f.dispatchID})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   A    N   N   A   N    A    F   U    U   U   U   U",
	},
	{
		name: "FileAppeal", method: http.MethodPost,
		body: func(f matrixFixture) any {
			return map[string]any{"dispatch_id": f.dispatchID, "clock": "ack", "reason_code": "other", "reason": "系统故障未能及时签收"}
		},
		path: func(matrixFixture) string { return "/v1/appeals" },
		rpc: func(ctx context.Context, c *backendClients, f matrixFixture) (bool, error) {
			_, err := c.feedback.FileAppeal(ctx, &feedbackv1.FileAppealRequest{DispatchId: f.dispatchID, Clock: "ack", ReasonCode: "other", Reason: "系统故障未能及时签收"})
			return true, err
		},
		// Allowed: the desk's appeal against the breach (makeMatrixObjects)
		// comes back, filing is idempotent.
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   A    N   N   F   F    F    F   U    U   U   U   U",
	},
	{
		name: "AcknowledgeDispatch", method: http.MethodPost, body: map[string]any{},
		path: func(f matrixFixture) string { return "/v1/dispatches/" + f.dispatchID + ":acknowledge" },
		rpc: func(ctx context.Context, c *backendClients, f matrixFixture) (bool, error) {
			_, err := c.response.AcknowledgeDispatch(ctx, &responsev1.AcknowledgeDispatchRequest{Id: f.dispatchID})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   A    N   N   F   F    F    F   U    U   U   U   U",
	},
	{
		name: "RequestExtension", method: http.MethodPost,
		body: map[string]any{"clock": "arrive", "until": t0.Add(6 * time.Hour).Format(time.RFC3339), "reason": "道路封闭，需绕行"},
		path: func(f matrixFixture) string { return "/v1/dispatches/" + f.dispatchID + ":requestExtension" },
		rpc: func(ctx context.Context, c *backendClients, f matrixFixture) (bool, error) {
			_, err := c.response.RequestExtension(ctx, &responsev1.RequestExtensionRequest{
				Id: f.dispatchID, Clock: "arrive", Until: timestamppb.New(t0.Add(6 * time.Hour)), Reason: "道路封闭，需绕行"})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   A    N   N   F   F    F    F   U    U   U   U   U",
	},
	{
		name: "EscalateDispatch", method: http.MethodPost, body: map[string]any{"reason": "群众反映强烈"},
		path: func(f matrixFixture) string { return "/v1/dispatches/" + f.dispatchID + ":escalate" },
		rpc: func(ctx context.Context, c *backendClients, f matrixFixture) (bool, error) {
			_, err := c.response.EscalateDispatch(ctx, &responsev1.EscalateDispatchRequest{Id: f.dispatchID, Reason: "群众反映强烈"})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   F    F   F   A   N    A    F   U    U   U   U   U",
	},
	{
		name: "ArriveDispatch", method: http.MethodPost,
		body: map[string]any{"location": map[string]any{"lat": 39.9146, "lng": 116.4036}},
		path: func(f matrixFixture) string { return "/v1/dispatches/" + f.dispatchID + ":arrive" },
		rpc: func(ctx context.Context, c *backendClients, f matrixFixture) (bool, error) {
			_, err := c.response.ArriveDispatch(ctx, &responsev1.ArriveDispatchRequest{Id: f.dispatchID, Location: &typesv1.LatLng{Lat: 39.9146, Lng: 116.4036}})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   A    N   N   F   F    F    F   U    U   U   U   U",
	},
	{
		name: "ResolveDispatch", method: http.MethodPost, body: map[string]any{"summary": "已责令停工"},
		path: func(f matrixFixture) string { return "/v1/dispatches/" + f.dispatchID + ":resolve" },
		rpc: func(ctx context.Context, c *backendClients, f matrixFixture) (bool, error) {
			_, err := c.response.ResolveDispatch(ctx, &responsev1.ResolveDispatchRequest{Id: f.dispatchID, Summary: "已责令停工"})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   A    N   N   F   F    F    F   U    U   U   U   U",
	},
	{
		name: "ReturnDispatch", method: http.MethodPost, body: map[string]any{"reason": "不属本部门职责", "reason_code": "NOT_OUR_REMIT"},
		path: func(f matrixFixture) string { return "/v1/dispatches/" + f.dispatchID + ":return" },
		rpc: func(ctx context.Context, c *backendClients, f matrixFixture) (bool, error) {
			_, err := c.response.ReturnDispatch(ctx, &responsev1.ReturnDispatchRequest{Id: f.dispatchID, Reason: "不属本部门职责", ReasonCode: responsev1.Dispatch_NOT_OUR_REMIT})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   A    N   N   F   F    F    F   U    U   U   U   U",
	},
	{
		name: "ConfirmLocation", method: http.MethodPost, body: map[string]any{"note": "位置无误"},
		path: func(f matrixFixture) string { return "/v1/whistles/" + f.whistleID + ":confirmLocation" },
		rpc: func(ctx context.Context, c *backendClients, f matrixFixture) (bool, error) {
			_, err := c.routing.ConfirmLocation(ctx, &routingv1.ConfirmLocationRequest{WhistleId: f.whistleID, Note: "位置无误"})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "A   N   N   F    F   F   F   F    F    F   U    U   U   U   U",
	},
	{
		// Asked with an invalid attachment: who may add evidence gets 400 (a
		// desk: wrong stage; the street: bad fields, or the JSON body's type).
		name: "AddAttachment", method: http.MethodPost, body: map[string]any{},
		path: func(f matrixFixture) string { return "/v1/whistles/" + f.whistleID + "/attachments?stage=raise" },
		rpc: func(ctx context.Context, c *backendClients, f matrixFixture) (bool, error) {
			_, err := c.intake.AddAttachment(ctx, &intakev1.AddAttachmentRequest{Attachment: &intakev1.Attachment{
				WhistleId: f.whistleID, Stage: "raise", Id: "not-a-uuid"}})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "A   N   N   A    N   N   F   F    F    F   U    U   U   U   U",
	},
	{
		// An unknown variant is refused only after the whistle's own check.
		name: "GetAttachment", method: http.MethodGet,
		path: func(f matrixFixture) string {
			return "/v1/whistles/" + f.whistleID + "/attachments/00000000-0000-7000-8000-000000000000?variant=bogus"
		},
		rpc: func(ctx context.Context, c *backendClients, f matrixFixture) (bool, error) {
			_, err := c.intake.GetAttachment(ctx, &intakev1.GetAttachmentRequest{
				WhistleId: f.whistleID, Id: "00000000-0000-7000-8000-000000000000", Variant: "bogus"})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "A   N   N   A    N   N   A   N    A    F   U    U   U   U   U",
	},
	{
		name: "KeepWhistle", method: http.MethodPost, body: map[string]any{},
		path: func(f matrixFixture) string { return "/v1/whistles/" + f.whistleID + ":keep" },
		rpc: func(ctx context.Context, c *backendClients, f matrixFixture) (bool, error) {
			_, err := c.intake.KeepWhistle(ctx, &intakev1.KeepWhistleRequest{Id: f.whistleID})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "A   N   N   F    F   F   F   F    F    F   U    U   U   U   U",
	},
	{
		// Water is a department no caller of the matrix belongs to, so adding
		// it changes no later row's scope.
		name: "AddDepartment", method: http.MethodPost, body: map[string]any{"department": "water", "reason": "管线破损"},
		path: func(f matrixFixture) string { return "/v1/whistles/" + f.whistleID + ":addDepartment" },
		rpc: func(ctx context.Context, c *backendClients, f matrixFixture) (bool, error) {
			_, err := c.routing.AddDepartment(ctx, &routingv1.AddDepartmentRequest{WhistleId: f.whistleID, Department: "water", Reason: "管线破损"})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "A   N   N   F    F   F   A   N    A    F   U    U   U   U   U",
	},
	{
		name: "SubmitFeedback", method: http.MethodPost, body: map[string]any{"satisfaction": 5, "comment": "满意"},
		path: func(f matrixFixture) string { return "/v1/whistles/" + f.whistleID + ":feedback" },
		rpc: func(ctx context.Context, c *backendClients, f matrixFixture) (bool, error) {
			_, err := c.intake.SubmitFeedback(ctx, &intakev1.SubmitFeedbackRequest{Id: f.whistleID, Satisfaction: 5, Comment: "满意"})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "A   N   N   F    F   F   F   F    F    F   U    U   U   U   U",
	},
	{
		name: "ReopenWhistle", method: http.MethodPost, body: map[string]any{"reason": "仍在施工"},
		path: func(f matrixFixture) string { return "/v1/whistles/" + f.whistleID + ":reopen" },
		rpc: func(ctx context.Context, c *backendClients, f matrixFixture) (bool, error) {
			_, err := c.intake.ReopenWhistle(ctx, &intakev1.ReopenWhistleRequest{Id: f.whistleID, Reason: "仍在施工"})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "A   N   N   F    F   F   F   F    F    F   U    U   U   U   U",
	},
	{
		name: "CancelWhistle", method: http.MethodPost, body: map[string]any{"reason": "已自行解决"},
		path: func(f matrixFixture) string { return "/v1/whistles/" + f.whistleID + ":cancel" },
		rpc: func(ctx context.Context, c *backendClients, f matrixFixture) (bool, error) {
			_, err := c.intake.CancelWhistle(ctx, &intakev1.CancelWhistleRequest{Id: f.whistleID, Reason: "已自行解决"})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "A   N   N   F    F   F   F   F    F    F   U    U   U   U   U",
	},
}
