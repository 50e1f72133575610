package events

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"

	"github.com/chuishao/whistle/services/feedback/internal/store"
)

// Project applies ev to the supervision read model (dispatch_facts): the
// dispatch snapshot any dispatch.* or sla.* event carries, escalation levels,
// accepted returns, ratings and reopens; a drill's events only its drill
// facts (drillTables). Every step is idempotent, so an
// event applied twice (a live delivery racing a rebuild) changes nothing.
func Project(ctx context.Context, q *store.Queries, ev *eventsv1.Event) error {
	if drillOf(ev) != "" {
		return projectRun(ctx, q, []*eventsv1.Event{ev}, drillTables)
	}
	if foldable(ev) {
		return projectRun(ctx, q, []*eventsv1.Event{ev}, realTables)
	}
	switch p := ev.GetPayload().(type) {
	case *eventsv1.Event_WhistleRerouted:
		r := p.WhistleRerouted
		// Routing re-dispatching a return to another department is what makes
		// the return accepted; bounced back to the same one, it is not.
		if r.GetReturnedDispatchId() != "" && r.GetTo().GetDepartment() != "" && r.GetTo().GetDepartment() != r.GetFromDepartment() {
			if err := q.AcceptReturn(ctx, r.GetReturnedDispatchId()); err != nil {
				return fmt.Errorf("project whistle.rerouted: %w", err)
			}
		}
	case *eventsv1.Event_WhistleArbitrationRequested:
		r := p.WhistleArbitrationRequested
		if r.GetArbitrationId() != "" && r.GetReturnedDispatchId() != "" {
			err := q.NoteArbitrationReturn(ctx, store.NoteArbitrationReturnParams{
				ArbitrationID: r.GetArbitrationId(), ReturnedDispatchID: r.GetReturnedDispatchId(), FromDepartment: r.GetFromDepartment(),
			})
			if err != nil {
				return fmt.Errorf("project whistle.arbitration_requested: %w", err)
			}
		}
	case *eventsv1.Event_WhistleArbitrated:
		// The arbitrator's binding decision accepts the return when it gives
		// the whistle to another department.
		a := p.WhistleArbitrated
		ret, err := q.GetArbitrationReturn(ctx, a.GetArbitrationId())
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("project whistle.arbitrated: %w", err)
		}
		if to := a.GetTo().GetDepartment(); to != "" && to != ret.FromDepartment {
			if err := q.AcceptReturn(ctx, ret.ReturnedDispatchID); err != nil {
				return fmt.Errorf("project whistle.arbitrated: %w", err)
			}
		}
	case *eventsv1.Event_DispatchEtaSet:
		e := p.DispatchEtaSet.GetEta()
		if e.GetDispatchId() == "" || e.GetArriveAt() == nil {
			return nil
		}
		err := q.SetDeskEta(ctx, store.SetDeskEtaParams{
			DispatchID: e.GetDispatchId(), WhistleID: firstOf(e.GetWhistleId(), ev.GetWhistleId()),
			ArriveAt: tsOf(e.GetArriveAt()), Note: e.GetNote(), SetAt: tsOf(firstTime(e.GetSetAt(), ev.GetOccurredAt())),
		})
		if err != nil {
			return fmt.Errorf("project dispatch.eta_set: %w", err)
		}
	case *eventsv1.Event_WhistleClosed:
		round, err := currentRound(ctx, q, ev.GetWhistleId())
		if err != nil {
			return fmt.Errorf("project whistle.closed: round: %w", err)
		}
		err = q.RateRound(ctx, store.RateRoundParams{
			WhistleID: ev.GetWhistleId(), Round: round, Satisfaction: int16(clampRating(p.WhistleClosed.GetSatisfaction())),
		})
		if err != nil {
			return fmt.Errorf("project whistle.closed: %w", err)
		}
	case *eventsv1.Event_WhistleReopened:
		n, err := q.AddReopen(ctx, store.AddReopenParams{EventID: ev.GetId(), WhistleID: ev.GetWhistleId(), At: tsOf(ev.GetOccurredAt())})
		if err != nil {
			return fmt.Errorf("project whistle.reopened: %w", err)
		}
		if n == 0 {
			return nil
		}
		// The round just ended is the one before the new current round.
		round, err := currentRound(ctx, q, ev.GetWhistleId())
		if err != nil {
			return fmt.Errorf("project whistle.reopened: round: %w", err)
		}
		if err := q.MarkRoundReopened(ctx, store.MarkRoundReopenedParams{WhistleID: ev.GetWhistleId(), Round: round - 1}); err != nil {
			return fmt.Errorf("project whistle.reopened: %w", err)
		}
	}
	return nil
}

// currentRound is a whistle's current round: 1 plus the reopens seen so far.
func currentRound(ctx context.Context, q *store.Queries, whistleID string) (int32, error) {
	rows, err := q.CurrentRounds(ctx, []string{whistleID})
	if err != nil || len(rows) == 0 {
		return 1, err
	}
	return rows[0].Round, nil
}

// clampRating keeps a rating in 0 (not rated) ... 5.
func clampRating(r int32) int32 {
	if r < 0 || r > 5 {
		return 0
	}
	return r
}

// factOf is the dispatch_facts row the snapshot d, carried by ev, stands for
// in the whistle's round.
func factOf(ev *eventsv1.Event, d *responsev1.Dispatch, round int32) dispatchFact {
	snapshotAt := d.GetUpdatedAt()
	if snapshotAt == nil {
		snapshotAt = ev.GetOccurredAt()
	}
	dispatchedAt := firstTime(d.GetDispatchedAt(), ev.GetOccurredAt())
	var cancelledAt pgtype.Timestamptz
	if d.GetStatus() == responsev1.Dispatch_CANCELLED {
		cancelledAt = tsOf(snapshotAt)
	}
	var levels [3]int16
	for _, b := range d.GetBreaches() {
		switch b {
		case "ack":
			levels[0] = 1
		case "arrive":
			levels[1] = 1
		case "resolve":
			levels[2] = 1
		}
	}
	return dispatchFact{
		DispatchID:       d.GetId(),
		WhistleID:        firstOf(d.GetWhistleId(), ev.GetWhistleId()),
		DistrictID:       firstOf(d.GetDistrictId(), ev.GetDistrictId()),
		StreetID:         firstOf(d.GetStreetId(), ev.GetStreetId()),
		Category:         d.GetCategory(),
		Department:       firstOf(d.GetDepartment(), ev.GetDepartment()),
		Round:            round,
		Status:           d.GetStatus().String(),
		DispatchedAt:     tsOf(dispatchedAt),
		SlaStartedAt:     tsOf(firstTime(d.GetSlaStartedAt(), dispatchedAt)),
		AckBy:            tsOf(d.GetDeadlines().GetAckBy()),
		ArriveBy:         tsOf(d.GetDeadlines().GetArriveBy()),
		ResolveBy:        tsOf(d.GetDeadlines().GetResolveBy()),
		AcknowledgedAt:   tsOf(d.GetAcknowledgedAt()),
		ArrivedAt:        tsOf(d.GetArrivedAt()),
		ResolvedAt:       tsOf(d.GetResolvedAt()),
		ReturnedAt:       tsOf(d.GetReturnedAt()),
		CancelledAt:      cancelledAt,
		SnapshotAt:       tsOf(snapshotAt),
		AckLevel:         levels[0],
		ArriveLevel:      levels[1],
		ResolveLevel:     levels[2],
		ArrivalFar:       d.GetArrivalFar(),
		ArrivalUnlocated: d.GetArrivalUnlocated(),
	}
}

var dispatchName = (&responsev1.Dispatch{}).ProtoReflect().Descriptor().FullName()

// payloadOf is ev's payload message, or nil.
func payloadOf(ev *eventsv1.Event) protoreflect.Message {
	m := ev.ProtoReflect()
	field := m.WhichOneof(m.Descriptor().Oneofs().ByName("payload"))
	if field == nil || field.Message() == nil {
		return nil
	}
	return m.Get(field).Message()
}

// carriedDispatch is the dispatch snapshot in ev's payload: the field named
// dispatch of type response.v1.Dispatch, which every dispatch.* and sla.*
// payload has (also the ones added later, e.g. sla.escalated).
func carriedDispatch(ev *eventsv1.Event) *responsev1.Dispatch {
	p := payloadOf(ev)
	if p == nil {
		return nil
	}
	f := p.Descriptor().Fields().ByName("dispatch")
	if f == nil || f.Message() == nil || f.Message().FullName() != dispatchName || !p.Has(f) {
		return nil
	}
	d, ok := p.Get(f).Message().Interface().(*responsev1.Dispatch)
	if !ok {
		// A dynamic message of the same type: copy through the wire form.
		b, err := proto.Marshal(p.Get(f).Message().Interface())
		if err != nil {
			return nil
		}
		d = &responsev1.Dispatch{}
		if proto.Unmarshal(b, d) != nil {
			return nil
		}
	}
	return d
}

// escalationOf reads the clock and escalation level of an sla.* payload that
// has them (sla.breached, and the ladder's later steps).
func escalationOf(ev *eventsv1.Event) (clock string, level int64) {
	p := payloadOf(ev)
	if p == nil {
		return "", 0
	}
	fc := p.Descriptor().Fields().ByName("clock")
	fl := p.Descriptor().Fields().ByName("escalation_level")
	if fc == nil || fl == nil || fc.Kind() != protoreflect.StringKind {
		return "", 0
	}
	switch fl.Kind() {
	case protoreflect.Int32Kind, protoreflect.Int64Kind, protoreflect.Sint32Kind, protoreflect.Sint64Kind:
		return p.Get(fc).String(), p.Get(fl).Int()
	}
	return "", 0
}

func firstTime(ts ...*timestamppb.Timestamp) *timestamppb.Timestamp {
	for _, t := range ts {
		if t != nil {
			return t
		}
	}
	return nil
}

func tsOf(t *timestamppb.Timestamp) pgtype.Timestamptz {
	if t == nil {
		return pgtype.Timestamptz{}
	}
	return pgtype.Timestamptz{Time: t.AsTime().Truncate(time.Microsecond), Valid: true}
}
