package e2e_test

import (
	"context"
	"net/http"
	"slices"

	"google.golang.org/protobuf/types/known/timestamppb"

	feedbackv1 "github.com/chuishao/whistle/proto/gen/whistle/feedback/v1"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
)

// The duty-desk, roster, webhook, service-account and SLA-calendar rows:
// supervisors manage their own district (a city supervisor and the admin
// every district), another district's object is NotFound and creating one
// in another district is PermissionDenied (a district is no secret). SLA
// calendars and policies are the admin's alone. Rows that would change what
// later rows see send a request the allowed callers fail on validation,
// after the access check.
func init() {
	authzMatrix = append(authzMatrix, matrixRoute{
		name: "DecideExtension", method: http.MethodPost,
		path: func(f matrixFixture) string { return "/v1/dispatches/" + f.extDispatchID + ":decideExtension" },
		body: func(f matrixFixture) any {
			return map[string]any{"extension_id": f.extensionID, "approve": false, "note": "请按时签收"}
		},
		rpc: func(ctx context.Context, c *backendClients, f matrixFixture) (bool, error) {
			_, err := c.response.DecideExtension(ctx, &responsev1.DecideExtensionRequest{Id: f.extDispatchID, ExtensionId: f.extensionID, Note: "请按时签收"})
			return true, err
		},
		// The first supervisor rejects it; the later ones find it decided (409).
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   F    F   F   A   N    A    F   U    U   U   U   U",
	}, matrixRoute{
		name: "SetPolicy", method: http.MethodPost, body: map[string]any{},
		path: func(matrixFixture) string { return "/v1/sla/policies" },
		rpc: func(ctx context.Context, c *backendClients, _ matrixFixture) (bool, error) {
			_, err := c.slaAdmin.SetPolicy(ctx, &responsev1.SetPolicyRequest{Policy: &responsev1.Policy{}})
			return true, err
		},
		// No category: the admin gets 400.
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   F    F   F   F   F    F    A   U    U   U   U   U",
	}, matrixRoute{
		name: "SetCalendarDay", method: http.MethodPut, body: map[string]any{"kind": "HOLIDAY", "name": "矩阵"},
		path: func(matrixFixture) string { return "/v1/sla/calendar/days/2027-02-30" },
		rpc: func(ctx context.Context, c *backendClients, _ matrixFixture) (bool, error) {
			_, err := c.slaAdmin.SetCalendarDay(ctx, &responsev1.SetCalendarDayRequest{Day: &responsev1.CalendarDay{
				Date: "2027-02-30", Kind: responsev1.CalendarDay_HOLIDAY, Name: "矩阵"}})
			return true, err
		},
		// No such date: the admin gets 400.
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   F    F   F   F   F    F    A   U    U   U   U   U",
	}, matrixRoute{
		name: "DeleteCalendarDay", method: http.MethodDelete,
		path: func(matrixFixture) string { return "/v1/sla/calendar/days/2027-12-31" },
		rpc: func(ctx context.Context, c *backendClients, _ matrixFixture) (bool, error) {
			_, err := c.slaAdmin.DeleteCalendarDay(ctx, &responsev1.DeleteCalendarDayRequest{Date: "2027-12-31"})
			return true, err
		},
		// A day that was never special: deleting it changes nothing.
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   F    F   F   F   F    F    A   U    U   U   U   U",
	}, matrixRoute{
		name: "AddShift", method: http.MethodPost,
		body: map[string]any{"department": "water", "district_id": dongcheng, "seat": "矩阵席", "person": "矩阵",
			"starts_at": "2027-02-01T00:00:00Z", "ends_at": "2027-02-01T08:00:00Z"},
		path: func(matrixFixture) string { return "/v1/roster/shifts" },
		rpc: func(ctx context.Context, c *backendClients, _ matrixFixture) (bool, error) {
			_, err := c.slaAdmin.AddShift(ctx, &responsev1.AddShiftRequest{Shift: &responsev1.Shift{Department: "water", DistrictId: dongcheng,
				Seat: "矩阵席", Person: "矩阵", StartsAt: timestamppb.New(mustTime("2027-02-01T00:00:00Z")), EndsAt: timestamppb.New(mustTime("2027-02-01T08:00:00Z"))}})
			return true, err
		},
		// The first supervisor adds it; later callers overlap it (400).
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   F    F   F   A   F    A    A   U    U   U   U   U",
	}, matrixRoute{
		name: "DeleteShift", method: http.MethodDelete,
		path: func(f matrixFixture) string { return "/v1/roster/shifts/" + f.fresh("shift") },
		rpc: func(ctx context.Context, c *backendClients, f matrixFixture) (bool, error) {
			_, err := c.slaAdmin.DeleteShift(ctx, &responsev1.DeleteShiftRequest{Id: f.fresh("shift")})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   F    F   F   A   N    A    A   U    U   U   U   U",
	}, matrixRoute{
		// A desk reads its own desk's roster whatever it asks for.
		name: "ListShifts", method: http.MethodGet,
		path: func(matrixFixture) string {
			return "/v1/roster/shifts?district_id=" + dongcheng + "&from=" + reportFrom + "&to=" + reportTo
		},
		rpc: func(ctx context.Context, c *backendClients, f matrixFixture) (bool, error) {
			r, err := c.slaAdmin.ListShifts(ctx, &responsev1.ListShiftsRequest{DistrictId: dongcheng,
				From: timestamppb.New(mustTime(reportFrom)), To: timestamppb.New(mustTime(reportTo))})
			return slices.ContainsFunc(r.GetShifts(), func(x *responsev1.Shift) bool { return x.GetId() == f.shiftID }), err
		},
		seen: func(b map[string]any, f matrixFixture) bool { return listHas(b, "shifts", "id", f.shiftID) },
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   A    H   H   A   H    A    A   U    U   U   U   U",
	}, matrixRoute{
		name: "DeskHeartbeat", method: http.MethodPost, body: map[string]any{"desk": "矩阵"},
		path: func(matrixFixture) string { return "/v1/desk/heartbeat" },
		rpc: func(ctx context.Context, c *backendClients, _ matrixFixture) (bool, error) {
			_, err := c.response.DeskHeartbeat(ctx, &responsev1.DeskHeartbeatRequest{Desk: "矩阵"})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   A    A   A   F   F    F    F   U    U   U   U   U",
	}, matrixRoute{
		name: "ListDeskHeartbeats", method: http.MethodGet,
		path: func(matrixFixture) string { return "/v1/desk/heartbeats" },
		rpc: func(ctx context.Context, c *backendClients, _ matrixFixture) (bool, error) {
			r, err := c.slaAdmin.ListDeskHeartbeats(ctx, &responsev1.ListDeskHeartbeatsRequest{})
			return slices.ContainsFunc(r.GetHeartbeats(), func(x *responsev1.DeskHeartbeat) bool {
				return x.GetDepartment() == "police" && x.GetDistrictId() == dongcheng
			}), err
		},
		seen: func(b map[string]any, _ matrixFixture) bool {
			return slices.ContainsFunc(list(b["heartbeats"]), func(x any) bool {
				return str(obj(x)["department"]) == "police" && str(obj(x)["district_id"]) == dongcheng
			})
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   F    F   F   A   H    A    A   U    U   U   U   U",
	}, matrixRoute{
		name: "ListWebhookEndpoints", method: http.MethodGet,
		path: func(matrixFixture) string { return "/v1/webhooks/endpoints" },
		rpc: func(ctx context.Context, c *backendClients, f matrixFixture) (bool, error) {
			r, err := c.slaAdmin.ListWebhookEndpoints(ctx, &responsev1.ListWebhookEndpointsRequest{})
			return slices.ContainsFunc(r.GetEndpoints(), func(x *responsev1.WebhookEndpoint) bool { return x.GetId() == int64ID(f.endpointID) }), err
		},
		seen: func(b map[string]any, f matrixFixture) bool { return listHas(b, "endpoints", "id", f.endpointID) },
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   F    F   F   A   H    A    A   U    U   U   U   U",
	}, matrixRoute{
		name: "CreateWebhookEndpoint", method: http.MethodPost,
		body: map[string]any{"department": "water", "district_id": dongcheng, "url": "https://water.invalid/authz", "secret": "authz-matrix-secret-0001"},
		path: func(matrixFixture) string { return "/v1/webhooks/endpoints" },
		rpc: func(ctx context.Context, c *backendClients, _ matrixFixture) (bool, error) {
			_, err := c.slaAdmin.CreateWebhookEndpoint(ctx, &responsev1.CreateWebhookEndpointRequest{Department: "water", DistrictId: dongcheng,
				Url: "https://water.invalid/authz", Secret: "authz-matrix-secret-0001"})
			return true, err
		},
		// Only admins manage endpoints: they decide where the service posts from inside the deployment.
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   F    F   F   F   F    F    A   U    U   U   U   U",
	}, matrixRoute{
		name: "UpdateWebhookEndpoint", method: http.MethodPatch, body: map[string]any{"enabled": true},
		path: func(f matrixFixture) string { return "/v1/webhooks/endpoints/" + f.endpointID },
		rpc: func(ctx context.Context, c *backendClients, f matrixFixture) (bool, error) {
			enabled := true
			_, err := c.slaAdmin.UpdateWebhookEndpoint(ctx, &responsev1.UpdateWebhookEndpointRequest{Id: int64ID(f.endpointID), Enabled: &enabled})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   F    F   F   F   F    F    A   U    U   U   U   U",
	}, matrixRoute{
		name: "DeleteWebhookEndpoint", method: http.MethodDelete,
		path: func(f matrixFixture) string { return "/v1/webhooks/endpoints/" + f.fresh("endpoint") },
		rpc: func(ctx context.Context, c *backendClients, f matrixFixture) (bool, error) {
			_, err := c.slaAdmin.DeleteWebhookEndpoint(ctx, &responsev1.DeleteWebhookEndpointRequest{Id: int64ID(f.fresh("endpoint"))})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   F    F   F   F   F    F    A   U    U   U   U   U",
	}, matrixRoute{
		name: "ListServiceAccounts", method: http.MethodGet,
		path: func(matrixFixture) string { return "/v1/service-accounts" },
		rpc: func(ctx context.Context, c *backendClients, f matrixFixture) (bool, error) {
			r, err := c.slaAdmin.ListServiceAccounts(ctx, &responsev1.ListServiceAccountsRequest{})
			return slices.ContainsFunc(r.GetAccounts(), func(x *responsev1.ServiceAccount) bool { return x.GetId() == f.accountID }), err
		},
		seen: func(b map[string]any, f matrixFixture) bool { return listHas(b, "accounts", "id", f.accountID) },
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   F    F   F   A   H    A    A   U    U   U   U   U",
	}, matrixRoute{
		name: "CreateServiceAccount", method: http.MethodPost,
		body: map[string]any{"name": "矩阵系统", "department": "police", "district_id": dongcheng},
		path: func(matrixFixture) string { return "/v1/service-accounts" },
		rpc: func(ctx context.Context, c *backendClients, _ matrixFixture) (bool, error) {
			_, err := c.slaAdmin.CreateServiceAccount(ctx, &responsev1.CreateServiceAccountRequest{Name: "矩阵系统", Department: "police", DistrictId: dongcheng})
			return true, err
		},
		// Only the admin issues desk credentials: supervisors audit desks, they do not act as them.
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   F    F   F   F   F    F    A   U    U   U   U   U",
	}, matrixRoute{
		name: "RevokeServiceAccount", method: http.MethodPost, body: map[string]any{},
		path: func(f matrixFixture) string { return "/v1/service-accounts/" + f.fresh("account") + ":revoke" },
		rpc: func(ctx context.Context, c *backendClients, f matrixFixture) (bool, error) {
			_, err := c.slaAdmin.RevokeServiceAccount(ctx, &responsev1.RevokeServiceAccountRequest{Id: f.fresh("account")})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   F    F   F   A   N    A    A   U    U   U   U   U",
	}, matrixRoute{
		name: "ListWebhookDeadLetters", method: http.MethodGet,
		path: func(matrixFixture) string { return "/v1/webhooks/dead-letters" },
		rpc: func(ctx context.Context, c *backendClients, _ matrixFixture) (bool, error) {
			_, err := c.slaAdmin.ListWebhookDeadLetters(ctx, &responsev1.ListWebhookDeadLettersRequest{})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   F    F   F   A   A    A    A   U    U   U   U   U",
	}, matrixRoute{
		name: "ReplayWebhookDeadLetter", method: http.MethodPost, body: map[string]any{},
		path: func(f matrixFixture) string { return "/v1/webhooks/dead-letters/" + f.fresh("dead-letter") + ":replay" },
		rpc: func(ctx context.Context, c *backendClients, f matrixFixture) (bool, error) {
			_, err := c.slaAdmin.ReplayWebhookDeadLetter(ctx, &responsev1.ReplayWebhookDeadLetterRequest{Id: f.fresh("dead-letter")})
			return true, err
		},
		// Another district's dead letter is NotFound, like an unknown id.
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   F    F   F   A   N    A    A   U    U   U   U   U",
	}, matrixRoute{
		// Another district's dispatch shows no attempts (its log is empty).
		name: "ListWebhookAttempts", method: http.MethodGet,
		path: func(f matrixFixture) string { return "/v1/dispatches/" + f.dispatchID + "/webhook-attempts" },
		rpc: func(ctx context.Context, c *backendClients, f matrixFixture) (bool, error) {
			_, err := c.slaAdmin.ListWebhookAttempts(ctx, &responsev1.ListWebhookAttemptsRequest{DispatchId: f.dispatchID})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   F    F   F   A   A    A    A   U    U   U   U   U",
	}, matrixRoute{
		name: "ListAppeals", method: http.MethodGet,
		path: func(matrixFixture) string { return "/v1/appeals" },
		rpc: func(ctx context.Context, c *backendClients, _ matrixFixture) (bool, error) {
			_, err := c.feedback.ListAppeals(ctx, &feedbackv1.ListAppealsRequest{})
			return true, err
		},
		// Each desk, supervisor and the admin sees the appeals of its own scope.
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   A    A   A   A   A    A    A   U    U   U   U   U",
	}, matrixRoute{
		name: "ExportSlaReport", method: http.MethodGet,
		path: func(matrixFixture) string {
			return "/v1/reports/sla:csv?district=" + dongcheng + "&from=" + reportFrom + "&to=" + reportTo
		},
		rpc: func(ctx context.Context, c *backendClients, _ matrixFixture) (bool, error) {
			_, err := c.feedback.ExportSlaReport(ctx, &feedbackv1.ExportSlaReportRequest{District: dongcheng,
				From: timestamppb.New(mustTime(reportFrom)), To: timestamppb.New(mustTime(reportTo))})
			return true, err
		},
		// As GetSlaReport.
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   F    F   F   A   F    A    A   U    U   U   U   U",
	}, matrixRoute{
		name: "SetScorecardWeights", method: http.MethodPut, body: map[string]any{},
		path: func(matrixFixture) string { return "/v1/reports/weights/2026-13" },
		rpc: func(ctx context.Context, c *backendClients, _ matrixFixture) (bool, error) {
			_, err := c.feedback.SetScorecardWeights(ctx, &feedbackv1.SetScorecardWeightsRequest{Month: "2026-13", Weights: &feedbackv1.Weights{}})
			return true, err
		},
		// No such month and no weights: the admin gets 400.
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   F    F   F   F   F    F    A   U    U   U   U   U",
	}, matrixRoute{
		name: "VerifyAudit", method: http.MethodPost,
		body: func(f matrixFixture) any { return map[string]any{"whistle_id": f.whistleID} },
		path: func(matrixFixture) string { return "/v1/audit:verify" },
		rpc: func(ctx context.Context, c *backendClients, f matrixFixture) (bool, error) {
			_, err := c.feedback.VerifyAudit(ctx, &feedbackv1.VerifyAuditRequest{WhistleId: f.whistleID})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   F    F   F   A   N    A    A   U    U   U   U   U",
	}, matrixRoute{
		// The catalogue is reference data, like the categories.
		name: "GetCatalogue", method: http.MethodGet,
		path: func(matrixFixture) string { return "/v1/catalogue" },
		rpc: func(ctx context.Context, c *backendClients, _ matrixFixture) (bool, error) {
			_, err := c.routing.GetCatalogue(ctx, &routingv1.GetCatalogueRequest{})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "A   A   A   A    A   A   A   A    A    A   U    U   U   U   U",
	}, matrixRoute{
		name: "DiffCatalogue", method: http.MethodGet,
		path: func(matrixFixture) string { return "/v1/catalogue:diff" },
		rpc: func(ctx context.Context, c *backendClients, _ matrixFixture) (bool, error) {
			_, err := c.routing.DiffCatalogue(ctx, &routingv1.DiffCatalogueRequest{})
			return true, err
		},
		// The diff is against the unpublished draft by default: admins and supervisors only.
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   F    F   F   A   A    A    A   U    U   U   U   U",
	}, matrixRoute{
		name: "UpdateCatalogueDraft", method: http.MethodPut,
		body: map[string]any{"rules": []any{map[string]any{"category": "no-such-category"}}},
		path: func(matrixFixture) string { return "/v1/catalogue/draft" },
		rpc: func(ctx context.Context, c *backendClients, _ matrixFixture) (bool, error) {
			_, err := c.routing.UpdateCatalogueDraft(ctx, &routingv1.UpdateCatalogueDraftRequest{
				Rules: []*routingv1.CatalogueRule{{Category: "no-such-category"}}})
			return true, err
		},
		// A rule of no category: the admin gets 400 and the draft stays.
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   F    F   F   F   F    F    A   U    U   U   U   U",
	}, matrixRoute{
		name: "PublishCatalogue", method: http.MethodPost, body: map[string]any{"effective_at": "2099-01-01T00:00:00Z"},
		path: func(matrixFixture) string { return "/v1/catalogue/draft:publish" },
		rpc: func(ctx context.Context, c *backendClients, _ matrixFixture) (bool, error) {
			_, err := c.routing.PublishCatalogue(ctx, &routingv1.PublishCatalogueRequest{EffectiveAt: timestamppb.New(mustTime("2099-01-01T00:00:00Z"))})
			return true, err
		},
		// The seed's draft takes effect in 2099: no whistle of the test sees it.
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   F    F   F   F   F    F    A   U    U   U   U   U",
	}, matrixRoute{
		// Boundaries are the city's map, like the streets.
		name: "ListBoundaryUnits", method: http.MethodGet,
		path: func(matrixFixture) string { return "/v1/boundaries/units?level=street" },
		rpc: func(ctx context.Context, c *backendClients, _ matrixFixture) (bool, error) {
			_, err := c.routing.ListBoundaryUnits(ctx, &routingv1.ListBoundaryUnitsRequest{Level: "street"})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "A   A   A   A    A   A   A   A    A    A   U    U   U   U   U",
	}, matrixRoute{
		name: "ListDivisions", method: http.MethodGet,
		path: func(matrixFixture) string { return "/v1/divisions?parent_code=" + donghuamen },
		rpc: func(ctx context.Context, c *backendClients, _ matrixFixture) (bool, error) {
			_, err := c.routing.ListDivisions(ctx, &routingv1.ListDivisionsRequest{ParentCode: donghuamen})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "A   A   A   A    A   A   A   A    A    A   U    U   U   U   U",
	}, matrixRoute{
		// Who serves a community is reference data, like the departments.
		name: "ListPropertyCompanies", method: http.MethodGet,
		path: func(matrixFixture) string { return "/v1/property-companies?district=" + dongcheng },
		rpc: func(ctx context.Context, c *backendClients, _ matrixFixture) (bool, error) {
			_, err := c.routing.ListPropertyCompanies(ctx, &routingv1.ListPropertyCompaniesRequest{District: dongcheng})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "A   A   A   A    A   A   A   A    A    A   U    U   U   U   U",
	}, matrixRoute{
		name: "SavePropertyCompany", method: http.MethodPut,
		body: map[string]any{"name": "多福巷物业", "name_en": "Duofu Property", "community_codes": []string{"110101001001"}},
		path: func(matrixFixture) string { return "/v1/property-companies/pm-matrix" },
		rpc: func(ctx context.Context, c *backendClients, _ matrixFixture) (bool, error) {
			_, err := c.routing.SavePropertyCompany(ctx, &routingv1.SavePropertyCompanyRequest{Code: "pm-matrix",
				Name: "多福巷物业", NameEn: "Duofu Property", CommunityCodes: []string{"110101001001"}})
			return true, err
		},
		// Registering a property company is the admins' (audited).
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   F    F   F   F   F    F    A   U    U   U   U   U",
	}, matrixRoute{
		// The supervisor's map: its own district only (another district's is
		// NotFound); the city's supervisors and admins any; no other role.
		name: "GetDistrictMap", method: http.MethodGet,
		path: func(matrixFixture) string { return "/v1/map?district_id=" + dongcheng },
		rpc: func(ctx context.Context, c *backendClients, _ matrixFixture) (bool, error) {
			_, err := c.routing.GetDistrictMap(ctx, &routingv1.GetDistrictMapRequest{DistrictId: dongcheng})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   F    F   F   A   N    A    A   U    U   U   U   U",
	}, matrixRoute{
		name: "ImportBoundaries", method: http.MethodPost,
		body: map[string]any{"geojson": `{"type":"FeatureCollection","features":[]}`, "level": "street"},
		path: func(matrixFixture) string { return "/v1/boundaries:import" },
		rpc: func(ctx context.Context, c *backendClients, _ matrixFixture) (bool, error) {
			_, err := c.routing.ImportBoundaries(ctx, &routingv1.ImportBoundariesRequest{
				Geojson: `{"type":"FeatureCollection","features":[]}`, Level: "street"})
			return true, err
		},
		// A file without features: the admin gets 400 and nothing changes.
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   F    F   F   F   F    F    A   U    U   U   U   U",
	}, matrixRoute{
		name: "PublishBoundaries", method: http.MethodPost, body: map[string]any{},
		path: func(matrixFixture) string { return "/v1/boundaries/draft:publish" },
		rpc: func(ctx context.Context, c *backendClients, _ matrixFixture) (bool, error) {
			_, err := c.routing.PublishBoundaries(ctx, &routingv1.PublishBoundariesRequest{})
			return true, err
		},
		// No draft to publish: the admin gets 400 and nothing changes.
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   F    F   F   F   F    F    A   U    U   U   U   U",
	}, matrixRoute{
		name: "RaiseWhistle", method: http.MethodPost,
		body: map[string]any{"street_id": donghuamen, "description": "矩阵"},
		path: func(matrixFixture) string { return "/v1/whistles" },
		rpc: func(ctx context.Context, c *backendClients, _ matrixFixture) (bool, error) {
			_, err := c.intake.RaiseWhistle(ctx, &intakev1.RaiseWhistleRequest{StreetId: donghuamen, Description: "矩阵"})
			return true, err
		},
		// No category: the owner street gets 400; other streets may not raise for it.
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "A   F   F   F    F   F   F   F    F    F   U    U   U   U   U",
	}, matrixRoute{
		name: "MergeWhistle", method: http.MethodPost,
		body: func(f matrixFixture) any { return map[string]any{"into_whistle_id": f.whistleID} },
		path: func(f matrixFixture) string { return "/v1/whistles/" + f.whistleID + ":merge" },
		rpc: func(ctx context.Context, c *backendClients, f matrixFixture) (bool, error) {
			_, err := c.intake.MergeWhistle(ctx, &intakev1.MergeWhistleRequest{Id: f.whistleID, IntoWhistleId: f.whistleID})
			return true, err
		},
		// Into itself, and cancelled by now: the owner street gets a 4xx on the state.
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "A   N   N   F    F   F   F   F    F    F   U    U   U   U   U",
	}, matrixRoute{
		name: "DecideArbitration", method: http.MethodPost, body: map[string]any{"department": "district-government", "note": "由区政府统筹"},
		path: func(f matrixFixture) string { return "/v1/arbitrations/" + f.arbitrationID + ":decide" },
		rpc: func(ctx context.Context, c *backendClients, f matrixFixture) (bool, error) {
			_, err := c.routing.DecideArbitration(ctx, &routingv1.DecideArbitrationRequest{Id: f.arbitrationID,
				Department: "district-government", Note: "由区政府统筹"})
			return true, err
		},
		// The whistle is cancelled by now: the supervisors get 409 on its state.
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   F    F   F   A   N    A    F   U    U   U   U   U",
	}, matrixRoute{
		name: "DecideAppeal", method: http.MethodPost, body: map[string]any{"accept": false, "note": "请完善值守"},
		path: func(f matrixFixture) string { return "/v1/appeals/" + f.appealID + ":decide" },
		rpc: func(ctx context.Context, c *backendClients, f matrixFixture) (bool, error) {
			_, err := c.feedback.DecideAppeal(ctx, &feedbackv1.DecideAppealRequest{Id: f.appealID, Note: "请完善值守"})
			return true, err
		},
		// The first supervisor rejects it; rejecting it again answers the appeal.
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   F    F   F   A   N    A    F   U    U   U   U   U",
	}, matrixRoute{
		// Last: the admin really rebuilds the read model.
		name: "RebuildReadModel", method: http.MethodPost, body: map[string]any{},
		path: func(matrixFixture) string { return "/v1/feedback:rebuild" },
		rpc: func(ctx context.Context, c *backendClients, _ matrixFixture) (bool, error) {
			_, err := c.feedback.RebuildReadModel(ctx, &feedbackv1.RebuildReadModelRequest{})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   F    F   F   F   F    F    A   U    U   U   U   U",
	})
}
