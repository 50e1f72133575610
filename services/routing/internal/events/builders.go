package events

import (
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
	"github.com/chuishao/whistle/services/routing/internal/routing"
	"github.com/chuishao/whistle/services/routing/internal/store"
)

// Actor is who routing's events are by.
func Actor() *typesv1.Actor { return &typesv1.Actor{Role: "system", Id: "routing"} }

// whistleEvent starts an event about the decision's whistle.
func whistleEvent(clk clock.Clock, d store.RoutingDecision) *eventsv1.Event {
	ev := events.New(clk.Now(), Actor())
	ev.WhistleId = d.WhistleID
	ev.DistrictId = d.DistrictID
	ev.StreetId = d.StreetID
	return ev
}

// dispatchRequested is the request for one department's dispatch of the
// decision's whistle. slaStart is nil for a new dispatch, whose clocks start
// when it is created.
func dispatchRequested(d store.RoutingDecision, a routing.Assignment, sla routing.SLA, rule string,
	slaStart *timestamppb.Timestamp) *eventsv1.DispatchRequested {
	return &eventsv1.DispatchRequested{
		Category:      d.Category,
		Role:          a.Role,
		Location:      &typesv1.LatLng{Lat: d.LocationLat, Lng: d.LocationLng},
		Urgency:       intakev1.Whistle_Urgency(intakev1.Whistle_Urgency_value[d.Urgency]),
		AckWithin:     limit(sla.AckWithin),
		ArriveWithin:  limit(sla.ArriveWithin),
		ResolveWithin: limit(sla.ResolveWithin),
		SlaStartedAt:  slaStart,
		Rule:          rule,
		CommunityCode: d.CommunityCode,
		CommunityName: d.CommunityName,
	}
}

// limit is a catalogue limit for a dispatch request: unset when the catalogue
// has none, so the response service applies its default.
func limit(d time.Duration) *durationpb.Duration {
	if d <= 0 {
		return nil
	}
	return durationpb.New(d)
}
