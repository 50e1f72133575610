package decisions

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/bus/outbox"
	"github.com/chuishao/whistle/platform/postgres"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
	"github.com/chuishao/whistle/services/routing/internal/events"
	"github.com/chuishao/whistle/services/routing/internal/jurisdiction"
	"github.com/chuishao/whistle/services/routing/internal/routing"
	"github.com/chuishao/whistle/services/routing/internal/store"
)

// Explanation is a whistle's decision with every dispatch it asked for.
type Explanation struct {
	Decision    store.RoutingDecision
	Assignments []store.DispatchAssignment
}

func actor(id auth.Identity) *typesv1.Actor { return &typesv1.Actor{Role: id.Role, Id: id.Subject} }

// decisionFor loads a whistle's decision if the caller may see it; NotFound
// otherwise, so ids cannot be probed.
func decisionFor(ctx context.Context, q *store.Queries, id auth.Identity, whistleID string) (store.RoutingDecision, error) {
	d, err := q.GetDecision(ctx, whistleID)
	if errors.Is(err, pgx.ErrNoRows) {
		return d, fmt.Errorf("whistle %q: %w", whistleID, routing.ErrNotFound)
	}
	if err != nil {
		return d, fmt.Errorf("get whistle %s: %w", whistleID, err)
	}
	hidden := fmt.Errorf("whistle %q: %w", whistleID, routing.ErrNotFound)
	switch id.Role {
	case auth.RoleAdmin:
	case auth.RoleStreet:
		if d.StreetID != id.StreetID {
			return d, hidden
		}
	case auth.RoleSupervisor:
		if id.DistrictID != "" && d.DistrictID != id.DistrictID {
			return d, hidden
		}
	case auth.RoleDesk:
		if d.DistrictID != id.DistrictID {
			return d, hidden
		}
		rows, err := q.ListAssignments(ctx, whistleID)
		if err != nil {
			return d, fmt.Errorf("dispatches of whistle %s: %w", whistleID, err)
		}
		for _, r := range rows {
			if r.Department == id.Department {
				return d, nil
			}
		}
		return d, hidden
	default:
		return d, hidden
	}
	return d, nil
}

// explain is the decision with its dispatches.
func explain(ctx context.Context, q *store.Queries, d store.RoutingDecision) (Explanation, error) {
	rows, err := q.ListAssignments(ctx, d.WhistleID)
	if err != nil {
		return Explanation{}, fmt.Errorf("dispatches of whistle %s: %w", d.WhistleID, err)
	}
	return Explanation{Decision: d, Assignments: rows}, nil
}

// Explain tells why each department of a whistle in the caller's scope was chosen.
func (s *Service) Explain(ctx context.Context, caller auth.Identity, whistleID string) (Explanation, error) {
	q := store.New(s.Pool)
	d, err := decisionFor(ctx, q, caller, whistleID)
	if err != nil {
		return Explanation{}, err
	}
	return explain(ctx, q, d)
}

// ListArbitrations is a supervisor's queue, by status (open by default, or
// decided, or all): a district supervisor's own district, a city
// supervisor's any district (or all when district is "").
func (s *Service) ListArbitrations(ctx context.Context, caller auth.Identity, district, status string) ([]store.ListArbitrationsRow, error) {
	if caller.DistrictID != "" {
		if district != "" && district != caller.DistrictID {
			return nil, routing.Refuse(routing.ErrPermission, "a district supervisor sees only its own district's queue")
		}
		district = caller.DistrictID
	}
	switch status {
	case "":
		status = "open"
	case "all":
		status = ""
	case "open", "decided":
	default:
		return nil, routing.Invalid("status", "must be open, decided or all")
	}
	rows, err := store.New(s.Pool).ListArbitrations(ctx, store.ListArbitrationsParams{DistrictID: district, Status: status})
	if err != nil {
		return nil, fmt.Errorf("list arbitrations: %w", err)
	}
	return rows, nil
}

// Arbitration is a supervisor's binding decision (审定).
type Arbitration struct {
	ID         string
	Department string
	ResetSLA   bool
	Reason     string
	Note       string
}

// Arbitrate records a supervisor's decision on an arbitration of its
// district and dispatches its department, keeping the original arrival clock
// unless the decision resets it (which needs a reason). Deciding again with
// the same department changes nothing; a different department is a conflict
// (the decision is binding).
func (s *Service) Arbitrate(ctx context.Context, caller auth.Identity, a Arbitration) (store.Arbitration, error) {
	q := store.New(s.Pool)
	known, err := departmentSet(ctx, q)
	if err != nil {
		return store.Arbitration{}, err
	}
	var v routing.Violations
	switch {
	case a.Department == "":
		v.Add("department", "is required")
	case !known[a.Department]:
		v.Addf("department", "unknown department %q", a.Department)
	}
	if a.ResetSLA && a.Reason == "" {
		v.Add("reset_reason", "is required to reset the arrival clock")
	}
	if err := v.Err(); err != nil {
		return store.Arbitration{}, err
	}
	existing, err := q.GetArbitration(ctx, a.ID)
	if errors.Is(err, pgx.ErrNoRows) {
		return existing, fmt.Errorf("arbitration %q: %w", a.ID, routing.ErrNotFound)
	}
	if err != nil {
		return existing, fmt.Errorf("get arbitration %s: %w", a.ID, err)
	}
	if caller.DistrictID != "" && existing.DistrictID != caller.DistrictID {
		return existing, fmt.Errorf("arbitration %q: %w", a.ID, routing.ErrNotFound)
	}
	var row store.Arbitration
	err = postgres.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		var err error
		row, err = s.arbitrate(ctx, tx, a, actor(caller))
		return err
	})
	return row, err
}

func (s *Service) arbitrate(ctx context.Context, tx pgx.Tx, a Arbitration, by *typesv1.Actor) (store.Arbitration, error) {
	q := store.New(tx)
	row, err := q.LockArbitration(ctx, a.ID)
	if errors.Is(err, pgx.ErrNoRows) {
		return row, fmt.Errorf("arbitration %s: %w", a.ID, routing.ErrNotFound)
	}
	if err != nil {
		return row, fmt.Errorf("arbitration %s: %w", a.ID, err)
	}
	if row.Status == "decided" {
		if row.Department == a.Department {
			return row, nil
		}
		return row, fmt.Errorf("arbitration %s was decided for %s already: %w", a.ID, row.Department, routing.ErrConflict)
	}
	decision, err := q.LockDecision(ctx, row.WhistleID)
	if err != nil {
		return row, fmt.Errorf("arbitration %s: whistle %s: %w", a.ID, row.WhistleID, err)
	}
	if decision.Closed {
		return row, fmt.Errorf("arbitration %s: whistle %s is cancelled or closed: %w", a.ID, row.WhistleID, routing.ErrConflict)
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
	to, err := s.dispatch(ctx, tx, decision, assignment, sla, routing.RuleArbitration, start, reason)
	if err != nil {
		return row, fmt.Errorf("arbitration %s: %w", a.ID, err)
	}
	now := pgtype.Timestamptz{Time: s.Clock.Now(), Valid: true}
	if err := q.DecideArbitration(ctx, store.DecideArbitrationParams{
		ID: a.ID, DecidedAt: now, DecidedBy: by.GetId(), Department: a.Department, DispatchID: to.GetDispatchId(),
		SlaReset: a.ResetSLA, SlaResetReason: a.Reason, Note: a.Note,
	}); err != nil {
		return row, fmt.Errorf("arbitration %s: record decision: %w", a.ID, err)
	}
	if err := outbox.Add(ctx, tx, events.Arbitrated(s.Clock, decision, by, a.ID, to, a.ResetSLA, a.Reason, a.Note)); err != nil {
		return row, fmt.Errorf("arbitration %s: %w", a.ID, err)
	}
	s.Log.InfoContext(ctx, "whistle arbitrated", "whistle_id", decision.WhistleID, "department", a.Department, "sla_reset", a.ResetSLA)
	return q.GetArbitration(ctx, a.ID)
}

// AddDepartment is a manual 吹哨 by a street or a supervisor: one more known
// department on a live whistle in the caller's scope, with fresh clocks (it
// was never asked before). A department already active on the whistle is not
// asked twice. A community party (物业, the community committee) goes to the
// whistle's community's own, as in a routing decision. It answers the
// whistle's explanation.
func (s *Service) AddDepartment(ctx context.Context, caller auth.Identity, whistleID, department, reason string) (Explanation, error) {
	q := store.New(s.Pool)
	known, err := departmentSet(ctx, q)
	if err != nil {
		return Explanation{}, err
	}
	switch {
	case department == "":
		return Explanation{}, routing.Invalid("department", "is required")
	case !known[department]:
		return Explanation{}, routing.Invalid("department", "unknown department %q", department)
	}
	d, err := decisionFor(ctx, q, caller, whistleID)
	if err != nil {
		return Explanation{}, err
	}
	err = postgres.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		return s.addDepartment(ctx, tx, d, department, reason, actor(caller))
	})
	if err != nil {
		return Explanation{}, err
	}
	return explain(ctx, q, d)
}

func (s *Service) addDepartment(ctx context.Context, tx pgx.Tx, decision store.RoutingDecision, department, reason string, by *typesv1.Actor) error {
	q := store.New(tx)
	locked, err := q.LockDecision(ctx, decision.WhistleID)
	if err != nil {
		return fmt.Errorf("add %s to whistle %s: %w", department, decision.WhistleID, err)
	}
	if locked.Closed {
		return fmt.Errorf("add %s to whistle %s: the whistle is cancelled or closed: %w", department, decision.WhistleID, routing.ErrConflict)
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
	to, err := s.dispatch(ctx, tx, decision, added, sla, routing.RuleManual, pgtype.Timestamptz{}, explain)
	if err != nil {
		return fmt.Errorf("add %s to whistle %s: %w", department, decision.WhistleID, err)
	}
	if err := outbox.Add(ctx, tx, events.DepartmentAdded(s.Clock, decision, by, to, reason)); err != nil {
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

// ConfirmLocation records the raising street's confirmation of a location the
// map check flagged, and answers the whistle's explanation. Confirming again
// changes nothing; a location that needed no confirmation is a conflict.
func (s *Service) ConfirmLocation(ctx context.Context, caller auth.Identity, whistleID, note string) (Explanation, error) {
	q := store.New(s.Pool)
	if _, err := decisionFor(ctx, q, caller, whistleID); err != nil {
		return Explanation{}, err
	}
	err := postgres.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		return s.confirmLocation(ctx, tx, whistleID, note, actor(caller))
	})
	if err != nil {
		return Explanation{}, err
	}
	d, err := q.GetDecision(ctx, whistleID)
	if errors.Is(err, pgx.ErrNoRows) {
		return Explanation{}, fmt.Errorf("whistle %q: %w", whistleID, routing.ErrNotFound)
	}
	if err != nil {
		return Explanation{}, fmt.Errorf("get whistle %s: %w", whistleID, err)
	}
	return explain(ctx, q, d)
}

func (s *Service) confirmLocation(ctx context.Context, tx pgx.Tx, whistleID, note string, by *typesv1.Actor) error {
	q := store.New(tx)
	decision, err := q.LockDecision(ctx, whistleID)
	if err != nil {
		return fmt.Errorf("confirm location of whistle %s: %w", whistleID, err)
	}
	check := jurisdiction.Check{Result: jurisdiction.Result(decision.Jurisdiction)}
	if !check.NeedsConfirmation() {
		return fmt.Errorf("the location of whistle %s is %s and needs no confirmation: %w", whistleID, decision.Jurisdiction, routing.ErrConflict)
	}
	n, err := q.ConfirmLocation(ctx, store.ConfirmLocationParams{
		WhistleID: whistleID, ConfirmedAt: pgtype.Timestamptz{Time: s.Clock.Now(), Valid: true}, ConfirmedBy: by.GetId(),
	})
	if err != nil {
		return fmt.Errorf("confirm location of whistle %s: %w", whistleID, err)
	}
	if n == 0 {
		return nil // confirmed already
	}
	if err := outbox.Add(ctx, tx, events.LocationConfirmed(s.Clock, decision, by, note)); err != nil {
		return fmt.Errorf("confirm location of whistle %s: %w", whistleID, err)
	}
	return nil
}
