// Package app assembles the gateway: the REST edge over the four backend
// services, Open311 GeoReport v2, the live event stream, rate limits, the web
// console, dev sign-in, health, metrics and the OpenAPI document. It is
// exported so the end-to-end tests can start the gateway in-process.
package app

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/grpc"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/platform/ops"
	"github.com/chuishao/whistle/platform/service"
	"github.com/chuishao/whistle/platform/telemetry"
	"github.com/chuishao/whistle/platform/version"
	feedbackv1 "github.com/chuishao/whistle/proto/gen/whistle/feedback/v1"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
	"github.com/chuishao/whistle/proto/openapi"
	"github.com/chuishao/whistle/services/gateway/internal/boundaryfile"
	"github.com/chuishao/whistle/services/gateway/internal/devtoken"
	"github.com/chuishao/whistle/services/gateway/internal/download"
	"github.com/chuishao/whistle/services/gateway/internal/evidence"
	"github.com/chuishao/whistle/services/gateway/internal/httpapi"
	"github.com/chuishao/whistle/services/gateway/internal/logpath"
	"github.com/chuishao/whistle/services/gateway/internal/open311"
	"github.com/chuishao/whistle/services/gateway/internal/publicpages"
	"github.com/chuishao/whistle/services/gateway/internal/ratelimit"
	"github.com/chuishao/whistle/services/gateway/internal/routes"
	"github.com/chuishao/whistle/services/gateway/internal/servertime"
	"github.com/chuishao/whistle/services/gateway/internal/stream"
	"github.com/chuishao/whistle/services/gateway/internal/ticketcsv"
)

// DevTokenTTL is how long a dev token lives, in real time (scaled up in drills).
const DevTokenTTL = 12 * time.Hour

// VersionPath answers the build the gateway runs (platform/version), without sign-in.
const VersionPath = "/v1/version"

// OpenAPIPath serves the OpenAPI document of the REST API (proto/openapi), without sign-in.
const OpenAPIPath = "/openapi.json"

// JWKSPath is where the gateway publishes the dev signer's public keys when
// dev auth is on.
const JWKSPath = "/.well-known/jwks.json"

// defaultRequestTimeout bounds a request when Config.RequestTimeout is unset.
const defaultRequestTimeout = 30 * time.Second

// defaultShutdownTimeout bounds the drain when Config.ShutdownTimeout is unset.
const defaultShutdownTimeout = 10 * time.Second

// App is a gateway listening on its HTTP address.
type App struct {
	log   *slog.Logger
	clock clock.Clock
	lis   net.Listener
	srv   *http.Server
	// opsLis serves ops (health, metrics, pprof) apart from the public API.
	opsLis net.Listener
	ops    http.Handler
	conns  []*grpc.ClientConn
	nc     *nats.Conn
	// draining is set once shutdown has begun: /readyz answers 503.
	draining        atomic.Bool
	shutdownDelay   time.Duration
	shutdownTimeout time.Duration
	// revocations is the stream's copy of the revoked service accounts (nil without NATS).
	revocations *bus.RevocationList
	// verifier checks the stream's tokens (nil without NATS); closed with the app.
	verifier *auth.Verifier
	// signIn is the OIDC sign-in (nil when off).
	signIn *signIn
	// routes is the table of the gateway's own routes (routes.go).
	routes []routes.Route
}

// New validates cfg, dials the backends (lazily: a backend may start later)
// and listens on cfg.HTTPAddr.
func New(ctx context.Context, cfg Config, deps service.Deps) (a *App, err error) {
	if deps.Log == nil || deps.Clock == nil {
		return nil, errors.New("gateway: Deps.Log and Deps.Clock are required")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a = &App{log: deps.Log, clock: deps.Clock, shutdownDelay: cfg.ShutdownDelay, shutdownTimeout: cfg.ShutdownTimeout}
	if a.shutdownTimeout == 0 {
		a.shutdownTimeout = defaultShutdownTimeout
	}
	opened := a // a is nil by the time a failing return runs the deferred close
	defer func() {
		if err != nil {
			opened.close()
		}
	}()
	dial := func(name, addr string) (*grpc.ClientConn, error) {
		conn, err := cfg.GRPCTLS.Dial(addr)
		if err != nil {
			return nil, fmt.Errorf("dial %s: %w", name, err)
		}
		a.conns = append(a.conns, conn)
		return conn, nil
	}
	var b httpapi.Backends
	for _, be := range []struct {
		name, addr string
		dst        *grpc.ClientConnInterface
	}{
		{"intake", cfg.IntakeAddr, &b.Intake},
		{"discovery", cfg.DiscoveryAddr, &b.Discovery},
		{"routing", cfg.RoutingAddr, &b.Routing},
		{"response", cfg.ResponseAddr, &b.Response},
		{"feedback", cfg.FeedbackAddr, &b.Feedback},
	} {
		conn, err := dial(be.name, be.addr)
		if err != nil {
			return nil, err
		}
		*be.dst = conn
	}

	gw, err := httpapi.NewGateway(ctx, deps.Log, b)
	if err != nil {
		return nil, err
	}
	// Readiness is the gateway's own: a backend that is down fails its own
	// routes with 503 UNAVAILABLE, while every other route keeps serving.
	a.ops = ops.Handler(cfg.OpsPprof, ops.Check{Name: "shutdown", Fn: func(context.Context) error {
		if a.draining.Load() {
			return errors.New("shutting down")
		}
		return nil
	}}, ops.Check{Name: "grants", Fn: func(context.Context) error {
		if a.signIn != nil { // set below, before serving
			return a.signIn.grants.Ready()
		}
		return nil
	}})
	e := &edge{
		// The CSV report and the printable scorecard as files, beside their
		// JSON-wrapped REST mapping; the whistle register and the 12345
		// return files as .xlsx and CSV; the printed forms (派单单,
		// 督办通知书, 治理成绩单) as PDF.
		downloads: &download.Handler{Mux: gw, Feedback: feedbackv1.NewFeedbackServiceClient(b.Feedback),
			Intake: intakev1.NewIntakeServiceClient(b.Intake), Reports: intakev1.NewReportServiceClient(b.Discovery),
			Routing: routingv1.NewRoutingServiceClient(b.Routing), Response: responsev1.NewDispatchServiceClient(b.Response),
			Clock: deps.Clock},
		serverTime:  servertime.Handler(deps.Clock, cfg.TimeScale),
		publicPages: publicpages.Handler(),
		console:     cfg.Console,
	}
	// The OpenAPI 3.1 document, carrying the version of this build.
	doc, err := openapi.WithVersion(version.Get().Version)
	if err != nil {
		return nil, err
	}
	e.openAPI = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(doc)
	})
	e.version = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(version.Get())
	})
	// Services given WHISTLE_JWKS_URL=<gateway>/.well-known/jwks.json trust
	// the dev signer and the signed-in people's signer without holding their
	// keys. The Open311 key is not published: the services hold it as a
	// scoped key (WHISTLE_JWT_SCOPED_KEYS).
	var published []ed25519.PublicKey
	if cfg.OIDC.enabled() {
		key, err := auth.ParsePrivateKey(cfg.OIDC.SigningKey)
		if err != nil {
			return nil, fmt.Errorf("WHISTLE_OIDC_SIGNING_KEY: %w", err)
		}
		published = append(published, key.Public().(ed25519.PublicKey))
	}
	if cfg.DevAuth {
		key, err := auth.ParsePrivateKey(cfg.DevSigningKey)
		if err != nil {
			return nil, fmt.Errorf("WHISTLE_DEV_SIGNING_KEY: %w", err)
		}
		scale := cfg.TimeScale
		if scale < 1 {
			scale = 1
		}
		// A drill's clock runs scale times faster; keep the token alive for 12 real hours.
		ttl := time.Duration(float64(DevTokenTTL) * scale)
		e.devToken = devtoken.Handler(auth.NewSigner(key).WithIssuer(cfg.JWTIssuer), deps.Clock, ttl, deps.Log)
		published = append(published, key.Public().(ed25519.PublicKey))
		// Anyone who can reach the gateway can mint any identity: an operator
		// must not miss that this is switched on.
		deps.Log.WarnContext(ctx, "DEV AUTH IS ON: "+devtoken.Path+" issues tokens for any identity to anyone; never enable WHISTLE_DEV_AUTH in production",
			"env", "WHISTLE_DEV_AUTH")
	}
	if len(published) > 0 {
		e.jwks = auth.JWKSHandler(published...)
	}
	// Attachments' store (nil when none is configured).
	store, err := cfg.Blob.Open(ctx)
	if err != nil {
		return nil, err
	}
	if cfg.Open311SigningKey != "" {
		key, err := auth.ParsePrivateKey(cfg.Open311SigningKey)
		if err != nil {
			return nil, fmt.Errorf("WHISTLE_OPEN311_SIGNING_KEY: %w", err)
		}
		keys, err := open311.LoadKeys(cfg.Open311Keys, cfg.Open311KeysFile)
		if err != nil {
			return nil, fmt.Errorf("WHISTLE_OPEN311_KEYS: %w", err)
		}
		e.open311 = &open311.Handler{
			Keys: keys, Signer: auth.NewSigner(key).WithIssuer(cfg.JWTIssuer), Clock: deps.Clock, Log: deps.Log.With("component", "open311"),
			Intake: intakev1.NewIntakeServiceClient(b.Intake), Routing: routingv1.NewRoutingServiceClient(b.Routing),
			Reports: intakev1.NewReportServiceClient(b.Discovery), Media: store,
			Feedback: feedbackv1.NewFeedbackServiceClient(b.Feedback),
		}
	}

	timeout := cfg.RequestTimeout
	if timeout == 0 {
		timeout = defaultRequestTimeout
	}
	// A 12345 CSV export or a boundary file is larger than the JSON body limit.
	e.tickets = ticketcsv.Handler(intakev1.NewReportServiceClient(b.Discovery), timeout)
	e.boundaries = boundaryfile.Handler(routingv1.NewRoutingServiceClient(b.Routing), timeout)
	// Attachments: uploads are larger than the JSON limit, objects are streamed.
	e.evidence = &evidence.Routes{
		Store: store, Intake: intakev1.NewIntakeServiceClient(b.Intake), Reports: intakev1.NewReportServiceClient(b.Discovery),
		Timeout: timeout, Log: deps.Log.With("component", "evidence"),
	}
	stopStreams := make(chan struct{})
	if cfg.NATSURL != "" {
		nc, js, err := bus.Connect(cfg.NATSURL, "whistle-gateway", cfg.NATS.Options()...)
		if err != nil {
			return nil, err
		}
		a.nc = nc
		// The stream refuses revoked service accounts, at connect and at once
		// when a revocation arrives.
		a.revocations = &bus.RevocationList{JS: js, Log: deps.Log.With("component", "revocations")}
		keys := cfg.Keys()
		keys.Revocations = a.revocations
		var grantsChanged func() <-chan struct{}
		if cfg.OIDC.enabled() {
			store := newGrantStore(cfg.OIDC, js, deps.Log)
			// A person's internal token stops at once when their grant is revoked or changed.
			keys.Check = store.Check(cfg.OIDC.Issuer)
			grantsChanged = store.Changed
			a.signIn = &signIn{grants: store}
		}
		verifier, err := auth.NewVerifierFromConfig(keys, deps.Log)
		if err != nil {
			return nil, err
		}
		a.verifier = verifier
		if a.signIn != nil {
			if e.signIn, e.grants, err = newSignIn(ctx, cfg.OIDC, cfg.JWTIssuer, js, a.signIn.grants, verifier, deps.Clock, deps.Log); err != nil {
				return nil, err
			}
			a.signIn.handler = e.signIn
		}
		e.stream = &stream.Handler{
			JS: js, Verifier: verifier, Revoked: a.revocations.Changed, Clock: deps.Clock, Log: deps.Log.With("component", "stream"),
			Dispatches: responsev1.NewDispatchServiceClient(b.Response), Whistles: intakev1.NewIntakeServiceClient(b.Intake),
			Stop: stopStreams, MaxPerCaller: cfg.StreamMaxPerCaller, MaxReplay: cfg.StreamMaxReplay, GrantsChanged: grantsChanged,
		}
	}
	a.routes = e.table()
	// Everything the table does not name is the generated REST API; unknown paths get its 404.
	handler, err := routes.Mux(a.routes, gw, timeout)
	if err != nil {
		return nil, err
	}
	if a.signIn != nil {
		// Inside the rate limits, outside everything that reads the caller's token.
		handler = a.signIn.handler.Middleware(handler)
	}
	proxies, err := ratelimit.ParseProxies(cfg.TrustedProxies)
	if err != nil {
		return nil, fmt.Errorf("WHISTLE_TRUSTED_PROXIES: %w", err)
	}
	handler = ratelimit.Middleware(handler, ratelimit.Limiters{
		PerToken:     ratelimit.New(ratelimit.Limit{Rate: cfg.RatePerToken, Burst: cfg.BurstPerToken}, deps.Clock),
		PerIP:        ratelimit.New(ratelimit.Limit{Rate: cfg.RatePerIP, Burst: cfg.BurstPerIP}, deps.Clock),
		PublicWrites: ratelimit.New(ratelimit.Limit{Rate: cfg.RatePublicForm, Burst: cfg.BurstPublicForm}, deps.Clock),
		Proxies:      proxies,
	})
	a.srv = &http.Server{
		Handler:           telemetry.HTTPHandler("gateway"+port(cfg.HTTPAddr), logRequests(deps.Log, handler)),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       timeout,
		WriteTimeout:      timeout + 5*time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(deps.Log.Handler(), slog.LevelWarn),
	}
	a.srv.RegisterOnShutdown(func() { close(stopStreams) })
	if a.lis, err = net.Listen("tcp", cfg.HTTPAddr); err != nil {
		return nil, fmt.Errorf("listen WHISTLE_HTTP_ADDR %s: %w", cfg.HTTPAddr, err)
	}
	if a.opsLis, err = ops.Listen(cfg.OpsAddr); err != nil {
		return nil, err
	}
	return a, nil
}

// Routes is the table of the gateway's own routes, those that are off
// included; every other request is the generated REST API.
func (a *App) Routes() []routes.Route { return a.routes }

// HTTPAddr is the address the REST API listens on (useful with port 0).
func (a *App) HTTPAddr() string { return a.lis.Addr().String() }

// OpsAddr is the address the ops endpoints listen on; empty without one.
func (a *App) OpsAddr() string {
	if a.opsLis == nil {
		return ""
	}
	return a.opsLis.Addr().String()
}

// Run serves until ctx is cancelled. Then /readyz answers 503 while the
// gateway serves on for the shutdown delay; then it stops accepting, lets
// requests in flight finish (up to the shutdown timeout) and closes the
// backend connections.
func (a *App) Run(ctx context.Context) error {
	defer a.close()
	errc := make(chan error, 1)
	go func() { errc <- a.srv.Serve(a.lis) }()
	if a.revocations != nil {
		// Watched until Run returns, so that streams draining at shutdown stay checked.
		watchCtx, stopWatch := context.WithCancel(context.WithoutCancel(ctx))
		watched := make(chan struct{})
		go func() { defer close(watched); _ = a.revocations.Run(watchCtx) }()
		defer func() { stopWatch(); <-watched }()
	}
	if a.opsLis != nil {
		// Ops serves until Run returns, so /readyz answers 503 through the drain.
		opsCtx, stopOps := context.WithCancel(context.WithoutCancel(ctx))
		opsDone := make(chan struct{})
		go func() {
			defer close(opsDone)
			if err := ops.Serve(opsCtx, a.opsLis, a.ops); err != nil {
				a.log.Error("ops", "err", err)
			}
		}()
		defer func() { stopOps(); <-opsDone }()
	}
	if a.signIn != nil {
		grantsCtx, stopGrants := context.WithCancel(context.WithoutCancel(ctx))
		watched := make(chan struct{})
		go func() { defer close(watched); _ = a.signIn.grants.Run(grantsCtx) }()
		defer func() { stopGrants(); <-watched }()
	}
	a.log.Info("started", "http", a.HTTPAddr(), "ops", a.OpsAddr())
	select {
	case err := <-errc:
		return fmt.Errorf("http serve: %w", err)
	case <-ctx.Done():
	}
	a.draining.Store(true)
	if a.shutdownDelay > 0 {
		a.log.Info("shutting down: not ready, serving on", "delay", a.shutdownDelay)
		select {
		case <-a.clock.After(a.shutdownDelay):
		case err := <-errc:
			return fmt.Errorf("http serve: %w", err)
		}
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.shutdownTimeout)
	defer cancel()
	if err := a.srv.Shutdown(shutdownCtx); err != nil {
		_ = a.srv.Close()
		return fmt.Errorf("http shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http serve: %w", err)
	}
	return nil
}

func (a *App) close() {
	a.verifier.Close()
	if a.nc != nil {
		a.nc.Close()
	}
	for _, c := range a.conns {
		_ = c.Close()
	}
	if a.lis != nil {
		_ = a.lis.Close()
	}
	if a.opsLis != nil {
		_ = a.opsLis.Close()
	}
}

// logRequests logs every request: method, path with ids redacted, status and
// time (its metrics are otelhttp's, HTTPHandler).
func logRequests(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		elapsed := time.Since(start)
		level := slog.LevelInfo
		if rec.status >= 500 {
			level = slog.LevelError
		}
		log.Log(r.Context(), level, "http", "method", r.Method, "path", logpath.Redact(r.URL.Path), "status", rec.status, "ms", elapsed.Milliseconds())
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wroteHeader {
		s.status, s.wroteHeader = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.wroteHeader = true
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// port is ":port" of a listen address ("" when it has none), naming the
// server in the HTTP metrics.
func port(addr string) string {
	if _, p, err := net.SplitHostPort(addr); err == nil {
		return ":" + p
	}
	return ""
}
