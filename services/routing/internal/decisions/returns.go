package decisions

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
	"github.com/chuishao/whistle/proto/returncodes"
	"github.com/chuishao/whistle/services/routing/internal/events"
	"github.com/chuishao/whistle/services/routing/internal/routing"
	"github.com/chuishao/whistle/services/routing/internal/store"
)

// Reroute handles a returned dispatch (退单) in tx: a NEEDS_ANOTHER_DEPARTMENT
// return naming a known department goes to that department, inheriting the
// original SLA start; every other return, and always the second return of the
// whistle, waits in the district supervisor's arbitration queue.
func (s *Service) Reroute(ctx context.Context, tx pgx.Tx, r routing.Returned) error {
	q := store.New(tx)
	// The lock serialises returns of one whistle, so two returns at once cannot
	// both see "no fallback yet" and ask the district government twice.
	decision, err := q.LockDecision(ctx, r.WhistleID)
	if errors.Is(err, pgx.ErrNoRows) {
		return bus.Permanent(fmt.Errorf("reroute dispatch %s: whistle %s was never routed", r.DispatchID, r.WhistleID))
	}
	if err != nil {
		return fmt.Errorf("reroute dispatch %s: %w", r.DispatchID, err)
	}
	returned, err := q.GetAssignment(ctx, r.DispatchID)
	if errors.Is(err, pgx.ErrNoRows) {
		return bus.Permanent(fmt.Errorf("reroute dispatch %s: routing never asked for it", r.DispatchID))
	}
	if err != nil {
		return fmt.Errorf("reroute dispatch %s: %w", r.DispatchID, err)
	}
	now := s.Clock.Now()
	marked, err := q.MarkAssignmentReturned(ctx, store.MarkAssignmentReturnedParams{
		DispatchID: r.DispatchID, ReturnedAt: pgtype.Timestamptz{Time: now, Valid: true},
		ReturnCode: string(r.Code), ReturnReason: r.Reason, ReturnDepartment: r.Department,
	})
	if err != nil {
		return fmt.Errorf("reroute dispatch %s: mark returned: %w", r.DispatchID, err)
	}
	if marked == 0 {
		return nil // this return was handled already
	}
	count, err := q.CountReturned(ctx, decision.WhistleID)
	if err != nil {
		return fmt.Errorf("reroute dispatch %s: count returns: %w", r.DispatchID, err)
	}
	ret := routing.Return{From: returned.Department, Code: r.Code, Returns: count}
	if r.Code == returncodes.NeedsAnotherDepartment && r.Department != "" {
		known, err := departmentSet(ctx, q)
		if err != nil {
			return fmt.Errorf("reroute dispatch %s: %w", r.DispatchID, err)
		}
		if known[r.Department] {
			ret.Target = r.Department
		}
	}
	var existing store.DispatchAssignment
	if ret.Target != "" {
		existing, err = q.ActiveAssignmentOf(ctx, store.ActiveAssignmentOfParams{WhistleID: decision.WhistleID, Department: ret.Target})
		ret.TargetActive = err == nil
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("reroute dispatch %s: find dispatch of %s: %w", r.DispatchID, ret.Target, err)
		}
	}
	slaStart := inheritedStart(r, returned)

	next := routing.DecideReturn(ret)
	switch next.Action {
	case routing.Arbitrate:
		id := uuid.Must(uuid.NewV7()).String()
		if err := q.InsertArbitration(ctx, store.InsertArbitrationParams{
			ID: id, WhistleID: decision.WhistleID, DistrictID: decision.DistrictID, Kind: "return",
			ReturnedDispatchID: r.DispatchID, FromDepartment: returned.Department, ReasonCode: string(r.Code),
			Reason: r.Reason, SlaStartedAt: slaStart, RequestedAt: pgtype.Timestamptz{Time: now, Valid: true},
			ReturnDepartment: r.Department,
		}); err != nil {
			return fmt.Errorf("reroute dispatch %s: queue arbitration: %w", r.DispatchID, err)
		}
		if err := outbox.Add(ctx, tx, events.ArbitrationRequested(s.Clock, decision, id, r, returned.Department, count)); err != nil {
			return fmt.Errorf("reroute dispatch %s: %w", r.DispatchID, err)
		}
		s.Log.InfoContext(ctx, "whistle awaits arbitration", "whistle_id", decision.WhistleID, "dispatch_id", r.DispatchID, "returns", count)
		return nil

	case routing.JoinExisting:
		return s.rerouted(ctx, tx, decision, r, returned.Department, events.Joined(existing))

	default: // routing.Redispatch
		sla, err := slaOf(ctx, q, decision)
		if err != nil {
			return fmt.Errorf("reroute dispatch %s: %w", r.DispatchID, err)
		}
		role := routing.RoleRedirected
		a := routing.Assignment{Department: next.Department, Role: role}
		to, err := s.dispatch(ctx, tx, decision, a, sla, next.Rule, slaStart,
			routing.Explain(role, next.Rule, decision.CatalogueVersion, returned.Department, r.Reason))
		if err != nil {
			return fmt.Errorf("reroute dispatch %s: %w", r.DispatchID, err)
		}
		return s.rerouted(ctx, tx, decision, r, returned.Department, to)
	}
}

// rerouted writes whistle.rerouted: the returned work goes to to.
func (s *Service) rerouted(ctx context.Context, tx pgx.Tx, decision store.RoutingDecision, r routing.Returned,
	from string, to *eventsv1.RoutedDepartment) error {
	if err := outbox.Add(ctx, tx, events.Rerouted(s.Clock, decision, r, from, to)); err != nil {
		return fmt.Errorf("reroute dispatch %s: %w", r.DispatchID, err)
	}
	s.Log.InfoContext(ctx, "whistle rerouted", "whistle_id", decision.WhistleID, "from", from, "to", to.GetDepartment())
	return nil
}

// inheritedStart is when the returned dispatch's clocks started: the re-dispatch
// keeps it, so returning cannot reset the 30-minute arrival clock.
func inheritedStart(r routing.Returned, returned store.DispatchAssignment) pgtype.Timestamptz {
	switch {
	case !r.SLAStartedAt.IsZero():
		return pgtype.Timestamptz{Time: r.SLAStartedAt, Valid: true}
	case returned.SlaStartedAt.Valid:
		return returned.SlaStartedAt
	case !r.DispatchedAt.IsZero():
		return pgtype.Timestamptz{Time: r.DispatchedAt, Valid: true}
	default:
		return pgtype.Timestamptz{}
	}
}

// Reopen sends a reopened whistle ("not fixed") back, in tx, to the
// departments that were working on it, once per reopen event (eventID): each
// active department gets a round-2 dispatch with fresh clocks, linked to the
// first by its rule (reopen:<first dispatch id>), all asked for by one
// whistle.redispatched. The whistle is live again.
func (s *Service) Reopen(ctx context.Context, tx pgx.Tx, eventID, whistleID, reason string) error {
	q := store.New(tx)
	// Each reopen is one round, whatever the copies of its event.
	n, err := q.MarkReopenHandled(ctx, store.MarkReopenHandledParams{EventID: eventID, WhistleID: whistleID})
	if err != nil {
		return fmt.Errorf("reopen whistle %s: %w", whistleID, err)
	}
	if n == 0 {
		return nil
	}
	if err := setClosed(ctx, q, whistleID, false); err != nil {
		return err
	}
	decision, err := q.LockDecision(ctx, whistleID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil // never routed (cancelled before routing): nobody to send it back to
	}
	if err != nil {
		return fmt.Errorf("reopen whistle %s: %w", whistleID, err)
	}
	rows, err := q.ListAssignments(ctx, decision.WhistleID)
	if err != nil {
		return fmt.Errorf("reopen whistle %s: %w", decision.WhistleID, err)
	}
	sla, err := slaOf(ctx, q, decision)
	if err != nil {
		return fmt.Errorf("reopen whistle %s: %w", decision.WhistleID, err)
	}
	var to []*eventsv1.RoutedDepartment
	var reqs requests
	seen := map[string]bool{}
	for _, r := range rows {
		if r.Status != "active" || seen[r.Department] {
			continue
		}
		seen[r.Department] = true
		// Mark the first round's assignment done, so a third round links to the second.
		if _, err := q.SupersedeAssignment(ctx, r.DispatchID); err != nil {
			return fmt.Errorf("reopen whistle %s: %w", decision.WhistleID, err)
		}
		to = append(to, reqs.request(decision,
			routing.Assignment{Department: r.Department, Role: r.Role}, sla, "reopen:"+r.DispatchID, pgtype.Timestamptz{},
			"round 2 after the street reopened the whistle ("+reason+"), following dispatch "+r.DispatchID))
	}
	if len(to) == 0 {
		return nil
	}
	reqs.events = append(reqs.events, outbox.Caused{Ctx: ctx, Event: events.Redispatched(s.Clock, decision, reason, to)})
	if err := reqs.write(ctx, tx, s.Clock.Now()); err != nil {
		return fmt.Errorf("reopen whistle %s: %w", decision.WhistleID, err)
	}
	return nil
}

// Close records, in tx, that a whistle is over (cancelled or closed), so no
// department is added to it.
func (s *Service) Close(ctx context.Context, tx pgx.Tx, whistleID string) error {
	return setClosed(ctx, store.New(tx), whistleID, true)
}

// setClosed records whether the whistle is over; a whistle never routed has
// nothing to record.
func setClosed(ctx context.Context, q *store.Queries, whistleID string, closed bool) error {
	if err := q.SetDecisionClosed(ctx, store.SetDecisionClosedParams{WhistleID: whistleID, Closed: closed}); err != nil {
		return fmt.Errorf("whistle %s closed=%v: %w", whistleID, closed, err)
	}
	return nil
}
