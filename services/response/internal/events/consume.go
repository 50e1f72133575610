package events

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/bus/outbox"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	"github.com/chuishao/whistle/services/response/internal/notify"
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
	// Created, when set, runs in the transaction that created dispatches,
	// after their dispatch.created events (the duty desks escalate the
	// dispatches to unstaffed desks there), once per batch of new dispatches.
	Created func(ctx context.Context, tx pgx.Tx, ds []response.Dispatch, now time.Time) error
	// Outbox writes the events and queues their webhooks.
	Outbox *notify.Outbox
}

// Consumer is the durable consumer of routing's decisions, which carry the
// dispatch requests (events.RequestNames, with dispatch.requested of old),
// of whistle cancellations, and of 12345 ticket returns (posted to the
// district's hotline endpoint). One consumer for both keeps them in stream
// order, so a cancellation is not overtaken by a request published before it.
func (h *Handler) Consumer() bus.Consumer {
	subjects := []string{events.SubjectFor("whistle.cancelled"), events.SubjectFor(notify.HotlineEvent)}
	for _, name := range events.RequestNames {
		subjects = append(subjects, events.SubjectFor(name))
	}
	return bus.Consumer{Name: ConsumerName, Subjects: subjects, HandleBatch: h.HandleBatch}
}

// HandleBatch applies a batch of events inside the consumer's transaction, as
// if one by one in stream order: the dispatch requests of a run of routing's
// decisions are created together, and a cancellation is applied after the
// requests of its whistle that came before it (the run is cut there) and
// before those after it. Requests of other whistles commute with it, so they
// stay in the run.
func (h *Handler) HandleBatch(ctx context.Context, tx pgx.Tx, evs []*eventsv1.Event) error {
	return bus.Runs(ctx, evs,
		func(ev *eventsv1.Event) bool { return slices.Contains(events.RequestNames, events.Name(ev)) },
		(*eventsv1.Event).GetWhistleId,
		func(run []*eventsv1.Event) error { return h.createDispatches(ctx, tx, run) },
		func(ctx context.Context, ev *eventsv1.Event) error {
			switch ev.GetPayload().(type) {
			case *eventsv1.Event_WhistleCancelled:
				return h.cancelWhistle(ctx, tx, ev)
			case *eventsv1.Event_ReportTicketReturned:
				// Intake's event, already published: only its webhook is queued here.
				return h.Outbox.Deliver(ctx, tx, ev)
			}
			return nil // the consumer's subjects hold nothing else
		})
}

// request is a dispatch request about to be created.
type request struct {
	// ev is the event that carries it, about the dispatch's whistle.
	ev *eventsv1.Event
	// to is the department, the dispatch id and the request.
	to    *eventsv1.RoutedDepartment
	req   *eventsv1.DispatchRequested
	start time.Time
	// d is the dispatch it creates.
	d response.Dispatch
}

// createDispatches starts the dispatches evs ask for with their deadlines and
// timers, in a fixed number of statements however many there are. The
// dispatch id comes from routing, so a request delivered again under another
// event id (even in the same batch) still creates one dispatch only.
func (h *Handler) createDispatches(ctx context.Context, tx pgx.Tx, evs []*eventsv1.Event) error {
	var reqs []request
	seen := map[string]bool{}
	var pre store.PreflightDispatchesParams
	for _, ev := range evs {
		for _, to := range events.Requests(ev) {
			if to.GetDispatchId() == "" || ev.GetWhistleId() == "" || ev.GetDistrictId() == "" || to.GetDepartment() == "" {
				return bus.Permanent(fmt.Errorf("%s %s asks for a dispatch without id, whistle, district or department", events.Name(ev), ev.GetId()))
			}
			if seen[to.GetDispatchId()] {
				continue // one statement cannot insert a row twice: the first request stands
			}
			seen[to.GetDispatchId()] = true
			r := request{ev: ev, to: to, req: to.GetRequest()}
			reqs = append(reqs, r)
			pre.WhistleIds = append(pre.WhistleIds, ev.GetWhistleId())
			pre.Categories = append(pre.Categories, r.req.GetCategory())
			pre.DistrictIds = append(pre.DistrictIds, ev.GetDistrictId())
		}
	}
	if len(reqs) == 0 {
		return nil
	}
	q := store.New(tx)
	// The lock, then the reads: the reads' snapshot is taken after the lock is
	// held, so they see a cancellation committed while it was awaited.
	if err := q.LockWhistles(ctx, pre.WhistleIds); err != nil {
		return fmt.Errorf("create %d dispatches: lock whistles: %w", len(reqs), err)
	}
	rows, err := q.PreflightDispatches(ctx, pre)
	if err != nil {
		return fmt.Errorf("create %d dispatches: %w", len(reqs), err)
	}
	type key struct{ whistle, category, district string }
	pres := make(map[key]store.PreflightDispatchesRow, len(rows))
	for _, p := range rows {
		pres[key{p.WhistleID, p.Category, p.DistrictID}] = p
	}

	now := h.Clock.Now()
	policies := make([]response.Policy, 0, len(reqs))
	kept := reqs[:0]
	var calFrom, calTo time.Time // the starts of the deadlines in working days
	for _, r := range reqs {
		p := pres[key{r.ev.GetWhistleId(), r.req.GetCategory(), r.ev.GetDistrictId()}]
		if p.Cancelled {
			h.Log.InfoContext(bus.ContextOf(ctx, r.ev), "skip dispatch of a cancelled whistle", "dispatch_id", r.to.GetDispatchId(), "whistle_id", r.ev.GetWhistleId())
			continue
		}
		r.start = now
		if st := r.req.GetSlaStartedAt(); st.IsValid() && !st.AsTime().IsZero() {
			r.start = st.AsTime()
		}
		policy := response.TermsFor(requestedPolicy(r.req), p.Override()).Policy
		if policy.ResolveWorkingDays > 0 {
			if calFrom.IsZero() || r.start.Before(calFrom) {
				calFrom = r.start
			}
			if r.start.After(calTo) {
				calTo = r.start
			}
		}
		policies = append(policies, policy)
		kept = append(kept, r)
	}
	reqs = kept
	if len(reqs) == 0 {
		return nil
	}
	var cal *response.Calendar
	if !calFrom.IsZero() {
		if cal, err = q.Calendar(ctx, calFrom, calTo, h.WorkStart, h.WorkEnd); err != nil {
			return fmt.Errorf("create %d dispatches: %w", len(reqs), err)
		}
	}

	// Each dispatch as the domain creates it, stored with its first timer row
	// (its NextStep) in one statement.
	arg := store.CreateDispatchesParams{DispatchedAt: now}
	for i := range reqs {
		r := &reqs[i]
		r.d = response.NewDispatch(dispatchRequest(r.ev, r.to), r.start, now, policies[i].Schedule(r.start, cal))
		d := r.d
		arg.Ids = append(arg.Ids, d.ID)
		arg.WhistleIds = append(arg.WhistleIds, d.WhistleID)
		arg.DistrictIds = append(arg.DistrictIds, d.DistrictID)
		arg.StreetIds = append(arg.StreetIds, d.StreetID)
		arg.Categories = append(arg.Categories, d.Category)
		arg.Departments = append(arg.Departments, d.Department)
		arg.Roles = append(arg.Roles, d.Role)
		arg.SlaStartedAts = append(arg.SlaStartedAts, d.SLAStartedAt)
		arg.AckBys = append(arg.AckBys, d.AckBy)
		arg.ArriveBys = append(arg.ArriveBys, d.ArriveBy)
		arg.ResolveBys = append(arg.ResolveBys, d.ResolveBy)
		arg.AckWarnAts = append(arg.AckWarnAts, orZero(d.AckWarnAt))
		arg.ArriveWarnAts = append(arg.ArriveWarnAts, orZero(d.ArriveWarnAt))
		arg.ResolveWarnAts = append(arg.ResolveWarnAts, orZero(d.ResolveWarnAt))
		arg.Located = append(arg.Located, d.Location != nil)
		var at response.LatLng
		if d.Location != nil {
			at = *d.Location
		}
		arg.Lats = append(arg.Lats, at.Lat)
		arg.Lngs = append(arg.Lngs, at.Lng)
		arg.CommunityCodes = append(arg.CommunityCodes, d.CommunityCode)
		arg.CommunityNames = append(arg.CommunityNames, d.CommunityName)
		if s, ok := d.NextStep(); ok {
			arg.StepIds = append(arg.StepIds, d.ID)
			arg.StepDueAts = append(arg.StepDueAts, s.DueAt)
			arg.StepClocks = append(arg.StepClocks, string(s.Clock))
			arg.StepKinds = append(arg.StepKinds, string(s.Kind))
		}
	}
	ids, err := q.CreateDispatches(ctx, arg)
	if err != nil {
		return fmt.Errorf("create %d dispatches: %w", len(reqs), err)
	}
	created := make(map[string]bool, len(ids))
	for _, id := range ids {
		created[id] = true
	}

	// In stream order: dispatch.created of each dispatch created now.
	var ds []response.Dispatch
	var out []outbox.Caused
	for _, r := range reqs {
		if !created[r.d.ID] {
			h.Log.InfoContext(bus.ContextOf(ctx, r.ev), "dispatch already exists", "dispatch_id", r.d.ID, "event_id", r.ev.GetId())
			continue
		}
		ds = append(ds, r.d)
		out = append(out, outbox.Caused{Ctx: bus.ContextOf(ctx, r.ev), Event: DispatchCreated(r.d, now)})
	}
	if len(ds) == 0 {
		return nil
	}
	// A new timer may fall due before the one the pollers sleep towards.
	store.WakeTimerPollers(tx)
	if err := h.Outbox.AddCaused(ctx, tx, out); err != nil {
		return fmt.Errorf("create %d dispatches: %w", len(ds), err)
	}
	if h.Created != nil {
		return h.Created(ctx, tx, ds, now)
	}
	return nil
}

// dispatchRequest is the dispatch that to, routed in ev, asks for.
func dispatchRequest(ev *eventsv1.Event, to *eventsv1.RoutedDepartment) response.DispatchRequest {
	req := to.GetRequest()
	r := response.DispatchRequest{
		ID: to.GetDispatchId(), WhistleID: ev.GetWhistleId(), DistrictID: ev.GetDistrictId(), StreetID: ev.GetStreetId(),
		Category: req.GetCategory(), Department: to.GetDepartment(), Role: to.GetRole(),
		CommunityCode: req.GetCommunityCode(), CommunityName: req.GetCommunityName(),
	}
	if loc := req.GetLocation(); loc != nil {
		r.Location = &response.LatLng{Lat: loc.GetLat(), Lng: loc.GetLng()}
	}
	return r
}

// orZero is *t, or the zero time that CreateDispatches stores as none.
func orZero(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// requestedPolicy is the limits routing's catalogue gives the category (zero
// where the request sets none). response.TermsFor puts the admin's policy of
// the category in the district (or in every district, read by store's
// PreflightDispatches) over them and the defaults under them; read once, at
// creation, so a later change leaves the dispatch alone.
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
		saved, err := q.SaveAction(ctx, next)
		if err != nil {
			return fmt.Errorf("cancel whistle %s: %w", whistleID, err)
		}
		if err := h.Outbox.Add(ctx, tx, DispatchChanged(saved, response.Cancel, now, SystemActor())); err != nil {
			return fmt.Errorf("cancel dispatch %s: %w", d.ID, err)
		}
	}
	return nil
}
