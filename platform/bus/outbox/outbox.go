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
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/chuishao/whistle/platform/bus/internal/busdb"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/platform/invalid"
	"github.com/chuishao/whistle/platform/metrics"
	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/platform/worker"
	"github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
)

// DefaultMaxEventBytes is the largest event the outbox takes unless
// SetMaxEventBytes says otherwise: far below NATS's max payload (1 MiB by
// default), so that no event a request can make is too large to publish.
const DefaultMaxEventBytes = 64 << 10

var maxEventBytes atomic.Int64

func init() { maxEventBytes.Store(DefaultMaxEventBytes) }

// SetMaxEventBytes sets the largest event (encoded payload and headers) the
// outbox of this process takes; n <= 0 restores the default. A service sets it
// once at start from WHISTLE_MAX_EVENT_BYTES.
func SetMaxEventBytes(n int) {
	if n <= 0 {
		n = DefaultMaxEventBytes
	}
	maxEventBytes.Store(int64(n))
}

// MaxEventBytes is the largest event the outbox of this process takes.
func MaxEventBytes() int { return int(maxEventBytes.Load()) }

// ErrEventTooLarge is what Add and AddAll return (as a *TooLargeError)
// for an event over MaxEventBytes: the caller's request was too large, and
// its transaction must not commit.
var ErrEventTooLarge = errors.New("event too large")

// TooLargeError is an event over the limit: its name, its encoded size, the
// limit, and the field that holds most of it.
type TooLargeError struct {
	Event string
	Size  int
	Limit int
	// Field is the name of the event's largest text field (e.g. "reason"),
	// usually the request field that made it large; empty when none stands out.
	Field string
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s event of %d bytes is over the limit of %d bytes", e.Event, e.Size, e.Limit)
}

// Is makes errors.Is(err, ErrEventTooLarge) hold.
func (e *TooLargeError) Is(target error) bool { return target == ErrEventTooLarge }

// Reason is the error in words for the caller, naming no internals.
func (e *TooLargeError) Reason() string {
	return fmt.Sprintf("the request is too large to record: its event would be %d bytes, over the limit of %d bytes", e.Size, e.Limit)
}

// As makes errors.As see the error as an invalid.Error of its Field: the
// request was too large, which the API answers like any other invalid field.
func (e *TooLargeError) As(target any) bool {
	t, ok := target.(*invalid.Error)
	if ok {
		*t = invalid.Error{{Field: e.Field, Reason: e.Reason()}}
	}
	return ok
}

// Add writes ev to the outbox of the schema tx works in and wakes the relay
// after commit. The trace context of ctx travels with it in the message headers.
func Add(ctx context.Context, tx pgx.Tx, ev *eventsv1.Event) error {
	row, err := rowOf(ctx, ev)
	if err != nil {
		return err
	}
	if err := busdb.New(tx).AddOutbox(ctx, row); err != nil {
		return fmt.Errorf("outbox: add %s: %w", ev.GetId(), err)
	}
	postgres.WakeAfterCommit(tx, WakeTopic)
	return nil
}

// AddAll is Add for many events in one statement (a burst of SLA breaches),
// in their order.
func AddAll(ctx context.Context, tx pgx.Tx, evs []*eventsv1.Event) error {
	caused := make([]Caused, len(evs))
	for i, ev := range evs {
		caused[i] = Caused{Ctx: ctx, Event: ev}
	}
	return AddCaused(ctx, tx, caused)
}

// Caused is an event with the context it comes from: the trace context of
// Ctx travels with it.
type Caused struct {
	Ctx   context.Context
	Event *eventsv1.Event
}

// AddCaused is AddAll for events of different causes, such as the events a
// consumer's batch leads to (each in the context of the event it handled,
// bus.ContextOf), so that each continues its own cause's trace.
func AddCaused(ctx context.Context, tx pgx.Tx, evs []Caused) error {
	if len(evs) == 0 {
		return nil
	}
	var rows busdb.AddOutboxRowsParams
	for _, c := range evs {
		ev := c.Event
		row, err := rowOf(c.Ctx, ev)
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
	postgres.WakeAfterCommit(tx, WakeTopic)
	return nil
}

// WakeTopic is the relay's wake-up (postgres.Wakeups) on a service's pool.
const WakeTopic = "outbox"

// rowOf is ev's outbox row: its subject, the encoded event, and the headers
// it is published with (the trace context of ctx and the event's name). An
// event over MaxEventBytes is a *TooLargeError.
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
	if size, limit := len(payload)+len(headers), MaxEventBytes(); size > limit {
		field, _ := largestText(ev.ProtoReflect())
		return busdb.AddOutboxParams{}, &TooLargeError{Event: events.Name(ev), Size: size, Limit: limit, Field: field}
	}
	return busdb.AddOutboxParams{EventID: ev.GetId(), Subject: subject, Payload: payload, Headers: headers}, nil
}

// largestText is the name and length of the longest string or bytes field
// anywhere in m.
func largestText(m protoreflect.Message) (name string, size int) {
	consider := func(fd protoreflect.FieldDescriptor, v protoreflect.Value) {
		switch fd.Kind() {
		case protoreflect.StringKind:
			if n := len(v.String()); n > size {
				name, size = string(fd.Name()), n
			}
		case protoreflect.BytesKind:
			if n := len(v.Bytes()); n > size {
				name, size = string(fd.Name()), n
			}
		case protoreflect.MessageKind, protoreflect.GroupKind:
			if n, s := largestText(v.Message()); s > size {
				name, size = n, s
			}
		}
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList():
			for i := range v.List().Len() {
				consider(fd, v.List().Get(i))
			}
		case fd.IsMap():
			v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
				consider(fd.MapValue(), mv)
				return true
			})
		default:
			consider(fd, v)
		}
		return true
	})
	return name, size
}

// Relay publishes the outbox to JetStream. Any number of relays may run on one
// schema: each batch is claimed with FOR UPDATE SKIP LOCKED.
//
// A row that can never be published (see Permanent) moves to the dead-letter
// table in the batch's transaction, so the rows behind it go on; any other
// failure leaves the batch in place to be published again.
type Relay struct {
	Pool *pgxpool.Pool
	JS   jetstream.JetStream
	Log  *slog.Logger
	// BatchSize is the most events published per transaction (default 256).
	BatchSize int32
	// Poll is the longest wait between looks when no writer of this process
	// wakes the relay (default 1 s): it covers the events that other processes write.
	Poll time.Duration
	// Name labels the backlog gauges and the dead-letter counter (the service
	// name); empty reports no gauges.
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
	poll := r.Poll
	if poll <= 0 {
		poll = time.Second
	}
	// The real clock: the relay's poll waits for other processes' commits,
	// not for a deadline, so it runs in real time even beside a fake clock.
	loop := worker.Loop{Name: "outbox relay", Log: r.Log, Clock: clock.Real(), Pool: r.Pool, Topic: WakeTopic, Poll: poll}
	return loop.Sweep(ctx, func(ctx context.Context) (bool, error) {
		n, err := r.relayBatch(ctx)
		return n >= r.batchSize(), err // a full batch: more may be waiting
	})
}

func (r *Relay) batchSize() int32 {
	if r.BatchSize <= 0 {
		return 256
	}
	return r.BatchSize
}

// publishAckTimeout bounds the wait for JetStream's acks of one batch.
const publishAckTimeout = 10 * time.Second

// Permanent reports whether a publish failed in a way no retry can cure: the
// message is over the server's max payload or the stream's max message size,
// its subject is malformed, or its headers cannot be decoded (a
// *HeadersError). Everything else is transient and retried: NATS down or
// reconnecting, an ack that does not come, and "no stream matches the
// subject" (a stream being created or moved at start-up or in a failover).
func Permanent(err error) bool {
	var headers *HeadersError
	var api *jetstream.APIError
	switch {
	case errors.Is(err, nats.ErrMaxPayload), errors.Is(err, nats.ErrBadSubject), errors.As(err, &headers):
		return true
	case errors.As(err, &api):
		return api.ErrorCode == jetstream.JSErrCodeStreamMessageExceedsMaximum
	}
	return false
}

// HeadersError is an outbox row whose headers do not decode.
type HeadersError struct{ Err error }

func (e *HeadersError) Error() string { return "undecodable headers: " + e.Err.Error() }
func (e *HeadersError) Unwrap() error { return e.Err }

// relayBatch publishes one batch and, once JetStream has acknowledged every
// message, deletes it in the same transaction; rows that failed permanently
// move to the dead letters in that transaction.
func (r *Relay) relayBatch(ctx context.Context) (int32, error) {
	var n int32
	var published [][]byte
	var dead []deadRow
	err := pgx.BeginFunc(ctx, r.Pool, func(tx pgx.Tx) error {
		published, dead = nil, nil
		q := busdb.New(tx)
		rows, err := q.ClaimOutbox(ctx, r.batchSize())
		if err != nil {
			return err
		}
		n = int32(len(rows))
		if n == 0 {
			return nil
		}
		type pending struct {
			row    busdb.ClaimOutboxRow
			future jetstream.PubAckFuture
		}
		futures := make([]pending, 0, len(rows))
		for _, row := range rows {
			f, err := r.publish(row)
			if Permanent(err) {
				dead = append(dead, deadRow{row, err})
				continue
			}
			if err != nil {
				return fmt.Errorf("publish %s: %w", row.EventID, err)
			}
			futures = append(futures, pending{row, f})
		}
		// An ack lost in a reconnect (a NATS node killed) resolves neither
		// way: without a bound the relay waited for it forever and the
		// service's events stopped (seen in the chaos run). On timeout the rows
		// stay and are published again; the stream drops the copies by
		// Nats-Msg-Id.
		acks := time.NewTimer(publishAckTimeout)
		defer acks.Stop()
		ids := make([]int64, 0, len(futures))
		for _, p := range futures {
			select {
			case <-p.future.Ok():
				ids = append(ids, p.row.ID)
				published = append(published, p.row.Payload)
			case err := <-p.future.Err():
				if !Permanent(err) {
					return fmt.Errorf("publish %s: %w", p.row.EventID, err)
				}
				dead = append(dead, deadRow{p.row, err})
			case <-acks.C:
				return fmt.Errorf("publish %s: no ack within %s", p.row.EventID, publishAckTimeout)
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		// Dead letters are rare: a statement each, then one delete for all.
		for _, row := range dead {
			if err := q.DeadLetterOutbox(ctx, busdb.DeadLetterOutboxParams{ID: row.ID, Error: row.err.Error()}); err != nil {
				return fmt.Errorf("dead-letter %s: %w", row.EventID, err)
			}
			ids = append(ids, row.ID)
		}
		return q.DeleteOutbox(ctx, ids)
	})
	if err == nil {
		recordPublished(ctx, published)
		for _, row := range dead {
			r.Log.ErrorContext(ctx, "outbox event dead-lettered: it can never be published; replay it once the cause is fixed",
				"event_id", row.EventID, "subject", row.Subject, "bytes", len(row.Payload)+len(row.Headers), "err", row.err)
			metrics.DeadLettered(ctx, r.Name)
		}
	}
	return n, err
}

// deadRow is a claimed row that failed permanently, with its error.
type deadRow struct {
	busdb.ClaimOutboxRow
	err error
}

// publish sends row asynchronously; a row that cannot be sent at all (too
// large, bad subject or headers) fails here.
func (r *Relay) publish(row busdb.ClaimOutboxRow) (jetstream.PubAckFuture, error) {
	msg := &nats.Msg{Subject: row.Subject, Data: row.Payload, Header: nats.Header{}}
	if err := json.Unmarshal(row.Headers, &msg.Header); err != nil {
		return nil, &HeadersError{Err: err}
	}
	return r.JS.PublishMsgAsync(msg, jetstream.WithMsgID(row.EventID))
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

// DeadLetter is an event the relay could never publish, kept with its error.
type DeadLetter struct {
	EventID   string
	Subject   string
	Size      int
	Error     string
	CreatedAt time.Time
	FailedAt  time.Time
}

// ErrNoDeadLetter is ReplayDeadLetter's answer for an event id that is not a dead letter.
var ErrNoDeadLetter = errors.New("no such dead letter")

// ListDeadLetters returns up to limit dead letters of pool's schema, the most
// recently failed first.
func ListDeadLetters(ctx context.Context, pool *pgxpool.Pool, limit int32) ([]DeadLetter, error) {
	rows, err := busdb.New(pool).ListDeadLetters(ctx, limit)
	if err != nil {
		return nil, fmt.Errorf("outbox: list dead letters: %w", err)
	}
	out := make([]DeadLetter, len(rows))
	for i, r := range rows {
		out[i] = DeadLetter{EventID: r.EventID, Subject: r.Subject, Size: int(r.Size), Error: r.Error,
			CreatedAt: r.CreatedAt.Time, FailedAt: r.FailedAt.Time}
	}
	return out, nil
}

// ReplayDeadLetter moves the dead letter eventID back into pool's outbox,
// under the same event id, for the relay to publish again (within its poll
// interval). Replay once the cause is fixed (a larger max payload, say):
// otherwise it fails again and comes back.
func ReplayDeadLetter(ctx context.Context, pool *pgxpool.Pool, eventID string) error {
	n, err := busdb.New(pool).ReplayDeadLetter(ctx, eventID)
	if err != nil {
		return fmt.Errorf("outbox: replay %s: %w", eventID, err)
	}
	if n == 0 {
		return fmt.Errorf("outbox: replay %s: %w", eventID, ErrNoDeadLetter)
	}
	return nil
}
