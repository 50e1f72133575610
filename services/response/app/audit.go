package app

import responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"

// auditedMethods change SLA policies, the calendar, rosters, webhooks,
// channels or service accounts, or decide a desk's extension request: each
// successful call is an admin.response event (service.Runtime.Audit).
var auditedMethods = []string{
	responsev1.SlaAdminService_SetPolicy_FullMethodName,
	responsev1.SlaAdminService_SetCalendarDay_FullMethodName,
	responsev1.SlaAdminService_DeleteCalendarDay_FullMethodName,
	responsev1.SlaAdminService_AddShift_FullMethodName,
	responsev1.SlaAdminService_DeleteShift_FullMethodName,
	responsev1.SlaAdminService_CreateWebhookEndpoint_FullMethodName,
	responsev1.SlaAdminService_UpdateWebhookEndpoint_FullMethodName,
	responsev1.SlaAdminService_DeleteWebhookEndpoint_FullMethodName,
	responsev1.SlaAdminService_ReplayWebhookDeadLetter_FullMethodName,
	responsev1.SlaAdminService_CreateChannel_FullMethodName,
	responsev1.SlaAdminService_UpdateChannel_FullMethodName,
	responsev1.SlaAdminService_DeleteChannel_FullMethodName,
	responsev1.SlaAdminService_CreateServiceAccount_FullMethodName,
	responsev1.SlaAdminService_RevokeServiceAccount_FullMethodName,
	responsev1.DispatchService_DecideExtension_FullMethodName,
}
