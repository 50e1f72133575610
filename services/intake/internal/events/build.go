// Package events consumes routing's and response's events to derive the
// whistle's status, and builds the whistle.* events that status change emits;
// the whistle use cases (package whistles) build theirs beside them.
package events

import (
	"time"

	protoevents "github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"

	"github.com/chuishao/whistle/services/intake/internal/store"
)

// System is the actor of the events intake emits on its own (status derived from dispatches).
var System = &typesv1.Actor{Role: "system", Id: "intake"}

// WhistleEnvelope is a whistle.* event of w by actor at at, without its payload.
func WhistleEnvelope(at time.Time, actor *typesv1.Actor, w store.Whistle) *eventsv1.Event {
	ev := protoevents.New(at, actor)
	ev.WhistleId = w.ID
	ev.DistrictId = w.DistrictID
	ev.StreetId = w.StreetID
	return ev
}

// Responding is whistle.responding: the first department acknowledged.
func Responding(at time.Time, w store.Whistle) *eventsv1.Event {
	ev := WhistleEnvelope(at, System, w)
	ev.Payload = &eventsv1.Event_WhistleResponding{WhistleResponding: &eventsv1.WhistleResponding{}}
	return ev
}

// Resolved is whistle.resolved: every expected department resolved its part.
func Resolved(at time.Time, w store.Whistle) *eventsv1.Event {
	ev := WhistleEnvelope(at, System, w)
	ev.Payload = &eventsv1.Event_WhistleResolved{WhistleResolved: &eventsv1.WhistleResolved{}}
	return ev
}
