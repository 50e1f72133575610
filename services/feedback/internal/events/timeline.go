// Package events holds the feedback service's consumer: every whistle,
// dispatch and SLA event becomes the next entry of its whistle's timeline.
package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"

	"github.com/chuishao/whistle/services/feedback/internal/store"
	"github.com/chuishao/whistle/services/feedback/internal/timeline"
)

// ConsumerName is the durable consumer's name and its de-duplication scope.
const ConsumerName = "feedback"

// Recorder appends events to timelines.
type Recorder struct {
	Clock clock.Clock
	Log   *slog.Logger
}

// Consumer is the durable consumer of the whole stream that feeds Handle.
func (r *Recorder) Consumer() bus.Consumer {
	return bus.Consumer{Name: ConsumerName, Subjects: events.Subjects, Handle: r.Handle}
}

// Handle applies ev to the read model (Project), appends it to its whistle's timeline and notes the whistle's scope
// and dispatched departments for access checks. Events without a whistle are
// not part of any timeline and are skipped. It runs in the transaction that
// marks ev processed, so a redelivery adds nothing; the unique event_id is the
// second line of defence.
func (r *Recorder) Handle(ctx context.Context, tx pgx.Tx, ev *eventsv1.Event) error {
	if err := Project(ctx, store.New(tx), ev); err != nil {
		return err
	}
	whistleID := ev.GetWhistleId()
	if whistleID == "" {
		return nil
	}
	entry, err := EntryOf(ev)
	if err != nil {
		return bus.Permanent(fmt.Errorf("timeline entry of event %s: %w", ev.GetId(), err))
	}
	now := r.Clock.Now()
	if ev.GetOccurredAt() == nil {
		// Keep the event in the audit log rather than drop it; the time it
		// reached us is the best estimate left.
		entry.At = now
	}

	q := store.New(tx)
	head, err := q.ClaimChainHead(ctx, whistleID)
	if err != nil {
		return fmt.Errorf("append %s to whistle %s: lock chain head: %w", ev.GetId(), whistleID, err)
	}
	entry.Seq = head.LastSeq + 1
	entry, err = timeline.Seal(head.LastHash, entry)
	if err != nil {
		return bus.Permanent(fmt.Errorf("append %s to whistle %s: %w", ev.GetId(), whistleID, err))
	}
	data, err := timeline.CanonicalData(entry.Data)
	if err != nil {
		return bus.Permanent(fmt.Errorf("append %s to whistle %s: %w", ev.GetId(), whistleID, err))
	}
	n, err := q.AppendEntry(ctx, store.AppendEntryParams{
		WhistleID:  whistleID,
		Seq:        entry.Seq,
		EventID:    entry.EventID,
		Type:       entry.Type,
		At:         timestamptz(entry.At.Truncate(timeline.Precision)),
		ActorRole:  entry.Actor.Role,
		ActorID:    entry.Actor.ID,
		DispatchID: entry.DispatchID,
		Department: entry.Department,
		Data:       data,
		PrevHash:   entry.PrevHash,
		Hash:       entry.Hash,
		RecordedAt: timestamptz(now),
	})
	if err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && strings.HasPrefix(pgErr.Code, "22") {
			// A data exception (e.g. a \u0000 that jsonb refuses) fails the same way every time.
			err = bus.Permanent(err)
		}
		return fmt.Errorf("append %s to whistle %s: %w", ev.GetId(), whistleID, err)
	}
	if n == 0 {
		r.Log.InfoContext(ctx, "event already in a timeline", "event_id", ev.GetId(), "whistle_id", whistleID)
		return nil
	}
	if err := noteAccess(ctx, q, ev); err != nil {
		return fmt.Errorf("append %s to whistle %s: %w", ev.GetId(), whistleID, err)
	}
	return nil
}

// noteAccess records what the access checks need: the whistle's street and
// district, and the departments it was dispatched to.
func noteAccess(ctx context.Context, q *store.Queries, ev *eventsv1.Event) error {
	whistleID := ev.GetWhistleId()
	if w := ev.GetWhistleRaised().GetWhistle(); w != nil {
		err := q.SetRaisedScope(ctx, store.SetRaisedScopeParams{
			WhistleID:  whistleID,
			StreetID:   firstOf(w.GetStreetId(), ev.GetStreetId()),
			DistrictID: firstOf(w.GetDistrictId(), ev.GetDistrictId()),
		})
		if err != nil {
			return fmt.Errorf("whistle scope: %w", err)
		}
	} else {
		err := q.NoteEnvelopeScope(ctx, store.NoteEnvelopeScopeParams{
			WhistleID: whistleID, StreetID: ev.GetStreetId(), DistrictID: ev.GetDistrictId(),
		})
		if err != nil {
			return fmt.Errorf("whistle scope: %w", err)
		}
	}
	if !strings.HasPrefix(events.Name(ev), events.DomainDispatch+".") {
		return nil
	}
	d := events.Dispatch(ev)
	department := firstOf(ev.GetDepartment(), d.GetDepartment())
	if department == "" {
		return nil
	}
	err := q.AddDispatchDepartment(ctx, store.AddDispatchDepartmentParams{
		WhistleID: whistleID, Department: department, DistrictID: firstOf(ev.GetDistrictId(), d.GetDistrictId()),
	})
	if err != nil {
		return fmt.Errorf("dispatch department: %w", err)
	}
	return nil
}

// dataMarshal renders payloads with their proto field names, as the REST API does.
var dataMarshal = protojson.MarshalOptions{UseProtoNames: true}

// EntryOf is ev as a timeline entry, without seq and hashes: its name, time,
// actor, dispatch and department (from the envelope, else from the dispatch
// the payload carries), id, and its payload message as JSON.
func EntryOf(ev *eventsv1.Event) (timeline.Entry, error) {
	m := ev.ProtoReflect()
	field := m.WhichOneof(m.Descriptor().Oneofs().ByName("payload"))
	if field == nil {
		return timeline.Entry{}, errors.New("event has no payload")
	}
	data, err := dataMarshal.Marshal(m.Get(field).Message().Interface())
	if err != nil {
		return timeline.Entry{}, fmt.Errorf("render payload: %w", err)
	}
	d := events.Dispatch(ev)
	return timeline.Entry{
		Type:       events.Name(ev),
		At:         ev.GetOccurredAt().AsTime(),
		Actor:      timeline.Actor{Role: ev.GetActor().GetRole(), ID: ev.GetActor().GetId()},
		DispatchID: firstOf(ev.GetDispatchId(), d.GetId()),
		Department: firstOf(ev.GetDepartment(), d.GetDepartment()),
		EventID:    ev.GetId(),
		Data:       data,
	}, nil
}

func firstOf(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

func timestamptz(t time.Time) pgtype.Timestamptz {
	return pgtype.Timestamptz{Time: t, Valid: true}
}
