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

	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
)

// Handler applies one event inside the transaction that also records it as
// processed: the event's effects and that record commit together or not at all.
// The transaction may hold other events of the same batch: a handler must not
// commit or roll it back. A handler may be called more than once for one
// delivery — the batch is first tried whole and, when any handler fails,
// rolled back and applied again one savepoint per event — so it must keep
// its effects inside tx (only the committed attempt counts).
type Handler func(ctx context.Context, tx pgx.Tx, ev *eventsv1.Event) error

// BatchHandler applies many events at once, in a fixed number of statements,
// inside the transaction that records them as processed. evs are the batch's
// new events (duplicates and events handled before are left out) in stream
// order; a handler that reorders them keeps what stream order means to it.
// ctx is the batch's; ContextOf(ctx, ev) is one event's, with its trace.
// When it fails, the batch is rolled back and applied again one savepoint
// per event, each event alone in a call of its own, so that an event that
// fails is retried (or, with a Permanent error, dropped) without the others.
// What Handler says of tx and of being called more than once holds here too.
type BatchHandler func(ctx context.Context, tx pgx.Tx, evs []*eventsv1.Event) error

// Consumer is a durable pull consumer of the event stream. It sets Handle or
// HandleBatch, not both.
type Consumer struct {
	// Name is the durable name and the de-duplication scope, one of the
	// service's durables in proto/topology.
	Name string
	// Subjects filter the stream, e.g. events.SubjectFor("whistle.raised").
	Subjects []string
	// Handle applies one event at a time.
	Handle Handler
	// HandleBatch applies a batch's events together.
	HandleBatch BatchHandler
}

// check reports a consumer that sets neither handler or both.
func (c Consumer) check() error {
	if (c.Handle == nil) == (c.HandleBatch == nil) {
		return fmt.Errorf("consumer %s: set exactly one of Handle and HandleBatch", c.Name)
	}
	return nil
}

// handleOne applies one event with whichever handler c has.
func (c Consumer) handleOne(ctx context.Context, tx pgx.Tx, ev *eventsv1.Event) error {
	if c.HandleBatch != nil {
		return c.HandleBatch(ctx, tx, []*eventsv1.Event{ev})
	}
	return c.Handle(ctx, tx, ev)
}

// permanentError marks an event that can never be handled: it is terminated, not retried.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent wraps err so that the event is dropped (and logged) instead of redelivered.
func Permanent(err error) error { return permanentError{err} }

var errDuplicate = errors.New("already processed")

// Defaults of Options.
const (
	// DefaultBatch is large because a batch costs a fixed number of
	// statements: the larger the batch, the fewer statements and commits per
	// event. Only the fallback after a failed batch (one savepoint per event)
	// grows with it, past the 64 subtransactions Postgres caches per backend,
	// which slows other sessions' snapshots while that one transaction runs.
	DefaultBatch     = 256
	DefaultRebalance = 2 * time.Second
	DefaultAckWait   = 3 * time.Second
)

// Options tune how a service runs its consumers (config.Base carries them).
type Options struct {
	// Batch is the most events handled in one transaction (default DefaultBatch).
	Batch int
	// Linger is how long a batch waits for more events after its first one
	// when fewer than Batch are at hand (default 0: it takes what is there).
	Linger time.Duration
	// Partitions splits every consumer by district into this many durable
	// consumers, shared out among the service's replicas (partition.go).
	// 0 or 1: one durable consumer that every replica pulls from.
	Partitions int
	// Rebalance is how often a replica re-counts the replicas and takes or
	// gives up partitions (default DefaultRebalance).
	Rebalance time.Duration
	// Limit bounds the batches in flight on the pool; every consumer of a
	// pool should share one (NewLimit). Nil: each Consume call gets its own.
	Limit Limit
	// AckWait is how long an event delivered to a replica that died stays
	// with it before it is redelivered (default DefaultAckWait).
	AckWait time.Duration
	// Starts say where a consumer that does not exist yet begins, by name
	// (default: the stream's first event); an existing one is not moved.
	Starts Starts
}

// Limit is a number of batch slots, shared by the consumers of one pool.
type Limit chan struct{}

// NewLimit allows half of pool's connections to be held by batches: a handler
// may take a second connection (a cache filling itself) while its batch holds
// one, and with every connection held by a batch that second one would never come.
func NewLimit(pool *pgxpool.Pool) Limit {
	return make(Limit, max(1, pool.Config().MaxConns/2))
}

func (o Options) batch() int {
	if o.Batch <= 0 {
		return DefaultBatch
	}
	return o.Batch
}

func (o Options) ackWait() time.Duration {
	if o.AckWait <= 0 {
		return DefaultAckWait
	}
	return o.AckWait
}

func (o Options) rebalance() time.Duration {
	if o.Rebalance <= 0 {
		return DefaultRebalance
	}
	return o.Rebalance
}

// Consume runs c with the default options (one durable consumer, batches of
// DefaultBatch) until ctx is cancelled.
func Consume(ctx context.Context, js jetstream.JetStream, pool *pgxpool.Pool, log *slog.Logger, c Consumer) error {
	return Options{}.Consume(ctx, js, pool, log, c)
}

// Consume declares c's durable consumer (or, with Partitions > 1, takes part in
// its partitions) and handles its events in batches until ctx is cancelled.
// A batch's events are applied in one transaction, which also records them
// as processed; the batch commits once and its events are acknowledged after
// the commit. An event whose handler fails is rolled back (the batch is then
// applied again one savepoint per event) and redelivered with backoff (or
// terminated, for a Permanent error) without holding back the rest of the batch.
func (o Options) Consume(ctx context.Context, js jetstream.JetStream, pool *pgxpool.Pool, log *slog.Logger, c Consumer) error {
	if err := c.check(); err != nil {
		return err
	}
	log = log.With("consumer", c.Name)
	if o.Limit == nil {
		o.Limit = NewLimit(pool)
	}
	if o.Partitions > MaxPartitions {
		return fmt.Errorf("consumer %s: %d partitions, at most %d", c.Name, o.Partitions, MaxPartitions)
	}
	if o.Partitions > 1 {
		return (&partitioned{opts: o, js: js, pool: pool, log: log, c: c}).run(ctx)
	}
	d := durable{stream: StreamName, name: c.Name, subjects: c.Subjects, c: c, opts: o, js: js, pool: pool, log: log}
	return d.run(ctx)
}

// backoff grows from 100 ms to 30 s with the number of deliveries.
func backoff(delivered uint64) time.Duration {
	d := 100 * time.Millisecond
	for i := uint64(1); i < delivered && d < 30*time.Second; i++ {
		d *= 2
	}
	return min(d, 30*time.Second)
}
