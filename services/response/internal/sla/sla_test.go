package sla_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/bus/natstest"
	"github.com/chuishao/whistle/platform/bus/outbox"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/platform/postgres/pgtest"
	"github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
	rspevents "github.com/chuishao/whistle/services/response/internal/events"
	"github.com/chuishao/whistle/services/response/internal/response"
	"github.com/chuishao/whistle/services/response/internal/sla"
	"github.com/chuishao/whistle/services/response/internal/store"
	"github.com/chuishao/whistle/services/response/migrations"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// rig is a migrated response schema, a stream with a relay publishing the
// outbox to it, and a fake clock; pollers are started by the test.
type rig struct {
	t    *testing.T
	ctx  context.Context
	url  string
	clk  *clockwork.FakeClock
	pool *pgxpool.Pool
	js   jetstream.JetStream
	log  *slog.Logger
}

func newRig(t *testing.T) *rig { return newRigFrom(t, nil) }

// newRigFrom is newRig whose schema first gets the migrations before
// (test data of an older version written in between, by old), then the rest.
func newRigFrom(t *testing.T, before fs.FS, old ...string) *rig {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	// Room for several pollers (one connection each), the relay and the test.
	url := pgtest.NewDatabase(t)
	pool, err := postgres.Connect(ctx, url+"&pool_max_conns=16", "response")
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	if before != nil {
		require.NoError(t, postgres.Migrate(ctx, pool, "response", bus.Migrations, postgres.Migrations{Name: "response", FS: before}))
		for _, stmt := range old {
			_, err := pool.Exec(ctx, stmt, t0)
			require.NoError(t, err)
		}
	}
	require.NoError(t, postgres.Migrate(ctx, pool, "response", bus.Migrations, postgres.Migrations{Name: "response", FS: migrations.FS}))
	nc, js, err := bus.Connect(natstest.Start(t), "sla-test")
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	require.NoError(t, bus.EnsureStream(ctx, js, 1))
	r := &rig{t: t, ctx: ctx, url: url, clk: clock.NewFake(t0), pool: pool, js: js, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	r.run((&outbox.Relay{Pool: pool, JS: js, Log: r.log}).Run)
	return r
}

// run runs task until the test ends.
func (r *rig) run(task func(context.Context) error) {
	ctx, cancel := context.WithCancel(r.ctx)
	done := make(chan error, 1)
	go func() { done <- task(ctx) }()
	r.t.Cleanup(func() {
		cancel()
		require.NoError(r.t, <-done)
	})
}

func (r *rig) startPollers(n int) {
	for range n {
		p := &sla.Poller{Pool: r.pool, Clock: r.clk, Log: r.log, BatchSize: 7}
		r.run(p.Run)
	}
}

// createDispatch handles a dispatch request as the consumer does.
func (r *rig) createDispatch(id string) { r.createRedispatch(id, time.Time{}) }

// createRedispatch is createDispatch for a re-dispatch whose clocks started
// at start, before now (zero: now).
func (r *rig) createRedispatch(id string, start time.Time) {
	r.t.Helper()
	ev := events.New(r.clk.Now(), &typesv1.Actor{Role: "system", Id: "routing"})
	ev.WhistleId, ev.DistrictId, ev.StreetId, ev.DispatchId, ev.Department = "w-"+id, "110101", "110101001", id, "police"
	req := &eventsv1.DispatchRequested{Category: "noise"}
	if !start.IsZero() {
		req.SlaStartedAt = timestamppb.New(start)
	}
	ev.Payload = &eventsv1.Event_DispatchRequested{DispatchRequested: req}
	h := &rspevents.Handler{Clock: r.clk, Log: r.log}
	require.NoError(r.t, pgx.BeginFunc(r.ctx, r.pool, func(tx pgx.Tx) error { return h.HandleBatch(r.ctx, tx, []*eventsv1.Event{ev}) }))
}

// advanceUntilFired moves the clock to limit in small steps and returns once
// no timer due by then is left and the outbox is published.
func (r *rig) advanceUntilFired(limit time.Time, step time.Duration) {
	r.t.Helper()
	q := store.New(r.pool)
	for range 5000 {
		if r.clk.Now().Before(limit) {
			r.clk.Advance(min(step, limit.Sub(r.clk.Now())))
		} else {
			due, err := q.CountDueTimers(r.ctx, r.clk.Now())
			require.NoError(r.t, err)
			pending, err := q.CountOutbox(r.ctx)
			require.NoError(r.t, err)
			if due == 0 && pending == 0 {
				return
			}
		}
		select {
		case <-r.ctx.Done():
			r.t.Fatal("test ended")
		case <-time.After(2 * time.Millisecond):
		}
	}
	r.t.Fatalf("timers still due at %s", r.clk.Now())
}

// slaEvents reads every sla.* event on the stream.
func (r *rig) slaEvents() []*eventsv1.Event {
	r.t.Helper()
	stream, err := r.js.Stream(r.ctx, bus.StreamName)
	require.NoError(r.t, err)
	info, err := stream.Info(r.ctx, jetstream.WithSubjectFilter("sla.v1.>"))
	require.NoError(r.t, err)
	var total int
	for _, n := range info.State.Subjects {
		total += int(n)
	}
	cons, err := r.js.OrderedConsumer(r.ctx, bus.StreamName, jetstream.OrderedConsumerConfig{FilterSubjects: []string{"sla.v1.>"}})
	require.NoError(r.t, err)
	var out []*eventsv1.Event
	for len(out) < total {
		batch, err := cons.Fetch(total-len(out), jetstream.FetchMaxWait(5*time.Second))
		require.NoError(r.t, err)
		for msg := range batch.Messages() {
			var ev eventsv1.Event
			require.NoError(r.t, proto.Unmarshal(msg.Data(), &ev))
			out = append(out, &ev)
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) {
			require.NoError(r.t, err)
		}
	}
	return out
}

// key names what a timer event is about: dispatch, kind and clock.
func key(ev *eventsv1.Event) string {
	if b := ev.GetSlaBreached(); b != nil {
		return ev.GetDispatchId() + "/breach/" + b.GetClock()
	}
	if e := ev.GetSlaEscalated(); e != nil {
		return fmt.Sprintf("%s/escalate/%d", ev.GetDispatchId(), e.GetEscalationLevel())
	}
	return ev.GetDispatchId() + "/warning/" + ev.GetSlaWarning().GetClock()
}

func TestManyPollersFireEachTimerOnce(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	const n = 40
	for i := range n {
		r.createDispatch(fmt.Sprintf("d-%02d", i))
		r.clk.Advance(3 * time.Second) // spread the deadlines a little
	}
	r.startPollers(4)
	r.advanceUntilFired(t0.Add(40*time.Minute), 20*time.Second)

	seen := map[string]int{}
	for _, ev := range r.slaEvents() {
		seen[key(ev)]++
	}
	// The ack breach at 5 min is 催办; still unacknowledged 30 min later it
	// climbs to 督办 (level 2) at 35 min.
	want := map[string]int{}
	for i := range n {
		for _, k := range []string{"warning/ack", "breach/ack", "warning/arrive", "breach/arrive", "escalate/2"} {
			want[fmt.Sprintf("d-%02d/%s", i, k)] = 1
		}
	}
	require.Equal(t, want, seen, "ack and arrive, warning and breach, and 督办, once for every dispatch")

	d, err := store.New(r.pool).GetDispatch(r.ctx, "d-07")
	require.NoError(t, err)
	require.Equal(t, []string{"ack", "arrive"}, d.Breaches)
}

func TestDueTimerOfALockedDispatchWaitsForTheAction(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.createDispatch("d-busy")
	r.createDispatch("d-idle")
	r.startPollers(2)
	watch, err := r.js.OrderedConsumer(r.ctx, bus.StreamName, jetstream.OrderedConsumerConfig{FilterSubjects: []string{"sla.v1.breached.>"}})
	require.NoError(t, err)
	idleBreached := make(chan struct{}, 1)
	cc, err := watch.Consume(func(msg jetstream.Msg) {
		var ev eventsv1.Event
		if proto.Unmarshal(msg.Data(), &ev) == nil && ev.GetDispatchId() == "d-idle" {
			select {
			case idleBreached <- struct{}{}:
			default:
			}
		}
	})
	require.NoError(t, err)
	t.Cleanup(cc.Stop)

	// A desk's acknowledgement is in flight on d-busy as its ack deadline passes.
	tx, err := r.pool.Begin(r.ctx)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(r.ctx) }()
	q := store.New(tx)
	row, err := q.LockDispatch(r.ctx, "d-busy")
	require.NoError(t, err)
	breached := false
	for !breached && r.clk.Now().Before(t0.Add(6*time.Minute)) {
		r.clk.Advance(30 * time.Second)
		select {
		case <-idleBreached:
			breached = true
		case <-time.After(2 * time.Millisecond):
		}
	}
	// d-idle's breach shows the pollers looked after the deadline, while d-busy was held.
	if !breached {
		select {
		case <-idleBreached:
		case <-time.After(10 * time.Second):
			t.Fatal("d-idle never breached")
		}
	}

	d, err := row.Domain()
	require.NoError(t, err)
	acked, changed, err := response.Apply(d, response.Command{Action: response.Acknowledge, By: "desk"}, r.clk.Now(), 500)
	require.NoError(t, err)
	require.True(t, changed)
	_, err = q.SaveAction(r.ctx, acked)
	require.NoError(t, err)
	require.NoError(t, tx.Commit(r.ctx))

	r.advanceUntilFired(r.clk.Now(), time.Second)
	seen := map[string]int{}
	for _, ev := range r.slaEvents() {
		seen[key(ev)]++
	}
	require.Equal(t, map[string]int{"d-idle/warning/ack": 1, "d-idle/breach/ack": 1}, seen)
}
