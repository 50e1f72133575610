// Package app assembles the gateway: the REST edge over the four backend
// services, dev sign-in, health, metrics and the OpenAPI document. It is
// exported so the end-to-end tests can start the gateway in-process.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/grpcserver"
	"github.com/chuishao/whistle/platform/health"
	"github.com/chuishao/whistle/platform/service"
	"github.com/chuishao/whistle/proto/openapi"
	"github.com/chuishao/whistle/services/gateway/internal/devtoken"
	"github.com/chuishao/whistle/services/gateway/internal/httpapi"
)

// DevTokenTTL is how long a dev token lives, in real time (scaled up in drills).
const DevTokenTTL = 12 * time.Hour

// defaultRequestTimeout bounds a request when Config.RequestTimeout is unset.
const defaultRequestTimeout = 30 * time.Second

// Config is the gateway's environment. The gateway has no database and no
// event stream, so it does not embed config.Base.
type Config struct {
	// HTTPAddr is where the REST API listens.
	HTTPAddr string `env:"WHISTLE_HTTP_ADDR, default=127.0.0.1:8080"`
	// gRPC addresses of the backends.
	IntakeAddr   string `env:"WHISTLE_INTAKE_ADDR"`
	RoutingAddr  string `env:"WHISTLE_ROUTING_ADDR"`
	ResponseAddr string `env:"WHISTLE_RESPONSE_ADDR"`
	FeedbackAddr string `env:"WHISTLE_FEEDBACK_ADDR"`
	// DevAuth enables POST /v1/dev/tokens.
	DevAuth bool `env:"WHISTLE_DEV_AUTH, default=false"`
	// DevSigningKey is the base64 Ed25519 seed dev tokens are signed with;
	// the services must hold its public key as WHISTLE_JWT_PUBLIC_KEY.
	DevSigningKey string `env:"WHISTLE_DEV_SIGNING_KEY"`
	// RequestTimeout bounds every request; 0 means 30 s.
	RequestTimeout time.Duration `env:"WHISTLE_REQUEST_TIMEOUT, default=30s"`
	// TimeScale and TimeOrigin make the clock run faster in drills (see clock.FromConfig).
	TimeScale  float64   `env:"WHISTLE_TIME_SCALE, default=1"`
	TimeOrigin time.Time `env:"WHISTLE_TIME_ORIGIN"`
	LogLevel   string    `env:"WHISTLE_LOG_LEVEL, default=info"`
}

// Validate reports every missing or malformed variable by name.
func (c Config) Validate() error {
	var errs []error
	if c.HTTPAddr == "" {
		errs = append(errs, errors.New("WHISTLE_HTTP_ADDR is required"))
	}
	for _, v := range []struct{ name, val string }{
		{"WHISTLE_INTAKE_ADDR", c.IntakeAddr},
		{"WHISTLE_ROUTING_ADDR", c.RoutingAddr},
		{"WHISTLE_RESPONSE_ADDR", c.ResponseAddr},
		{"WHISTLE_FEEDBACK_ADDR", c.FeedbackAddr},
	} {
		if v.val == "" {
			errs = append(errs, fmt.Errorf("%s is required", v.name))
		}
	}
	if c.DevAuth {
		if c.DevSigningKey == "" {
			errs = append(errs, errors.New("WHISTLE_DEV_SIGNING_KEY is required when WHISTLE_DEV_AUTH is set"))
		} else if _, err := auth.ParsePrivateKey(c.DevSigningKey); err != nil {
			errs = append(errs, fmt.Errorf("WHISTLE_DEV_SIGNING_KEY: %w", err))
		}
	}
	if c.RequestTimeout < 0 {
		errs = append(errs, fmt.Errorf("WHISTLE_REQUEST_TIMEOUT must not be negative, got %v", c.RequestTimeout))
	}
	if c.TimeScale < 0 {
		errs = append(errs, fmt.Errorf("WHISTLE_TIME_SCALE must be positive, got %v", c.TimeScale))
	}
	return errors.Join(errs...)
}

// App is a gateway listening on its HTTP address.
type App struct {
	log   *slog.Logger
	lis   net.Listener
	srv   *http.Server
	conns []*grpc.ClientConn
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
	a = &App{log: deps.Log}
	defer func() {
		if err != nil {
			a.close()
		}
	}()
	dial := func(name, addr string) (*grpc.ClientConn, error) {
		conn, err := grpcserver.Dial(addr)
		if err != nil {
			return nil, fmt.Errorf("dial %s: %w", name, err)
		}
		a.conns = append(a.conns, conn)
		return conn, nil
	}
	var b httpapi.Backends
	var checks []health.Check
	for _, be := range []struct {
		name, addr string
		dst        *grpc.ClientConnInterface
	}{
		{"intake", cfg.IntakeAddr, &b.Intake},
		{"routing", cfg.RoutingAddr, &b.Routing},
		{"response", cfg.ResponseAddr, &b.Response},
		{"feedback", cfg.FeedbackAddr, &b.Feedback},
	} {
		conn, err := dial(be.name, be.addr)
		if err != nil {
			return nil, err
		}
		*be.dst = conn
		checks = append(checks, health.Check{Name: be.name, Fn: servingCheck(conn)})
	}

	gw, err := httpapi.NewGateway(ctx, deps.Log, b)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	health.Register(mux, checks...)
	mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(openapi.JSON)
	})
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
		mux.Handle(devtoken.Path, devtoken.Handler(auth.NewSigner(key), deps.Clock, ttl, deps.Log))
	}
	// Everything else is the generated REST API; unknown paths get its 404.
	mux.Handle("/", gw)

	timeout := cfg.RequestTimeout
	if timeout == 0 {
		timeout = defaultRequestTimeout
	}
	a.srv = &http.Server{
		Handler:           instrument(deps.Log, httpapi.WithLimits(mux, timeout)),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       timeout,
		WriteTimeout:      timeout + 5*time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(deps.Log.Handler(), slog.LevelWarn),
	}
	if a.lis, err = net.Listen("tcp", cfg.HTTPAddr); err != nil {
		return nil, fmt.Errorf("listen WHISTLE_HTTP_ADDR %s: %w", cfg.HTTPAddr, err)
	}
	return a, nil
}

// HTTPAddr is the address the REST API listens on (useful with port 0).
func (a *App) HTTPAddr() string { return a.lis.Addr().String() }

// Run serves until ctx is cancelled, then lets in-flight requests finish
// (up to 10 s) and closes the backend connections.
func (a *App) Run(ctx context.Context) error {
	defer a.close()
	errc := make(chan error, 1)
	go func() { errc <- a.srv.Serve(a.lis) }()
	a.log.Info("started", "http", a.HTTPAddr())
	select {
	case err := <-errc:
		return fmt.Errorf("http serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
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
	for _, c := range a.conns {
		_ = c.Close()
	}
	if a.lis != nil {
		_ = a.lis.Close()
	}
}

// servingCheck asks a backend's gRPC health service whether it serves.
func servingCheck(conn grpc.ClientConnInterface) func(context.Context) error {
	client := healthpb.NewHealthClient(conn)
	return func(ctx context.Context) error {
		resp, err := client.Check(ctx, &healthpb.HealthCheckRequest{})
		if err != nil {
			return fmt.Errorf("health check: %w", err)
		}
		if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			return fmt.Errorf("health check: %s", resp.GetStatus())
		}
		return nil
	}
}

var (
	httpRequests = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "whistle_gateway_http_requests_total",
		Help: "HTTP requests answered by the gateway, by method and status code.",
	}, []string{"method", "code"})
	httpDuration = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "whistle_gateway_http_request_duration_seconds",
		Help:    "Time to answer an HTTP request.",
		Buckets: prometheus.DefBuckets,
	}, []string{"method"})
)

// instrument counts, times and logs every request.
func instrument(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		elapsed := time.Since(start)
		method := r.Method
		switch method {
		case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodHead, http.MethodOptions:
		default:
			method = "other" // keep label cardinality bounded
		}
		httpRequests.WithLabelValues(method, strconv.Itoa(rec.status)).Inc()
		httpDuration.WithLabelValues(method).Observe(elapsed.Seconds())
		level := slog.LevelInfo
		switch {
		case rec.status >= 500:
			level = slog.LevelError
		case r.URL.Path == "/healthz" || r.URL.Path == "/readyz" || r.URL.Path == "/metrics":
			level = slog.LevelDebug // probes would drown the log
		}
		log.Log(r.Context(), level, "http", "method", r.Method, "path", r.URL.Path, "status", rec.status, "ms", elapsed.Milliseconds())
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
