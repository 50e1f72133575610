package app_test

import (
	"context"
	"crypto/ed25519"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/bus/natstest"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/platform/config"
	"github.com/chuishao/whistle/platform/grpcserver"
	"github.com/chuishao/whistle/platform/postgres/pgtest"
	"github.com/chuishao/whistle/platform/service"
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
	js     jetstream.JetStream
	signer *auth.Signer
	clk    *clockwork.FakeClock
	seen   *collector
}

type options struct {
	seed  bool
	dbURL string
}

func start(t *testing.T, opts options) *harness {
	t.Helper()
	if opts.dbURL == "" {
		opts.dbURL = pgtest.NewDatabase(t)
	}
	natsURL := natstest.Start(t)
	pub, priv, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	clk := clock.NewFake(t0)
	cfg := app.Config{
		Base: config.Base{
			DatabaseURL: opts.dbURL, NATSURL: natsURL, GRPCAddr: "127.0.0.1:0",
			Tokens: config.Tokens{JWTPublicKey: auth.EncodeKey(pub)}, StreamReplicas: 1, TimeScale: 1,
		},
		Seed: opts.seed,
	}
	require.NoError(t, cfg.Validate())
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx := context.Background()
	a, err := app.New(ctx, cfg, service.Deps{Log: log, Clock: clk})
	require.NoError(t, err)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})

	conn, err := grpcserver.Dial(a.GRPCAddr())
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })

	nc, js, err := bus.Connect(natsURL, "routing-test")
	require.NoError(t, err)
	t.Cleanup(nc.Close)

	h := &harness{client: routingv1.NewRoutingServiceClient(conn), js: js, signer: auth.NewSigner(priv), clk: clk}
	h.seen = watch(t, js)
	return h
}

// as returns a context that calls the API with a token for id.
func (h *harness) as(t *testing.T, id auth.Identity) context.Context {
	t.Helper()
	token, err := h.signer.Sign(id, h.clk.Now(), time.Hour)
	require.NoError(t, err)
	return metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+token)
}

// publish puts ev on the stream the way the outbox relay does.
func (h *harness) publish(t *testing.T, ev *eventsv1.Event) {
	t.Helper()
	subject, err := events.Subject(ev)
	require.NoError(t, err)
	data, err := proto.Marshal(ev)
	require.NoError(t, err)
	_, err = h.js.Publish(t.Context(), subject, data, jetstream.WithMsgID(ev.GetId()))
	require.NoError(t, err)
}

// collector records every event on the stream, in stream order.
type collector struct {
	mu     sync.Mutex
	events []*eventsv1.Event
	change chan struct{}
}

func watch(t *testing.T, js jetstream.JetStream) *collector {
	t.Helper()
	c := &collector{change: make(chan struct{}, 1)}
	cons, err := js.OrderedConsumer(t.Context(), bus.StreamName, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{"dispatch.v1.>", "whistle.v1.>"},
	})
	require.NoError(t, err)
	cc, err := cons.Consume(func(msg jetstream.Msg) {
		var ev eventsv1.Event
		if proto.Unmarshal(msg.Data(), &ev) != nil {
			return
		}
		c.mu.Lock()
		c.events = append(c.events, &ev)
		c.mu.Unlock()
		select {
		case c.change <- struct{}{}:
		default:
		}
	})
	require.NoError(t, err)
	t.Cleanup(cc.Stop)
	return c
}

// of returns the events named name about whistle, in stream order.
func (c *collector) of(name, whistle string) []*eventsv1.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*eventsv1.Event
	for _, ev := range c.events {
		if events.Name(ev) == name && ev.GetWhistleId() == whistle {
			out = append(out, ev)
		}
	}
	return out
}

// await waits until n events named name about whistle have been seen, and
// returns all of them seen so far.
func (c *collector) await(t *testing.T, n int, name, whistle string) []*eventsv1.Event {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		if got := c.of(name, whistle); len(got) >= n {
			return got
		}
		select {
		case <-c.change:
		case <-timeout:
			t.Fatalf("timed out waiting for %d %s of whistle %s; have %d", n, name, whistle, len(c.of(name, whistle)))
		}
	}
}

// asked is one dispatch request routing made: the department, the dispatch
// id and the request, in ev, the event of the decision that carries it.
type asked struct {
	*eventsv1.RoutedDepartment
	ev *eventsv1.Event
}

// requests returns the dispatch requests about whistle, in stream order.
func (c *collector) requests(whistle string) []asked {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []asked
	for _, ev := range c.events {
		if ev.GetWhistleId() != whistle {
			continue
		}
		for _, r := range events.Requests(ev) {
			out = append(out, asked{RoutedDepartment: r, ev: ev})
		}
	}
	return out
}

// awaitRequests waits until n dispatch requests about whistle have been
// seen, and returns all of them seen so far.
func (c *collector) awaitRequests(t *testing.T, n int, whistle string) []asked {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		if got := c.requests(whistle); len(got) >= n {
			return got
		}
		select {
		case <-c.change:
		case <-timeout:
			t.Fatalf("timed out waiting for %d dispatch requests of whistle %s; have %d", n, whistle, len(c.requests(whistle)))
		}
	}
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
