// Package events is the routing service's consumer and its state changes: it
// turns whistle.raised into whistle.routed, which carries a dispatch request
// per department (and, when the map says so, whistle.jurisdiction_checked), a
// returned dispatch (退单) into a re-dispatch or an arbitration request, a
// supervisor's arbitration or a manual 吹哨 into new dispatches, and a
// reopened whistle into whistle.redispatched. Each decision is one event that
// carries the dispatch requests it makes.
package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

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
	"github.com/chuishao/whistle/services/routing/internal/jurisdiction"
	"github.com/chuishao/whistle/services/routing/internal/routing"
	"github.com/chuishao/whistle/services/routing/internal/store"
)

// ConsumerName is the durable consumer and de-duplication scope of routing.
const ConsumerName = "routing"

// Handler applies the events routing consumes and the decisions people make.
type Handler struct {
	Clock clock.Clock
	Log   *slog.Logger
	// Map checks a whistle's location against its street.
	Map *jurisdiction.Cache
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

// handle applies one event other than whistle.raised in tx; events of other
// kinds are ignored.
func (h *Handler) handle(ctx context.Context, tx pgx.Tx, ev *eventsv1.Event) error {
	switch p := ev.GetPayload().(type) {
	case *eventsv1.Event_DispatchReturned:
		return h.reroute(ctx, tx, p.DispatchReturned.GetDispatch())
	case *eventsv1.Event_WhistleReopened:
		// Each reopen is one round, whatever the copies of its event.
		n, err := store.New(tx).MarkReopenHandled(ctx, store.MarkReopenHandledParams{EventID: ev.GetId(), WhistleID: ev.GetWhistleId()})
		if err != nil {
			return fmt.Errorf("reopen whistle %s: %w", ev.GetWhistleId(), err)
		}
		if n == 0 {
			return nil
		}
		if err := setClosed(ctx, tx, ev.GetWhistleId(), false); err != nil {
			return err
		}
		return h.reopen(ctx, tx, ev)
	case *eventsv1.Event_WhistleCancelled, *eventsv1.Event_WhistleClosed:
		return setClosed(ctx, tx, ev.GetWhistleId(), true)
	default:
		return nil
	}
}

// setClosed records whether the whistle is over (cancelled or closed), so no
// department is added to it; a whistle never routed has nothing to record.
func setClosed(ctx context.Context, tx pgx.Tx, whistleID string, closed bool) error {
	if err := store.New(tx).SetDecisionClosed(ctx, store.SetDecisionClosedParams{WhistleID: whistleID, Closed: closed}); err != nil {
		return fmt.Errorf("whistle %s closed=%v: %w", whistleID, closed, err)
	}
	return nil
}

// plansFor finds, for each whistle, the rule of the catalogue version in force
// now for its category in its district: two statements for all of them.
// Without any published version (a database that was never seeded) it falls
// back to the categories table.
func plansFor(ctx context.Context, q *store.Queries, now pgtype.Timestamptz, ws []*intakev1.Whistle) ([]routing.Plan, error) {
	plans := make([]routing.Plan, len(ws))
	version, err := q.CurrentCatalogueVersion(ctx, now)
	if errors.Is(err, pgx.ErrNoRows) {
		for i, w := range ws {
			if plans[i], err = categoryPlan(ctx, q, w.GetCategory()); err != nil {
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
		arg.Categories = append(arg.Categories, w.GetCategory())
		arg.DistrictIds = append(arg.DistrictIds, w.GetDistrictId())
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
		rule, ok := rules[key{w.GetCategory(), w.GetDistrictId()}]
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

// decided is one whistle's routing decision before it is written.
type decided struct {
	ctx      context.Context // of the whistle.raised it answers
	decision store.RoutingDecision
	plan     routing.Plan
	check    jurisdiction.Check
}

// route decides which departments new whistles go to and asks for their
// dispatches, in a fixed number of statements however many whistles there
// are (plus one per whistle in no street, queued for a person's review). The
// decision row's primary key makes it happen once per whistle, however often
// whistle.raised arrives.
func (h *Handler) route(ctx context.Context, tx pgx.Tx, evs []*eventsv1.Event) error {
	if len(evs) == 0 {
		return nil
	}
	// The batch is checked against the boundaries in force now.
	if err := h.Map.Refresh(ctx); err != nil {
		return err
	}
	q := store.New(tx)
	now := h.Clock.Now()
	at := pgtype.Timestamptz{Time: now, Valid: true}
	var fresh []*intakev1.Whistle
	var causes []context.Context
	seen := map[string]bool{}
	for _, ev := range evs {
		w := ev.GetWhistleRaised().GetWhistle()
		if w.GetId() == "" {
			return bus.Permanent(errors.New("route whistle: whistle.raised without a whistle"))
		}
		if !seen[w.GetId()] { // a second copy in the batch changes nothing
			seen[w.GetId()] = true
			fresh = append(fresh, w)
			causes = append(causes, bus.ContextOf(ctx, ev))
		}
	}
	plans, err := plansFor(ctx, q, at, fresh)
	if err != nil {
		return fmt.Errorf("route %d whistles: %w", len(fresh), err)
	}
	ds := make([]decided, len(fresh))
	arg := store.InsertDecisionsParams{DecidedAt: at}
	for i, w := range fresh {
		d, err := h.decide(causes[i], w, plans[i], at)
		if err != nil {
			return err
		}
		ds[i] = d
		neighbours, err := json.Marshal(d.decision.NeighbourStreetIds)
		if err != nil {
			return bus.Permanent(fmt.Errorf("route whistle %s: %w", w.GetId(), err))
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
		if err := h.requestAll(ctx, q, &reqs, d); err != nil {
			return fmt.Errorf("route whistle %s: %w", d.decision.WhistleID, err)
		}
		h.Log.InfoContext(d.ctx, "whistle routed", "whistle_id", d.decision.WhistleID, "rule", d.plan.Rule,
			"catalogue_version", d.plan.CatalogueVersion, "jurisdiction", d.check.Result, "departments", len(d.plan.Assignments))
	}
	return reqs.write(ctx, tx, now)
}

// decide makes a whistle's decision in memory (the map check reads its cache).
func (h *Handler) decide(ctx context.Context, w *intakev1.Whistle, plan routing.Plan, at pgtype.Timestamptz) (decided, error) {
	check, err := h.Map.Check(ctx, w.GetStreetId(), w.GetLocation().GetLat(), w.GetLocation().GetLng())
	if err != nil {
		return decided{}, fmt.Errorf("route whistle %s: %w", w.GetId(), err)
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
	urgency := w.GetUrgency()
	if urgency == intakev1.Whistle_URGENCY_UNSPECIFIED {
		urgency = intakev1.Whistle_NORMAL
	}
	neighbours := check.Neighbours
	if neighbours == nil {
		neighbours = []string{}
	}
	return decided{ctx: ctx, plan: plan, check: check, decision: store.RoutingDecision{
		WhistleID:          w.GetId(),
		Category:           w.GetCategory(),
		StreetID:           w.GetStreetId(),
		DistrictID:         w.GetDistrictId(),
		LocationLat:        w.GetLocation().GetLat(),
		LocationLng:        w.GetLocation().GetLng(),
		Urgency:            urgency.String(),
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
func (h *Handler) requestAll(ctx context.Context, q *store.Queries, reqs *requests, d decided) error {
	routed := &eventsv1.WhistleRouted{Rule: d.plan.Rule, CatalogueVersion: d.plan.CatalogueVersion,
		CommunityCode: d.decision.CommunityCode, CommunityName: d.decision.CommunityName}
	for _, a := range d.plan.Assignments {
		reason := routing.ExplainParty(routing.Explain(a.Role, d.plan.Rule, d.plan.CatalogueVersion, "", ""),
			a, d.decision.CommunityCode, d.decision.CommunityName)
		routed.Departments = append(routed.Departments, reqs.request(d.decision, a, d.plan.SLA, d.plan.Rule,
			pgtype.Timestamptz{}, reason))
	}
	if d.check.Result != jurisdiction.Inside {
		checked := &eventsv1.WhistleJurisdictionChecked{
			Result: string(d.check.Result), NeighbourStreetIds: d.check.Neighbours, DistanceM: d.check.DistanceM,
			NeedsConfirmation: d.check.NeedsConfirmation(),
		}
		if d.check.Result == jurisdiction.NoStreet {
			checked.ReviewId = uuid.Must(uuid.NewV7()).String()
			if err := q.InsertArbitration(ctx, store.InsertArbitrationParams{
				ID: checked.ReviewId, WhistleID: d.decision.WhistleID, DistrictID: d.decision.DistrictID, Kind: "location",
				Reason: "the location is in no street", RequestedAt: d.decision.DecidedAt,
			}); err != nil {
				return fmt.Errorf("queue location review: %w", err)
			}
		}
		ev := whistleEvent(h.Clock, d.decision)
		ev.Payload = &eventsv1.Event_WhistleJurisdictionChecked{WhistleJurisdictionChecked: checked}
		reqs.events = append(reqs.events, outbox.Caused{Ctx: d.ctx, Event: ev})
	}
	ev := whistleEvent(h.Clock, d.decision)
	ev.Payload = &eventsv1.Event_WhistleRouted{WhistleRouted: routed}
	reqs.events = append(reqs.events, outbox.Caused{Ctx: d.ctx, Event: ev})
	return nil
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

// dispatch records an assignment and returns its department with the
// dispatch request, for the event of the decision to carry.
func (h *Handler) dispatch(ctx context.Context, tx pgx.Tx, decision store.RoutingDecision, a routing.Assignment,
	sla routing.SLA, rule string, slaStart pgtype.Timestamptz, reason string) (*eventsv1.RoutedDepartment, error) {
	var reqs requests
	to := reqs.request(decision, a, sla, rule, slaStart, reason)
	if err := reqs.write(ctx, tx, h.Clock.Now()); err != nil {
		return nil, fmt.Errorf("record dispatch to %s: %w", a.Department, err)
	}
	return to, nil
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
	var start *timestamppb.Timestamp
	if slaStart.Valid {
		start = timestamppb.New(slaStart.Time)
	}
	return &eventsv1.RoutedDepartment{Department: a.Department, Role: a.Role, DispatchId: dispatchID,
		Request: dispatchRequested(decision, a, sla, rule, start)}
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
