package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/proto"

	"github.com/chuishao/whistle/platform/bus/internal/busdb"
	"github.com/chuishao/whistle/platform/metrics"
	"github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
)

// Handler applies one event inside the transaction that also records it as
// processed: the event's effects and that record commit together or not at all.
type Handler func(ctx context.Context, tx pgx.Tx, ev *eventsv1.Event) error

// Consumer is a durable pull consumer of the event stream.
type Consumer struct {
	// Name is the durable name and the de-duplication scope, e.g. "routing".
	Name string
	// Subjects filter the stream, e.g. events.SubjectFor("whistle.raised").
	Subjects []string
	Handle   Handler
}

// permanentError marks an event that can never be handled: it is terminated, not retried.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent wraps err so that the event is dropped (and logged) instead of redelivered.
func Permanent(err error) error { return permanentError{err} }

var errDuplicate = errors.New("already processed")

// Consume declares the durable consumer and handles its events one at a time
// until ctx is cancelled. A handler error redelivers the event with backoff.
func Consume(ctx context.Context, js jetstream.JetStream, pool *pgxpool.Pool, log *slog.Logger, c Consumer) error {
	cons, err := js.CreateOrUpdateConsumer(ctx, StreamName, jetstream.ConsumerConfig{
		Durable:        c.Name,
		FilterSubjects: c.Subjects,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        30 * time.Second,
		DeliverPolicy:  jetstream.DeliverAllPolicy,
		MaxAckPending:  1000,
	})
	if err != nil {
		if ctx.Err() != nil { // shut down while starting: not a failure
			return nil
		}
		return fmt.Errorf("declare consumer %s: %w", c.Name, err)
	}
	log = log.With("consumer", c.Name)
	stopLag, err := metrics.ObserveConsumer(c.Name, func(ctx context.Context) (uint64, uint64, error) {
		info, err := cons.Info(ctx)
		if err != nil {
			return 0, 0, err
		}
		return info.NumPending, uint64(info.NumAckPending), nil
	})
	if err != nil {
		log.Warn("consumer lag gauges", "err", err)
	} else {
		defer stopLag()
	}
	tracer := otel.Tracer("whistle/bus")
	cc, err := cons.Consume(func(msg jetstream.Msg) {
		handleMsg(ctx, pool, log, tracer, c, msg)
	})
	if err != nil {
		return fmt.Errorf("consume %s: %w", c.Name, err)
	}
	<-ctx.Done()
	cc.Drain()
	<-cc.Closed()
	return nil
}

func handleMsg(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger, tracer trace.Tracer, c Consumer, msg jetstream.Msg) {
	var ev eventsv1.Event
	if err := proto.Unmarshal(msg.Data(), &ev); err != nil || ev.GetId() == "" {
		log.Error("drop undecodable event", "subject", msg.Subject(), "err", err)
		_ = msg.Term()
		return
	}
	ctx = otel.GetTextMapPropagator().Extract(ctx, propagation.HeaderCarrier(msg.Headers()))
	ctx, span := tracer.Start(ctx, "consume "+events.Name(&ev), trace.WithSpanKind(trace.SpanKindConsumer))
	defer span.End()

	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		n, err := busdb.New(tx).MarkProcessed(ctx, busdb.MarkProcessedParams{Consumer: c.Name, EventID: ev.GetId()})
		if err != nil {
			return err
		}
		if n == 0 {
			return errDuplicate
		}
		return c.Handle(ctx, tx, &ev)
	})
	var perm permanentError
	switch {
	case err == nil, errors.Is(err, errDuplicate):
		if err := msg.Ack(); err != nil {
			log.WarnContext(ctx, "ack", "event_id", ev.GetId(), "err", err)
		}
	case errors.As(err, &perm):
		log.ErrorContext(ctx, "drop event that cannot be handled", "event", events.Name(&ev), "event_id", ev.GetId(), "err", err)
		_ = msg.Term()
	default:
		delay := time.Second
		if md, mdErr := msg.Metadata(); mdErr == nil {
			delay = backoff(md.NumDelivered)
		}
		log.WarnContext(ctx, "retry event", "event", events.Name(&ev), "event_id", ev.GetId(), "in", delay, "err", err)
		_ = msg.NakWithDelay(delay)
	}
}

// backoff grows from 100 ms to 30 s with the number of deliveries.
func backoff(delivered uint64) time.Duration {
	d := 100 * time.Millisecond
	for i := uint64(1); i < delivered && d < 30*time.Second; i++ {
		d *= 2
	}
	return min(d, 30*time.Second)
}
