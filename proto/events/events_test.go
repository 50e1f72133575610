package events_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
)

// event is an envelope in 东城 for police; tests set its payload.
func event() *eventsv1.Event {
	ev := events.New(time.Now(), &typesv1.Actor{Role: "system", Id: "test"})
	ev.DistrictId, ev.Department = "110101", "police"
	return ev
}

func with(payload any) *eventsv1.Event {
	ev := event()
	switch p := payload.(type) {
	case *eventsv1.Event_DispatchAcknowledged:
		ev.Payload = p
	case *eventsv1.Event_SlaEscalated:
		ev.Payload = p
	case *eventsv1.Event_WhistleRaised:
		ev.Payload = p
	}
	return ev
}

func TestNamesAndSubjectsFollowThePayload(t *testing.T) {
	t.Parallel()
	ack := with(&eventsv1.Event_DispatchAcknowledged{DispatchAcknowledged: &eventsv1.DispatchAcknowledged{}})
	require.Equal(t, "dispatch.acknowledged", events.Name(ack))
	subject, err := events.Subject(ack)
	require.NoError(t, err)
	require.Equal(t, "dispatch.v1.acknowledged.110101.police", subject)

	raised := with(&eventsv1.Event_WhistleRaised{WhistleRaised: &eventsv1.WhistleRaised{}})
	subject, err = events.Subject(raised)
	require.NoError(t, err)
	require.Equal(t, "whistle.v1.raised.110101", subject)
	require.Equal(t, "sla.v1.breached.>", events.SubjectFor("sla.breached"))
	require.Equal(t, []string{"whistle.v1.routed.>", "dispatch.v1.arrived.>"}, events.SubjectsFor("whistle.routed", "dispatch.arrived"))

	_, err = events.Subject(&eventsv1.Event{Id: "x"})
	require.Error(t, err, "an event without payload has no subject")
}

func TestDispatchIsTheSnapshotOfDispatchAndSLAEvents(t *testing.T) {
	t.Parallel()
	d := &responsev1.Dispatch{Id: "d1", Department: "police"}
	ack := with(&eventsv1.Event_DispatchAcknowledged{DispatchAcknowledged: &eventsv1.DispatchAcknowledged{Dispatch: d}})
	require.Equal(t, "d1", events.Dispatch(ack).GetId())
	esc := with(&eventsv1.Event_SlaEscalated{SlaEscalated: &eventsv1.SlaEscalated{Dispatch: d}})
	require.Equal(t, "d1", events.Dispatch(esc).GetId())
	require.Nil(t, events.Dispatch(with(&eventsv1.Event_WhistleRaised{WhistleRaised: &eventsv1.WhistleRaised{}})))
	require.Nil(t, events.Dispatch(with(&eventsv1.Event_DispatchAcknowledged{DispatchAcknowledged: &eventsv1.DispatchAcknowledged{}})))
}

func TestRequestsAreTheDispatchRequestsAnEventCarries(t *testing.T) {
	t.Parallel()
	asked := &eventsv1.DispatchRequested{Category: "noise", Role: "lead"}
	routed := event()
	routed.Payload = &eventsv1.Event_WhistleRouted{WhistleRouted: &eventsv1.WhistleRouted{Departments: []*eventsv1.RoutedDepartment{
		{Department: "police", DispatchId: "d1", Request: asked},
		{Department: "environment", DispatchId: "d2", Request: asked},
		{Department: "water", DispatchId: "d0"}, // from before decisions carried requests
	}}}
	var ids []string
	for _, r := range events.Requests(routed) {
		ids = append(ids, r.GetDispatchId())
	}
	require.Equal(t, []string{"d1", "d2"}, ids)

	joined := event()
	joined.Payload = &eventsv1.Event_WhistleRerouted{WhistleRerouted: &eventsv1.WhistleRerouted{
		To: &eventsv1.RoutedDepartment{Department: "police", DispatchId: "d1"}, // at work on it already
	}}
	require.Empty(t, events.Requests(joined))

	old := event()
	old.DispatchId = "d3"
	old.Payload = &eventsv1.Event_DispatchRequested{DispatchRequested: asked}
	got := events.Requests(old)
	require.Len(t, got, 1)
	require.Equal(t, "d3", got[0].GetDispatchId())
	require.Equal(t, "police", got[0].GetDepartment(), "the envelope's department")
	require.Equal(t, "lead", got[0].GetRole())
	require.Same(t, asked, got[0].GetRequest())

	require.Empty(t, events.Requests(with(&eventsv1.Event_WhistleRaised{WhistleRaised: &eventsv1.WhistleRaised{}})))
}
