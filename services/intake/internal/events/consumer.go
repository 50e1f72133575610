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
	subjects := make([]string, len(Consumed))
	for i, name := range Consumed {
		subjects[i] = protoevents.SubjectFor(name)
	}
	return bus.Consumer{Name: ConsumerName, Subjects: subjects, Handle: c.Handle}
}

// Handle applies one event in tx. Events may arrive in any order: each one
// records what it says, then the status is derived from everything recorded.
func (c *Consumer) Handle(ctx context.Context, tx pgx.Tx, ev *eventsv1.Event) error {
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
	status := intake.Status(w.Status)

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
		status = intake.OnRouted(status)
	case *eventsv1.Event_WhistleRerouted:
		if err := reroute(ctx, q, w.ID, p.WhistleRerouted); err != nil {
			return err
		}
		status = intake.OnRerouted(status)
	case *eventsv1.Event_WhistleUnroutable:
		status = intake.OnUnroutable(status)
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
		status = intake.OnRerouted(status)
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
		if snapshot == nil {
			return bus.Permanent(fmt.Errorf("%s %s carries no dispatch", protoevents.Name(ev), ev.GetId()))
		}
		if err := upsertDispatch(ctx, q, ev, whistleID, snapshot); err != nil {
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
		case intake.StatusResponding:
			out = Responding(now, w)
		case intake.StatusResolved:
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

// upsertDispatch records the snapshot unless the projection already holds a newer one.
func upsertDispatch(ctx context.Context, q *store.Queries, ev *eventsv1.Event, whistleID string, d *responsev1.Dispatch) error {
	id := d.GetId()
	if id == "" {
		id = ev.GetDispatchId()
	}
	if id == "" {
		return bus.Permanent(fmt.Errorf("%s %s names no dispatch", protoevents.Name(ev), ev.GetId()))
	}
	department := d.GetDepartment()
	if department == "" {
		department = ev.GetDepartment()
	}
	updated := d.GetUpdatedAt()
	if updated == nil {
		updated = ev.GetOccurredAt()
	}
	raw, err := proto.Marshal(d)
	if err != nil {
		return bus.Permanent(fmt.Errorf("marshal dispatch %s: %w", id, err))
	}
	status := intake.DispatchStatus(d.GetStatus().String())
	err = q.UpsertDispatch(ctx, store.UpsertDispatchParams{
		DispatchID: id, WhistleID: whistleID, Department: department,
		Status: string(status), StatusRank: status.Rank(), Snapshot: raw,
		UpdatedAt: updated.AsTime().Truncate(time.Microsecond),
	})
	if err != nil {
		return fmt.Errorf("record dispatch %s: %w", id, err)
	}
	return nil
}

func loadProgress(ctx context.Context, q *store.Queries, w store.Whistle, status intake.Status) (intake.Progress, error) {
	p := intake.Progress{Status: status, Routed: w.RoutedAt.Valid}
	if w.ReopenedAt.Valid {
		p.ReopenedAt = w.ReopenedAt.Time
	}
	expected, err := q.ExpectedDepartments(ctx, w.ID)
	if err != nil {
		return p, fmt.Errorf("departments of whistle %s: %w", w.ID, err)
	}
	p.Expected = expected
	rows, err := q.WhistleDispatches(ctx, w.ID)
	if err != nil {
		return p, fmt.Errorf("dispatches of whistle %s: %w", w.ID, err)
	}
	for _, row := range rows {
		var d responsev1.Dispatch
		if err := proto.Unmarshal(row.Snapshot, &d); err != nil {
			return p, fmt.Errorf("dispatch %s: %w", row.DispatchID, err)
		}
		p.Dispatches = append(p.Dispatches, intake.Dispatch{
			Department:     row.Department,
			Status:         intake.DispatchStatus(row.Status),
			AcknowledgedAt: timeOf(d.GetAcknowledgedAt().AsTime(), d.AcknowledgedAt != nil),
			ArrivedAt:      timeOf(d.GetArrivedAt().AsTime(), d.ArrivedAt != nil),
			ResolvedAt:     timeOf(d.GetResolvedAt().AsTime(), d.ResolvedAt != nil),
			UpdatedAt:      row.UpdatedAt,
		})
	}
	return p, nil
}

func timeOf(t time.Time, ok bool) time.Time {
	if !ok {
		return time.Time{}
	}
	return t
}
