package app

import feedbackv1 "github.com/chuishao/whistle/proto/gen/whistle/feedback/v1"

// auditedMethods decide a department's appeal, change the scorecard's
// weights or rebuild the read model: each successful call is an
// admin.feedback event (service.Runtime.Audit).
var auditedMethods = []string{
	feedbackv1.FeedbackService_DecideAppeal_FullMethodName,
	feedbackv1.FeedbackService_SetScorecardWeights_FullMethodName,
	feedbackv1.FeedbackService_RebuildReadModel_FullMethodName,
}
