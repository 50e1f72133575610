package bus_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/chuishao/whistle/platform/bus"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
)

// publish puts ev on the stream under msgID (the event id when empty).
func publish(t *testing.T, e env, ev *eventsv1.Event, msgID string) {
	t.Helper()
	data, err := proto.Marshal(ev)
	require.NoError(t, err)
	if msgID == "" {
		msgID = ev.GetId()
	}
	_, err = e.js.Publish(t.Context(), "whistle.v1.raised."+ev.GetDistrictId(), data, jetstream.WithMsgID(msgID))
	require.NoError(t, err)
}

// effects records, per event, the transaction that applied it; a test's
// handler writes there so the test can count applications and batches.
func effects(t *testing.T, e env) {
	t.Helper()
	_, err := e.pool.Exec(t.Context(), "CREATE TABLE effects (event_id text, txid bigint)")
	require.NoError(t, err)
}

func writeEffect(ctx context.Context, tx pgx.Tx, ev *eventsv1.Event) error {
	_, err := tx.Exec(ctx, "INSERT INTO effects VALUES ($1, txid_current())", ev.GetId())
	return err
}

// applied is how many times each event's effects committed, and in how many transactions.
func applied(t *testing.T, e env) (perEvent map[string]int, txs int) {
	t.Helper()
	rows, err := e.pool.Query(t.Context(), "SELECT event_id, count(*) FROM effects GROUP BY event_id")
	require.NoError(t, err)
	perEvent = map[string]int{}
	for rows.Next() {
		var id string
		var n int
		require.NoError(t, rows.Scan(&id, &n))
		perEvent[id] = n
	}
	require.NoError(t, rows.Err())
	require.NoError(t, e.pool.QueryRow(t.Context(), "SELECT count(DISTINCT txid) FROM effects").Scan(&txs))
	return perEvent, txs
}

// drained waits until the durable consumer has nothing pending or unacknowledged.
func drained(t *testing.T, e env, stream, name string) {
	t.Helper()
	require.Eventually(t, func() bool {
		c, err := e.js.Consumer(t.Context(), stream, name)
		if err != nil {
			return false
		}
		info, err := c.Info(t.Context())
		return err == nil && info.NumPending == 0 && info.NumAckPending == 0
	}, 20*time.Second, 20*time.Millisecond)
}

func TestOneFailingEventOfABatchIsRedeliveredWhileTheOthersCommitTogether(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	effects(t, e)
	evs := []*eventsv1.Event{raised("110101"), raised("110102"), raised("110105"), raised("110106"), raised("110107")}
	for _, ev := range evs {
		publish(t, e, ev, "")
	}
	failing := evs[2].GetId()
	var mu sync.Mutex
	attempts := map[string]int{}
	opts := bus.Options{Batch: len(evs), Linger: time.Second} // the five make one batch
	go func() {
		_ = opts.Consume(ctx, e.js, e.pool, e.log, bus.Consumer{Name: "c", Subjects: []string{"whistle.v1.>"},
			Handle: func(ctx context.Context, tx pgx.Tx, ev *eventsv1.Event) error {
				mu.Lock()
				attempts[ev.GetId()]++
				// The batch is tried whole, then event by event: two calls
				// make the failing event's whole first delivery fail.
				firstDelivery := attempts[ev.GetId()] <= 2
				mu.Unlock()
				if err := writeEffect(ctx, tx, ev); err != nil {
					return err
				}
				if ev.GetId() == failing && firstDelivery {
					return errors.New("transient") // after writing: the rollback must undo it
				}
				return nil
			}})
	}()
	drained(t, e, bus.StreamName, "c")
	perEvent, txs := applied(t, e)
	for _, ev := range evs {
		require.Equal(t, 1, perEvent[ev.GetId()], "event %s applied once", ev.GetId())
	}
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, 3, attempts[failing], "the failing event is redelivered (after the whole batch and its own savepoint failed)")
	for _, ev := range evs {
		if ev.GetId() != failing {
			// Once in the whole-batch attempt (if it came before the failing
			// event) and once more event by event: never redelivered.
			require.LessOrEqual(t, attempts[ev.GetId()], 2, "the others are not redelivered")
		}
	}
	// The four that did not fail committed in one transaction; the retried one in another.
	require.Equal(t, 2, txs)
}

func TestADuplicateInsideABatchIsAppliedOnce(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	effects(t, e)
	dup, other := raised("110101"), raised("110101")
	publish(t, e, dup, "")
	publish(t, e, dup, "copy") // the same event under another message id
	publish(t, e, other, "")
	opts := bus.Options{Batch: 3, Linger: 10 * time.Second} // the three make one batch
	go func() {
		_ = opts.Consume(ctx, e.js, e.pool, e.log, bus.Consumer{Name: "c", Subjects: []string{"whistle.v1.>"}, Handle: writeEffect})
	}()
	drained(t, e, bus.StreamName, "c")
	perEvent, txs := applied(t, e)
	require.Equal(t, map[string]int{dup.GetId(): 1, other.GetId(): 1}, perEvent)
	require.Equal(t, 1, txs, "all three messages were one batch")
}

func TestABatchLostBeforeItsCommitIsRedeliveredAndAppliedOnce(t *testing.T) {
	t.Parallel()
	e := setup(t)
	effects(t, e)
	evs := []*eventsv1.Event{raised("110101"), raised("110102")}
	for _, ev := range evs {
		publish(t, e, ev, "")
	}
	opts := bus.Options{AckWait: time.Second, Batch: len(evs), Linger: 10 * time.Second}
	// Replica A applies the batch, then "crashes" before committing: its
	// database session is killed and its NATS connection closed, so it can
	// neither commit nor acknowledge.
	ncA, jsA, err := bus.Connect(e.url, "replica-a")
	require.NoError(t, err)
	ctxA, cancelA := context.WithCancel(t.Context())
	defer cancelA()
	backend := make(chan int32, 1)
	release := make(chan struct{})
	go func() {
		_ = opts.Consume(ctxA, jsA, e.pool, e.log, bus.Consumer{Name: "c", Subjects: []string{"whistle.v1.>"},
			Handle: func(ctx context.Context, tx pgx.Tx, ev *eventsv1.Event) error {
				if err := writeEffect(ctx, tx, ev); err != nil {
					return err
				}
				var pid int32
				if err := tx.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
					return err
				}
				select {
				case backend <- pid:
				default:
				}
				<-release
				return nil
			}})
	}()
	var pid int32
	select {
	case pid = <-backend:
	case <-time.After(10 * time.Second):
		t.Fatal("replica A got no event")
	}
	ncA.Close()
	_, err = e.pool.Exec(t.Context(), "SELECT pg_terminate_backend($1)", pid)
	require.NoError(t, err)
	close(release)
	cancelA()

	// Replica B gets the unacknowledged events once the ack wait is over.
	ctxB, cancelB := context.WithCancel(t.Context())
	defer cancelB()
	go func() {
		_ = opts.Consume(ctxB, e.js, e.pool, e.log, bus.Consumer{Name: "c", Subjects: []string{"whistle.v1.>"}, Handle: writeEffect})
	}()
	drained(t, e, bus.StreamName, "c")
	perEvent, _ := applied(t, e)
	require.Equal(t, map[string]int{evs[0].GetId(): 1, evs[1].GetId(): 1}, perEvent)
}

func TestABatchHandlerAppliesABatchInOneCallAndDropsAPoisonEventAlone(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	effects(t, e)
	evs := []*eventsv1.Event{raised("110101"), raised("110102"), raised("110105"), raised("110106")}
	for _, ev := range evs {
		publish(t, e, ev, "")
	}
	poison := evs[1].GetId()
	var mu sync.Mutex
	var calls [][]string
	opts := bus.Options{Batch: len(evs), Linger: 10 * time.Second} // the four make one batch
	go func() {
		_ = opts.Consume(ctx, e.js, e.pool, e.log, bus.Consumer{Name: "c", Subjects: []string{"whistle.v1.>"},
			HandleBatch: func(ctx context.Context, tx pgx.Tx, evs []*eventsv1.Event) error {
				var ids []string
				for _, ev := range evs {
					ids = append(ids, ev.GetId())
					if err := writeEffect(ctx, tx, ev); err != nil {
						return err
					}
				}
				mu.Lock()
				calls = append(calls, ids)
				mu.Unlock()
				for _, ev := range evs {
					if ev.GetId() == poison {
						return bus.Permanent(errors.New("poison")) // after writing: the rollback must undo it
					}
				}
				return nil
			}})
	}()
	drained(t, e, bus.StreamName, "c")
	perEvent, txs := applied(t, e)
	require.Equal(t, map[string]int{evs[0].GetId(): 1, evs[2].GetId(): 1, evs[3].GetId(): 1}, perEvent,
		"the poison event is dropped, the others commit once")
	require.Equal(t, 1, txs, "the three commit together")
	mu.Lock()
	defer mu.Unlock()
	ids := make([]string, len(evs))
	for i, ev := range evs {
		ids[i] = ev.GetId()
	}
	require.Equal(t, ids, calls[0], "first the whole batch in one call, in stream order")
	require.Len(t, calls, 1+len(evs), "then each event alone")
	for i, call := range calls[1:] {
		require.Equal(t, []string{ids[i]}, call)
	}
}
