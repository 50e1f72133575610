// Package events holds the response service's consumers (dispatch requests,
// whistle cancellations) and builds the events it emits (dispatch.*, sla.*).
package events

import (
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
	"github.com/chuishao/whistle/services/response/internal/response"
)

// SystemActor signs what the service does by itself: creating dispatches,
// following cancellations, firing SLA timers.
func SystemActor() *typesv1.Actor { return &typesv1.Actor{Role: "system", Id: "response"} }

// DispatchProto is the API's and the events' view of d.
func DispatchProto(d response.Dispatch) *responsev1.Dispatch {
	p := &responsev1.Dispatch{
		Id:           d.ID,
		WhistleId:    d.WhistleID,
		DistrictId:   d.DistrictID,
		StreetId:     d.StreetID,
		Category:     d.Category,
		Department:   d.Department,
		Role:         d.Role,
		Status:       statusProto(d.Status),
		DispatchedAt: timestamppb.New(d.DispatchedAt),
		SlaStartedAt: timestamppb.New(d.SLAStartedAt),
		Deadlines: &responsev1.Deadlines{
			AckBy:     timestamppb.New(d.AckBy),
			ArriveBy:  timestamppb.New(d.ArriveBy),
			ResolveBy: timestamppb.New(d.ResolveBy),
		},
		AcknowledgedAt:    optionalTime(d.AcknowledgedAt),
		ArrivedAt:         optionalTime(d.ArrivedAt),
		ResolvedAt:        optionalTime(d.ResolvedAt),
		ReturnedAt:        optionalTime(d.ReturnedAt),
		ReturnReason:      d.ReturnReason,
		ReturnCode:        responsev1.Dispatch_ReturnCode(responsev1.Dispatch_ReturnCode_value[string(d.ReturnCode)]),
		ReturnDepartment:  d.ReturnDepartment,
		CommunityCode:     d.CommunityCode,
		CommunityName:     d.CommunityName,
		ResolutionSummary: d.ResolutionSummary,
		ArrivalLocation:   latLng(d.ArrivalLocation),
		ArrivalFar:        d.ArrivalFar,
		ArrivalUnlocated:  d.ArrivalUnlocated(),
		Breaches:          append([]string(nil), d.Breaches...),
		Location:          latLng(d.Location),
		UpdatedAt:         timestamppb.New(d.UpdatedAt),
	}
	if d.ArrivalDistanceM != nil {
		p.ArrivalDistanceM = *d.ArrivalDistanceM
	}
	if d.ArrivalAccuracyM != nil {
		p.ArrivalAccuracyM = *d.ArrivalAccuracyM
	}
	p.EscalationLevel = int32(d.EscalationLevel)
	for _, cs := range d.ClockStates() {
		p.Clocks = append(p.Clocks, &responsev1.ClockState{
			Clock:         string(cs.Clock),
			DueAt:         timestamppb.New(cs.DueAt),
			OriginalDueAt: optionalTime(cs.OriginalDueAt),
			State:         responsev1.ClockState_State(responsev1.ClockState_State_value[string(cs.State)]),
			MetAt:         optionalTime(cs.MetAt),
		})
	}
	for _, e := range d.Extensions {
		p.Extensions = append(p.Extensions, ExtensionProto(e))
	}
	return p
}

// ExtensionProto is the API's and the events' view of e.
func ExtensionProto(e response.Extension) *responsev1.Extension {
	return &responsev1.Extension{
		Id:            e.ID,
		DispatchId:    e.DispatchID,
		Clock:         string(e.Clock),
		Until:         timestamppb.New(e.Until),
		PreviousDueAt: timestamppb.New(e.PreviousDueAt),
		Reason:        e.Reason,
		RequestedBy:   e.RequestedBy,
		RequestedAt:   timestamppb.New(e.RequestedAt),
		Status:        responsev1.Extension_Status(responsev1.Extension_Status_value[string(e.Status)]),
		DecidedBy:     e.DecidedBy,
		DecidedAt:     optionalTime(e.DecidedAt),
		DecisionNote:  e.DecisionNote,
	}
}

// StatusFromProto is the domain status of an API status; "" for unspecified.
func StatusFromProto(s responsev1.Dispatch_Status) response.Status {
	if s == responsev1.Dispatch_STATUS_UNSPECIFIED {
		return ""
	}
	return response.Status(s.String())
}

func statusProto(s response.Status) responsev1.Dispatch_Status {
	return responsev1.Dispatch_Status(responsev1.Dispatch_Status_value[string(s)])
}

func optionalTime(t *time.Time) *timestamppb.Timestamp {
	if t == nil {
		return nil
	}
	return timestamppb.New(*t)
}

func latLng(p *response.LatLng) *typesv1.LatLng {
	if p == nil {
		return nil
	}
	return &typesv1.LatLng{Lat: p.Lat, Lng: p.Lng}
}

// about starts an event on d's whistle, district and department.
func about(d response.Dispatch, now time.Time, actor *typesv1.Actor) *eventsv1.Event {
	ev := events.New(now, actor)
	ev.WhistleId = d.WhistleID
	ev.DistrictId = d.DistrictID
	ev.StreetId = d.StreetID
	ev.DispatchId = d.ID
	ev.Department = d.Department
	return ev
}

// DispatchCreated announces a new dispatch with its deadlines.
func DispatchCreated(d response.Dispatch, now time.Time) *eventsv1.Event {
	ev := about(d, now, SystemActor())
	ev.Payload = &eventsv1.Event_DispatchCreated{DispatchCreated: &eventsv1.DispatchCreated{Dispatch: DispatchProto(d)}}
	return ev
}

// DispatchChanged announces d as action left it: dispatch.acknowledged,
// arrived, resolved, returned or cancelled.
func DispatchChanged(d response.Dispatch, action response.Action, now time.Time, actor *typesv1.Actor) *eventsv1.Event {
	ev := about(d, now, actor)
	snap := DispatchProto(d)
	switch action {
	case response.Acknowledge:
		ev.Payload = &eventsv1.Event_DispatchAcknowledged{DispatchAcknowledged: &eventsv1.DispatchAcknowledged{Dispatch: snap}}
	case response.Arrive:
		ev.Payload = &eventsv1.Event_DispatchArrived{DispatchArrived: &eventsv1.DispatchArrived{Dispatch: snap}}
	case response.Resolve:
		ev.Payload = &eventsv1.Event_DispatchResolved{DispatchResolved: &eventsv1.DispatchResolved{Dispatch: snap}}
	case response.Return:
		ev.Payload = &eventsv1.Event_DispatchReturned{DispatchReturned: &eventsv1.DispatchReturned{Dispatch: snap}}
	case response.Cancel:
		ev.Payload = &eventsv1.Event_DispatchCancelled{DispatchCancelled: &eventsv1.DispatchCancelled{Dispatch: snap}}
	}
	return ev
}

// FiredTimer is a timer that fell due, with its dispatch as it stands after firing.
type FiredTimer struct {
	Dispatch response.Dispatch
	Clock    response.Clock
	Kind     response.TimerKind
	DueAt    time.Time
}

// SLAFired is sla.warning or sla.breached for t; it carries the dispatch so
// that read models see the breach without asking the response service.
func SLAFired(t FiredTimer, now time.Time) *eventsv1.Event {
	ev := about(t.Dispatch, now, SystemActor())
	if t.Kind == response.Breach {
		ev.Payload = &eventsv1.Event_SlaBreached{SlaBreached: &eventsv1.SlaBreached{
			Clock: string(t.Clock), DueAt: timestamppb.New(t.DueAt), EscalationLevel: response.BreachEscalationLevel,
			Dispatch: DispatchProto(t.Dispatch),
		}}
	} else {
		ev.Payload = &eventsv1.Event_SlaWarning{SlaWarning: &eventsv1.SlaWarning{
			Clock: string(t.Clock), DueAt: timestamppb.New(t.DueAt), Dispatch: DispatchProto(t.Dispatch),
		}}
	}
	return ev
}

// Escalation is a step up the ladder of a dispatch.
type Escalation struct {
	// Dispatch as it stands after the step.
	Dispatch response.Dispatch
	Clock    response.Clock
	Level    int
	// Manual is a supervisor's escalation by hand, with its reason.
	Manual bool
	Reason string
}

// SLAEscalated is sla.escalated for e; the actor is the supervisor for a
// manual step and the service for the ladder's timer.
func SLAEscalated(e Escalation, now time.Time, actor *typesv1.Actor) *eventsv1.Event {
	ev := about(e.Dispatch, now, actor)
	ev.Payload = &eventsv1.Event_SlaEscalated{SlaEscalated: &eventsv1.SlaEscalated{
		Clock: string(e.Clock), EscalationLevel: int32(e.Level), Manual: e.Manual, Reason: e.Reason,
		Dispatch: DispatchProto(e.Dispatch),
	}}
	return ev
}

// ExtensionRequested is sla.extension_requested.
func ExtensionRequested(d response.Dispatch, e response.Extension, now time.Time, actor *typesv1.Actor) *eventsv1.Event {
	ev := about(d, now, actor)
	ev.Payload = &eventsv1.Event_SlaExtensionRequested{SlaExtensionRequested: &eventsv1.SlaExtensionRequested{
		Extension: ExtensionProto(e), Dispatch: DispatchProto(d),
	}}
	return ev
}

// ExtensionDecided is sla.extension_decided; on approval d carries the new deadline.
func ExtensionDecided(d response.Dispatch, e response.Extension, now time.Time, actor *typesv1.Actor) *eventsv1.Event {
	ev := about(d, now, actor)
	ev.Payload = &eventsv1.Event_SlaExtensionDecided{SlaExtensionDecided: &eventsv1.SlaExtensionDecided{
		Extension: ExtensionProto(e), Dispatch: DispatchProto(d),
	}}
	return ev
}
