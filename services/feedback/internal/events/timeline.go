// Package events holds the feedback service's consumer: every whistle,
// dispatch and SLA event becomes the next entry of its whistle's timeline.
package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
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
	// Keys seal every new entry (with the current key).
	Keys timeline.Keys
}

// Consumer is the durable consumer of the whole stream that feeds HandleBatch.
func (r *Recorder) Consumer() bus.Consumer {
	return bus.Consumer{Name: ConsumerName, Subjects: events.Subjects, HandleBatch: r.HandleBatch}
}

// HandleBatch applies a batch of events in stream order: each to the read
// model (ProjectBatch), and each that belongs to a whistle to its timeline,
// noting the whistle's scope and dispatched departments for access checks. It
// runs in the transaction that marks the events processed, so a redelivery
// adds nothing; an event already in a timeline is skipped (the unique
// event_id is the second line of defence). Its cost is a fixed number of
// statements, whatever the batch's size.
func (r *Recorder) HandleBatch(ctx context.Context, tx pgx.Tx, evs []*eventsv1.Event) error {
	q := store.New(tx)
	if err := ProjectBatch(ctx, q, evs); err != nil {
		return err
	}
	return r.appendAll(ctx, q, evs)
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
