package bus_test

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/bus/natstest"
	"github.com/chuishao/whistle/platform/bus/outbox"
	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/platform/postgres/pgtest"
	"github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
)

type env struct {
	pool *pgxpool.Pool
	js   jetstream.JetStream
	log  *slog.Logger
	url  string // of the NATS server
}

func setup(t *testing.T) env {
	t.Helper()
	ctx := t.Context()
	pool, err := postgres.Connect(ctx, pgtest.NewDatabase(t), "svc")
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	require.NoError(t, postgres.Migrate(ctx, pool, "svc", bus.Migrations))
	url := natstest.Start(t)
	nc, js, err := bus.Connect(url, "test")
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	require.NoError(t, bus.EnsureStream(ctx, js, 1))
	return env{pool: pool, js: js, log: slog.New(slog.NewTextHandler(io.Discard, nil)), url: url}
}

func raised(district string) *eventsv1.Event {
	ev := events.New(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC), &typesv1.Actor{Role: "street", Id: "s1"})
	ev.WhistleId = "w1"
	ev.DistrictId = district
	ev.Payload = &eventsv1.Event_WhistleRaised{WhistleRaised: &eventsv1.WhistleRaised{}}
	return ev
}

func TestOutboxEventIsPublishedOnlyWhenTheTransactionCommits(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() { _ = (&outbox.Relay{Pool: e.pool, JS: e.js, Log: e.log}).Run(ctx) }()

	committed, rolledBack := raised("110101"), raised("110101")
	require.NoError(t, pgx.BeginFunc(ctx, e.pool, func(tx pgx.Tx) error { return outbox.Add(ctx, tx, committed) }))
	err := pgx.BeginFunc(ctx, e.pool, func(tx pgx.Tx) error {
		require.NoError(t, outbox.Add(ctx, tx, rolledBack))
		return io.EOF // any error rolls back
	})
	require.ErrorIs(t, err, io.EOF)

	got := make(chan *eventsv1.Event, 10)
	go func() {
		_ = bus.Consume(ctx, e.js, e.pool, e.log, bus.Consumer{Name: "c", Subjects: []string{"whistle.v1.>"},
			Handle: func(_ context.Context, _ pgx.Tx, ev *eventsv1.Event) error { got <- ev; return nil }})
	}()
	select {
	case ev := <-got:
		require.Equal(t, committed.GetId(), ev.GetId())
	case <-time.After(10 * time.Second):
		t.Fatal("committed event was not delivered")
	}
	// The stream holds exactly the committed event, on its district's subject.
	msg, err := e.js.Stream(ctx, bus.StreamName)
	require.NoError(t, err)
	info, err := msg.Info(ctx)
	require.NoError(t, err)
	require.Equal(t, uint64(1), info.State.Msgs)
	last, err := msg.GetLastMsgForSubject(ctx, "whistle.v1.raised.110101")
	require.NoError(t, err)
	require.Equal(t, committed.GetId(), last.Header.Get(jetstream.MsgIDHeader))
}

func TestConsumerHandlesAnEventOnceEvenWhenPublishedTwice(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	ev := raised("110105")
	data, err := proto.Marshal(ev)
	require.NoError(t, err)
	// Same Nats-Msg-Id twice: JetStream drops the copy.
	_, err = e.js.Publish(ctx, "whistle.v1.raised.110105", data, jetstream.WithMsgID(ev.GetId()))
	require.NoError(t, err)
	ack, err := e.js.Publish(ctx, "whistle.v1.raised.110105", data, jetstream.WithMsgID(ev.GetId()))
	require.NoError(t, err)
	require.True(t, ack.Duplicate)
	// A different msg id with the same event (a redelivery in disguise): the consumer skips it.
	_, err = e.js.Publish(ctx, "whistle.v1.raised.110105", data, jetstream.WithMsgID("other"))
	require.NoError(t, err)
	// A sentinel after both, so we know when the copies have been handled.
	sentinel := raised("110105")
	sdata, _ := proto.Marshal(sentinel)
	_, err = e.js.Publish(ctx, "whistle.v1.raised.110105", sdata, jetstream.WithMsgID(sentinel.GetId()))
	require.NoError(t, err)

	var handled atomic.Int32
	done := make(chan struct{})
	go func() {
		_ = bus.Consume(ctx, e.js, e.pool, e.log, bus.Consumer{Name: "c", Subjects: []string{"whistle.v1.>"},
			Handle: func(_ context.Context, _ pgx.Tx, got *eventsv1.Event) error {
				if got.GetId() == sentinel.GetId() {
					close(done)
					return nil
				}
				handled.Add(1)
				return nil
			}})
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("sentinel not delivered")
	}
	require.Equal(t, int32(1), handled.Load())
}

func TestFailedHandlerIsRetriedAndItsEffectsRolledBack(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	_, err := e.pool.Exec(ctx, "CREATE TABLE effects (event_id text)")
	require.NoError(t, err)
	ev := raised("110101")
	data, _ := proto.Marshal(ev)
	_, err = e.js.Publish(ctx, "whistle.v1.raised.110101", data, jetstream.WithMsgID(ev.GetId()))
	require.NoError(t, err)

	var attempts atomic.Int32
	done := make(chan struct{})
	go func() {
		_ = bus.Consume(ctx, e.js, e.pool, e.log, bus.Consumer{Name: "c", Subjects: []string{"whistle.v1.>"},
			Handle: func(ctx context.Context, tx pgx.Tx, got *eventsv1.Event) error {
				if _, err := tx.Exec(ctx, "INSERT INTO effects VALUES ($1)", got.GetId()); err != nil {
					return err
				}
				if attempts.Add(1) == 1 {
					return io.ErrUnexpectedEOF // first attempt fails after writing
				}
				close(done)
				return nil
			}})
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("event was not retried")
	}
	require.Eventually(t, func() bool {
		var n int
		require.NoError(t, e.pool.QueryRow(ctx, "SELECT count(*) FROM effects").Scan(&n))
		return n == 1
	}, 5*time.Second, 20*time.Millisecond)
}
