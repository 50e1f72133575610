package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/config"
	"github.com/chuishao/whistle/platform/service"
	"github.com/chuishao/whistle/platform/servicetest"
	"github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
	"github.com/chuishao/whistle/services/routing/app"
)

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))

// harness is one running routing service with its own database and NATS server.
type harness struct {
	client routingv1.RoutingServiceClient
	w      *servicetest.World
	clk    *clockwork.FakeClock
	seen   *collector
	// dbURL is the service's database, for tests that tamper with it.
	dbURL string
}

type options struct {
	seed bool
	// dbURL, when set, is the database to start on (else a copy of the
	// migrated template, seeded when seed is).
	dbURL string
}

func start(t *testing.T, opts options) *harness {
	t.Helper()
	w := servicetest.New(t, t0)
	cfg := app.Config{Base: w.Base(app.Name), Seed: opts.seed}
	if opts.dbURL == "" {
		template := "routing"
		if opts.seed {
			template = "routing_seeded"
		}
		opts.dbURL = w.Database(template, servicetest.MigrationJob(cfg.Base, func(ctx context.Context, b config.Base) error {
			_, err := app.New(ctx, app.Config{Base: b, Seed: opts.seed}, w.Deps(app.Name))
			return err
		}))
	}
	cfg.DatabaseURL = opts.dbURL
	require.NoError(t, cfg.Validate())
	a, _ := servicetest.Start(w, app.Name, func(ctx context.Context, deps service.Deps) (*app.App, error) { return app.New(ctx, cfg, deps) })
	h := &harness{client: routingv1.NewRoutingServiceClient(w.Dial(a.GRPCAddr())), w: w, clk: w.Clock, dbURL: opts.dbURL}
	h.seen = &collector{w.Watch("dispatch.v1.>", "whistle.v1.>")}
	return h
}

// as returns a context that calls the API with a token for id.
func (h *harness) as(t *testing.T, id auth.Identity) context.Context {
	t.Helper()
	return h.w.As(id)
}

// publish puts ev on the stream the way the outbox relay does.
func (h *harness) publish(t *testing.T, ev *eventsv1.Event) {
	t.Helper()
	h.w.Publish(ev)
}

// collector records every event on the stream, in stream order.
type collector struct{ *servicetest.Watch }

// of returns the events named name about whistle, in stream order.
func (c *collector) of(name, whistle string) []*eventsv1.Event {
	return c.Seen(servicetest.Named(name, whistle))
}

// await waits until n events named name about whistle have been seen, and
// returns all of them seen so far.
func (c *collector) await(t *testing.T, n int, name, whistle string) []*eventsv1.Event {
	t.Helper()
	return c.AwaitN(n, servicetest.Named(name, whistle))
}

// asked is one dispatch request routing made: the department, the dispatch
// id and the request, in ev, the event of the decision that carries it.
type asked struct {
	*eventsv1.RoutedDepartment
	ev *eventsv1.Event
}

// requests returns the dispatch requests about whistle, in stream order.
func (c *collector) requests(whistle string) []asked {
	return requestsIn(c.Seen(ofWhistle(whistle)))
}

func requestsIn(evs []*eventsv1.Event) []asked {
	var out []asked
	for _, ev := range evs {
		for _, r := range events.Requests(ev) {
			out = append(out, asked{RoutedDepartment: r, ev: ev})
		}
	}
	return out
}

func ofWhistle(id string) servicetest.Match {
	return func(ev *eventsv1.Event) bool { return ev.GetWhistleId() == id }
}

// awaitRequests waits until n dispatch requests about whistle have been
// seen, and returns all of them seen so far.
func (c *collector) awaitRequests(t *testing.T, n int, whistle string) []asked {
	t.Helper()
	var got []asked
	c.Until(func() bool { got = c.requests(whistle); return len(got) >= n })
	return got
}

func system() *typesv1.Actor { return &typesv1.Actor{Role: "system", Id: "intake"} }

func raised(at time.Time, w *intakev1.Whistle) *eventsv1.Event {
	ev := events.New(at, system())
	ev.WhistleId, ev.DistrictId, ev.StreetId = w.GetId(), w.GetDistrictId(), w.GetStreetId()
	ev.Payload = &eventsv1.Event_WhistleRaised{WhistleRaised: &eventsv1.WhistleRaised{Whistle: w}}
	return ev
}

func returned(at time.Time, d *responsev1.Dispatch) *eventsv1.Event {
	ev := events.New(at, &typesv1.Actor{Role: auth.RoleDesk, Id: "desk-" + d.GetDepartment()})
	ev.WhistleId, ev.DistrictId, ev.StreetId = d.GetWhistleId(), d.GetDistrictId(), d.GetStreetId()
	ev.DispatchId, ev.Department = d.GetId(), d.GetDepartment()
	ev.Payload = &eventsv1.Event_DispatchReturned{DispatchReturned: &eventsv1.DispatchReturned{Dispatch: d}}
	return ev
}
