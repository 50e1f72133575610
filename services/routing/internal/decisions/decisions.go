// Package decisions is routing's use cases about where a whistle goes: route
// raised whistles (jurisdiction check, the category's plan, the community's
// parties, the decision and whistle.routed with one dispatch request per
// department), re-route a returned dispatch, send a reopened whistle back,
// and the decisions people make — a supervisor's arbitration, a manual 吹哨,
// the street's confirmation of its location — with the reads that explain
// them. The consumer's use cases run in the consumer's transaction; the
// people's run their own, checking the caller's scope first.
package decisions

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chuishao/whistle/platform/bus/outbox"
	"github.com/chuishao/whistle/platform/clock"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	"github.com/chuishao/whistle/services/routing/internal/events"
	"github.com/chuishao/whistle/services/routing/internal/jurisdiction"
	"github.com/chuishao/whistle/services/routing/internal/routing"
	"github.com/chuishao/whistle/services/routing/internal/store"
)

// Service makes routing's decisions.
type Service struct {
	Pool  *pgxpool.Pool
	Clock clock.Clock
	Log   *slog.Logger
	// Map checks a whistle's location against its street.
	Map *jurisdiction.Cache
}

// Locate checks a point (WGS-84) against a street's boundary in force.
func (s *Service) Locate(ctx context.Context, streetID string, lat, lng float64) (jurisdiction.Check, error) {
	if err := s.Map.Refresh(ctx); err != nil {
		return jurisdiction.Check{}, err
	}
	return s.Map.Check(ctx, streetID, lat, lng)
}

// requests are dispatch assignments and events on their way to the database:
// write records them all in two statements.
type requests struct {
	assignments store.InsertAssignmentsParams
	events      []outbox.Caused
}

// write records the assignments, then the events in their order.
func (r *requests) write(ctx context.Context, tx pgx.Tx, now time.Time) error {
	if len(r.assignments.DispatchIds) > 0 {
		r.assignments.CreatedAt = pgtype.Timestamptz{Time: now, Valid: true}
		if err := store.New(tx).InsertAssignments(ctx, r.assignments); err != nil {
			return fmt.Errorf("record %d dispatch assignments: %w", len(r.assignments.DispatchIds), err)
		}
	}
	return outbox.AddCaused(ctx, tx, r.events)
}

// request adds an assignment with a new dispatch id to r and returns its
// department with the request for the response service to create the
// dispatch; the event of the decision carries it.
func (r *requests) request(decision store.RoutingDecision, a routing.Assignment,
	sla routing.SLA, rule string, slaStart pgtype.Timestamptz, reason string) *eventsv1.RoutedDepartment {
	dispatchID := uuid.Must(uuid.NewV7()).String()
	as := &r.assignments
	as.DispatchIds = append(as.DispatchIds, dispatchID)
	as.WhistleIds = append(as.WhistleIds, decision.WhistleID)
	as.Departments = append(as.Departments, a.Department)
	as.Roles = append(as.Roles, a.Role)
	as.SlaStartedAts = append(as.SlaStartedAts, slaStart)
	as.Rules = append(as.Rules, rule)
	as.Reasons = append(as.Reasons, reason)
	var start time.Time
	if slaStart.Valid {
		start = slaStart.Time
	}
	return events.RoutedDepartment(decision, a, sla, rule, start, dispatchID)
}

// dispatch records an assignment and returns its department with the
// dispatch request, for the event of the decision to carry.
func (s *Service) dispatch(ctx context.Context, tx pgx.Tx, decision store.RoutingDecision, a routing.Assignment,
	sla routing.SLA, rule string, slaStart pgtype.Timestamptz, reason string) (*eventsv1.RoutedDepartment, error) {
	var reqs requests
	to := reqs.request(decision, a, sla, rule, slaStart, reason)
	if err := reqs.write(ctx, tx, s.Clock.Now()); err != nil {
		return nil, fmt.Errorf("record dispatch to %s: %w", a.Department, err)
	}
	return to, nil
}

// slaOf is the SLA policy of the whistle's category in the catalogue version
// its decision was made with; none (zero limits, response's defaults) for a
// category the catalogue does not know.
func slaOf(ctx context.Context, q *store.Queries, d store.RoutingDecision) (routing.SLA, error) {
	rule, err := q.RuleFor(ctx, store.RuleForParams{Version: d.CatalogueVersion, Category: d.Category, DistrictID: d.DistrictID})
	if err == nil {
		return rule.Domain().SLA, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return routing.SLA{}, fmt.Errorf("rule of whistle %s: %w", d.WhistleID, err)
	}
	cat, err := q.GetCategory(ctx, d.Category)
	switch {
	case err == nil:
		return cat.Domain().SLA, nil
	case errors.Is(err, pgx.ErrNoRows):
		return routing.SLA{}, nil
	default:
		return routing.SLA{}, fmt.Errorf("category %s: %w", d.Category, err)
	}
}

// departmentSet is the codes of every department.
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
