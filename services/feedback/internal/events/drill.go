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

// projectDrill projects a drill's events: their dispatch snapshots go to
// drill_dispatch_facts, folded as projectRun folds real ones, and nothing
// else of a drill is kept in the read model (no rounds, ratings, reopens,
// escalation levels or whistle facts): the drill report needs only the
// clocks, and the real tables stay free of drills by construction.
func projectDrill(ctx context.Context, q *store.Queries, run []*eventsv1.Event) error {
	facts := map[string]dispatchFact{}
	drills := map[string]string{}
	for _, ev := range run {
		d := carriedDispatch(ev)
		if d == nil || d.GetId() == "" {
			continue
		}
		f := factOf(ev, d, 1)
		if acc, ok := facts[f.DispatchID]; ok {
			f = foldFact(acc, f)
		}
		facts[f.DispatchID] = f
		drills[f.DispatchID] = drillOf(ev)
	}
	if len(facts) == 0 {
		return nil
	}
	var p store.UpsertDrillFactsParams
	for _, f := range sortedValues(facts) {
		p.DispatchIds = append(p.DispatchIds, f.DispatchID)
		p.DrillIds = append(p.DrillIds, drills[f.DispatchID])
		p.WhistleIds = append(p.WhistleIds, f.WhistleID)
		p.DistrictIds = append(p.DistrictIds, f.DistrictID)
		p.StreetIds = append(p.StreetIds, f.StreetID)
		p.Categories = append(p.Categories, f.Category)
		p.Departments = append(p.Departments, f.Department)
		p.Statuses = append(p.Statuses, f.Status)
		p.DispatchedAts = append(p.DispatchedAts, f.DispatchedAt)
		p.AckBys = append(p.AckBys, f.AckBy)
		p.ArriveBys = append(p.ArriveBys, f.ArriveBy)
		p.ResolveBys = append(p.ResolveBys, f.ResolveBy)
		p.AcknowledgedAts = append(p.AcknowledgedAts, f.AcknowledgedAt)
		p.ArrivedAts = append(p.ArrivedAts, f.ArrivedAt)
		p.ResolvedAts = append(p.ResolvedAts, f.ResolvedAt)
		p.ReturnedAts = append(p.ReturnedAts, f.ReturnedAt)
		p.CancelledAts = append(p.CancelledAts, f.CancelledAt)
		p.SnapshotAts = append(p.SnapshotAts, f.SnapshotAt)
	}
	if err := q.UpsertDrillFacts(ctx, p); err != nil {
		return fmt.Errorf("project: %d drill dispatch snapshots: %w", len(facts), err)
	}
	return nil
}
