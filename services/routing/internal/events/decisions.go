package events

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/chuishao/whistle/platform/bus/outbox"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
	"github.com/chuishao/whistle/services/routing/internal/jurisdiction"
	"github.com/chuishao/whistle/services/routing/internal/routing"
	"github.com/chuishao/whistle/services/routing/internal/store"
)

// Errors of the decisions people make, mapped to gRPC codes by grpcapi.
var (
	// ErrNotFound: no such whistle or arbitration.
	ErrNotFound = routing.ErrNotFound
	// ErrConflict: the arbitration was decided already, or the whistle is no longer live.
	ErrConflict = errors.New("conflict")
)

// Arbitration is a supervisor's binding decision (审定).
type Arbitration struct {
	ID         string
	Department string
	ResetSLA   bool
	Reason     string
	Note       string
	By         *typesv1.Actor
}

// Arbitrate records the decision and dispatches its department, keeping the
// original arrival clock unless the decision resets it. Deciding again with the
// same department changes nothing; a different department is a conflict (the
// decision is binding).
func (h *Handler) Arbitrate(ctx context.Context, tx pgx.Tx, a Arbitration) (store.Arbitration, error) {
	q := store.New(tx)
	row, err := q.LockArbitration(ctx, a.ID)
	if errors.Is(err, pgx.ErrNoRows) {
		return row, fmt.Errorf("arbitration %s: %w", a.ID, ErrNotFound)
	}
	if err != nil {
		return row, fmt.Errorf("arbitration %s: %w", a.ID, err)
	}
	if row.Status == "decided" {
		if row.Department == a.Department {
			return row, nil
		}
		return row, fmt.Errorf("arbitration %s was decided for %s already: %w", a.ID, row.Department, ErrConflict)
	}
	decision, err := q.LockDecision(ctx, row.WhistleID)
	if err != nil {
		return row, fmt.Errorf("arbitration %s: whistle %s: %w", a.ID, row.WhistleID, err)
	}
	if decision.Closed {
		return row, fmt.Errorf("arbitration %s: whistle %s is cancelled or closed: %w", a.ID, row.WhistleID, ErrConflict)
	}
	sla, err := slaOf(ctx, q, decision)
	if err != nil {
		return row, fmt.Errorf("arbitration %s: %w", a.ID, err)
	}
	start := row.SlaStartedAt
	if a.ResetSLA {
		start = pgtype.Timestamptz{}
	}
	// The arbitrated department gets its own dispatch even if it has one
	// already: the decision is a new, binding assignment with its own record.
	assignment := routing.Assignment{Department: a.Department, Role: routing.RoleArbitrated}
	reason := routing.Explain(routing.RoleArbitrated, routing.RuleArbitration, decision.CatalogueVersion, "", "")
	if a.Note != "" {
		reason += ": " + a.Note
	}
	to, err := h.dispatch(ctx, tx, decision, assignment, sla, routing.RuleArbitration, start, reason)
	if err != nil {
		return row, fmt.Errorf("arbitration %s: %w", a.ID, err)
	}
	now := pgtype.Timestamptz{Time: h.Clock.Now(), Valid: true}
	if err := q.DecideArbitration(ctx, store.DecideArbitrationParams{
		ID: a.ID, DecidedAt: now, DecidedBy: a.By.GetId(), Department: a.Department, DispatchID: to.GetDispatchId(),
		SlaReset: a.ResetSLA, SlaResetReason: a.Reason, Note: a.Note,
	}); err != nil {
		return row, fmt.Errorf("arbitration %s: record decision: %w", a.ID, err)
	}
	ev := whistleEvent(h.Clock, decision)
	ev.Actor = a.By
	ev.Payload = &eventsv1.Event_WhistleArbitrated{WhistleArbitrated: &eventsv1.WhistleArbitrated{
		ArbitrationId: a.ID, To: to, SlaReset: a.ResetSLA, SlaResetReason: a.Reason, Note: a.Note,
	}}
	if err := outbox.Add(ctx, tx, ev); err != nil {
		return row, fmt.Errorf("arbitration %s: %w", a.ID, err)
	}
	h.Log.InfoContext(ctx, "whistle arbitrated", "whistle_id", decision.WhistleID, "department", a.Department, "sla_reset", a.ResetSLA)
	return q.GetArbitration(ctx, a.ID)
}

// AddDepartment is a manual 吹哨: one more department on a live whistle, with
// fresh clocks (it was never asked before). A department already active on the
// whistle is not asked twice. A community party (物业, the community
// committee) goes to the whistle's community's own, as in a routing decision.
func (h *Handler) AddDepartment(ctx context.Context, tx pgx.Tx, decision store.RoutingDecision, department, reason string, by *typesv1.Actor) error {
	q := store.New(tx)
	locked, err := q.LockDecision(ctx, decision.WhistleID)
	if err != nil {
		return fmt.Errorf("add %s to whistle %s: %w", department, decision.WhistleID, err)
	}
	if locked.Closed {
		return fmt.Errorf("add %s to whistle %s: the whistle is cancelled or closed: %w", department, decision.WhistleID, ErrConflict)
	}
	added, err := forCommunity(ctx, q, decision, routing.Assignment{Department: department, Role: routing.RoleAdded})
	if err != nil {
		return fmt.Errorf("add %s to whistle %s: %w", department, decision.WhistleID, err)
	}
	department = added.Department
	_, err = q.ActiveAssignmentOf(ctx, store.ActiveAssignmentOfParams{WhistleID: decision.WhistleID, Department: department})
	if err == nil {
		return nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("add %s to whistle %s: %w", department, decision.WhistleID, err)
	}
	sla, err := slaOf(ctx, q, decision)
	if err != nil {
		return fmt.Errorf("add %s to whistle %s: %w", department, decision.WhistleID, err)
	}
	explain := routing.ExplainParty(routing.Explain(routing.RoleAdded, routing.RuleManual, decision.CatalogueVersion, "", ""),
		added, decision.CommunityCode, decision.CommunityName)
	if reason != "" {
		explain += ": " + reason
	}
	to, err := h.dispatch(ctx, tx, decision, added, sla, routing.RuleManual, pgtype.Timestamptz{}, explain)
	if err != nil {
		return fmt.Errorf("add %s to whistle %s: %w", department, decision.WhistleID, err)
	}
	ev := whistleEvent(h.Clock, decision)
	ev.Actor = by
	ev.Payload = &eventsv1.Event_WhistleDepartmentAdded{WhistleDepartmentAdded: &eventsv1.WhistleDepartmentAdded{
		Department: to, Reason: reason,
	}}
	if err := outbox.Add(ctx, tx, ev); err != nil {
		return fmt.Errorf("add %s to whistle %s: %w", department, decision.WhistleID, err)
	}
	return nil
}

// forCommunity hands a community party named by hand to the decision's
// community's own party (ForCommunity); other departments stay as they are.
func forCommunity(ctx context.Context, q *store.Queries, d store.RoutingDecision, a routing.Assignment) (routing.Assignment, error) {
	if d.CommunityCode == "" || (a.Department != routing.PropertyParty && a.Department != routing.CommitteeParty) {
		return a, nil
	}
	companies, err := q.CommunityProperties(ctx, d.CommunityCode)
	if err != nil {
		return a, fmt.Errorf("property company of community %s: %w", d.CommunityCode, err)
	}
	property := ""
	if len(companies) > 0 {
		property = companies[0]
	}
	return routing.Plan{Assignments: []routing.Assignment{a}}.ForCommunity(d.CommunityCode, property).Assignments[0], nil
}

// reopen sends a reopened whistle ("not fixed") back to the departments that
// were working on it: each active department gets a round-2 dispatch with
// fresh clocks, linked to the first by its rule (reopen:<first dispatch id>),
// all asked for by one whistle.redispatched.
func (h *Handler) reopen(ctx context.Context, tx pgx.Tx, ev *eventsv1.Event) error {
	q := store.New(tx)
	decision, err := q.LockDecision(ctx, ev.GetWhistleId())
	if errors.Is(err, pgx.ErrNoRows) {
		return nil // never routed (cancelled before routing): nobody to send it back to
	}
	if err != nil {
		return fmt.Errorf("reopen whistle %s: %w", ev.GetWhistleId(), err)
	}
	rows, err := q.ListAssignments(ctx, decision.WhistleID)
	if err != nil {
		return fmt.Errorf("reopen whistle %s: %w", decision.WhistleID, err)
	}
	sla, err := slaOf(ctx, q, decision)
	if err != nil {
		return fmt.Errorf("reopen whistle %s: %w", decision.WhistleID, err)
	}
	reason := ev.GetWhistleReopened().GetReason()
	redispatched := &eventsv1.WhistleRedispatched{Reason: reason}
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
		redispatched.Departments = append(redispatched.Departments, reqs.request(decision,
			routing.Assignment{Department: r.Department, Role: r.Role}, sla, "reopen:"+r.DispatchID, pgtype.Timestamptz{},
			"round 2 after the street reopened the whistle ("+reason+"), following dispatch "+r.DispatchID))
	}
	if len(redispatched.Departments) == 0 {
		return nil
	}
	out := whistleEvent(h.Clock, decision)
	out.Payload = &eventsv1.Event_WhistleRedispatched{WhistleRedispatched: redispatched}
	reqs.events = append(reqs.events, outbox.Caused{Ctx: ctx, Event: out})
	if err := reqs.write(ctx, tx, h.Clock.Now()); err != nil {
		return fmt.Errorf("reopen whistle %s: %w", decision.WhistleID, err)
	}
	return nil
}

// ConfirmLocation records the raising street's confirmation of a location the
// map check flagged. Confirming again changes nothing; a location that needed
// no confirmation is a conflict.
func (h *Handler) ConfirmLocation(ctx context.Context, tx pgx.Tx, whistleID, note string, by *typesv1.Actor) error {
	q := store.New(tx)
	decision, err := q.LockDecision(ctx, whistleID)
	if err != nil {
		return fmt.Errorf("confirm location of whistle %s: %w", whistleID, err)
	}
	check := jurisdiction.Check{Result: jurisdiction.Result(decision.Jurisdiction)}
	if !check.NeedsConfirmation() {
		return fmt.Errorf("the location of whistle %s is %s and needs no confirmation: %w", whistleID, decision.Jurisdiction, ErrConflict)
	}
	n, err := q.ConfirmLocation(ctx, store.ConfirmLocationParams{
		WhistleID: whistleID, ConfirmedAt: pgtype.Timestamptz{Time: h.Clock.Now(), Valid: true}, ConfirmedBy: by.GetId(),
	})
	if err != nil {
		return fmt.Errorf("confirm location of whistle %s: %w", whistleID, err)
	}
	if n == 0 {
		return nil // confirmed already
	}
	ev := whistleEvent(h.Clock, decision)
	ev.Actor = by
	ev.Payload = &eventsv1.Event_WhistleLocationConfirmed{WhistleLocationConfirmed: &eventsv1.WhistleLocationConfirmed{
		Result: decision.Jurisdiction, Note: note,
	}}
	if err := outbox.Add(ctx, tx, ev); err != nil {
		return fmt.Errorf("confirm location of whistle %s: %w", whistleID, err)
	}
	return nil
}
