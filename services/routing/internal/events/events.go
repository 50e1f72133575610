// Package events is the routing service's consumer: it turns whistle.raised into
// dispatch.requested per department (plus whistle.routed), and a returned
// dispatch (退单) into a re-dispatch to the district government (兜底).
package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/bus/outbox"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	"github.com/chuishao/whistle/services/routing/internal/routing"
	"github.com/chuishao/whistle/services/routing/internal/store"
)

// ConsumerName is the durable consumer and de-duplication scope of routing.
const ConsumerName = "routing"

// Handler applies the events routing consumes.
type Handler struct {
	Clock clock.Clock
	Log   *slog.Logger
}

// Consumer is the durable consumer of whistle.raised and dispatch.returned.
func (h *Handler) Consumer() bus.Consumer {
	return bus.Consumer{
		Name:     ConsumerName,
		Subjects: []string{events.SubjectFor("whistle.raised"), events.SubjectFor("dispatch.returned")},
		Handle:   h.Handle,
	}
}

// Handle applies one event in tx; events of other kinds are ignored.
func (h *Handler) Handle(ctx context.Context, tx pgx.Tx, ev *eventsv1.Event) error {
	switch p := ev.GetPayload().(type) {
	case *eventsv1.Event_WhistleRaised:
		return h.route(ctx, tx, p.WhistleRaised.GetWhistle())
	case *eventsv1.Event_DispatchReturned:
		return h.reroute(ctx, tx, p.DispatchReturned.GetDispatch())
	default:
		return nil
	}
}

// route decides which departments a new whistle goes to and asks for their
// dispatches. The decision row's primary key makes it happen once per whistle,
// however often whistle.raised arrives.
func (h *Handler) route(ctx context.Context, tx pgx.Tx, w *intakev1.Whistle) error {
	if w.GetId() == "" {
		return bus.Permanent(errors.New("route whistle: whistle.raised without a whistle"))
	}
	q := store.New(tx)
	var cat *routing.Category
	row, err := q.GetCategory(ctx, w.GetCategory())
	switch {
	case err == nil:
		c := row.Domain()
		cat = &c
	case !errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("route whistle %s: category %s: %w", w.GetId(), w.GetCategory(), err)
	}
	plan := routing.PlanFor(cat)

	urgency := w.GetUrgency()
	if urgency == intakev1.Whistle_URGENCY_UNSPECIFIED {
		urgency = intakev1.Whistle_NORMAL
	}
	now := h.Clock.Now()
	decision := store.RoutingDecision{
		WhistleID:        w.GetId(),
		Category:         w.GetCategory(),
		StreetID:         w.GetStreetId(),
		DistrictID:       w.GetDistrictId(),
		LocationLat:      w.GetLocation().GetLat(),
		LocationLng:      w.GetLocation().GetLng(),
		Urgency:          urgency.String(),
		Rule:             plan.Rule,
		CatalogueVersion: plan.CatalogueVersion,
		DecidedAt:        pgtype.Timestamptz{Time: now, Valid: true},
	}
	inserted, err := q.InsertDecision(ctx, store.InsertDecisionParams(decision))
	if err != nil {
		return fmt.Errorf("route whistle %s: record decision: %w", w.GetId(), err)
	}
	if inserted == 0 {
		return nil // routed already
	}

	routed := &eventsv1.WhistleRouted{Rule: plan.Rule, CatalogueVersion: plan.CatalogueVersion}
	for _, a := range plan.Assignments {
		dispatchID := uuid.Must(uuid.NewV7()).String()
		if err := q.InsertAssignment(ctx, store.InsertAssignmentParams{
			DispatchID: dispatchID, WhistleID: w.GetId(), Department: a.Department, Role: a.Role,
			CreatedAt: decision.DecidedAt,
		}); err != nil {
			return fmt.Errorf("route whistle %s: record dispatch to %s: %w", w.GetId(), a.Department, err)
		}
		ev := dispatchRequested(h.Clock, decision, dispatchID, a, plan.SLA, plan.Rule, nil)
		if err := outbox.Add(ctx, tx, ev); err != nil {
			return fmt.Errorf("route whistle %s: %w", w.GetId(), err)
		}
		routed.Departments = append(routed.Departments, &eventsv1.RoutedDepartment{
			Department: a.Department, Role: a.Role, DispatchId: dispatchID,
		})
	}
	ev := whistleEvent(h.Clock, decision)
	ev.Payload = &eventsv1.Event_WhistleRouted{WhistleRouted: routed}
	if err := outbox.Add(ctx, tx, ev); err != nil {
		return fmt.Errorf("route whistle %s: %w", w.GetId(), err)
	}
	h.Log.InfoContext(ctx, "whistle routed", "whistle_id", w.GetId(), "rule", plan.Rule, "departments", len(plan.Assignments))
	return nil
}

// reroute handles a returned dispatch (退单): the district government takes over
// with the original SLA start, joins in if it already holds the whistle, or the
// whistle becomes unroutable when the district government itself returned it.
func (h *Handler) reroute(ctx context.Context, tx pgx.Tx, d *responsev1.Dispatch) error {
	if d.GetId() == "" || d.GetWhistleId() == "" {
		return bus.Permanent(errors.New("reroute: dispatch.returned without a dispatch"))
	}
	q := store.New(tx)
	// The lock serialises returns of one whistle, so two returns at once cannot
	// both see "no fallback yet" and ask the district government twice.
	decision, err := q.LockDecision(ctx, d.GetWhistleId())
	if errors.Is(err, pgx.ErrNoRows) {
		return bus.Permanent(fmt.Errorf("reroute dispatch %s: whistle %s was never routed", d.GetId(), d.GetWhistleId()))
	}
	if err != nil {
		return fmt.Errorf("reroute dispatch %s: %w", d.GetId(), err)
	}
	returned, err := q.GetAssignment(ctx, d.GetId())
	if errors.Is(err, pgx.ErrNoRows) {
		return bus.Permanent(fmt.Errorf("reroute dispatch %s: routing never asked for it", d.GetId()))
	}
	if err != nil {
		return fmt.Errorf("reroute dispatch %s: %w", d.GetId(), err)
	}
	now := h.Clock.Now()
	marked, err := q.MarkAssignmentReturned(ctx, store.MarkAssignmentReturnedParams{
		DispatchID: d.GetId(), ReturnedAt: pgtype.Timestamptz{Time: now, Valid: true},
	})
	if err != nil {
		return fmt.Errorf("reroute dispatch %s: mark returned: %w", d.GetId(), err)
	}
	if marked == 0 {
		return nil // this return was handled already
	}

	fallback, err := q.ActiveAssignmentOf(ctx, store.ActiveAssignmentOfParams{
		WhistleID: d.GetWhistleId(), Department: routing.FallbackDepartment,
	})
	fallbackActive := err == nil
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("reroute dispatch %s: find fallback dispatch: %w", d.GetId(), err)
	}

	switch routing.OnReturn(returned.Department, fallbackActive) {
	case routing.GiveUp:
		ev := whistleEvent(h.Clock, decision)
		ev.Payload = &eventsv1.Event_WhistleUnroutable{WhistleUnroutable: &eventsv1.WhistleUnroutable{
			Reason: routing.UnroutableReason(d.GetReturnReason()),
		}}
		if err := outbox.Add(ctx, tx, ev); err != nil {
			return fmt.Errorf("reroute dispatch %s: %w", d.GetId(), err)
		}
		h.Log.WarnContext(ctx, "whistle unroutable", "whistle_id", d.GetWhistleId(), "dispatch_id", d.GetId())
		return nil

	case routing.JoinFallback:
		return h.addRerouted(ctx, tx, decision, d, returned.Department, &eventsv1.RoutedDepartment{
			Department: fallback.Department, Role: fallback.Role, DispatchId: fallback.DispatchID,
		})

	default: // routing.Redispatch
		sla := routing.DefaultSLA
		cat, err := q.GetCategory(ctx, decision.Category)
		switch {
		case err == nil:
			sla = cat.Domain().SLA
		case !errors.Is(err, pgx.ErrNoRows):
			return fmt.Errorf("reroute dispatch %s: category %s: %w", d.GetId(), decision.Category, err)
		}
		slaStart := inheritedStart(d, returned)
		a := routing.Assignment{Department: routing.FallbackDepartment, Role: routing.RoleFallback}
		dispatchID := uuid.Must(uuid.NewV7()).String()
		if err := q.InsertAssignment(ctx, store.InsertAssignmentParams{
			DispatchID: dispatchID, WhistleID: decision.WhistleID, Department: a.Department, Role: a.Role,
			SlaStartedAt: slaStart, CreatedAt: pgtype.Timestamptz{Time: now, Valid: true},
		}); err != nil {
			return fmt.Errorf("reroute dispatch %s: record fallback dispatch: %w", d.GetId(), err)
		}
		var start *timestamppb.Timestamp
		if slaStart.Valid {
			start = timestamppb.New(slaStart.Time)
		}
		ev := dispatchRequested(h.Clock, decision, dispatchID, a, sla, routing.RuleFallbackReturned, start)
		if err := outbox.Add(ctx, tx, ev); err != nil {
			return fmt.Errorf("reroute dispatch %s: %w", d.GetId(), err)
		}
		return h.addRerouted(ctx, tx, decision, d, returned.Department, &eventsv1.RoutedDepartment{
			Department: a.Department, Role: a.Role, DispatchId: dispatchID,
		})
	}
}

func (h *Handler) addRerouted(ctx context.Context, tx pgx.Tx, decision store.RoutingDecision, d *responsev1.Dispatch,
	from string, to *eventsv1.RoutedDepartment) error {
	ev := whistleEvent(h.Clock, decision)
	ev.Payload = &eventsv1.Event_WhistleRerouted{WhistleRerouted: &eventsv1.WhistleRerouted{
		ReturnedDispatchId: d.GetId(), FromDepartment: from, To: to, Reason: d.GetReturnReason(),
	}}
	if err := outbox.Add(ctx, tx, ev); err != nil {
		return fmt.Errorf("reroute dispatch %s: %w", d.GetId(), err)
	}
	h.Log.InfoContext(ctx, "whistle rerouted", "whistle_id", decision.WhistleID, "from", from, "to", to.GetDepartment())
	return nil
}

// inheritedStart is when the returned dispatch's clocks started: the re-dispatch
// keeps it, so returning cannot reset the 30-minute arrival clock.
func inheritedStart(d *responsev1.Dispatch, returned store.DispatchAssignment) pgtype.Timestamptz {
	switch {
	case d.GetSlaStartedAt().IsValid():
		return pgtype.Timestamptz{Time: d.GetSlaStartedAt().AsTime(), Valid: true}
	case returned.SlaStartedAt.Valid:
		return returned.SlaStartedAt
	case d.GetDispatchedAt().IsValid():
		return pgtype.Timestamptz{Time: d.GetDispatchedAt().AsTime(), Valid: true}
	default:
		return pgtype.Timestamptz{}
	}
}
