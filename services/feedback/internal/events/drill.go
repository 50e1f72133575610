package events

import (
	"context"
	"fmt"

	"github.com/chuishao/whistle/platform/drill"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"

	"github.com/chuishao/whistle/services/feedback/internal/store"
)

// drillOf is the drill ev belongs to ("" for a real event): the drill of the
// whistle it names, or of the whistle of the dispatch it carries.
func drillOf(ev *eventsv1.Event) string {
	if id := drill.Of(ev.GetWhistleId()); id != "" {
		return id
	}
	if d := carriedDispatch(ev); d != nil {
		return drill.Of(d.GetWhistleId())
	}
	return ""
}

// drillTables are where a drill's events go: only their dispatch snapshots,
// to drill_dispatch_facts (which has no rounds), folded as real ones are. Nothing else
// of a drill is kept in the read model (no rounds, ratings, reopens,
// escalation levels or whistle facts): the drill report needs only the
// clocks, and the real tables stay free of drills by construction.
var drillTables = tables{facts: upsertDrillFacts}

// upsertDrillFacts writes a drill's folded facts, in dispatch id order, with
// the drill each belongs to.
func upsertDrillFacts(ctx context.Context, q *store.Queries, facts []dispatchFact) error {
	p := factParams(facts)
	drills := make([]string, len(facts))
	for i, f := range facts {
		drills[i] = drill.Of(f.WhistleID)
	}
	err := q.UpsertDrillFacts(ctx, store.UpsertDrillFactsParams{
		DispatchIds: p.DispatchIds, DrillIds: drills, WhistleIds: p.WhistleIds, DistrictIds: p.DistrictIds,
		StreetIds: p.StreetIds, Categories: p.Categories, Departments: p.Departments, Statuses: p.Statuses,
		DispatchedAts: p.DispatchedAts, AckBys: p.AckBys, ArriveBys: p.ArriveBys, ResolveBys: p.ResolveBys,
		AcknowledgedAts: p.AcknowledgedAts, ArrivedAts: p.ArrivedAts, ResolvedAts: p.ResolvedAts,
		ReturnedAts: p.ReturnedAts, CancelledAts: p.CancelledAts, SnapshotAts: p.SnapshotAts,
	})
	if err != nil {
		return fmt.Errorf("project: %d drill dispatch snapshots: %w", len(facts), err)
	}
	return nil
}
