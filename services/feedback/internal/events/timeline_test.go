package events_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"

	feedbackevents "github.com/chuishao/whistle/services/feedback/internal/events"
)

func TestEntryOf(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 5, 11, 1, 0, 0, 0, time.UTC)
	ev := events.New(at, &typesv1.Actor{Role: "desk", Id: "police-desk-1"})
	ev.WhistleId = "w-1"
	// An envelope without dispatch fields: the dispatch in the payload fills them in.
	ev.Payload = &eventsv1.Event_DispatchReturned{DispatchReturned: &eventsv1.DispatchReturned{Dispatch: &responsev1.Dispatch{
		Id: "d-1", Department: "police", Status: responsev1.Dispatch_RETURNED, ReturnReason: "not ours",
	}}}

	e, err := feedbackevents.EntryOf(ev)
	require.NoError(t, err)
	require.Equal(t, "dispatch.returned", e.Type)
	require.Equal(t, at, e.At)
	require.Equal(t, "police-desk-1", e.Actor.ID)
	require.Equal(t, "d-1", e.DispatchID)
	require.Equal(t, "police", e.Department)
	require.Equal(t, ev.GetId(), e.EventID)
	require.JSONEq(t, `{"dispatch":{"id":"d-1","department":"police","status":"RETURNED","return_reason":"not ours"}}`, string(e.Data))

	ev.Payload = nil
	_, err = feedbackevents.EntryOf(ev)
	require.Error(t, err)
}
