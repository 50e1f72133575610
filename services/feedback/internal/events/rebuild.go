package events

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/postgres"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"

	"github.com/chuishao/whistle/services/feedback/internal/store"
)

// rebuildBatch is how many messages a rebuild fetches at a time.
const rebuildBatch = 1000

// ErrStreamTooShort means the event stream no longer holds the events of the
// read model's oldest facts (the stream keeps events for a limited time), so a
// rebuild would lose them.
var ErrStreamTooShort = errors.New("the event stream no longer reaches back to the read model's oldest fact")

// Rebuild empties the read model and replays the stream into it, from the
// first event to the last one present when it starts, in one transaction
// (the audit interceptor's, when the admin's call carries one: the rebuild
// commits with its audit record): reports see the old model until the new
// one commits, and the live consumer
// waits on the table lock meanwhile (its events are applied after, and
// applying an event twice changes nothing). Accepted appeals, this service's
// own record, are applied again at the end. It returns the number of events
// replayed and of dispatches in the new model, or ErrStreamTooShort, changing
// nothing, when the stream's first event is younger than the oldest fact.
func Rebuild(ctx context.Context, pool *pgxpool.Pool, js jetstream.JetStream) (replayed, dispatches int64, err error) {
	stream, err := js.Stream(ctx, bus.StreamName)
	if err != nil {
		return 0, 0, fmt.Errorf("rebuild: stream: %w", err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("rebuild: stream info: %w", err)
	}
	last := info.State.LastSeq
	err = postgres.InTx(ctx, pool, func(tx pgx.Tx) error {
		q := store.New(tx)
		if err := q.LockReadModel(ctx); err != nil {
			return fmt.Errorf("lock read model: %w", err)
		}
		if err := reachesBack(ctx, q, stream, info.State); err != nil {
			return err
		}
		if err := q.ClearReadModel(ctx); err != nil {
			return fmt.Errorf("clear read model: %w", err)
		}
		if err := q.ClearSlaDaily(ctx); err != nil {
			return fmt.Errorf("clear read model: %w", err)
		}
		if last > 0 && info.State.Msgs > 0 {
			n, err := replay(ctx, q, stream, last)
			if err != nil {
				return err
			}
			replayed = n
		}
		accepted, err := q.ListAcceptedAppeals(ctx)
		if err != nil {
			return fmt.Errorf("accepted appeals: %w", err)
		}
		for _, a := range accepted {
			if err := q.ExcuseClock(ctx, store.ExcuseClockParams{Clock: a.Clock, DispatchID: a.DispatchID}); err != nil {
				return fmt.Errorf("re-apply appeal on %s: %w", a.DispatchID, err)
			}
		}
		dispatches, err = q.CountDispatchFacts(ctx)
		if err != nil {
			return fmt.Errorf("count dispatches: %w", err)
		}
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("rebuild: %w", err)
	}
	return replayed, dispatches, nil
}

// reachesBack returns ErrStreamTooShort when the stream has dropped events
// (its first sequence is past 1) and its first event happened after the read
// model's oldest fact.
func reachesBack(ctx context.Context, q *store.Queries, stream jetstream.Stream, state jetstream.StreamState) error {
	if state.FirstSeq <= 1 {
		return nil
	}
	oldest, err := q.OldestFact(ctx)
	if err != nil {
		return fmt.Errorf("oldest fact: %w", err)
	}
	if !oldest.Valid {
		return nil
	}
	if state.Msgs == 0 {
		return fmt.Errorf("%w: the stream is empty, the oldest fact is of %s", ErrStreamTooShort, oldest.Time.UTC().Format(time.RFC3339))
	}
	first, err := stream.GetMsg(ctx, state.FirstSeq)
	if err != nil {
		return fmt.Errorf("first stream message: %w", err)
	}
	var ev eventsv1.Event
	if err := proto.Unmarshal(first.Data, &ev); err != nil {
		return fmt.Errorf("first stream message %d: %w", state.FirstSeq, err)
	}
	if begins := ev.GetOccurredAt().AsTime(); oldest.Time.Before(begins) {
		return fmt.Errorf("%w: the stream begins at %s, the oldest fact is of %s", ErrStreamTooShort,
			begins.UTC().Format(time.RFC3339), oldest.Time.UTC().Format(time.RFC3339))
	}
	return nil
}

// replay projects every message up to stream sequence last.
func replay(ctx context.Context, q *store.Queries, stream jetstream.Stream, last uint64) (int64, error) {
	cons, err := stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy})
	if err != nil {
		return 0, fmt.Errorf("replay consumer: %w", err)
	}
	var n int64
	for {
		batch, err := cons.Fetch(rebuildBatch, jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			return n, fmt.Errorf("replay fetch: %w", err)
		}
		got := 0
		for msg := range batch.Messages() {
			got++
			meta, err := msg.Metadata()
			if err != nil {
				return n, fmt.Errorf("replay metadata: %w", err)
			}
			if meta.Sequence.Stream > last {
				return n, nil
			}
			var ev eventsv1.Event
			if err := proto.Unmarshal(msg.Data(), &ev); err == nil {
				// The live consumer drops undecodable messages too.
				if err := Project(ctx, q, &ev); err != nil {
					return n, fmt.Errorf("replay event %s: %w", ev.GetId(), err)
				}
				n++
			}
			if meta.Sequence.Stream == last {
				return n, nil
			}
		}
		if err := batch.Error(); err != nil {
			return n, fmt.Errorf("replay fetch: %w", err)
		}
		if got == 0 {
			return n, fmt.Errorf("replay stopped before stream sequence %d", last)
		}
	}
}
