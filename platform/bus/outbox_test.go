package bus_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/bus/outbox"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
)

// consume delivers every whistle event of e's stream to the returned channel.
func consume(ctx context.Context, t *testing.T, e env) <-chan *eventsv1.Event {
	t.Helper()
	got := make(chan *eventsv1.Event, 10)
	go func() {
		_ = bus.Consume(ctx, e.js, e.pool, e.log, bus.Consumer{Name: "c", Subjects: []string{"whistle.v1.>"},
			Handle: func(_ context.Context, _ pgx.Tx, ev *eventsv1.Event) error { got <- ev; return nil }})
	}()
	return got
}

func await(t *testing.T, got <-chan *eventsv1.Event, id string) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev := <-got:
			if ev.GetId() == id {
				return
			}
		case <-timeout:
			t.Fatalf("event %s was not delivered", id)
		}
	}
}

// A row the server can never take (over its max payload, or with headers
// that do not decode) goes to the dead letters; the event behind it is
// published all the same.
func TestOutboxPoisonRowDoesNotBlockTheStream(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	// Rows as an older writer without the size check could have left them:
	// 2 MiB, over the embedded server's 1 MiB max payload, and headers that
	// are not a JSON object.
	_, err := e.pool.Exec(ctx, `INSERT INTO outbox (event_id, subject, payload, headers) VALUES
		('too-large', 'whistle.v1.raised.110101', $1, '{}'), ('bad-headers', 'whistle.v1.raised.110101', '\x00', '[1]')`,
		make([]byte, 2<<20))
	require.NoError(t, err)
	next := raised("110101")
	require.NoError(t, pgx.BeginFunc(ctx, e.pool, func(tx pgx.Tx) error { return outbox.Add(ctx, tx, next) }))

	go func() { _ = (&outbox.Relay{Pool: e.pool, JS: e.js, Log: e.log, Name: "svc"}).Run(ctx) }()
	await(t, consume(ctx, t, e), next.GetId())
	// The relay commits its batch (dead letters moved, rows deleted) after
	// JetStream acknowledged what it published, so the event can arrive first.
	require.Eventually(t, func() bool {
		var left int
		return e.pool.QueryRow(ctx, "SELECT count(*) FROM outbox").Scan(&left) == nil && left == 0
	}, 10*time.Second, 10*time.Millisecond, "the outbox empties: nothing is retried forever")

	dead, err := outbox.ListDeadLetters(ctx, e.pool, 10)
	require.NoError(t, err)
	byID := map[string]outbox.DeadLetter{}
	for _, d := range dead {
		byID[d.EventID] = d
	}
	require.Len(t, byID, 2, "%+v", dead)
	require.Contains(t, byID["too-large"].Error, "maximum payload")
	require.Equal(t, 2<<20, byID["too-large"].Size)
	require.Contains(t, byID["bad-headers"].Error, "headers")
}

// An operator replays a dead letter once its cause is fixed: it is published
// under its own event id, and leaves the dead letters.
func TestDeadLetterReplayPublishesTheEventUnderItsId(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	ev := raised("110102")
	payload, err := proto.Marshal(ev)
	require.NoError(t, err)
	_, err = e.pool.Exec(ctx, `INSERT INTO outbox_dead_letters (event_id, subject, payload, headers, error, created_at)
		VALUES ($1, 'whistle.v1.raised.110102', $2, '{}', 'nats: maximum payload exceeded', now())`, ev.GetId(), payload)
	require.NoError(t, err)
	require.ErrorIs(t, outbox.ReplayDeadLetter(ctx, e.pool, "no-such-event"), outbox.ErrNoDeadLetter)

	go func() { _ = (&outbox.Relay{Pool: e.pool, JS: e.js, Log: e.log}).Run(ctx) }()
	got := consume(ctx, t, e)
	require.NoError(t, outbox.ReplayDeadLetter(ctx, e.pool, ev.GetId()))
	await(t, got, ev.GetId())
	dead, err := outbox.ListDeadLetters(ctx, e.pool, 10)
	require.NoError(t, err)
	require.Empty(t, dead)
}

// The writer refuses an event over the limit inside its transaction, naming
// the field that made it large; nothing of the transaction is kept.
func TestOutboxRefusesAnOversizedEventInTheWritersTransaction(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := t.Context()
	ev := raised("110101")
	ev.GetWhistleRaised().Whistle = &intakev1.Whistle{Id: "w1", Description: strings.Repeat("噪", outbox.MaxEventBytes())}
	err := pgx.BeginFunc(ctx, e.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "CREATE TABLE side_effect (id int)"); err != nil {
			return err
		}
		return outbox.Add(ctx, tx, ev)
	})
	require.ErrorIs(t, err, outbox.ErrEventTooLarge)
	var tooLarge *outbox.TooLargeError
	require.True(t, errors.As(err, &tooLarge))
	require.Equal(t, "description", tooLarge.Field)
	require.Equal(t, outbox.MaxEventBytes(), tooLarge.Limit)
	require.Greater(t, tooLarge.Size, tooLarge.Limit)
	require.ErrorIs(t, pgx.BeginFunc(ctx, e.pool, func(tx pgx.Tx) error {
		return outbox.AddAll(ctx, tx, []*eventsv1.Event{raised("110101"), ev})
	}), outbox.ErrEventTooLarge)
	var exists bool
	require.NoError(t, e.pool.QueryRow(ctx, "SELECT to_regclass('side_effect') IS NOT NULL").Scan(&exists))
	require.False(t, exists, "the writer's transaction rolled back")
}

// The relay is woken by its own process's commit, not by its poll.
func TestRelayWakesAtCommitWithoutPolling(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	got := consume(ctx, t, e)
	first := raised("110101")
	require.NoError(t, pgx.BeginFunc(ctx, e.pool, func(tx pgx.Tx) error { return outbox.Add(ctx, tx, first) }))
	go func() { _ = (&outbox.Relay{Pool: e.pool, JS: e.js, Log: e.log, Poll: time.Hour}).Run(ctx) }()
	await(t, got, first.GetId()) // the relay's first look; it now sleeps for an hour unless woken
	second := raised("110101")
	require.NoError(t, pgx.BeginFunc(ctx, e.pool, func(tx pgx.Tx) error { return outbox.Add(ctx, tx, second) }))
	await(t, got, second.GetId())
}
