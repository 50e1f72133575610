package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/bus/outbox"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	"github.com/chuishao/whistle/services/response/internal/response"
	"github.com/chuishao/whistle/services/response/internal/store"
)

// ConsumerName is the durable consumer and de-duplication scope of the service.
const ConsumerName = "response"

// Handler applies the events the response service follows.
type Handler struct {
	Clock clock.Clock
	Log   *slog.Logger
	// WorkStart and WorkEnd are the working hours (offsets from midnight,
	// Asia/Shanghai) of resolve limits in working days.
	WorkStart, WorkEnd time.Duration
	// Created, when set, runs in the transaction that created a dispatch,
	// after its dispatch.created event (the duty desks escalate a dispatch to
	// an unstaffed desk there).
	Created func(ctx context.Context, tx pgx.Tx, d response.Dispatch, now time.Time) error
}

// Consumer is the durable consumer of dispatch requests and whistle
// cancellations. One consumer for both keeps them in stream order, so a
// cancellation is not overtaken by a request published before it.
func (h *Handler) Consumer() bus.Consumer {
	return bus.Consumer{
		Name:     ConsumerName,
		Subjects: []string{events.SubjectFor("dispatch.requested"), events.SubjectFor("whistle.cancelled")},
		Handle:   h.Handle,
	}
}

// Handle applies one event inside the consumer's transaction.
func (h *Handler) Handle(ctx context.Context, tx pgx.Tx, ev *eventsv1.Event) error {
	switch p := ev.GetPayload().(type) {
	case *eventsv1.Event_DispatchRequested:
		return h.createDispatch(ctx, tx, ev, p.DispatchRequested)
	case *eventsv1.Event_WhistleCancelled:
		return h.cancelWhistle(ctx, tx, ev)
	}
	return nil
}

// createDispatch starts a dispatch with its deadlines and timers. The dispatch
// id comes from routing, so a request delivered again under another event id
// still creates one dispatch only.
func (h *Handler) createDispatch(ctx context.Context, tx pgx.Tx, ev *eventsv1.Event, req *eventsv1.DispatchRequested) error {
	if ev.GetDispatchId() == "" || ev.GetWhistleId() == "" || ev.GetDistrictId() == "" || ev.GetDepartment() == "" {
		return bus.Permanent(fmt.Errorf("dispatch.requested %s lacks dispatch, whistle, district or department", ev.GetId()))
	}
	q := store.New(tx)
	pre, err := store.PreflightDispatch(ctx, tx, ev.GetWhistleId(), req.GetCategory(), ev.GetDistrictId())
	if err != nil {
		return fmt.Errorf("create dispatch %s: %w", ev.GetDispatchId(), err)
	}
	if pre.Cancelled {
		h.Log.InfoContext(ctx, "skip dispatch of a cancelled whistle", "dispatch_id", ev.GetDispatchId(), "whistle_id", ev.GetWhistleId())
		return nil
	}

	now := h.Clock.Now()
	start := now
	if req.GetSlaStartedAt().IsValid() && !req.GetSlaStartedAt().AsTime().IsZero() {
		start = req.GetSlaStartedAt().AsTime()
	}
	policy := requestedPolicy(req)
	if pre.HasPolicy {
		policy = store.PolicyOver(pre.Policy, policy)
	}
	policy = policy.WithDefaults()
	var cal *response.Calendar
	if policy.ResolveWorkingDays > 0 {
		if cal, err = q.Calendar(ctx, start, h.WorkStart, h.WorkEnd); err != nil {
			return fmt.Errorf("create dispatch %s: %w", ev.GetDispatchId(), err)
		}
	}
	sched := policy.Schedule(start, cal)
	params := store.CreateDispatchParams{
		ID:           ev.GetDispatchId(),
		WhistleID:    ev.GetWhistleId(),
		DistrictID:   ev.GetDistrictId(),
		StreetID:     ev.GetStreetId(),
		Category:     req.GetCategory(),
		Department:   ev.GetDepartment(),
		Role:         req.GetRole(),
		DispatchedAt: now,
		SlaStartedAt: start,
		AckBy:        sched.Due[response.ClockAck],
		ArriveBy:     sched.Due[response.ClockArrive],
		ResolveBy:    sched.Due[response.ClockResolve],
	}
	if loc := req.GetLocation(); loc != nil {
		lat, lng := loc.GetLat(), loc.GetLng()
		params.WhistleLat, params.WhistleLng = &lat, &lng
	}
	row, err := q.CreateDispatch(ctx, params)
	if errors.Is(err, pgx.ErrNoRows) {
		h.Log.InfoContext(ctx, "dispatch already exists", "dispatch_id", params.ID, "event_id", ev.GetId())
		return nil
	}
	if err != nil {
		return fmt.Errorf("create dispatch %s: %w", params.ID, err)
	}
	d, err := row.Domain()
	if err != nil {
		return err
	}
	// The timers, the pollers' wake-up and dispatch.created in one round trip.
	b := &pgx.Batch{}
	timers := store.AddTimersParams{DispatchID: d.ID, CreatedAt: now}
	for _, t := range sched.Timers(now) {
		timers.Clocks = append(timers.Clocks, string(t.Clock))
		timers.Kinds = append(timers.Kinds, string(t.Kind))
		timers.DueAts = append(timers.DueAts, t.DueAt)
	}
	store.QueueAddTimers(b, timers)
	store.QueueNotifyTimers(b)
	if err := outbox.Queue(ctx, b, DispatchCreated(d, now)); err != nil {
		return fmt.Errorf("create dispatch %s: %w", d.ID, err)
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("create dispatch %s: timers and event: %w", d.ID, err)
	}
	if h.Created != nil {
		return h.Created(ctx, tx, d, now)
	}
	return nil
}

// requestedPolicy is the limits routing's request asks for. The response
// schema's policy of the category in the district (or in every district)
// overrides them (store.PreflightDispatch reads it); read once, at creation,
// so a later change leaves the dispatch alone.
func requestedPolicy(req *eventsv1.DispatchRequested) response.Policy {
	return response.Policy{
		AckWithin:     req.GetAckWithin().AsDuration(),
		ArriveWithin:  req.GetArriveWithin().AsDuration(),
		ResolveWithin: req.GetResolveWithin().AsDuration(),
	}
}

// cancelWhistle cancels the whistle's open dispatches and stops their timers.
// It also remembers the cancellation, for requests still on their way.
func (h *Handler) cancelWhistle(ctx context.Context, tx pgx.Tx, ev *eventsv1.Event) error {
	whistleID := ev.GetWhistleId()
	if whistleID == "" {
		return bus.Permanent(fmt.Errorf("whistle.cancelled %s names no whistle", ev.GetId()))
	}
	now := h.Clock.Now()
	q := store.New(tx)
	if err := q.LockWhistle(ctx, whistleID); err != nil {
		return fmt.Errorf("cancel whistle %s: %w", whistleID, err)
	}
	if err := q.MarkWhistleCancelled(ctx, store.MarkWhistleCancelledParams{WhistleID: whistleID, CancelledAt: now}); err != nil {
		return fmt.Errorf("cancel whistle %s: %w", whistleID, err)
	}
	rows, err := q.LockOpenDispatchesOfWhistle(ctx, whistleID)
	if err != nil {
		return fmt.Errorf("cancel whistle %s: %w", whistleID, err)
	}
	for _, row := range rows {
		d, err := row.Domain()
		if err != nil {
			return err
		}
		next, changed, err := response.Apply(d, response.Command{Action: response.Cancel}, now, 0)
		if err != nil {
			return fmt.Errorf("cancel dispatch %s: %w", d.ID, err)
		}
		if !changed {
			continue
		}
		saved, err := q.SaveAction(ctx, next, response.Cancel)
		if err != nil {
			return fmt.Errorf("cancel whistle %s: %w", whistleID, err)
		}
		if err := outbox.Add(ctx, tx, DispatchChanged(saved, response.Cancel, now, SystemActor())); err != nil {
			return fmt.Errorf("cancel dispatch %s: %w", d.ID, err)
		}
	}
	return nil
}
