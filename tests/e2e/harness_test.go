package e2e_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/blob"
	"github.com/chuishao/whistle/platform/bus/natstest"
	"github.com/chuishao/whistle/platform/config"
	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/platform/service"
	"github.com/chuishao/whistle/platform/servicetest"
	"github.com/chuishao/whistle/proto/topology"
	discoveryapp "github.com/chuishao/whistle/services/discovery/app"
	feedbackapp "github.com/chuishao/whistle/services/feedback/app"
	gatewayapp "github.com/chuishao/whistle/services/gateway/app"
	intakeapp "github.com/chuishao/whistle/services/intake/app"
	responseapp "github.com/chuishao/whistle/services/response/app"
	routingapp "github.com/chuishao/whistle/services/routing/app"
)

// t0 is the fake clock's start: a Monday morning in Beijing.
var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))

// system is the whole of Whistle started in-process: every service with its own
// gRPC server, real Postgres (one database per test), real embedded NATS JetStream,
// the REST gateway, and one fake clock shared by all services.
type system struct {
	// world is the services' shared clock, NATS server and signer.
	world *servicetest.World
	url   string
	// opsURL is the gateway's ops listener (/healthz, /readyz, /metrics).
	opsURL string
	clock  *clockwork.FakeClock
	signer *auth.Signer
	// open311Signer holds the gateway's Open311 key (scoped: streets and the public reader).
	open311Signer *auth.Signer
	// residentSigner holds discovery's follow-up key (scoped: residents only).
	residentSigner *auth.Signer
	js             jetstream.JetStream
	// grpc holds each backend's gRPC address, for tests that bypass the gateway.
	grpc backendAddrs
	// nats is the NATS server, with each service's credentials.
	nats *natstest.Secured
	// db is each backend's DATABASE_URL: its own role (whistle_<service>).
	db map[string]string
	// stops stop a service (every replica of it) and wait until it has stopped.
	stops map[string][]func()
}

// stop stops every replica of the service name ("intake", "response", ...)
// and returns once they have stopped.
func (s *system) stop(t *testing.T, name string) {
	t.Helper()
	require.NotEmpty(t, s.stops[name], "no service %s", name)
	for _, stop := range s.stops[name] {
		stop()
	}
}

type options struct {
	responseReplicas int
	// logs, when set, receives every service's log lines (at debug level).
	logs io.Writer
	// partitions, when set, splits every consumer by district into this many
	// partitions shared out among replicas (WHISTLE_CONSUMER_PARTITIONS).
	partitions int
	// streamMaxReplay, when set, is the gateway's WHISTLE_STREAM_MAX_REPLAY.
	streamMaxReplay uint64
	// webhookAllow, when set, is response's WHISTLE_WEBHOOK_ALLOW.
	webhookAllow string
	// issuer, when set, is WHISTLE_JWT_ISSUER of every process (default auth.Issuer).
	issuer string
	// coordSys, when set, is intake's and routing's WHISTLE_COORD_SYS (the
	// default coordinate system of an incoming point).
	coordSys string
	// oidc, when its Issuer is set, is the gateway's OIDC sign-in; the
	// redirect URL and signing key are filled in.
	oidc gatewayapp.OIDCConfig
}

func startSystem(t *testing.T, opts options) *system {
	t.Helper()
	if opts.responseReplicas == 0 {
		opts.responseReplicas = 1
	}
	if opts.issuer == "" {
		opts.issuer = auth.Issuer
	}
	logs := opts.logs
	if logs == nil {
		logs = io.Discard
	}
	// One NATS user per service, limited to its subjects.
	w := servicetest.New(t, t0, servicetest.Secured(), servicetest.Issuer(opts.issuer), servicetest.Logs(logs))
	// Response's service-account key and the gateway's Open311 key are their
	// own, trusted only within their scopes.
	saPub, saPriv, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	o311Pub, o311Priv, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	// Discovery's follow-up key signs the resident tokens it answers a follow-up with.
	fuPub, fuPriv, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	scoped := auth.FormatScopedKeys(auth.ScopedKey{Scope: auth.ScopeServiceAccount, Key: saPub},
		auth.ScopedKey{Scope: auth.ScopeOpen311, Key: o311Pub}, auth.ScopedKey{Scope: auth.ScopeFollowUp, Key: fuPub})
	as := func(user string) config.Base {
		b := w.Base(user) // NATS users are named after their services
		b.JWTScopedKeys = scoped
		// Partitions (when asked for) move between replicas within a fraction of a second.
		b.ConsumerPartitions, b.ConsumerRebalance = opts.partitions, 200*time.Millisecond
		return b
	}
	responseCfg := func(b config.Base) responseapp.Config {
		return responseapp.Config{
			Base: b, FarArrivalMeters: 500, ServiceAccountKey: auth.EncodeKey(saPriv.Seed()), WebhookAllow: opts.webhookAllow,
		}
	}
	feedbackCfg := func(b config.Base) feedbackapp.Config {
		return feedbackapp.Config{Base: b, TimelineKeys: e2eTimelineKeys}
	}
	discoveryCfg := func(b config.Base, intake, routing string) discoveryapp.Config {
		return discoveryapp.Config{Base: b, IntakeAddr: intake, RoutingAddr: routing, CoordSys: opts.coordSys,
			FollowUpSigningKey: auth.EncodeKey(fuPriv.Seed())}
	}
	// Each backend's migration job: the backend started with MigrateOnly, as
	// the admin, giving the backend's own role its password; routing's also
	// loads the seed (the Beijing catalogue, streets and map), so that no
	// test pays for it. It dials nothing, so the addresses of the services it
	// calls are placeholders.
	migrationJobs := map[string]func(context.Context, config.Base) error{
		topology.Routing: func(ctx context.Context, b config.Base) error {
			_, err := routingapp.New(ctx, routingapp.Config{Base: b, Seed: true}, w.Deps("routing"))
			return err
		},
		topology.Intake: func(ctx context.Context, b config.Base) error {
			_, err := intakeapp.New(ctx, intakeapp.Config{Base: b, RoutingAddr: "127.0.0.1:1"}, w.Deps("intake"))
			return err
		},
		topology.Discovery: func(ctx context.Context, b config.Base) error {
			_, err := discoveryapp.New(ctx, discoveryCfg(b, "127.0.0.1:1", "127.0.0.1:1"), w.Deps("discovery"))
			return err
		},
		topology.Response: func(ctx context.Context, b config.Base) error {
			_, err := responseapp.New(ctx, responseCfg(b), w.Deps("response"))
			return err
		},
		topology.Feedback: func(ctx context.Context, b config.Base) error {
			_, err := feedbackapp.New(ctx, feedbackCfg(b), w.Deps("feedback"))
			return err
		},
	}
	// Every test starts from a copy of one database the backends' migration
	// jobs prepared once per run; each backend then runs as its own role
	// (whistle_<service>, whose password the jobs set), so the tests
	// exercise its grants.
	adminURL := w.Database("e2e", func(ctx context.Context, url string) error {
		for name, job := range migrationJobs {
			b := as(name)
			b.DatabaseRolePassword = e2eRolePassword
			if err := servicetest.MigrationJob(b, job)(ctx, url); err != nil {
				return fmt.Errorf("migrate %s: %w", name, err)
			}
		}
		return nil
	})
	dbURLs := map[string]string{}
	running := func(name string) config.Base {
		url, err := postgres.RoleURL(adminURL, postgres.RuntimeRole(name), e2eRolePassword)
		require.NoError(t, err)
		dbURLs[name] = url
		b := as(name)
		b.DatabaseURL = url
		return b
	}
	stops := map[string][]func(){}
	start := func(name string, newApp func(ctx context.Context, deps service.Deps) (servicetest.Runner, error)) servicetest.Runner {
		a, stop := servicetest.Start(w, name, newApp)
		stops[name] = append(stops[name], stop)
		return a
	}

	routingBase := running(topology.Routing)
	routing := start("routing", func(ctx context.Context, deps service.Deps) (servicetest.Runner, error) {
		return routingapp.New(ctx, routingapp.Config{Base: routingBase, CoordSys: opts.coordSys}, deps)
	}).(*routingapp.App)

	intakeBase := running(topology.Intake)
	intake := start("intake", func(ctx context.Context, deps service.Deps) (servicetest.Runner, error) {
		return intakeapp.New(ctx, intakeapp.Config{Base: intakeBase, RoutingAddr: routing.GRPCAddr(), CoordSys: opts.coordSys}, deps)
	}).(*intakeapp.App)

	discoveryBase := running(topology.Discovery)
	discovery := start("discovery", func(ctx context.Context, deps service.Deps) (servicetest.Runner, error) {
		return discoveryapp.New(ctx, discoveryCfg(discoveryBase, intake.GRPCAddr(), routing.GRPCAddr()), deps)
	}).(*discoveryapp.App)

	responseBase := running(topology.Response)
	var responseAddrs []string
	for i := range opts.responseReplicas {
		r := start("response", func(ctx context.Context, _ service.Deps) (servicetest.Runner, error) {
			return responseapp.New(ctx, responseCfg(responseBase), w.Deps(fmt.Sprintf("response-%d", i)))
		}).(*responseapp.App)
		responseAddrs = append(responseAddrs, r.GRPCAddr())
	}
	responseAddr := responseAddrs[0]

	fcfg := feedbackCfg(running(topology.Feedback))
	fcfg.RoutingAddr = routing.GRPCAddr()
	feedback := start("feedback", func(ctx context.Context, deps service.Deps) (servicetest.Runner, error) {
		return feedbackapp.New(ctx, fcfg, deps)
	}).(*feedbackapp.App)

	gwAddr := "127.0.0.1:0"
	if opts.oidc.Issuer != "" {
		// The callback URL names the gateway's port, so it is picked first.
		gwAddr = freeAddr(t)
		opts.oidc.RedirectURL = "http://" + gwAddr + "/auth/callback"
	}
	gwBase := as(topology.Gateway)
	devKey := auth.EncodeKey(w.Key.Seed()) // the key the services trust
	if opts.oidc.Issuer != "" {
		opts.oidc.SigningKey = devKey
	}
	gw := start("gateway", func(ctx context.Context, deps service.Deps) (servicetest.Runner, error) {
		return gatewayapp.New(ctx, gatewayapp.Config{
			HTTPAddr: gwAddr, OpsAddr: "127.0.0.1:0", OIDC: opts.oidc, IntakeAddr: intake.GRPCAddr(), DiscoveryAddr: discovery.GRPCAddr(),
			RoutingAddr: routing.GRPCAddr(), ResponseAddr: replicasTarget(t, responseAddrs), FeedbackAddr: feedback.GRPCAddr(),
			DevAuth: true, DevSigningKey: devKey,
			NATSURL: gwBase.NATSURL, NATS: gwBase.NATS, Tokens: gwBase.Tokens,
			Open311SigningKey: auth.EncodeKey(o311Priv.Seed()), Open311Keys: open311Key + ":" + open311Street,
			StreamMaxReplay: opts.streamMaxReplay, Blob: blob.Config{Dir: t.TempDir()},
		}, deps)
	}).(*gatewayapp.App)

	return &system{url: "http://" + gw.HTTPAddr(), opsURL: "http://" + gw.OpsAddr(), world: w, clock: w.Clock, signer: w.Signer,
		open311Signer: auth.NewSigner(o311Priv).WithIssuer(opts.issuer), residentSigner: auth.NewSigner(fuPriv).WithIssuer(opts.issuer),
		js:   w.JetStream(),
		grpc: backendAddrs{intake: intake.GRPCAddr(), discovery: discovery.GRPCAddr(), routing: routing.GRPCAddr(), response: responseAddr, feedback: feedback.GRPCAddr()},
		nats: w.NATSUsers(), stops: stops, db: dbURLs}
}

// The backends' database role password and the feedback service's chain key
// in every test.
const (
	e2eRolePassword = "e2e-role-password"
	e2eTimelineKeys = "e2e:ZTJlLXRpbWVsaW5lLWtleS0zMi1ieXRlcy1sb25nLi4uLi4="
)

// Tokens of the demo identities used across the tests.
func (s *system) token(t *testing.T, id auth.Identity) string {
	t.Helper()
	return s.world.Token(id)
}

func streetToken(t *testing.T, s *system, street string) string {
	return s.token(t, auth.Identity{Role: auth.RoleStreet, StreetID: street, DistrictID: street[:6]})
}

func deskToken(t *testing.T, s *system, district, department string) string {
	return s.token(t, auth.Identity{Role: auth.RoleDesk, DistrictID: district, Department: department})
}

// response is an HTTP answer with its decoded JSON body.
type response struct {
	status int
	body   map[string]any
	raw    string
}

func (s *system) do(t *testing.T, method, path, token string, body any, headers ...string) response {
	t.Helper()
	var rdr io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rdr = bytes.NewBufferString(b)
	default:
		data, err := json.Marshal(b)
		require.NoError(t, err)
		rdr = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, s.url+path, rdr)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	checkAnswer(t, req, resp.StatusCode, resp.Header, raw)
	out := response{status: resp.StatusCode, raw: string(raw)}
	if len(raw) > 0 {
		require.NoError(t, json.Unmarshal(raw, &out.body), "body: %s", raw)
	}
	return out
}

// eventually polls cond (which may call the API) until it holds; the fake clock
// is not advanced, so this only waits for asynchronous event processing.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	eventuallyWithin(t, 20*time.Second, what, cond)
}

// eventuallyWithin is eventually with its own bound of real time, for a wait
// whose work grows with the machine's load (many deliveries, each its own
// round of the worker).
func eventuallyWithin(t *testing.T, bound time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-time.After(20 * time.Millisecond)
	}
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

func obj(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func parseTime(t *testing.T, v any) time.Time {
	t.Helper()
	ts, err := time.Parse(time.RFC3339Nano, str(v))
	require.NoError(t, err, "time %v", v)
	return ts
}

func authIdentity(role, street, district, department string) auth.Identity {
	return auth.Identity{Role: role, StreetID: street, DistrictID: district, Department: department}
}
