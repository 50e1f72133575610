// Package events is discovery's side of the stream: the report.* events it
// builds, the consumer that keeps its facts of whistles and their dispatches
// (and moves a whistle's linked reports with it), and the triage clock.
package events

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/platform/whistlestatus"
	protoevents "github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"

	"github.com/chuishao/whistle/services/discovery/internal/store"
)

// ConsumerName is discovery's durable consumer.
const ConsumerName = "discovery"

// System is the actor of the events discovery emits on its own (a linked
// report following its whistle, the triage clock).
var System = &typesv1.Actor{Role: "system", Id: "discovery"}

// Consumed are the events discovery keeps its whistle facts from: every
// move of a whistle's status, its merge, and its dispatches' snapshots.
var Consumed = []string{
	"whistle.raised", "whistle.routed", "whistle.rerouted", "whistle.unroutable", "whistle.arbitrated",
	"whistle.responding", "whistle.resolved", "whistle.closed", "whistle.cancelled", "whistle.reopened",
	"whistle.merged",
	"dispatch.created", "dispatch.acknowledged", "dispatch.arrived",
	"dispatch.resolved", "dispatch.returned", "dispatch.cancelled",
}

// Consumer keeps discovery's facts of whistles and their dispatches from the
// events, and moves a whistle's linked reports with it.
type Consumer struct {
	Clock clock.Clock
}

// Bus is the durable consumer to run.
func (c *Consumer) Bus() bus.Consumer {
	return bus.Consumer{Name: ConsumerName, Subjects: protoevents.SubjectsFor(Consumed...), HandleBatch: c.HandleBatch}
}

// Handle takes one event in, in tx.
func (c *Consumer) Handle(ctx context.Context, tx pgx.Tx, ev *eventsv1.Event) error {
	q := store.New(tx)
	if d := protoevents.Dispatch(ev); d != nil {
		return c.dispatch(ctx, q, ev)
	}
	id := ev.GetWhistleId()
	if p, ok := ev.GetPayload().(*eventsv1.Event_WhistleRaised); ok {
		row := raisedRow(ev, p)
		if err := q.InsertWhistle(ctx, store.InsertWhistleParams{ID: row.ID, StreetID: row.StreetID,
			DistrictID: row.DistrictID, Category: row.Category, Status: row.Status, RaisedAt: row.RaisedAt}); err != nil {
			return fmt.Errorf("whistle %s raised: %w", row.ID, err)
		}
		return nil
	}
	if m, ok := ev.GetPayload().(*eventsv1.Event_WhistleMerged); ok {
		// Written on both whistles: the merged one records where it went.
		if m.WhistleMerged.GetMergedWhistleId() != id {
			return nil
		}
		if err := q.SetWhistleMergedInto(ctx, store.SetWhistleMergedIntoParams{ID: id, MergedInto: m.WhistleMerged.GetIntoWhistleId()}); err != nil {
			return fmt.Errorf("whistle %s merged: %w", id, err)
		}
		return nil
	}
	if err := c.move(ctx, q, ev); err != nil {
		return err
	}
	return c.follow(ctx, tx, ev)
}

// raisedRow is the facts a whistle.raised starts a whistle with.
func raisedRow(ev *eventsv1.Event, p *eventsv1.Event_WhistleRaised) store.Whistle {
	w := p.WhistleRaised.GetWhistle()
	status := whistlestatus.Status(w.GetStatus().String())
	if w.GetStatus() == 0 {
		status = whistlestatus.Raised
	}
	raised := ev.GetOccurredAt().AsTime()
	if w.GetRaisedAt() != nil {
		raised = w.GetRaisedAt().AsTime()
	}
	return store.Whistle{ID: w.GetId(), StreetID: w.GetStreetId(), DistrictID: w.GetDistrictId(),
		Category: w.GetCategory(), Status: string(status), RaisedAt: raised}
}

// move applies a status event to the whistle's facts, as intake moves the
// whistle (a whistle not known yet, raised before discovery's facts began,
// is left alone).
func (c *Consumer) move(ctx context.Context, q *store.Queries, ev *eventsv1.Event) error {
	id := ev.GetWhistleId()
	w, err := q.GetWhistle(ctx, id)
	if err == pgx.ErrNoRows {
		return nil
	}
	if err != nil {
		return fmt.Errorf("whistle %s: %w", id, err)
	}
	status, resolvedAt := nextStatus(whistlestatus.Status(w.Status), ev)
	if err := q.SetWhistleStatus(ctx, store.SetWhistleStatusParams{ID: id, Status: string(status), ResolvedAt: resolvedAt}); err != nil {
		return fmt.Errorf("whistle %s %s: %w", id, status, err)
	}
	return nil
}

// nextStatus is the status a whistle in status moves to with the status
// event ev, by the moves intake makes too (platform/whistlestatus), and when
// ev resolved it (valid only then).
func nextStatus(status whistlestatus.Status, ev *eventsv1.Event) (whistlestatus.Status, pgtype.Timestamptz) {
	var resolvedAt pgtype.Timestamptz
	switch ev.GetPayload().(type) {
	case *eventsv1.Event_WhistleRouted:
		status = whistlestatus.OnRouted(status)
	case *eventsv1.Event_WhistleRerouted, *eventsv1.Event_WhistleArbitrated:
		status = whistlestatus.OnRerouted(status)
	case *eventsv1.Event_WhistleUnroutable:
		status = whistlestatus.OnUnroutable(status)
	case *eventsv1.Event_WhistleResponding:
		status = whistlestatus.Responding
	case *eventsv1.Event_WhistleResolved:
		status = whistlestatus.Resolved
		resolvedAt = pgtype.Timestamptz{Time: ev.GetOccurredAt().AsTime().UTC().Truncate(time.Microsecond), Valid: true}
	case *eventsv1.Event_WhistleClosed:
		status = whistlestatus.Closed
	case *eventsv1.Event_WhistleCancelled:
		status = whistlestatus.Cancelled
	case *eventsv1.Event_WhistleReopened:
		status = whistlestatus.Reopened
	}
	return status, resolvedAt
}

// dispatch keeps the dispatch's latest snapshot.
func (c *Consumer) dispatch(ctx context.Context, q *store.Queries, ev *eventsv1.Event) error {
	s, err := whistlestatus.SnapshotOf(ev)
	if err != nil {
		return bus.Permanent(err)
	}
	if err := q.UpsertDispatch(ctx, store.UpsertDispatchParams(dispatchRow(s))); err != nil {
		return fmt.Errorf("record dispatch %s: %w", s.DispatchID, err)
	}
	return nil
}

// dispatchRow is the row a snapshot is kept as.
func dispatchRow(s whistlestatus.Snapshot) store.WhistleDispatch {
	return store.WhistleDispatch{DispatchID: s.DispatchID, WhistleID: s.WhistleID, Department: s.Department,
		Status: string(s.Status), StatusRank: s.Rank(), Snapshot: s.Raw, UpdatedAt: s.UpdatedAt}
}
