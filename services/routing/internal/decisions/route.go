package decisions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/bus/outbox"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	"github.com/chuishao/whistle/services/routing/internal/events"
	"github.com/chuishao/whistle/services/routing/internal/jurisdiction"
	"github.com/chuishao/whistle/services/routing/internal/routing"
	"github.com/chuishao/whistle/services/routing/internal/store"
)

// decided is one whistle's routing decision before it is written.
type decided struct {
	ctx      context.Context // of the whistle.raised it answers
	decision store.RoutingDecision
	plan     routing.Plan
	check    jurisdiction.Check
}

// Route decides which departments new whistles go to and asks for their
// dispatches, in tx, in a fixed number of statements however many whistles
// there are (plus one per whistle in no street, queued for a person's
// review): each location is checked against the map, each whistle gets its
// category's plan with its community's parties, and one whistle.routed
// carries every dispatch request. The decision row's primary key makes it
// happen once per whistle, however often whistle.raised arrives.
func (s *Service) Route(ctx context.Context, tx pgx.Tx, ws []routing.Raised) error {
	if len(ws) == 0 {
		return nil
	}
	// The batch is checked against the boundaries in force now.
	if err := s.Map.Refresh(ctx); err != nil {
		return err
	}
	q := store.New(tx)
	now := s.Clock.Now()
	at := pgtype.Timestamptz{Time: now, Valid: true}
	var fresh []routing.Raised
	seen := map[string]bool{}
	for _, w := range ws {
		if w.Cause == nil {
			w.Cause = ctx
		}
		if !seen[w.ID] { // a second copy in the batch changes nothing
			seen[w.ID] = true
			fresh = append(fresh, w)
		}
	}
	plans, err := plansFor(ctx, q, at, fresh)
	if err != nil {
		return fmt.Errorf("route %d whistles: %w", len(fresh), err)
	}
	ds := make([]decided, len(fresh))
	arg := store.InsertDecisionsParams{DecidedAt: at}
	for i, w := range fresh {
		d, err := s.decide(w, plans[i], at)
		if err != nil {
			return err
		}
		ds[i] = d
		neighbours, err := json.Marshal(d.decision.NeighbourStreetIds)
		if err != nil {
			return bus.Permanent(fmt.Errorf("route whistle %s: %w", w.ID, err))
		}
		arg.WhistleIds = append(arg.WhistleIds, d.decision.WhistleID)
		arg.Categories = append(arg.Categories, d.decision.Category)
		arg.StreetIds = append(arg.StreetIds, d.decision.StreetID)
		arg.DistrictIds = append(arg.DistrictIds, d.decision.DistrictID)
		arg.Lats = append(arg.Lats, d.decision.LocationLat)
		arg.Lngs = append(arg.Lngs, d.decision.LocationLng)
		arg.Urgencies = append(arg.Urgencies, d.decision.Urgency)
		arg.Rules = append(arg.Rules, d.decision.Rule)
		arg.CatalogueVersions = append(arg.CatalogueVersions, d.decision.CatalogueVersion)
		arg.Jurisdictions = append(arg.Jurisdictions, d.decision.Jurisdiction)
		arg.Neighbours = append(arg.Neighbours, neighbours)
		arg.DistancesM = append(arg.DistancesM, d.decision.DistanceM)
		arg.CommunityCodes = append(arg.CommunityCodes, d.decision.CommunityCode)
		arg.CommunityNames = append(arg.CommunityNames, d.decision.CommunityName)
		arg.CommunityResults = append(arg.CommunityResults, d.decision.CommunityResult)
	}
	inserted, err := q.InsertDecisions(ctx, arg)
	if err != nil {
		return fmt.Errorf("route %d whistles: record decisions: %w", len(fresh), err)
	}
	isNew := make(map[string]bool, len(inserted))
	for _, id := range inserted {
		isNew[id] = true
	}

	// The assignments, their dispatch requests and the whistles' events, in
	// stream order, in one statement each.
	var reqs requests
	for _, d := range ds {
		if !isNew[d.decision.WhistleID] {
			continue // routed already
		}
		if err := s.requestAll(ctx, q, &reqs, d); err != nil {
			return fmt.Errorf("route whistle %s: %w", d.decision.WhistleID, err)
		}
		s.Log.InfoContext(d.ctx, "whistle routed", "whistle_id", d.decision.WhistleID, "rule", d.plan.Rule,
			"catalogue_version", d.plan.CatalogueVersion, "jurisdiction", d.check.Result, "departments", len(d.plan.Assignments))
	}
	return reqs.write(ctx, tx, now)
}

// plansFor finds, for each whistle, the rule of the catalogue version in force
// now for its category in its district: two statements for all of them.
// Without any published version (a database that was never seeded) it falls
// back to the categories table.
func plansFor(ctx context.Context, q *store.Queries, now pgtype.Timestamptz, ws []routing.Raised) ([]routing.Plan, error) {
	plans := make([]routing.Plan, len(ws))
	version, err := q.CurrentCatalogueVersion(ctx, now)
	if errors.Is(err, pgx.ErrNoRows) {
		for i, w := range ws {
			if plans[i], err = categoryPlan(ctx, q, w.Category); err != nil {
				return nil, err
			}
		}
		return plans, nil
	}
	if err != nil {
		return nil, fmt.Errorf("catalogue in force: %w", err)
	}
	arg := store.RulesForParams{Version: version.Version}
	for _, w := range ws {
		arg.Categories = append(arg.Categories, w.Category)
		arg.DistrictIds = append(arg.DistrictIds, w.DistrictID)
	}
	rows, err := q.RulesFor(ctx, arg)
	if err != nil {
		return nil, fmt.Errorf("rules in catalogue %s: %w", version.Version, err)
	}
	type key struct{ category, district string }
	rules := make(map[key]store.CatalogueRule, len(rows))
	for _, row := range rows {
		k := key{row.CatalogueRule.Category, row.ForDistrict}
		if _, ok := rules[k]; !ok { // the district's override comes before the city-wide rule
			rules[k] = row.CatalogueRule
		}
	}
	for i, w := range ws {
		rule, ok := rules[key{w.Category, w.DistrictID}]
		if !ok {
			plans[i] = routing.PlanFor(nil)
			plans[i].CatalogueVersion = version.Version
			continue
		}
		r := rule.Domain()
		c := r.AsCategory(version.Version)
		plans[i] = routing.PlanFor(&c)
		plans[i].Rule = r.Name()
	}
	return plans, nil
}

// categoryPlan is the plan of category from the categories table.
func categoryPlan(ctx context.Context, q *store.Queries, category string) (routing.Plan, error) {
	row, err := q.GetCategory(ctx, category)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return routing.PlanFor(nil), nil
	case err != nil:
		return routing.Plan{}, fmt.Errorf("category %s: %w", category, err)
	}
	c := row.Domain()
	return routing.PlanFor(&c), nil
}

// decide makes a whistle's decision in memory (the map check reads its cache).
func (s *Service) decide(w routing.Raised, plan routing.Plan, at pgtype.Timestamptz) (decided, error) {
	check, err := s.Map.Check(w.Cause, w.StreetID, w.Lat, w.Lng)
	if err != nil {
		return decided{}, fmt.Errorf("route whistle %s: %w", w.ID, err)
	}
	if check.Result == jurisdiction.NoStreet {
		// Nobody's street: the district government takes it (兜底) while a person
		// reviews where it is. The catalogue version stays on record.
		plan = routing.Plan{
			Rule: routing.RuleFallbackNoStreet, CatalogueVersion: plan.CatalogueVersion, SLA: plan.SLA,
			Assignments: []routing.Assignment{{Department: routing.FallbackDepartment, Role: routing.RoleFallback}},
		}
	} else {
		// The community parties go to the point's community's own.
		plan = plan.ForCommunity(check.Community.Code, check.Community.Property)
	}
	urgency := w.Urgency
	if urgency == "" {
		urgency = "NORMAL"
	}
	neighbours := check.Neighbours
	if neighbours == nil {
		neighbours = []string{}
	}
	return decided{ctx: w.Cause, plan: plan, check: check, decision: store.RoutingDecision{
		WhistleID:          w.ID,
		Category:           w.Category,
		StreetID:           w.StreetID,
		DistrictID:         w.DistrictID,
		LocationLat:        w.Lat,
		LocationLng:        w.Lng,
		Urgency:            urgency,
		Rule:               plan.Rule,
		CatalogueVersion:   plan.CatalogueVersion,
		DecidedAt:          at,
		Jurisdiction:       string(check.Result),
		NeighbourStreetIds: neighbours,
		DistanceM:          check.DistanceM,
		CommunityCode:      check.Community.Code,
		CommunityName:      check.Community.Name,
		CommunityResult:    string(check.CommunityResult),
	}}, nil
}

// requestAll adds a new decision's assignments and events to reqs: one
// whistle.routed carrying every dispatch request, after the map check's event
// when there is one; a whistle in no street is queued for a person's review
// at once.
func (s *Service) requestAll(ctx context.Context, q *store.Queries, reqs *requests, d decided) error {
	var to []*eventsv1.RoutedDepartment
	for _, a := range d.plan.Assignments {
		reason := routing.ExplainParty(routing.Explain(a.Role, d.plan.Rule, d.plan.CatalogueVersion, "", ""),
			a, d.decision.CommunityCode, d.decision.CommunityName)
		to = append(to, reqs.request(d.decision, a, d.plan.SLA, d.plan.Rule, pgtype.Timestamptz{}, reason))
	}
	if d.check.Result != jurisdiction.Inside {
		reviewID := ""
		if d.check.Result == jurisdiction.NoStreet {
			reviewID = uuid.Must(uuid.NewV7()).String()
			if err := q.InsertArbitration(ctx, store.InsertArbitrationParams{
				ID: reviewID, WhistleID: d.decision.WhistleID, DistrictID: d.decision.DistrictID, Kind: "location",
				Reason: "the location is in no street", RequestedAt: d.decision.DecidedAt,
			}); err != nil {
				return fmt.Errorf("queue location review: %w", err)
			}
		}
		reqs.events = append(reqs.events, outbox.Caused{Ctx: d.ctx, Event: events.JurisdictionChecked(s.Clock, d.decision, d.check, reviewID)})
	}
	reqs.events = append(reqs.events, outbox.Caused{Ctx: d.ctx, Event: events.Routed(s.Clock, d.decision, to)})
	return nil
}
