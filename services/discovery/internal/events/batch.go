package events

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/whistlestatus"
	protoevents "github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"

	"github.com/chuishao/whistle/services/discovery/internal/store"
)

// HandleBatch takes a batch of events in, in tx, set-based: the raised
// whistles in one insert, the facts the status and merge events leave in one
// read and one update, each dispatch's latest snapshot in one upsert, so the
// statements do not grow with the batch. Only the events of whistles whose
// linked reports follow them (rare) go one by one through Handle, in stream
// order, after the rest: those whistles' rows are not touched by the rest.
func (c *Consumer) HandleBatch(ctx context.Context, tx pgx.Tx, evs []*eventsv1.Event) error {
	q := store.New(tx)
	followed, err := followedWhistles(ctx, q, evs)
	if err != nil {
		return err
	}
	var rest, one []*eventsv1.Event
	for _, ev := range evs {
		if followed[whistleOf(ev)] {
			one = append(one, ev)
		} else {
			rest = append(rest, ev)
		}
	}
	if err := c.facts(ctx, q, rest); err != nil {
		return err
	}
	if err := c.dispatches(ctx, q, rest); err != nil {
		return err
	}
	for _, ev := range one {
		if err := c.Handle(bus.ContextOf(ctx, ev), tx, ev); err != nil {
			return err
		}
	}
	return nil
}

// whistleOf is the whistle whose facts ev writes: the raised whistle, the
// dispatch's whistle, else the event's.
func whistleOf(ev *eventsv1.Event) string {
	if p, ok := ev.GetPayload().(*eventsv1.Event_WhistleRaised); ok {
		return p.WhistleRaised.GetWhistle().GetId()
	}
	if d := protoevents.Dispatch(ev); d != nil && d.GetWhistleId() != "" {
		return d.GetWhistleId()
	}
	return ev.GetWhistleId()
}

// follows reports whether ev is one that linked reports follow (follow).
func follows(ev *eventsv1.Event) bool {
	switch ev.GetPayload().(type) {
	case *eventsv1.Event_WhistleResolved, *eventsv1.Event_WhistleReopened, *eventsv1.Event_WhistleCancelled:
		return true
	}
	return false
}

// followedWhistles are the whistles of the batch whose events go one by one:
// those with linked reports that one of the batch's events moves, and the
// whistles they are merged into in the batch (their reports may move there).
func followedWhistles(ctx context.Context, q *store.Queries, evs []*eventsv1.Event) (map[string]bool, error) {
	var ids []string
	for _, ev := range evs {
		if follows(ev) && ev.GetWhistleId() != "" && !slices.Contains(ids, ev.GetWhistleId()) {
			ids = append(ids, ev.GetWhistleId())
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	linked, err := q.WhistlesWithReports(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("whistles with reports: %w", err)
	}
	followed := make(map[string]bool, len(linked))
	for _, id := range linked {
		followed[id] = true
	}
	for grown := len(followed) > 0; grown; {
		grown = false
		for _, ev := range evs {
			m, ok := ev.GetPayload().(*eventsv1.Event_WhistleMerged)
			if !ok || !followed[m.WhistleMerged.GetMergedWhistleId()] || followed[m.WhistleMerged.GetIntoWhistleId()] {
				continue
			}
			followed[m.WhistleMerged.GetIntoWhistleId()] = true
			grown = true
		}
	}
	return followed, nil
}

// fact is a whistle's facts as the batch's events leave them.
type fact struct {
	row      store.Whistle
	raised   *store.Whistle // the row to insert, when the batch raised it
	touched  bool           // a status or merge event moved it
	resolved bool           // row.ResolvedAt is the batch's
}

// facts applies the whistle events of evs: the facts of their whistles are
// read once, folded in stream order as Handle would take the events one by
// one, and written in one insert and one update.
func (c *Consumer) facts(ctx context.Context, q *store.Queries, evs []*eventsv1.Event) error {
	var ids []string
	for _, ev := range evs {
		if protoevents.Dispatch(ev) == nil {
			ids = append(ids, whistleOf(ev))
		}
	}
	if len(ids) == 0 {
		return nil
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	rows, err := q.WhistlesByID(ctx, ids)
	if err != nil {
		return fmt.Errorf("whistles of the batch: %w", err)
	}
	known := make(map[string]*fact, len(rows))
	for _, r := range rows {
		known[r.ID] = &fact{row: r}
	}
	for _, ev := range evs {
		if protoevents.Dispatch(ev) != nil {
			continue
		}
		id := ev.GetWhistleId()
		switch p := ev.GetPayload().(type) {
		case *eventsv1.Event_WhistleRaised:
			row := raisedRow(ev, p)
			if known[row.ID] == nil { // else a redelivered one changes nothing
				known[row.ID] = &fact{row: row, raised: &row}
			}
		case *eventsv1.Event_WhistleMerged:
			// Written on both whistles: the merged one records where it went.
			if f := known[id]; f != nil && p.WhistleMerged.GetMergedWhistleId() == id {
				f.row.MergedInto, f.touched = p.WhistleMerged.GetIntoWhistleId(), true
			}
		default:
			f := known[id]
			if f == nil { // raised before discovery's facts began
				continue
			}
			status, resolvedAt := nextStatus(whistlestatus.Status(f.row.Status), ev)
			f.row.Status, f.touched = string(status), true
			if resolvedAt.Valid {
				f.row.ResolvedAt, f.resolved = resolvedAt, true
			}
		}
	}
	var ins store.InsertWhistlesParams
	var set store.SetWhistleFactsParams
	for _, id := range ids {
		f := known[id]
		if f == nil {
			continue
		}
		if r := f.raised; r != nil {
			ins.Ids, ins.StreetIds, ins.DistrictIds = append(ins.Ids, r.ID), append(ins.StreetIds, r.StreetID), append(ins.DistrictIds, r.DistrictID)
			ins.Categories, ins.Statuses, ins.RaisedAts = append(ins.Categories, r.Category), append(ins.Statuses, r.Status), append(ins.RaisedAts, r.RaisedAt)
		}
		if f.touched {
			set.Ids, set.Statuses, set.MergedIntos = append(set.Ids, id), append(set.Statuses, f.row.Status), append(set.MergedIntos, f.row.MergedInto)
			set.Resolved, set.ResolvedAts = append(set.Resolved, f.resolved), append(set.ResolvedAts, f.row.ResolvedAt.Time)
		}
	}
	if len(ins.Ids) > 0 {
		if err := q.InsertWhistles(ctx, ins); err != nil {
			return fmt.Errorf("raised whistles: %w", err)
		}
	}
	if len(set.Ids) > 0 {
		if err := q.SetWhistleFacts(ctx, set); err != nil {
			return fmt.Errorf("whistle facts: %w", err)
		}
	}
	return nil
}

// dispatches keeps, of the dispatch events of evs, per dispatch the snapshot
// UpsertDispatch would keep of them one by one (the latest updated_at, then
// the highest status rank, the later one of equals), in one upsert. The
// whistle of a dispatch is the one its first event names, as the first
// insert would keep it.
func (c *Consumer) dispatches(ctx context.Context, q *store.Queries, evs []*eventsv1.Event) error {
	latest := map[string]whistlestatus.Snapshot{}
	var order []string
	for _, ev := range evs {
		if protoevents.Dispatch(ev) == nil {
			continue
		}
		s, err := whistlestatus.SnapshotOf(ev)
		if err != nil {
			return bus.Permanent(err)
		}
		kept, ok := latest[s.DispatchID]
		if !ok {
			order = append(order, s.DispatchID)
			latest[s.DispatchID] = s
			continue
		}
		if s.Replaces(kept) {
			s.WhistleID = kept.WhistleID
			latest[s.DispatchID] = s
		}
	}
	if len(order) == 0 {
		return nil
	}
	slices.Sort(order)
	var p store.UpsertDispatchesParams
	for _, id := range order {
		r := dispatchRow(latest[id])
		p.DispatchIds, p.WhistleIds, p.Departments = append(p.DispatchIds, r.DispatchID), append(p.WhistleIds, r.WhistleID), append(p.Departments, r.Department)
		p.Statuses, p.StatusRanks = append(p.Statuses, r.Status), append(p.StatusRanks, r.StatusRank)
		p.Snapshots, p.UpdatedAts = append(p.Snapshots, r.Snapshot), append(p.UpdatedAts, r.UpdatedAt)
	}
	if err := q.UpsertDispatches(ctx, p); err != nil {
		return fmt.Errorf("record dispatches: %w", err)
	}
	return nil
}
