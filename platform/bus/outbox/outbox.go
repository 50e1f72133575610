// Package outbox writes events in the caller's transaction and relays them to
// JetStream afterwards, so a state change and its event are never separated:
// if the transaction commits the event will be published (at least once, with
// Nats-Msg-Id = event id so JetStream drops copies), and if it rolls back it never exists.
package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	"google.golang.org/protobuf/proto"

	"github.com/chuishao/whistle/platform/bus/internal/busdb"
	"github.com/chuishao/whistle/platform/metrics"
	"github.com/chuishao/whistle/platform/retry"
	"github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
)

// Add writes ev to the outbox of the schema tx works in and wakes the relay at commit.
// The trace context of ctx travels with it in the message headers.
func Add(ctx context.Context, tx pgx.Tx, ev *eventsv1.Event) error {
	b := &pgx.Batch{}
	if err := Queue(ctx, b, ev); err != nil {
		return err
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("outbox: add %s: %w", ev.GetId(), err)
	}
	return nil
}

// Queue is Add as a statement queued on b, for a handler that sends its writes
// in one round trip (tx.SendBatch): the event is in the outbox once b has been
// sent without error in the transaction.
func Queue(ctx context.Context, b *pgx.Batch, ev *eventsv1.Event) error {
	row, err := rowOf(ctx, ev)
	if err != nil {
		return err
	}
	busdb.QueueAddOutbox(b, row)
	return nil
}

// AddAll is Add for many events in one statement (a burst of SLA breaches),
// in their order.
func AddAll(ctx context.Context, tx pgx.Tx, evs []*eventsv1.Event) error {
	if len(evs) == 0 {
		return nil
	}
	var rows busdb.AddOutboxRowsParams
	for _, ev := range evs {
		row, err := rowOf(ctx, ev)
		if err != nil {
			return err
		}
		rows.EventIds = append(rows.EventIds, row.EventID)
		rows.Subjects = append(rows.Subjects, row.Subject)
		rows.Payloads = append(rows.Payloads, row.Payload)
		rows.Headers = append(rows.Headers, row.Headers)
	}
	if err := busdb.New(tx).AddOutboxRows(ctx, rows); err != nil {
		return fmt.Errorf("outbox: add %d events: %w", len(evs), err)
	}
	return nil
}

// rowOf is ev's outbox row: its subject, the encoded event, and the headers
// it is published with (the trace context of ctx and the event's name).
func rowOf(ctx context.Context, ev *eventsv1.Event) (busdb.AddOutboxParams, error) {
	subject, err := events.Subject(ev)
	if err != nil {
		return busdb.AddOutboxParams{}, fmt.Errorf("outbox: %w", err)
	}
	payload, err := proto.Marshal(ev)
	if err != nil {
		return busdb.AddOutboxParams{}, fmt.Errorf("outbox: marshal %s: %w", ev.GetId(), err)
	}
	carrier := propagation.HeaderCarrier{}
	otel.GetTextMapPropagator().Inject(ctx, carrier)
	carrier.Set("Whistle-Event", events.Name(ev))
	headers, err := json.Marshal(carrier)
	if err != nil {
		return busdb.AddOutboxParams{}, fmt.Errorf("outbox: headers: %w", err)
	}
	return busdb.AddOutboxParams{EventID: ev.GetId(), Subject: subject, Payload: payload, Headers: headers}, nil
}

// Relay publishes the outbox to JetStream. Any number of relays may run on one
// schema: each batch is claimed with FOR UPDATE SKIP LOCKED.
type Relay struct {
	Pool *pgxpool.Pool
	JS   jetstream.JetStream
	Log  *slog.Logger
	// BatchSize is the most events published per transaction (default 256).
	BatchSize int32
	// Poll is the longest wait between looks when no notification arrives (default 1 s).
	Poll time.Duration
	// Name labels the backlog gauges (the service name); empty reports no gauges.
	Name string
}

// Run relays until ctx is cancelled, retrying with backoff after failures
// (NATS down, Postgres restarting): unpublished rows simply stay in the table.
func (r *Relay) Run(ctx context.Context) error {
	if r.Name != "" {
		stop, err := metrics.ObserveOutbox(r.Name, func(ctx context.Context) (int64, float64, error) {
			b, err := busdb.New(r.Pool).OutboxBacklog(ctx)
			return b.Pending, b.OldestSeconds, err
		})
		if err != nil {
			r.Log.Warn("outbox gauges", "err", err)
		} else {
			defer stop()
		}
	}
	return retry.Forever(ctx, r.Log, "outbox relay", r.listenAndRelay)
}

func (r *Relay) listenAndRelay(ctx context.Context) error {
	conn, err := r.Pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	var schema string
	if err := conn.QueryRow(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{"outbox_" + schema}.Sanitize()); err != nil {
		return err
	}
	poll := r.Poll
	if poll <= 0 {
		poll = time.Second
	}
	for {
		for {
			n, err := r.relayBatch(ctx)
			if err != nil {
				return err
			}
			if n < r.batchSize() {
				break
			}
		}
		wctx, cancel := context.WithTimeout(ctx, poll)
		_, err := conn.Conn().WaitForNotification(wctx)
		cancel()
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			return err
		}
	}
}

func (r *Relay) batchSize() int32 {
	if r.BatchSize <= 0 {
		return 256
	}
	return r.BatchSize
}

// publishAckTimeout bounds the wait for JetStream's acks of one batch.
const publishAckTimeout = 10 * time.Second

// relayBatch publishes one batch and deletes it in the same transaction once
// JetStream has acknowledged every message.
func (r *Relay) relayBatch(ctx context.Context) (int32, error) {
	var n int32
	var published [][]byte
	err := pgx.BeginFunc(ctx, r.Pool, func(tx pgx.Tx) error {
		q := busdb.New(tx)
		rows, err := q.ClaimOutbox(ctx, r.batchSize())
		if err != nil {
			return err
		}
		n = int32(len(rows))
		if n == 0 {
			return nil
		}
		futures := make([]jetstream.PubAckFuture, 0, len(rows))
		ids := make([]int64, 0, len(rows))
		for _, row := range rows {
			msg := &nats.Msg{Subject: row.Subject, Data: row.Payload, Header: nats.Header{}}
			if err := json.Unmarshal(row.Headers, &msg.Header); err != nil {
				return fmt.Errorf("headers of %s: %w", row.EventID, err)
			}
			f, err := r.JS.PublishMsgAsync(msg, jetstream.WithMsgID(row.EventID))
			if err != nil {
				return fmt.Errorf("publish %s: %w", row.EventID, err)
			}
			futures = append(futures, f)
			ids = append(ids, row.ID)
			published = append(published, row.Payload)
		}
		// An ack lost in a reconnect (a NATS node killed) resolves neither
		// way: without a bound the relay waited for it forever and the
		// service's events stopped (seen in the chaos run). On timeout the rows
		// stay and are published again; the stream drops the copies by
		// Nats-Msg-Id.
		acks := time.NewTimer(publishAckTimeout)
		defer acks.Stop()
		for _, f := range futures {
			select {
			case <-f.Ok():
			case err := <-f.Err():
				return fmt.Errorf("publish %s: %w", f.Msg().Header.Get(jetstream.MsgIDHeader), err)
			case <-acks.C:
				return fmt.Errorf("publish %s: no ack within %s", f.Msg().Header.Get(jetstream.MsgIDHeader), publishAckTimeout)
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return q.DeleteOutbox(ctx, ids)
	})
	if err == nil {
		recordPublished(ctx, published)
	}
	return n, err
}

// recordPublished counts what the published events stand for (metrics.Published):
// only after the batch committed, so a batch that is retried is counted once
// unless it was published and then failed to commit.
func recordPublished(ctx context.Context, payloads [][]byte) {
	for _, p := range payloads {
		var ev eventsv1.Event
		if proto.Unmarshal(p, &ev) == nil {
			metrics.Published(ctx, &ev)
		}
	}
}
