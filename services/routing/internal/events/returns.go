package events

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/bus/outbox"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	"github.com/chuishao/whistle/proto/returncodes"
	"github.com/chuishao/whistle/services/routing/internal/routing"
	"github.com/chuishao/whistle/services/routing/internal/store"
)

// reroute handles a returned dispatch (退单): a NEEDS_ANOTHER_DEPARTMENT return
// naming a known department goes to that department, inheriting the original
// SLA start; every other return, and always the second return of the whistle,
// waits in the district supervisor's arbitration queue.
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
	code := returnCodeOf(d)
	now := h.Clock.Now()
	marked, err := q.MarkAssignmentReturned(ctx, store.MarkAssignmentReturnedParams{
		DispatchID: d.GetId(), ReturnedAt: pgtype.Timestamptz{Time: now, Valid: true},
		ReturnCode: string(code), ReturnReason: d.GetReturnReason(), ReturnDepartment: d.GetReturnDepartment(),
	})
	if err != nil {
		return fmt.Errorf("reroute dispatch %s: mark returned: %w", d.GetId(), err)
	}
	if marked == 0 {
		return nil // this return was handled already
	}
	count, err := q.CountReturned(ctx, decision.WhistleID)
	if err != nil {
		return fmt.Errorf("reroute dispatch %s: count returns: %w", d.GetId(), err)
	}
	ret := routing.Return{From: returned.Department, Code: code, Returns: count}
	if named := d.GetReturnDepartment(); code == returncodes.NeedsAnotherDepartment && named != "" {
		known, err := departmentSet(ctx, q)
		if err != nil {
			return fmt.Errorf("reroute dispatch %s: %w", d.GetId(), err)
		}
		if known[named] {
			ret.Target = named
		}
	}
	var existing store.DispatchAssignment
	if ret.Target != "" {
		existing, err = q.ActiveAssignmentOf(ctx, store.ActiveAssignmentOfParams{WhistleID: decision.WhistleID, Department: ret.Target})
		ret.TargetActive = err == nil
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("reroute dispatch %s: find dispatch of %s: %w", d.GetId(), ret.Target, err)
		}
	}
	slaStart := inheritedStart(d, returned)

	next := routing.DecideReturn(ret)
	switch next.Action {
	case routing.Arbitrate:
		id := uuid.Must(uuid.NewV7()).String()
		if err := q.InsertArbitration(ctx, store.InsertArbitrationParams{
			ID: id, WhistleID: decision.WhistleID, DistrictID: decision.DistrictID, Kind: "return",
			ReturnedDispatchID: d.GetId(), FromDepartment: returned.Department, ReasonCode: string(code),
			Reason: d.GetReturnReason(), SlaStartedAt: slaStart, RequestedAt: pgtype.Timestamptz{Time: now, Valid: true},
			ReturnDepartment: d.GetReturnDepartment(),
		}); err != nil {
			return fmt.Errorf("reroute dispatch %s: queue arbitration: %w", d.GetId(), err)
		}
		ev := whistleEvent(h.Clock, decision)
		ev.Payload = &eventsv1.Event_WhistleArbitrationRequested{WhistleArbitrationRequested: &eventsv1.WhistleArbitrationRequested{
			ArbitrationId: id, ReturnedDispatchId: d.GetId(), FromDepartment: returned.Department,
			ReasonCode: code.Legacy(), Reason: d.GetReturnReason(), ReturnCount: int32(count),
			ReturnCode: d.GetReturnCode(), ReturnDepartment: d.GetReturnDepartment(),
		}}
		if err := outbox.Add(ctx, tx, ev); err != nil {
			return fmt.Errorf("reroute dispatch %s: %w", d.GetId(), err)
		}
		h.Log.InfoContext(ctx, "whistle awaits arbitration", "whistle_id", decision.WhistleID, "dispatch_id", d.GetId(), "returns", count)
		return nil

	case routing.JoinExisting:
		return h.addRerouted(ctx, tx, decision, d, returned.Department, &eventsv1.RoutedDepartment{
			Department: existing.Department, Role: existing.Role, DispatchId: existing.DispatchID,
		})

	default: // routing.Redispatch
		sla, err := slaOf(ctx, q, decision)
		if err != nil {
			return fmt.Errorf("reroute dispatch %s: %w", d.GetId(), err)
		}
		role := routing.RoleRedirected
		a := routing.Assignment{Department: next.Department, Role: role}
		to, err := h.dispatch(ctx, tx, decision, a, sla, next.Rule, slaStart,
			routing.Explain(role, next.Rule, decision.CatalogueVersion, returned.Department, d.GetReturnReason()))
		if err != nil {
			return fmt.Errorf("reroute dispatch %s: %w", d.GetId(), err)
		}
		return h.addRerouted(ctx, tx, decision, d, returned.Department, to)
	}
}

// returnCodeOf is the code of a returned dispatch; "" for one returned before
// codes existed (RETURN_CODE_UNSPECIFIED), which a supervisor decides.
func returnCodeOf(d *responsev1.Dispatch) routing.ReturnCode {
	if d.GetReturnCode() == responsev1.Dispatch_RETURN_CODE_UNSPECIFIED {
		return ""
	}
	return routing.ReturnCode(d.GetReturnCode().String())
}

func departmentSet(ctx context.Context, q *store.Queries) (map[string]bool, error) {
	rows, err := q.ListDepartments(ctx)
	if err != nil {
		return nil, fmt.Errorf("list departments: %w", err)
	}
	out := make(map[string]bool, len(rows))
	for _, r := range rows {
		out[r.Code] = true
	}
	return out, nil
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
