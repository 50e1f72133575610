// Package events is the routing service's consumer adapter and its event
// builders: the consumer decodes whistle.raised, dispatch.returned,
// whistle.reopened, whistle.cancelled and whistle.closed and calls the
// decision use cases (package decisions), which build their events here.
package events

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
	"github.com/chuishao/whistle/services/routing/internal/jurisdiction"
	"github.com/chuishao/whistle/services/routing/internal/routing"
	"github.com/chuishao/whistle/services/routing/internal/store"
)

// ConsumerName is the durable consumer and de-duplication scope of routing.
const ConsumerName = "routing"

// Decisions are the use cases the consumer calls, in the consumer's
// transaction (decisions.Service; an interface because that package builds
// its events with this one).
type Decisions interface {
	// Route decides where new whistles go, in a fixed number of statements.
	Route(ctx context.Context, tx pgx.Tx, ws []routing.Raised) error
	// Reroute handles a returned dispatch.
	Reroute(ctx context.Context, tx pgx.Tx, r routing.Returned) error
	// Reopen sends a reopened whistle back to its departments, once per reopen event.
	Reopen(ctx context.Context, tx pgx.Tx, eventID, whistleID, reason string) error
	// Close records that a whistle is cancelled or closed.
	Close(ctx context.Context, tx pgx.Tx, whistleID string) error
}

// Handler is routing's consumer.
type Handler struct {
	Decisions Decisions
}

// Consumer is the durable consumer of whistle.raised, whistle.reopened and dispatch.returned.
func (h *Handler) Consumer() bus.Consumer {
	return bus.Consumer{
		Name: ConsumerName,
		Subjects: []string{events.SubjectFor("whistle.raised"), events.SubjectFor("dispatch.returned"),
			events.SubjectFor("whistle.reopened"), events.SubjectFor("whistle.cancelled"), events.SubjectFor("whistle.closed")},
		HandleBatch: h.HandleBatch,
	}
}

// HandleBatch applies a batch of events in tx as if one by one in stream
// order: a run of new whistles is routed together, and any other event is
// applied on its own, after the run when it concerns one of the run's
// whistles (the run is cut there) and before it otherwise (the two commute).
func (h *Handler) HandleBatch(ctx context.Context, tx pgx.Tx, evs []*eventsv1.Event) error {
	return bus.Runs(ctx, evs,
		func(ev *eventsv1.Event) bool {
			_, ok := ev.GetPayload().(*eventsv1.Event_WhistleRaised)
			return ok
		},
		func(ev *eventsv1.Event) string {
			if p, ok := ev.GetPayload().(*eventsv1.Event_WhistleRaised); ok {
				return p.WhistleRaised.GetWhistle().GetId()
			}
			return ev.GetWhistleId()
		},
		func(run []*eventsv1.Event) error { return h.route(ctx, tx, run) },
		func(ctx context.Context, ev *eventsv1.Event) error { return h.handle(ctx, tx, ev) })
}

// route decodes a run of whistle.raised and routes them together.
func (h *Handler) route(ctx context.Context, tx pgx.Tx, evs []*eventsv1.Event) error {
	if len(evs) == 0 {
		return nil
	}
	ws := make([]routing.Raised, len(evs))
	for i, ev := range evs {
		w := ev.GetWhistleRaised().GetWhistle()
		if w.GetId() == "" {
			return bus.Permanent(errors.New("route whistle: whistle.raised without a whistle"))
		}
		ws[i] = routing.Raised{
			Cause: bus.ContextOf(ctx, ev), ID: w.GetId(), Category: w.GetCategory(), StreetID: w.GetStreetId(),
			DistrictID: w.GetDistrictId(), Lat: w.GetLocation().GetLat(), Lng: w.GetLocation().GetLng(),
		}
		if u := w.GetUrgency(); u != intakev1.Whistle_URGENCY_UNSPECIFIED {
			ws[i].Urgency = u.String()
		}
	}
	return h.Decisions.Route(ctx, tx, ws)
}

// handle applies one event other than whistle.raised in tx; events of other
// kinds are ignored.
func (h *Handler) handle(ctx context.Context, tx pgx.Tx, ev *eventsv1.Event) error {
	switch p := ev.GetPayload().(type) {
	case *eventsv1.Event_DispatchReturned:
		d := p.DispatchReturned.GetDispatch()
		if d.GetId() == "" || d.GetWhistleId() == "" {
			return bus.Permanent(errors.New("reroute: dispatch.returned without a dispatch"))
		}
		return h.Decisions.Reroute(ctx, tx, returned(d))
	case *eventsv1.Event_WhistleReopened:
		return h.Decisions.Reopen(ctx, tx, ev.GetId(), ev.GetWhistleId(), p.WhistleReopened.GetReason())
	case *eventsv1.Event_WhistleCancelled, *eventsv1.Event_WhistleClosed:
		return h.Decisions.Close(ctx, tx, ev.GetWhistleId())
	default:
		return nil
	}
}

// returned is a returned dispatch as routing re-routes it; a return without a
// code (RETURN_CODE_UNSPECIFIED, from before codes existed) has code "".
func returned(d *responsev1.Dispatch) routing.Returned {
	r := routing.Returned{
		DispatchID: d.GetId(), WhistleID: d.GetWhistleId(), Reason: d.GetReturnReason(), Department: d.GetReturnDepartment(),
	}
	if c := d.GetReturnCode(); c != responsev1.Dispatch_RETURN_CODE_UNSPECIFIED {
		r.Code = routing.ReturnCode(c.String())
	}
	if d.GetSlaStartedAt().IsValid() {
		r.SLAStartedAt = d.GetSlaStartedAt().AsTime()
	}
	if d.GetDispatchedAt().IsValid() {
		r.DispatchedAt = d.GetDispatchedAt().AsTime()
	}
	return r
}

// Actor is who routing's events are by.
func Actor() *typesv1.Actor { return &typesv1.Actor{Role: "system", Id: "routing"} }

// whistleEvent starts an event about the decision's whistle, by by (routing
// itself when nil).
func whistleEvent(clk clock.Clock, d store.RoutingDecision, by *typesv1.Actor) *eventsv1.Event {
	ev := events.New(clk.Now(), Actor())
	if by != nil {
		ev.Actor = by
	}
	ev.WhistleId = d.WhistleID
	ev.DistrictId = d.DistrictID
	ev.StreetId = d.StreetID
	return ev
}

// RoutedDepartment is one department a decision asks, with the request for
// the response service to create its dispatch (dispatchID). slaStart is zero
// for a new dispatch, whose clocks start when it is created.
func RoutedDepartment(d store.RoutingDecision, a routing.Assignment, sla routing.SLA, rule string,
	slaStart time.Time, dispatchID string) *eventsv1.RoutedDepartment {
	var start *timestamppb.Timestamp
	if !slaStart.IsZero() {
		start = timestamppb.New(slaStart)
	}
	return &eventsv1.RoutedDepartment{Department: a.Department, Role: a.Role, DispatchId: dispatchID,
		Request: &eventsv1.DispatchRequested{
			Category:      d.Category,
			Role:          a.Role,
			Location:      &typesv1.LatLng{Lat: d.LocationLat, Lng: d.LocationLng},
			Urgency:       intakev1.Whistle_Urgency(intakev1.Whistle_Urgency_value[d.Urgency]),
			AckWithin:     limit(sla.AckWithin),
			ArriveWithin:  limit(sla.ArriveWithin),
			ResolveWithin: limit(sla.ResolveWithin),
			SlaStartedAt:  start,
			Rule:          rule,
			CommunityCode: d.CommunityCode,
			CommunityName: d.CommunityName,
		}}
}

// Joined is a department's existing dispatch that returned work joins.
func Joined(a store.DispatchAssignment) *eventsv1.RoutedDepartment {
	return &eventsv1.RoutedDepartment{Department: a.Department, Role: a.Role, DispatchId: a.DispatchID}
}

// limit is a catalogue limit for a dispatch request: unset when the catalogue
// has none, so the response service applies its default.
func limit(d time.Duration) *durationpb.Duration {
	if d <= 0 {
		return nil
	}
	return durationpb.New(d)
}

// Routed is whistle.routed: the decision and every department it asks.
func Routed(clk clock.Clock, d store.RoutingDecision, to []*eventsv1.RoutedDepartment) *eventsv1.Event {
	ev := whistleEvent(clk, d, nil)
	ev.Payload = &eventsv1.Event_WhistleRouted{WhistleRouted: &eventsv1.WhistleRouted{
		Rule: d.Rule, CatalogueVersion: d.CatalogueVersion, CommunityCode: d.CommunityCode, CommunityName: d.CommunityName,
		Departments: to,
	}}
	return ev
}

// JurisdictionChecked is whistle.jurisdiction_checked: the map check of a
// location not inside its street, with the review queued (reviewID) when it
// is in no street.
func JurisdictionChecked(clk clock.Clock, d store.RoutingDecision, c jurisdiction.Check, reviewID string) *eventsv1.Event {
	ev := whistleEvent(clk, d, nil)
	ev.Payload = &eventsv1.Event_WhistleJurisdictionChecked{WhistleJurisdictionChecked: &eventsv1.WhistleJurisdictionChecked{
		Result: string(c.Result), NeighbourStreetIds: c.Neighbours, DistanceM: c.DistanceM,
		NeedsConfirmation: c.NeedsConfirmation(), ReviewId: reviewID,
	}}
	return ev
}

// ArbitrationRequested is whistle.arbitration_requested: a returned dispatch
// queued for the district supervisor (returns counts the whistle's returns).
func ArbitrationRequested(clk clock.Clock, d store.RoutingDecision, id string, r routing.Returned, from string, returns int64) *eventsv1.Event {
	ev := whistleEvent(clk, d, nil)
	ev.Payload = &eventsv1.Event_WhistleArbitrationRequested{WhistleArbitrationRequested: &eventsv1.WhistleArbitrationRequested{
		ArbitrationId: id, ReturnedDispatchId: r.DispatchID, FromDepartment: from,
		ReasonCode: r.Code.Legacy(), Reason: r.Reason, ReturnCount: int32(returns),
		ReturnCode: responsev1.Dispatch_ReturnCode(responsev1.Dispatch_ReturnCode_value[string(r.Code)]), ReturnDepartment: r.Department,
	}}
	return ev
}

// Rerouted is whistle.rerouted: a returned dispatch's work sent on to another department.
func Rerouted(clk clock.Clock, d store.RoutingDecision, r routing.Returned, from string, to *eventsv1.RoutedDepartment) *eventsv1.Event {
	ev := whistleEvent(clk, d, nil)
	ev.Payload = &eventsv1.Event_WhistleRerouted{WhistleRerouted: &eventsv1.WhistleRerouted{
		ReturnedDispatchId: r.DispatchID, FromDepartment: from, To: to, Reason: r.Reason,
	}}
	return ev
}

// Redispatched is whistle.redispatched: a reopened whistle's second round.
func Redispatched(clk clock.Clock, d store.RoutingDecision, reason string, to []*eventsv1.RoutedDepartment) *eventsv1.Event {
	ev := whistleEvent(clk, d, nil)
	ev.Payload = &eventsv1.Event_WhistleRedispatched{WhistleRedispatched: &eventsv1.WhistleRedispatched{Reason: reason, Departments: to}}
	return ev
}

// Arbitrated is whistle.arbitrated: a supervisor's binding decision.
func Arbitrated(clk clock.Clock, d store.RoutingDecision, by *typesv1.Actor, id string, to *eventsv1.RoutedDepartment,
	slaReset bool, resetReason, note string) *eventsv1.Event {
	ev := whistleEvent(clk, d, by)
	ev.Payload = &eventsv1.Event_WhistleArbitrated{WhistleArbitrated: &eventsv1.WhistleArbitrated{
		ArbitrationId: id, To: to, SlaReset: slaReset, SlaResetReason: resetReason, Note: note,
	}}
	return ev
}

// DepartmentAdded is whistle.department_added: a manual 吹哨.
func DepartmentAdded(clk clock.Clock, d store.RoutingDecision, by *typesv1.Actor, to *eventsv1.RoutedDepartment, reason string) *eventsv1.Event {
	ev := whistleEvent(clk, d, by)
	ev.Payload = &eventsv1.Event_WhistleDepartmentAdded{WhistleDepartmentAdded: &eventsv1.WhistleDepartmentAdded{
		Department: to, Reason: reason,
	}}
	return ev
}

// LocationConfirmed is whistle.location_confirmed: the raising street's
// confirmation of a flagged location.
func LocationConfirmed(clk clock.Clock, d store.RoutingDecision, by *typesv1.Actor, note string) *eventsv1.Event {
	ev := whistleEvent(clk, d, by)
	ev.Payload = &eventsv1.Event_WhistleLocationConfirmed{WhistleLocationConfirmed: &eventsv1.WhistleLocationConfirmed{
		Result: d.Jurisdiction, Note: note,
	}}
	return ev
}
