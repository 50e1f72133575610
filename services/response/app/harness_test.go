package app_test

import (
	"context"
	"crypto/ed25519"
	"io"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/config"
	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/platform/service"
	"github.com/chuishao/whistle/platform/servicetest"
	"github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
	"github.com/chuishao/whistle/services/response/app"
	"github.com/chuishao/whistle/services/response/internal/store"
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
	w      *servicetest.World
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
	w := servicetest.New(t, t0, servicetest.Logs(io.Discard))
	if testing.Verbose() {
		w = servicetest.New(t, t0)
	}
	cfg := app.Config{Base: w.Base(app.Name), FarArrivalMeters: 500}
	cfg.DatabaseURL = w.Database("response", servicetest.MigrationJob(cfg.Base, func(ctx context.Context, b config.Base) error {
		_, err := app.New(ctx, app.Config{Base: b, FarArrivalMeters: 500}, w.Deps(app.Name))
		return err
	}))
	e := &env{t: t, ctx: ctx, w: w, clk: w.Clock, signer: w.Signer, cfg: cfg, js: w.JetStream()}
	pool, err := postgres.Connect(ctx, e.cfg.DatabaseURL, app.Name)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	e.db = store.New(pool)
	return e
}

// withServiceAccounts gives the service a key to sign service accounts' tokens
// with, so that an admin may create them; call it before start.
func (e *env) withServiceAccounts() {
	e.t.Helper()
	_, key, err := ed25519.GenerateKey(nil)
	require.NoError(e.t, err)
	e.cfg.ServiceAccountKey = auth.EncodeKey(key)
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
	cfg := e.cfg
	return servicetest.Start(e.w, app.Name, func(ctx context.Context, deps service.Deps) (*app.App, error) { return app.New(ctx, cfg, deps) })
}

// client is a DispatchService client of a that sends a token for id.
func (e *env) client(a *app.App, id auth.Identity) (responsev1.DispatchServiceClient, context.Context) {
	e.t.Helper()
	return responsev1.NewDispatchServiceClient(e.w.Dial(a.GRPCAddr())), e.w.As(id)
}

func deskOf(dept, districtID string) auth.Identity {
	return auth.Identity{Subject: "desk-" + dept + "-" + districtID, Role: auth.RoleDesk, Department: dept, DistrictID: districtID}
}

// publish puts ev on the stream as another service would, with its id as Nats-Msg-Id.
func (e *env) publish(ev *eventsv1.Event) {
	e.t.Helper()
	e.w.Publish(ev)
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
func (e *env) watch(filter string) *servicetest.Watch {
	e.t.Helper()
	return e.w.Watch(filter)
}

// next waits (in real time, boundedly) for the next event on ch that matches.
func (e *env) next(ch *servicetest.Watch, match servicetest.Match) *eventsv1.Event {
	e.t.Helper()
	return ch.Next(match)
}

func ofDispatch(id string) func(*eventsv1.Event) bool {
	return func(ev *eventsv1.Event) bool { return ev.GetDispatchId() == id }
}

// createDispatch publishes a request and waits for its dispatch.created.
func (e *env) createDispatch(created *servicetest.Watch, req *eventsv1.Event) *responsev1.Dispatch {
	e.t.Helper()
	e.publish(req)
	return e.next(created, ofDispatch(asked(req).GetDispatchId())).GetDispatchCreated().GetDispatch()
}

// advanceUntil moves the fake clock forward in steps of step, never past
// limit, until the next event on events that done matches arrives.
func (e *env) advanceUntil(limit time.Time, step time.Duration, events *servicetest.Watch, done servicetest.Match) {
	e.t.Helper()
	events.AdvanceUntil(limit, step, done)
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
	return e.w.Stored(filter)
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
