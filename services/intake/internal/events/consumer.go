package events

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"google.golang.org/protobuf/proto"

	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/bus/outbox"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/platform/whistlestatus"
	protoevents "github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"

	"github.com/chuishao/whistle/services/intake/internal/intake"
	"github.com/chuishao/whistle/services/intake/internal/store"
)

// ConsumerName is the durable consumer's name and its de-duplication scope.
const ConsumerName = "intake"

// Consumed are the events the whistle's status is derived from.
var Consumed = []string{
	"whistle.routed", "whistle.rerouted", "whistle.unroutable",
	"whistle.arbitration_requested", "whistle.arbitrated", "whistle.department_added",
	// The map check names the neighbouring streets to inform.
	"whistle.jurisdiction_checked",
	"dispatch.created", "dispatch.acknowledged", "dispatch.arrived",
	"dispatch.resolved", "dispatch.returned", "dispatch.cancelled",
	// SLA events carry the dispatch with its breaches, escalation level and deadlines.
	"sla.warning", "sla.breached", "sla.escalated", "sla.extension_requested", "sla.extension_decided",
}

// Consumer keeps the whistle's departments, its dispatches' projection and its
// status up to date with routing's and response's events.
type Consumer struct {
	Clock clock.Clock
}

// Bus is the durable consumer to run with bus.Consume.
func (c *Consumer) Bus() bus.Consumer {
	return bus.Consumer{Name: ConsumerName, Subjects: protoevents.SubjectsFor(Consumed...), HandleBatch: c.HandleBatch}
}

// HandleBatch applies a batch of events in tx as if one by one in stream
// order. Routing decisions and dispatch snapshots (nearly every event) are
// recorded together for a run of events and each whistle's status is then
// derived once from everything recorded: the same status and the same
// whistle events as one event at a time, since recording only adds and the
// status only moves forward. Any other event is applied on its own, after the
// run when it concerns one of the run's whistles (the run is cut there).
func (c *Consumer) HandleBatch(ctx context.Context, tx pgx.Tx, evs []*eventsv1.Event) error {
	return bus.Runs(ctx, evs,
		func(ev *eventsv1.Event) bool {
			_, routed := ev.GetPayload().(*eventsv1.Event_WhistleRouted)
			return routed || isSnapshot(ev)
		},
		whistleOf,
		func(run []*eventsv1.Event) error { return c.progress(ctx, tx, run) },
		func(ctx context.Context, ev *eventsv1.Event) error { return c.handle(ctx, tx, ev) })
}

// whistleOf is the whistle an event is about.
func whistleOf(ev *eventsv1.Event) string {
	if id := ev.GetWhistleId(); id != "" {
		return id
	}
	return protoevents.Dispatch(ev).GetWhistleId()
}

// isSnapshot reports an event that carries a dispatch and says no more
// (dispatch.* and sla.*).
func isSnapshot(ev *eventsv1.Event) bool {
	switch ev.GetPayload().(type) {
	case *eventsv1.Event_WhistleRouted, *eventsv1.Event_WhistleRerouted, *eventsv1.Event_WhistleUnroutable,
		*eventsv1.Event_WhistleArbitrationRequested, *eventsv1.Event_WhistleArbitrated,
		*eventsv1.Event_WhistleDepartmentAdded, *eventsv1.Event_WhistleJurisdictionChecked:
		return false
	}
	return protoevents.Dispatch(ev) != nil
}

// progress records a run of routing decisions and dispatch snapshots and
// moves their whistles on, in a fixed number of statements.
func (c *Consumer) progress(ctx context.Context, tx pgx.Tx, evs []*eventsv1.Event) error {
	if len(evs) == 0 {
		return nil
	}
	var ids []string
	causes := map[string]context.Context{} // per whistle, its last event's: what moves it on
	routed := map[string]bool{}
	communities := map[string][2]string{} // the code and name of each routed whistle's community
	var departments store.AddDepartmentsParams
	snapshots := map[string]whistlestatus.Snapshot{}
	var order []string    // dispatch ids, first seen first
	var breached []string // whistles with a breached dispatch
	for _, ev := range evs {
		id := whistleOf(ev)
		if id == "" {
			return bus.Permanent(fmt.Errorf("%s %s names no whistle", protoevents.Name(ev), ev.GetId()))
		}
		ids = append(ids, id)
		causes[id] = bus.ContextOf(ctx, ev)
		if p, ok := ev.GetPayload().(*eventsv1.Event_WhistleRouted); ok {
			routed[id] = true
			communities[id] = [2]string{p.WhistleRouted.GetCommunityCode(), p.WhistleRouted.GetCommunityName()}
			for _, d := range p.WhistleRouted.GetDepartments() {
				departments.WhistleIds = append(departments.WhistleIds, id)
				departments.Departments = append(departments.Departments, d.GetDepartment())
			}
			continue
		}
		snap, err := whistlestatus.SnapshotOf(ev)
		if err != nil {
			return bus.Permanent(err)
		}
		if len(protoevents.Dispatch(ev).GetBreaches()) > 0 {
			breached = append(breached, id)
		}
		// One statement cannot write a row twice: the newest snapshot of a
		// dispatch stands for the batch (the later one on a tie, as one by one).
		if prev, ok := snapshots[snap.DispatchID]; !ok {
			order = append(order, snap.DispatchID)
			snapshots[snap.DispatchID] = snap
		} else if snap.Replaces(prev) {
			snapshots[snap.DispatchID] = snap
		}
	}
	q := store.New(tx)
	locked, err := q.LockWhistles(ctx, ids)
	if err != nil {
		return fmt.Errorf("lock %d whistles: %w", len(ids), err)
	}
	ws := make(map[string]store.Whistle, len(locked))
	for _, w := range locked {
		ws[w.ID] = w
	}
	for _, ev := range evs {
		if _, ok := ws[whistleOf(ev)]; !ok {
			// Intake wrote every whistle before anyone could route it, so this can never succeed.
			return bus.Permanent(fmt.Errorf("%s %s: whistle %s is unknown", protoevents.Name(ev), ev.GetId(), whistleOf(ev)))
		}
	}
	if len(departments.WhistleIds) > 0 {
		if err := q.AddDepartments(ctx, departments); err != nil {
			return fmt.Errorf("expect departments on %d whistles: %w", len(routed), err)
		}
	}
	if len(order) > 0 {
		var arg store.UpsertDispatchesParams
		for _, id := range order {
			r := snapshots[id]
			arg.DispatchIds = append(arg.DispatchIds, r.DispatchID)
			arg.WhistleIds = append(arg.WhistleIds, r.WhistleID)
			arg.Departments = append(arg.Departments, r.Department)
			arg.Statuses = append(arg.Statuses, string(r.Status))
			arg.StatusRanks = append(arg.StatusRanks, r.Rank())
			arg.Snapshots = append(arg.Snapshots, r.Raw)
			arg.UpdatedAts = append(arg.UpdatedAts, r.UpdatedAt)
		}
		if err := q.UpsertDispatches(ctx, arg); err != nil {
			return fmt.Errorf("record %d dispatches: %w", len(order), err)
		}
	}
	if len(breached) > 0 {
		if err := q.MarkWhistlesBreached(ctx, breached); err != nil {
			return fmt.Errorf("flag %d breached whistles: %w", len(breached), err)
		}
	}

	progress, err := loadProgresses(ctx, q, locked)
	if err != nil {
		return err
	}
	now := c.Clock.Now().UTC().Truncate(time.Microsecond)
	var out []outbox.Caused
	set := store.SetWhistlesProgressParams{At: now}
	for _, w := range locked {
		p := progress[w.ID]
		if routed[w.ID] {
			p.Status = whistlestatus.OnRouted(p.Status)
			p.Routed = true
		}
		resolved := false
		for _, next := range intake.Advance(p) {
			p.Status = next
			switch next {
			case whistlestatus.Responding:
				out = append(out, outbox.Caused{Ctx: causes[w.ID], Event: Responding(now, w)})
			case whistlestatus.Resolved:
				resolved = true
				w.ResolvedAt = pgtype.Timestamptz{Time: now, Valid: true}
				out = append(out, outbox.Caused{Ctx: causes[w.ID], Event: Resolved(now, w)})
			}
		}
		setRouted := routed[w.ID] && !w.RoutedAt.Valid
		if string(p.Status) == w.Status && !setRouted && !resolved {
			continue
		}
		set.Ids = append(set.Ids, w.ID)
		set.Statuses = append(set.Statuses, string(p.Status))
		set.Routed = append(set.Routed, setRouted)
		set.Resolved = append(set.Resolved, resolved)
		set.CommunityCodes = append(set.CommunityCodes, communities[w.ID][0])
		set.CommunityNames = append(set.CommunityNames, communities[w.ID][1])
	}
	if err := outbox.AddCaused(ctx, tx, out); err != nil {
		return fmt.Errorf("move %d whistles on: %w", len(set.Ids), err)
	}
	if len(set.Ids) > 0 {
		if err := q.SetWhistlesProgress(ctx, set); err != nil {
			return fmt.Errorf("move %d whistles on: %w", len(set.Ids), err)
		}
	}
	return nil
}

// handle applies one event in tx. Events may arrive in any order: each one
// records what it says, then the status is derived from everything recorded.
func (c *Consumer) handle(ctx context.Context, tx pgx.Tx, ev *eventsv1.Event) error {
	snapshot := protoevents.Dispatch(ev)
	whistleID := ev.GetWhistleId()
	if whistleID == "" {
		whistleID = snapshot.GetWhistleId()
	}
	if whistleID == "" {
		return bus.Permanent(fmt.Errorf("%s %s names no whistle", protoevents.Name(ev), ev.GetId()))
	}
	q := store.New(tx)
	w, err := q.LockWhistle(ctx, whistleID)
	if errors.Is(err, pgx.ErrNoRows) {
		// Intake wrote every whistle before anyone could route it, so this can never succeed.
		return bus.Permanent(fmt.Errorf("%s %s: whistle %s is unknown", protoevents.Name(ev), ev.GetId(), whistleID))
	}
	if err != nil {
		return fmt.Errorf("lock whistle %s: %w", whistleID, err)
	}
	before := w
	now := c.Clock.Now().UTC().Truncate(time.Microsecond)
	status := whistlestatus.Status(w.Status)

	switch p := ev.GetPayload().(type) {
	case *eventsv1.Event_WhistleRouted:
		for _, d := range p.WhistleRouted.GetDepartments() {
			if err := q.AddDepartment(ctx, store.AddDepartmentParams{WhistleID: w.ID, Department: d.GetDepartment()}); err != nil {
				return fmt.Errorf("expect %s on whistle %s: %w", d.GetDepartment(), w.ID, err)
			}
		}
		if !w.RoutedAt.Valid {
			w.RoutedAt = pgtype.Timestamptz{Time: now, Valid: true}
		}
		status = whistlestatus.OnRouted(status)
	case *eventsv1.Event_WhistleRerouted:
		if err := reroute(ctx, q, w.ID, p.WhistleRerouted); err != nil {
			return err
		}
		status = whistlestatus.OnRerouted(status)
	case *eventsv1.Event_WhistleUnroutable:
		status = whistlestatus.OnUnroutable(status)
	case *eventsv1.Event_WhistleArbitrationRequested:
		// The returning department is no longer waited for; the supervisor's
		// decision names who is.
		a := p.WhistleArbitrationRequested
		if err := reroute(ctx, q, w.ID, &eventsv1.WhistleRerouted{
			ReturnedDispatchId: a.GetReturnedDispatchId(), FromDepartment: a.GetFromDepartment(),
		}); err != nil {
			return err
		}
		if err := expect(ctx, q, w.ID, intake.PendingArbitration(a.GetArbitrationId())); err != nil {
			return err
		}
	case *eventsv1.Event_WhistleArbitrated:
		a := p.WhistleArbitrated
		if err := expect(ctx, q, w.ID, a.GetTo().GetDepartment()); err != nil {
			return err
		}
		if err := q.SetDepartmentExpected(ctx, store.SetDepartmentExpectedParams{
			WhistleID: w.ID, Department: intake.PendingArbitration(a.GetArbitrationId()), Expected: false,
		}); err != nil {
			return fmt.Errorf("arbitration %s of whistle %s decided: %w", a.GetArbitrationId(), w.ID, err)
		}
		status = whistlestatus.OnRerouted(status)
	case *eventsv1.Event_WhistleDepartmentAdded:
		if err := expect(ctx, q, w.ID, p.WhistleDepartmentAdded.GetDepartment().GetDepartment()); err != nil {
			return err
		}
	case *eventsv1.Event_WhistleJurisdictionChecked:
		for _, street := range intake.Neighbours(w.StreetID, p.WhistleJurisdictionChecked.GetResult(), p.WhistleJurisdictionChecked.GetNeighbourStreetIds()) {
			if err := q.AddNeighbour(ctx, store.AddNeighbourParams{WhistleID: w.ID, StreetID: street}); err != nil {
				return fmt.Errorf("inform street %s of whistle %s: %w", street, w.ID, err)
			}
		}
	default:
		if err := upsertDispatch(ctx, q, ev); err != nil {
			return err
		}
	}

	progress, err := loadProgress(ctx, q, w, status)
	if err != nil {
		return err
	}
	for _, next := range intake.Advance(progress) {
		status = next
		var out *eventsv1.Event
		switch next {
		case whistlestatus.Responding:
			out = Responding(now, w)
		case whistlestatus.Resolved:
			w.ResolvedAt = pgtype.Timestamptz{Time: now, Valid: true}
			out = Resolved(now, w)
		}
		if out != nil {
			if err := outbox.Add(ctx, tx, out); err != nil {
				return fmt.Errorf("whistle %s %s: %w", w.ID, next, err)
			}
		}
	}
	w.Status = string(status)
	if w == before {
		return nil
	}
	w.UpdatedAt = now
	if _, err := q.UpdateWhistle(ctx, w.UpdateParams()); err != nil {
		return fmt.Errorf("update whistle %s: %w", w.ID, err)
	}
	return nil
}

// reroute moves the expectation from the department that returned its
// dispatch to the one routing chose instead.
func reroute(ctx context.Context, q *store.Queries, whistleID string, r *eventsv1.WhistleRerouted) error {
	from, to := r.GetFromDepartment(), r.GetTo().GetDepartment()
	if from != "" && from != to {
		others, err := q.CountOtherActiveDispatches(ctx, store.CountOtherActiveDispatchesParams{
			WhistleID: whistleID, Department: from, ReturnedDispatchID: r.GetReturnedDispatchId(),
		})
		if err != nil {
			return fmt.Errorf("reroute whistle %s from %s: %w", whistleID, from, err)
		}
		if others == 0 {
			if err := q.SetDepartmentExpected(ctx, store.SetDepartmentExpectedParams{WhistleID: whistleID, Department: from, Expected: false}); err != nil {
				return fmt.Errorf("reroute whistle %s from %s: %w", whistleID, from, err)
			}
		}
	}
	if to != "" {
		if err := q.SetDepartmentExpected(ctx, store.SetDepartmentExpectedParams{WhistleID: whistleID, Department: to, Expected: true}); err != nil {
			return fmt.Errorf("reroute whistle %s to %s: %w", whistleID, to, err)
		}
	}
	return nil
}

// expect makes the whistle wait for department as well.
func expect(ctx context.Context, q *store.Queries, whistleID, department string) error {
	if department == "" {
		return nil
	}
	if err := q.SetDepartmentExpected(ctx, store.SetDepartmentExpectedParams{WhistleID: whistleID, Department: department, Expected: true}); err != nil {
		return fmt.Errorf("expect %s on whistle %s: %w", department, whistleID, err)
	}
	return nil
}

// upsertDispatch records the snapshot ev carries unless the projection
// already holds a newer one.
func upsertDispatch(ctx context.Context, q *store.Queries, ev *eventsv1.Event) error {
	s, err := whistlestatus.SnapshotOf(ev)
	if err != nil {
		return bus.Permanent(err)
	}
	if err := q.UpsertDispatch(ctx, store.UpsertDispatchParams{
		DispatchID: s.DispatchID, WhistleID: s.WhistleID, Department: s.Department,
		Status: string(s.Status), StatusRank: s.Rank(), Snapshot: s.Raw, UpdatedAt: s.UpdatedAt,
	}); err != nil {
		return fmt.Errorf("record dispatch %s: %w", s.DispatchID, err)
	}
	if len(protoevents.Dispatch(ev).GetBreaches()) > 0 {
		if err := q.MarkWhistlesBreached(ctx, []string{s.WhistleID}); err != nil {
			return fmt.Errorf("flag whistle %s breached: %w", s.WhistleID, err)
		}
	}
	return nil
}

func loadProgress(ctx context.Context, q *store.Queries, w store.Whistle, status whistlestatus.Status) (intake.Progress, error) {
	ps, err := loadProgresses(ctx, q, []store.Whistle{w})
	p := ps[w.ID]
	p.Status = status
	return p, err
}

// loadProgresses reads what is recorded of whistles, in two statements.
func loadProgresses(ctx context.Context, q *store.Queries, ws []store.Whistle) (map[string]intake.Progress, error) {
	out := make(map[string]intake.Progress, len(ws))
	ids := make([]string, len(ws))
	for i, w := range ws {
		ids[i] = w.ID
		p := intake.Progress{Status: whistlestatus.Status(w.Status), Routed: w.RoutedAt.Valid}
		if w.ReopenedAt.Valid {
			p.ReopenedAt = w.ReopenedAt.Time
		}
		out[w.ID] = p
	}
	expected, err := q.ExpectedDepartmentsOfWhistles(ctx, ids)
	if err != nil {
		return out, fmt.Errorf("departments of %d whistles: %w", len(ids), err)
	}
	for _, e := range expected {
		p := out[e.WhistleID]
		p.Expected = append(p.Expected, e.Department)
		out[e.WhistleID] = p
	}
	rows, err := q.DispatchesOfWhistles(ctx, ids)
	if err != nil {
		return out, fmt.Errorf("dispatches of %d whistles: %w", len(ids), err)
	}
	for _, row := range rows {
		var d responsev1.Dispatch
		if err := proto.Unmarshal(row.Snapshot, &d); err != nil {
			return out, fmt.Errorf("dispatch %s: %w", row.DispatchID, err)
		}
		p := out[row.WhistleID]
		p.Dispatches = append(p.Dispatches, intake.Dispatch{
			Department:     row.Department,
			Status:         whistlestatus.Dispatch(row.Status),
			AcknowledgedAt: timeOf(d.GetAcknowledgedAt().AsTime(), d.AcknowledgedAt != nil),
			ArrivedAt:      timeOf(d.GetArrivedAt().AsTime(), d.ArrivedAt != nil),
			ResolvedAt:     timeOf(d.GetResolvedAt().AsTime(), d.ResolvedAt != nil),
			UpdatedAt:      row.UpdatedAt,
		})
		out[row.WhistleID] = p
	}
	return out, nil
}

func timeOf(t time.Time, ok bool) time.Time {
	if !ok {
		return time.Time{}
	}
	return t
}
