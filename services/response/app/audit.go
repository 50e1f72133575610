package app

import (
	"github.com/chuishao/whistle/platform/service"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
)

// auditedMethods change SLA policies, the calendar, rosters, webhooks,
// channels or service accounts, or decide a desk's extension request: each
// successful call is an admin.response event naming what it changed — a
// policy by its district and category ("/noise" for the city's), a calendar
// day by its date, the dispatch of an extension (service.Runtime.Audit).
var auditedMethods = []service.Audited{
	{Method: responsev1.SlaAdminService_SetPolicy_FullMethodName, Object: "district_id/category"},
	{Method: responsev1.SlaAdminService_SetCalendarDay_FullMethodName, Object: "date"},
	{Method: responsev1.SlaAdminService_DeleteCalendarDay_FullMethodName, Object: "date"},
	{Method: responsev1.SlaAdminService_AddShift_FullMethodName, Object: "id"},
	{Method: responsev1.SlaAdminService_DeleteShift_FullMethodName, Object: "id"},
	{Method: responsev1.SlaAdminService_CreateWebhookEndpoint_FullMethodName, Object: "id"},
	{Method: responsev1.SlaAdminService_UpdateWebhookEndpoint_FullMethodName, Object: "id"},
	{Method: responsev1.SlaAdminService_DeleteWebhookEndpoint_FullMethodName, Object: "id"},
	{Method: responsev1.SlaAdminService_ReplayWebhookDeadLetter_FullMethodName, Object: "id"},
	{Method: responsev1.SlaAdminService_CreateChannel_FullMethodName, Object: "id"},
	{Method: responsev1.SlaAdminService_UpdateChannel_FullMethodName, Object: "id"},
	{Method: responsev1.SlaAdminService_DeleteChannel_FullMethodName, Object: "id"},
	{Method: responsev1.SlaAdminService_CreateServiceAccount_FullMethodName, Object: "account.id"},
	{Method: responsev1.SlaAdminService_RevokeServiceAccount_FullMethodName, Object: "id"},
	{Method: responsev1.DispatchService_DecideExtension_FullMethodName, Object: "id"},
}
