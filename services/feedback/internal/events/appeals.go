package events

import (
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	feedbackv1 "github.com/chuishao/whistle/proto/gen/whistle/feedback/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"

	"github.com/chuishao/whistle/services/feedback/internal/feedback"
)

// AppealFiled is feedback.appeal_filed of a, filed by by at now.
func AppealFiled(now time.Time, by feedback.Actor, a feedback.Appeal) *eventsv1.Event {
	ev := appealEvent(now, by, a)
	ev.Payload = &eventsv1.Event_FeedbackAppealFiled{FeedbackAppealFiled: &eventsv1.AppealFiled{Appeal: AppealProto(a)}}
	return ev
}

// AppealDecided is feedback.appeal_decided of a, decided by by at now.
func AppealDecided(now time.Time, by feedback.Actor, a feedback.Appeal) *eventsv1.Event {
	ev := appealEvent(now, by, a)
	ev.Payload = &eventsv1.Event_FeedbackAppealDecided{FeedbackAppealDecided: &eventsv1.AppealDecided{Appeal: AppealProto(a)}}
	return ev
}

// appealEvent is the envelope of an appeal's event, on its whistle's
// timeline (so the appeal stays visible there) and its district's subject.
func appealEvent(now time.Time, by feedback.Actor, a feedback.Appeal) *eventsv1.Event {
	ev := events.New(now, &typesv1.Actor{Role: by.Role, Id: by.ID})
	ev.WhistleId = a.WhistleID
	ev.DistrictId = a.DistrictID
	ev.DispatchId = a.DispatchID
	ev.Department = a.Department
	return ev
}

// AppealProto is a as the API and its events carry it.
func AppealProto(a feedback.Appeal) *feedbackv1.Appeal {
	p := &feedbackv1.Appeal{
		Id: a.ID, DispatchId: a.DispatchID, WhistleId: a.WhistleID, DistrictId: a.DistrictID,
		Department: a.Department, Clock: a.Clock, ReasonCode: a.ReasonCode, Reason: a.Reason,
		Status:       feedbackv1.Appeal_Status(feedbackv1.Appeal_Status_value[a.Status]),
		FiledBy:      &typesv1.Actor{Role: a.FiledBy.Role, Id: a.FiledBy.ID},
		FiledAt:      timestamppb.New(a.FiledAt),
		DecisionNote: a.DecisionNote,
	}
	if !a.DecidedAt.IsZero() {
		p.DecidedBy = &typesv1.Actor{Role: a.DecidedBy.Role, Id: a.DecidedBy.ID}
		p.DecidedAt = timestamppb.New(a.DecidedAt)
	}
	return p
}
