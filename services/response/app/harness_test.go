package app_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/bus/natstest"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/platform/config"
	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/platform/postgres/pgtest"
	"github.com/chuishao/whistle/platform/service"
	"github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
	"github.com/chuishao/whistle/services/response/app"
	"github.com/chuishao/whistle/services/response/internal/store"
	"github.com/chuishao/whistle/services/response/migrations"
)

// t0 is when every test starts: a Monday morning in Beijing.
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))

// Scope of the dispatches the tests create.
const (
	district   = "110101"
	street     = "110101001"
	department = "police"
)

// whistleLocation is where the test whistles were raised (东华门街道).
var whistleLocation = &typesv1.LatLng{Lat: 39.9288, Lng: 116.3884}

// env is one test's world: its own database and NATS server, a fake clock
// shared by every app instance it starts, and a token signer.
type env struct {
	t      *testing.T
	ctx    context.Context
	clk    *clockwork.FakeClock
	signer *auth.Signer
	cfg    app.Config
	js     jetstream.JetStream
	// db reads the response schema to tell when work has settled.
	db *store.Queries
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	pub, priv, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	e := &env{
		t:      t,
		ctx:    ctx,
		clk:    clock.NewFake(t0),
		signer: auth.NewSigner(priv),
		cfg: app.Config{
			Base: config.Base{
				DatabaseURL:    pgtest.NewDatabaseFrom(t, "response", pgtest.Migrated(app.Name, bus.Migrations, postgres.Migrations{Name: app.Name, FS: migrations.FS})),
				NATSURL:        natstest.Start(t),
				GRPCAddr:       "127.0.0.1:0",
				Tokens:         config.Tokens{JWTPublicKey: auth.EncodeKey(pub)},
				StreamReplicas: 1,
				TimeScale:      1,
			},
			FarArrivalMeters: 500,
		},
	}
	nc, js, err := bus.Connect(e.cfg.NATSURL, "response-test")
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	e.js = js
	require.NoError(t, bus.EnsureStream(ctx, js, 1))

	pool, err := postgres.Connect(ctx, e.cfg.DatabaseURL, app.Name)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	e.db = store.New(pool)
	return e
}

// start runs one more instance of the service until the test ends.
func (e *env) start() *app.App {
	e.t.Helper()
	a, _ := e.startStoppable()
	return a
}

// startStoppable runs one more instance; stop ends it (at the latest when the test ends).
func (e *env) startStoppable() (a *app.App, stop func()) {
	e.t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(testWriter{e.t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	a, err := app.New(e.ctx, e.cfg, service.Deps{Log: log, Clock: e.clk})
	require.NoError(e.t, err)
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			require.NoError(e.t, <-done)
		})
	}
	e.t.Cleanup(stop)
	return a, stop
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// client is a DispatchService client of a that sends a token for id.
func (e *env) client(a *app.App, id auth.Identity) (responsev1.DispatchServiceClient, context.Context) {
	e.t.Helper()
	conn, err := grpc.NewClient(a.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(e.t, err)
	e.t.Cleanup(func() { _ = conn.Close() })
	token, err := e.signer.Sign(id, e.clk.Now(), 24*time.Hour)
	require.NoError(e.t, err)
	return responsev1.NewDispatchServiceClient(conn), metadata.AppendToOutgoingContext(e.ctx, "authorization", "Bearer "+token)
}

func deskOf(dept, districtID string) auth.Identity {
	return auth.Identity{Subject: "desk-" + dept + "-" + districtID, Role: auth.RoleDesk, Department: dept, DistrictID: districtID}
}

// publish puts ev on the stream as another service would, with its id as Nats-Msg-Id.
func (e *env) publish(ev *eventsv1.Event) {
	e.t.Helper()
	subject, err := events.Subject(ev)
	require.NoError(e.t, err)
	data, err := proto.Marshal(ev)
	require.NoError(e.t, err)
	_, err = e.js.PublishMsg(e.ctx, &nats.Msg{Subject: subject, Data: data}, jetstream.WithMsgID(ev.GetId()))
	require.NoError(e.t, err)
}

// request is routing's decision on whistleID asking for one dispatch, to
// dept, with default limits.
func (e *env) request(dispatchID, whistleID, dept string) *eventsv1.Event {
	ev := events.New(e.clk.Now(), &typesv1.Actor{Role: "system", Id: "routing"})
	ev.WhistleId, ev.DistrictId, ev.StreetId = whistleID, district, street
	ev.Payload = &eventsv1.Event_WhistleRouted{WhistleRouted: &eventsv1.WhistleRouted{
		Rule: "category:noise", CatalogueVersion: "1",
		Departments: []*eventsv1.RoutedDepartment{{Department: dept, Role: "lead", DispatchId: dispatchID,
			Request: &eventsv1.DispatchRequested{
				Category:      "noise",
				Role:          "lead",
				Location:      whistleLocation,
				ResolveWithin: durationpb.New(48 * time.Hour),
			}}},
	}}
	return ev
}

// asked is the one dispatch request that request's event carries.
func asked(ev *eventsv1.Event) *eventsv1.RoutedDepartment { return events.Requests(ev)[0] }

// inheritedStart makes a request a re-dispatch whose clocks started at start.
func inheritedStart(ev *eventsv1.Event, start time.Time) *eventsv1.Event {
	asked(ev).GetRequest().SlaStartedAt = timestamppb.New(start)
	return ev
}

// watch replays and follows the stream's events on filter.
func (e *env) watch(filter string) <-chan *eventsv1.Event {
	e.t.Helper()
	cons, err := e.js.OrderedConsumer(e.ctx, bus.StreamName, jetstream.OrderedConsumerConfig{FilterSubjects: []string{filter}})
	require.NoError(e.t, err)
	out := make(chan *eventsv1.Event, 1024)
	cc, err := cons.Consume(func(msg jetstream.Msg) {
		var ev eventsv1.Event
		if err := proto.Unmarshal(msg.Data(), &ev); err == nil {
			out <- &ev
		}
	})
	require.NoError(e.t, err)
	e.t.Cleanup(cc.Stop)
	return out
}

// next waits (in real time, boundedly) for the next event on ch that matches.
func (e *env) next(ch <-chan *eventsv1.Event, match func(*eventsv1.Event) bool) *eventsv1.Event {
	e.t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev := <-ch:
			if match(ev) {
				return ev
			}
		case <-timeout:
			e.t.Fatalf("no matching event within 10s")
			return nil
		}
	}
}

func ofDispatch(id string) func(*eventsv1.Event) bool {
	return func(ev *eventsv1.Event) bool { return ev.GetDispatchId() == id }
}

// createDispatch publishes a request and waits for its dispatch.created.
func (e *env) createDispatch(created <-chan *eventsv1.Event, req *eventsv1.Event) *responsev1.Dispatch {
	e.t.Helper()
	e.publish(req)
	return e.next(created, ofDispatch(asked(req).GetDispatchId())).GetDispatchCreated().GetDispatch()
}

// advanceUntil moves the fake clock forward in steps of step, never past
// limit, until done reports true. Small steps (rather than one jump) make sure
// a poller that registers its wake-up just after an advance still wakes on the
// next one; between steps it waits briefly for the work an advance started.
func (e *env) advanceUntil(limit time.Time, step time.Duration, events <-chan *eventsv1.Event, done func(*eventsv1.Event) bool) {
	e.t.Helper()
	for range 2000 {
		if e.clk.Now().Before(limit) {
			e.clk.Advance(min(step, limit.Sub(e.clk.Now())))
		}
		select {
		case ev := <-events:
			if done(ev) {
				return
			}
		case <-time.After(5 * time.Millisecond):
		}
	}
	e.t.Fatalf("condition not reached; clock at %s", e.clk.Now())
}

// settle waits until every timer due by now has fired and every event written
// has been published, and the service's consumer has handled everything: after
// that no event can still appear for what happened so far.
func (e *env) settle() {
	e.t.Helper()
	cons, err := e.js.Consumer(e.ctx, bus.StreamName, "response")
	require.NoError(e.t, err)
	require.Eventually(e.t, func() bool {
		info, err := cons.Info(e.ctx)
		if err != nil || info.NumPending > 0 || info.NumAckPending > 0 {
			return false
		}
		due, err := e.db.CountDueTimers(e.ctx, e.clk.Now())
		if err != nil || due > 0 {
			return false
		}
		n, err := e.db.CountOutbox(e.ctx)
		return err == nil && n == 0
	}, 10*time.Second, 5*time.Millisecond)
}

// stored returns every event on the stream matching filter (after settle).
func (e *env) stored(filter string) []*eventsv1.Event {
	e.t.Helper()
	stream, err := e.js.Stream(e.ctx, bus.StreamName)
	require.NoError(e.t, err)
	info, err := stream.Info(e.ctx, jetstream.WithSubjectFilter(filter))
	require.NoError(e.t, err)
	var total uint64
	for _, n := range info.State.Subjects {
		total += n
	}
	if total == 0 {
		return nil
	}
	cons, err := e.js.OrderedConsumer(e.ctx, bus.StreamName, jetstream.OrderedConsumerConfig{FilterSubjects: []string{filter}})
	require.NoError(e.t, err)
	var out []*eventsv1.Event
	for uint64(len(out)) < total {
		batch, err := cons.Fetch(int(total)-len(out), jetstream.FetchMaxWait(5*time.Second))
		require.NoError(e.t, err)
		got := 0
		for msg := range batch.Messages() {
			var ev eventsv1.Event
			require.NoError(e.t, proto.Unmarshal(msg.Data(), &ev))
			out = append(out, &ev)
			got++
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) {
			require.NoError(e.t, err)
		}
		require.NotZero(e.t, got, "stream reports %d messages on %s, fetched %d", total, filter, len(out))
	}
	return out
}

// storedFor is stored narrowed to one dispatch.
func (e *env) storedFor(filter, dispatchID string) []*eventsv1.Event {
	var out []*eventsv1.Event
	for _, ev := range e.stored(filter) {
		if ev.GetDispatchId() == dispatchID {
			out = append(out, ev)
		}
	}
	return out
}
