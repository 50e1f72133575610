package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/proto"

	"github.com/chuishao/whistle/platform/metrics"
	"github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
)

// batchTimeout bounds one batch's transaction. A batch runs to its end even
// when its consumer is stopping, so a hand-over does not throw work away.
const batchTimeout = 30 * time.Second

// durable is one JetStream durable consumer handled in batches.
type durable struct {
	stream, name string   // where the durable consumer lives and its name
	subjects     []string // its filter
	c            Consumer // the handler and the de-duplication scope (c.Name)
	opts         Options
	js           jetstream.JetStream
	pool         *pgxpool.Pool
	log          *slog.Logger
}

// declare creates or updates the durable consumer, trying again while
// JetStream cannot answer (a node restarting, a stream leader being elected):
// a replica that starts in such a moment waits for the cluster instead of
// exiting. It fails only when ctx is cancelled. A consumer it creates starts
// where Options.Starts says for c.Name (its partitions too); one that exists
// keeps its start and position (deliverFrom).
func (d durable) declare(ctx context.Context) (jetstream.Consumer, error) {
	wait := 100 * time.Millisecond
	for {
		cfg := jetstream.ConsumerConfig{
			Durable:        d.name,
			FilterSubjects: d.subjects,
			AckPolicy:      jetstream.AckExplicitPolicy,
			AckWait:        d.opts.ackWait(),
			MaxAckPending:  max(1000, 4*d.opts.batch()),
		}
		err := deliverFrom(ctx, d.js, d.stream, &cfg, d.opts.Starts[d.c.Name])
		var cons jetstream.Consumer
		if err == nil {
			cons, err = d.js.CreateOrUpdateConsumer(ctx, d.stream, cfg)
		}
		if err == nil {
			return cons, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		d.log.Warn("declare consumer", "consumer", d.name, "err", err, "retry_in", wait)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
		wait = min(wait*2, 5*time.Second)
	}
}

// run declares the durable consumer and handles its events until ctx is
// cancelled. On cancellation it finishes the batch in hand and gives the
// events already pulled back to the stream (Nak), so another replica gets
// them at once rather than after the ack wait.
func (d durable) run(ctx context.Context) error {
	cons, err := d.declare(ctx)
	if err != nil { // only when ctx is cancelled: shut down while starting is not a failure
		return nil
	}
	stopLag, err := metrics.ObserveConsumer(d.name, func(ctx context.Context) (uint64, uint64, error) {
		info, err := cons.Info(ctx)
		if err != nil {
			return 0, 0, err
		}
		return info.NumPending, uint64(info.NumAckPending), nil
	})
	if err != nil {
		d.log.Warn("consumer lag gauges", "err", err)
	} else {
		defer stopLag()
	}
	// The client's own buffer holds one batch: messages in it are not yet
	// held (kept in progress), so it is kept well within one ack wait of work.
	it, err := cons.Messages(jetstream.PullMaxMessages(d.opts.batch()))
	if err != nil {
		return fmt.Errorf("consume %s: %w", d.name, err)
	}
	msgs := make(chan jetstream.Msg, d.opts.batch())
	held := &heldMsgs{m: map[jetstream.Msg]struct{}{}}
	go d.pull(it, msgs, held)
	stop := context.AfterFunc(ctx, it.Drain)
	defer stop()
	stopBeat := held.keepInProgress(d.opts.ackWait() / 3)
	defer stopBeat()

	tracer := otel.Tracer("whistle/bus")
	batch := make([]jetstream.Msg, 0, d.opts.batch())
	for {
		first, ok := <-msgs
		if !ok {
			return nil
		}
		if ctx.Err() != nil {
			held.release(first)
			_ = first.Nak()
			continue
		}
		batch = append(batch[:0], first)
		batch = takeAvailable(msgs, batch, d.opts.batch(), d.opts.Linger)
		d.opts.Limit <- struct{}{}
		bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), batchTimeout)
		d.handle(bctx, tracer, batch)
		held.release(batch...)
		cancel()
		<-d.opts.Limit
	}
}

// pull feeds msgs from the iterator until it is closed (drained); each
// message is held (kept in progress) until its batch has settled it.
func (d durable) pull(it jetstream.MessagesContext, msgs chan<- jetstream.Msg, held *heldMsgs) {
	defer close(msgs)
	for {
		msg, err := it.Next()
		if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
			return
		}
		if err != nil {
			d.log.Warn("pull", "err", err)
			continue
		}
		held.hold(msg)
		msgs <- msg
	}
}

// heldMsgs are the messages a consumer has taken from its iterator and not yet
// settled: waiting for a batch or in one. They are kept in progress, so the
// ack wait can be short — an event delivered to a replica that died goes to
// another after seconds, not half a minute — without a slow batch (a
// Postgres restart) having its events redelivered while it still works on
// them.
type heldMsgs struct {
	mu sync.Mutex
	m  map[jetstream.Msg]struct{}
}

func (h *heldMsgs) hold(msg jetstream.Msg) {
	h.mu.Lock()
	h.m[msg] = struct{}{}
	h.mu.Unlock()
}

func (h *heldMsgs) release(msgs ...jetstream.Msg) {
	h.mu.Lock()
	for _, msg := range msgs {
		delete(h.m, msg)
	}
	h.mu.Unlock()
}

// keepInProgress tells JetStream every interval that the held messages are
// being worked on, until the returned stop is called.
func (h *heldMsgs) keepInProgress(interval time.Duration) (stop func()) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			h.mu.Lock()
			msgs := make([]jetstream.Msg, 0, len(h.m))
			for msg := range h.m {
				msgs = append(msgs, msg)
			}
			h.mu.Unlock()
			for _, msg := range msgs {
				_ = msg.InProgress()
			}
		}
	}()
	return func() { close(done) }
}

// takeAvailable appends what msgs holds, up to limit messages in all,
// waiting up to linger for more when it holds fewer.
func takeAvailable(msgs <-chan jetstream.Msg, batch []jetstream.Msg, limit int, linger time.Duration) []jetstream.Msg {
	var deadline <-chan time.Time // nil: do not wait
	if linger > 0 {
		t := time.NewTimer(linger)
		defer t.Stop()
		deadline = t.C
	}
	for len(batch) < limit {
		var msg jetstream.Msg
		var ok bool
		if deadline == nil {
			select {
			case msg, ok = <-msgs:
			default:
				return batch
			}
		} else {
			select {
			case msg, ok = <-msgs:
			case <-deadline:
				return batch
			}
		}
		if !ok {
			return batch
		}
		batch = append(batch, msg)
	}
	return batch
}

// outcome is what becomes of one event of a batch.
type outcome int

const (
	applied   outcome = iota // committed with the batch (or a duplicate): ack
	retried                  // rolled back to its savepoint: redeliver with backoff
	dropped                  // a permanent error: terminate
	undecided                // the batch failed before reaching it
)

type item struct {
	msg     jetstream.Msg
	ev      *eventsv1.Event
	ctx     context.Context
	span    trace.Span
	outcome outcome
	err     error
}

// handle applies a batch in one transaction and then settles each message:
// ack after the commit, nak or term per event. It first tries the whole batch
// without savepoints (applyAll: one statement records every event as
// processed, then the handlers run back to back); only when a handler fails
// is that attempt rolled back and the batch applied again one savepoint per
// event (applyOne), so the failing event is retried or dropped on its own and
// the others commit. Most batches thus cost one round trip less per event.
func (d durable) handle(ctx context.Context, tracer trace.Tracer, msgs []jetstream.Msg) {
	items := make([]item, 0, len(msgs))
	for _, msg := range msgs {
		ev := &eventsv1.Event{}
		if err := proto.Unmarshal(msg.Data(), ev); err != nil || ev.GetId() == "" {
			d.log.Error("drop undecodable event", "subject", msg.Subject(), "err", err)
			_ = msg.Term()
			continue
		}
		ectx := otel.GetTextMapPropagator().Extract(ctx, propagation.HeaderCarrier(msg.Headers()))
		ectx, span := tracer.Start(ectx, "consume "+events.Name(ev), trace.WithSpanKind(trace.SpanKindConsumer))
		items = append(items, item{msg: msg, ev: ev, ctx: ectx, span: span, outcome: undecided})
	}
	if len(items) == 0 {
		return
	}
	err := pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error { return d.applyAll(ctx, tx, items) })
	if errors.Is(err, errHandlerFailed) {
		for i := range items {
			items[i].outcome, items[i].err = undecided, nil
		}
		err = pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
			for i := range items {
				if err := d.applyOne(tx, &items[i]); err != nil {
					return err
				}
			}
			return nil
		})
	}
	for i := range items {
		d.settle(&items[i], err)
	}
}

// errHandlerFailed ends applyAll's transaction when a handler fails: the batch
// is then applied again one savepoint per event.
var errHandlerFailed = errors.New("a handler failed")

// markAllProcessed records a batch of events as handled by the consumer in one
// statement and returns the ids that had not been handled before.
const markAllProcessed = `INSERT INTO processed_events (consumer, event_id)
SELECT $1, id FROM unnest($2::text[]) AS id
ON CONFLICT DO NOTHING RETURNING event_id`

// applyAll applies the batch's new events without savepoints: one call of a
// batch handler for all of them, or the event handler once per event. It returns
// errHandlerFailed when a handler fails (the transaction is then rolled back
// and nothing of it stays), or the error of the transaction itself.
func (d durable) applyAll(ctx context.Context, tx pgx.Tx, items []item) error {
	ids := make([]string, len(items))
	for i := range items {
		ids[i] = items[i].ev.GetId()
	}
	rows, err := tx.Query(ctx, markAllProcessed, d.c.Name, ids)
	if err != nil {
		return err
	}
	fresh, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	isNew := make(map[string]bool, len(fresh))
	for _, id := range fresh {
		isNew[id] = true
	}
	evs := make([]*eventsv1.Event, 0, len(fresh))
	contexts := make(map[*eventsv1.Event]context.Context, len(fresh))
	for i := range items {
		it := &items[i]
		// A second copy of an event within the batch is a duplicate of the first.
		if !isNew[it.ev.GetId()] {
			it.outcome, it.err = applied, errDuplicate
			continue
		}
		delete(isNew, it.ev.GetId())
		it.outcome = applied // if the handlers fail, handle starts over
		if d.c.HandleBatch != nil {
			evs = append(evs, it.ev)
			contexts[it.ev] = it.ctx
			continue
		}
		if err := d.c.Handle(it.ctx, tx, it.ev); err != nil {
			d.log.DebugContext(it.ctx, "handler failed; applying the batch event by event", "event_id", it.ev.GetId(), "err", err)
			return errHandlerFailed
		}
	}
	if len(evs) > 0 {
		bctx := context.WithValue(ctx, eventContexts{}, contexts)
		if err := d.c.HandleBatch(bctx, tx, evs); err != nil {
			d.log.DebugContext(ctx, "batch handler failed; applying the batch event by event", "events", len(evs), "err", err)
			return errHandlerFailed
		}
	}
	return nil
}

// eventContexts keys the contexts of a batch handler's events (ContextOf).
type eventContexts struct{}

// ContextOf is the context of ev, one of the events a batch handler was
// given, within the handler's ctx: ctx with ev's span, so that what is logged
// or written to the outbox in it continues ev's trace. For an event handled
// alone (or outside a batch handler) it is ctx, which already is the event's.
func ContextOf(ctx context.Context, ev *eventsv1.Event) context.Context {
	contexts, _ := ctx.Value(eventContexts{}).(map[*eventsv1.Event]context.Context)
	evCtx, ok := contexts[ev]
	if !ok {
		return ctx
	}
	return trace.ContextWithSpan(ctx, trace.SpanFromContext(evCtx))
}

// markProcessed records that the consumer (the de-duplication scope) has
// handled an event; no row affected means it had been handled before.
const markProcessed = "INSERT INTO processed_events (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"

// applyOne runs one event in a savepoint and records its outcome. An error
// return means the transaction itself is unusable (the connection failed).
// The savepoint and the processed-event row go in one round trip, and a
// savepoint that needs no rolling back is not released: the next one nests
// inside it and the commit keeps them all, one round trip less per event.
func (d durable) applyOne(tx pgx.Tx, it *item) error {
	ctx := it.ctx
	b := &pgx.Batch{}
	b.Queue("SAVEPOINT event")
	b.Queue(markProcessed, d.c.Name, it.ev.GetId())
	res := tx.SendBatch(ctx, b)
	_, spErr := res.Exec()
	tag, err := res.Exec()
	closeErr := res.Close()
	if spErr != nil {
		return spErr
	}
	if err == nil {
		err = closeErr
	}
	if err == nil && tag.RowsAffected() == 0 {
		it.outcome, it.err = applied, errDuplicate
		return nil
	}
	if err == nil {
		err = d.c.handleOne(ctx, tx, it.ev)
	}
	if err == nil {
		it.outcome = applied
		return nil
	}
	if _, rbErr := tx.Exec(ctx, "ROLLBACK TO SAVEPOINT event"); rbErr != nil {
		return rbErr
	}
	it.err = err
	if errors.As(err, new(permanentError)) {
		it.outcome = dropped
	} else {
		it.outcome = retried
	}
	return nil
}

// settle acknowledges, redelivers or terminates one message once the batch's
// transaction has ended with commitErr.
func (d durable) settle(it *item, commitErr error) {
	ctx, ev := it.ctx, it.ev
	defer it.span.End()
	outcome, err := it.outcome, it.err
	if commitErr != nil && outcome != dropped {
		outcome, err = retried, commitErr
	}
	switch outcome {
	case applied:
		d.log.DebugContext(ctx, "event handled", "event", events.Name(ev), "event_id", ev.GetId(), "duplicate", err != nil)
		if err := it.msg.Ack(); err != nil {
			d.log.WarnContext(ctx, "ack", "event_id", ev.GetId(), "err", err)
		}
	case dropped:
		it.span.SetStatus(codes.Error, err.Error())
		d.log.ErrorContext(ctx, "drop event that cannot be handled", "event", events.Name(ev), "event_id", ev.GetId(), "err", err)
		_ = it.msg.Term()
	default:
		it.span.SetStatus(codes.Error, err.Error())
		delay := time.Second
		if md, mdErr := it.msg.Metadata(); mdErr == nil {
			delay = backoff(md.NumDelivered)
		}
		d.log.WarnContext(ctx, "retry event", "event", events.Name(ev), "event_id", ev.GetId(), "in", delay, "err", err)
		_ = it.msg.NakWithDelay(delay)
	}
}
