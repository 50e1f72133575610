package app

import (
	"github.com/chuishao/whistle/platform/service"
	feedbackv1 "github.com/chuishao/whistle/proto/gen/whistle/feedback/v1"
)

// auditedMethods decide a department's appeal, change a month's scorecard
// weights or rebuild the read model (no one object): each successful call
// is an admin.feedback event (service.Runtime.Audit).
var auditedMethods = []service.Audited{
	{Method: feedbackv1.FeedbackService_DecideAppeal_FullMethodName, Object: "id"},
	{Method: feedbackv1.FeedbackService_SetScorecardWeights_FullMethodName, Object: "month"},
	{Method: feedbackv1.FeedbackService_RebuildReadModel_FullMethodName},
}
