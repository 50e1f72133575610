// Package events builds the whistle.* events intake emits and consumes
// routing's and response's events to derive the whistle's status.
package events

import (
	"time"

	protoevents "github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"

	"github.com/chuishao/whistle/services/intake/internal/store"
)

// System is the actor of the events intake emits on its own (status derived from dispatches).
var System = &typesv1.Actor{Role: "system", Id: "intake"}

func whistleEvent(at time.Time, actor *typesv1.Actor, w store.Whistle) *eventsv1.Event {
	ev := protoevents.New(at, actor)
	ev.WhistleId = w.ID
	ev.DistrictId = w.DistrictID
	ev.StreetId = w.StreetID
	return ev
}

// Raised is whistle.raised, carrying the whole new whistle.
func Raised(at time.Time, actor *typesv1.Actor, w store.Whistle, whistle *intakev1.Whistle) *eventsv1.Event {
	ev := whistleEvent(at, actor, w)
	ev.Payload = &eventsv1.Event_WhistleRaised{WhistleRaised: &eventsv1.WhistleRaised{Whistle: whistle}}
	return ev
}

// Cancelled is whistle.cancelled.
func Cancelled(at time.Time, actor *typesv1.Actor, w store.Whistle, reason string) *eventsv1.Event {
	ev := whistleEvent(at, actor, w)
	ev.Payload = &eventsv1.Event_WhistleCancelled{WhistleCancelled: &eventsv1.WhistleCancelled{Reason: reason}}
	return ev
}

// Closed is whistle.closed, with the street's feedback.
func Closed(at time.Time, actor *typesv1.Actor, w store.Whistle) *eventsv1.Event {
	ev := whistleEvent(at, actor, w)
	ev.Payload = &eventsv1.Event_WhistleClosed{WhistleClosed: &eventsv1.WhistleClosed{
		Satisfaction: w.Satisfaction, Comment: w.FeedbackComment,
	}}
	return ev
}

// Reopened is whistle.reopened.
func Reopened(at time.Time, actor *typesv1.Actor, w store.Whistle, reason string) *eventsv1.Event {
	ev := whistleEvent(at, actor, w)
	ev.Payload = &eventsv1.Event_WhistleReopened{WhistleReopened: &eventsv1.WhistleReopened{Reason: reason}}
	return ev
}

// Responding is whistle.responding: the first department acknowledged.
func Responding(at time.Time, w store.Whistle) *eventsv1.Event {
	ev := whistleEvent(at, System, w)
	ev.Payload = &eventsv1.Event_WhistleResponding{WhistleResponding: &eventsv1.WhistleResponding{}}
	return ev
}

// Resolved is whistle.resolved: every expected department resolved its part.
func Resolved(at time.Time, w store.Whistle) *eventsv1.Event {
	ev := whistleEvent(at, System, w)
	ev.Payload = &eventsv1.Event_WhistleResolved{WhistleResolved: &eventsv1.WhistleResolved{}}
	return ev
}

// Duplicate is whistle.duplicate_candidate: w may duplicate an open whistle nearby.
func Duplicate(at time.Time, actor *typesv1.Actor, w store.Whistle, c *eventsv1.WhistleDuplicateCandidate) *eventsv1.Event {
	ev := whistleEvent(at, actor, w)
	ev.Payload = &eventsv1.Event_WhistleDuplicateCandidate{WhistleDuplicateCandidate: c}
	return ev
}

// Merged is whistle.merged, on the timeline of w (either of the two whistles).
func Merged(at time.Time, actor *typesv1.Actor, w store.Whistle, m *eventsv1.WhistleMerged) *eventsv1.Event {
	ev := whistleEvent(at, actor, w)
	ev.Payload = &eventsv1.Event_WhistleMerged{WhistleMerged: m}
	return ev
}

// Kept is whistle.duplicate_kept: the street keeps w despite a candidate.
func Kept(at time.Time, actor *typesv1.Actor, w store.Whistle, candidateOf string) *eventsv1.Event {
	ev := whistleEvent(at, actor, w)
	ev.Payload = &eventsv1.Event_WhistleDuplicateKept{WhistleDuplicateKept: &eventsv1.WhistleDuplicateKept{CandidateOf: candidateOf}}
	return ev
}

// AttachmentAdded is whistle.attachment_added (without the EXIF position): a
// desk's evidence carries its dispatch and department on the envelope.
func AttachmentAdded(at time.Time, actor *typesv1.Actor, w store.Whistle, a *intakev1.Attachment) *eventsv1.Event {
	ev := whistleEvent(at, actor, w)
	ev.DispatchId = a.GetDispatchId()
	ev.Department = a.GetDepartment()
	ev.Payload = &eventsv1.Event_WhistleAttachmentAdded{WhistleAttachmentAdded: &eventsv1.WhistleAttachmentAdded{Attachment: a}}
	return ev
}
