package app

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/blob"
	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/platform/config"
	"github.com/chuishao/whistle/platform/grpcserver"
	"github.com/chuishao/whistle/services/gateway/internal/console"
	"github.com/chuishao/whistle/services/gateway/internal/open311"
	"github.com/chuishao/whistle/services/gateway/internal/ratelimit"
)

// Config is the gateway's environment. The gateway has no database and only
// reads the event stream, so it does not embed config.Base.
type Config struct {
	// HTTPAddr is where the REST API listens (the public port: no health,
	// metrics or pprof there).
	HTTPAddr string `env:"WHISTLE_HTTP_ADDR, default=127.0.0.1:8080"`
	// OpsAddr is the private ops listener: /healthz, /readyz, /metrics and,
	// with OpsPprof, /debug/pprof/ (platform/ops); empty serves none.
	OpsAddr string `env:"WHISTLE_OPS_ADDR, default=127.0.0.1:7205"`
	// OpsPprof serves net/http/pprof on the ops address.
	OpsPprof bool `env:"WHISTLE_OPS_PPROF, default=false"`
	// gRPC addresses of the backends.
	IntakeAddr    string `env:"WHISTLE_INTAKE_ADDR"`
	DiscoveryAddr string `env:"WHISTLE_DISCOVERY_ADDR"`
	RoutingAddr   string `env:"WHISTLE_ROUTING_ADDR"`
	ResponseAddr  string `env:"WHISTLE_RESPONSE_ADDR"`
	FeedbackAddr  string `env:"WHISTLE_FEEDBACK_ADDR"`
	// DevAuth enables POST /v1/dev/tokens.
	DevAuth bool `env:"WHISTLE_DEV_AUTH, default=false"`
	// DevSigningKey is the base64 Ed25519 seed dev tokens are signed with;
	// the services must hold its public key as WHISTLE_JWT_PUBLIC_KEY.
	DevSigningKey string `env:"WHISTLE_DEV_SIGNING_KEY"`
	// RequestTimeout bounds every request; 0 means 30 s.
	RequestTimeout time.Duration `env:"WHISTLE_REQUEST_TIMEOUT, default=30s"`
	// ShutdownDelay is how long the gateway keeps serving after SIGTERM while
	// /readyz answers 503, so a load balancer that polls readiness stops
	// sending before the listener closes (in Kubernetes the chart's preStop
	// sleep does this instead). It runs on the service clock.
	ShutdownDelay time.Duration `env:"WHISTLE_SHUTDOWN_DELAY, default=0s"`
	// ShutdownTimeout bounds how long requests in flight may finish after
	// the delay; 0 means 10 s.
	ShutdownTimeout time.Duration `env:"WHISTLE_SHUTDOWN_TIMEOUT, default=10s"`
	// TimeScale and TimeOrigin make the clock run faster in drills (see clock.FromConfig).
	TimeScale  float64   `env:"WHISTLE_TIME_SCALE, default=1"`
	TimeOrigin time.Time `env:"WHISTLE_TIME_ORIGIN"`
	LogLevel   string    `env:"WHISTLE_LOG_LEVEL, default=info"`

	// NATSURL is the JetStream server GET /v1/stream reads; empty disables the stream.
	NATSURL string `env:"NATS_URL"`
	// NATS is the gateway's NATS user and TLS settings (NATS_USER, NATS_CA, ...).
	NATS bus.Client
	// Blob is where attachments are stored (WHISTLE_BLOB_DIR or WHISTLE_S3_*);
	// without one the attachment routes answer 503.
	Blob blob.Config
	// GRPCTLS secures the calls to the backends (WHISTLE_GRPC_TLS_CA, and a
	// client certificate when they require one).
	GRPCTLS grpcserver.TLS
	// StreamMaxPerCaller caps the live streams one token subject holds open.
	StreamMaxPerCaller int `env:"WHISTLE_STREAM_MAX_PER_CALLER, default=4"`
	// StreamMaxReplay caps how many stream positions a reconnecting client
	// may go back with Last-Event-ID.
	StreamMaxReplay uint64 `env:"WHISTLE_STREAM_MAX_REPLAY, default=10000"`
	// Tokens verify the stream's callers (the stream has no backend to do it):
	// a key or a key set is required with NATS_URL. Its scoped keys must
	// include the Open311 key, so that it can never sign anyone but the
	// streets and the public reader.
	config.Tokens

	// Open311SigningKey (base64 Ed25519 seed, trusted by the services) signs
	// the short-lived tokens the Open311 endpoints call the backends with;
	// empty disables /open311/v2/.
	Open311SigningKey string `env:"WHISTLE_OPEN311_SIGNING_KEY"`
	// Open311Keys binds api_keys to streets: "key:street_id,key2:street_id2".
	Open311Keys string `env:"WHISTLE_OPEN311_KEYS"`
	// Open311KeysFile holds more bindings, one key:street_id per line.
	Open311KeysFile string `env:"WHISTLE_OPEN311_KEYS_FILE"`

	// Rate limits in requests per second (token buckets); 0 disables one.
	// A token's limit applies to everything it sends; the address limit to
	// everything from one client IP, signed in or not.
	RatePerToken  float64 `env:"WHISTLE_RATE_PER_TOKEN, default=20"`
	BurstPerToken int     `env:"WHISTLE_RATE_BURST_PER_TOKEN, default=40"`
	RatePerIP     float64 `env:"WHISTLE_RATE_PER_IP, default=50"`
	BurstPerIP    int     `env:"WHISTLE_RATE_BURST_PER_IP, default=100"`
	// RatePublicForm limits, per client address, the anonymous public's
	// submissions (POST /v1/public/...: the resident's report, ratings):
	// 0.1/s is six a minute, after a burst of ten.
	RatePublicForm  float64 `env:"WHISTLE_RATE_PUBLIC_FORM, default=0.1"`
	BurstPublicForm int     `env:"WHISTLE_RATE_BURST_PUBLIC_FORM, default=10"`
	// TrustedProxies are the reverse proxies (the ingress) whose
	// X-Forwarded-For names the client, as CIDR ranges or addresses
	// separated by commas; empty trusts none, and every client behind a
	// proxy then shares the proxy's address limit.
	TrustedProxies string `env:"WHISTLE_TRUSTED_PROXIES"`

	// OIDC is the OpenID Connect sign-in of people (off without WHISTLE_OIDC_ISSUER).
	OIDC OIDCConfig

	// MapTileURL is the base-map tile URL template the console's maps draw
	// under their boundaries ({z}/{x}/{y}, one host); empty draws none.
	MapTileURL string `env:"WHISTLE_MAP_TILE_URL"`
	// MapTileAttribution is the tile provider's credit line, shown on the map.
	MapTileAttribution string `env:"WHISTLE_MAP_TILE_ATTRIBUTION"`

	// Console is the web console, served at "/" and under "/console/"; nil
	// serves none. main sets it; it is not read from the environment.
	Console http.Handler
}

// MapTiles are the console's base-map tiles.
func (c Config) MapTiles() console.Tiles {
	return console.Tiles{URL: c.MapTileURL, Attribution: c.MapTileAttribution}
}

// Clock is the real clock, or the drill clock when WHISTLE_TIME_SCALE is not 1.
func (c Config) Clock() (clock.Clock, error) { return clock.FromConfig(c.TimeScale, c.TimeOrigin) }

// Validate reports every missing or malformed variable by name.
func (c Config) Validate() error {
	var errs []error
	if c.HTTPAddr == "" {
		errs = append(errs, errors.New("WHISTLE_HTTP_ADDR is required"))
	}
	if c.OpsAddr != "" && c.OpsAddr == c.HTTPAddr && !strings.HasSuffix(c.OpsAddr, ":0") {
		errs = append(errs, errors.New("WHISTLE_OPS_ADDR must differ from WHISTLE_HTTP_ADDR: the ops port stays private"))
	}
	for _, v := range []struct{ name, val string }{
		{"WHISTLE_INTAKE_ADDR", c.IntakeAddr},
		{"WHISTLE_DISCOVERY_ADDR", c.DiscoveryAddr},
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
	errs = append(errs, c.NATS.Validate(), c.GRPCTLS.Validate(), c.Tokens.Validate(), c.OIDC.validate(c.NATSURL))
	for _, d := range []struct {
		name string
		val  time.Duration
	}{{"WHISTLE_REQUEST_TIMEOUT", c.RequestTimeout}, {"WHISTLE_SHUTDOWN_DELAY", c.ShutdownDelay}, {"WHISTLE_SHUTDOWN_TIMEOUT", c.ShutdownTimeout}} {
		if d.val < 0 {
			errs = append(errs, fmt.Errorf("%s must not be negative, got %v", d.name, d.val))
		}
	}
	if c.TimeScale < 0 {
		errs = append(errs, fmt.Errorf("WHISTLE_TIME_SCALE must be positive, got %v", c.TimeScale))
	}
	if c.NATSURL != "" {
		if c.JWTPublicKey == "" && c.JWKSURL == "" {
			errs = append(errs, errors.New("WHISTLE_JWKS_URL or WHISTLE_JWT_PUBLIC_KEY is required with NATS_URL (the stream verifies its callers)"))
		} else if c.JWKSURL == "" {
			if _, err := auth.ParsePublicKey(c.JWTPublicKey); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if c.Open311SigningKey != "" {
		if _, err := auth.ParsePrivateKey(c.Open311SigningKey); err != nil {
			errs = append(errs, fmt.Errorf("WHISTLE_OPEN311_SIGNING_KEY: %w", err))
		}
		if _, err := open311.LoadKeys(c.Open311Keys, c.Open311KeysFile); err != nil {
			errs = append(errs, fmt.Errorf("WHISTLE_OPEN311_KEYS: %w", err))
		}
	} else if c.Open311Keys != "" || c.Open311KeysFile != "" {
		errs = append(errs, errors.New("WHISTLE_OPEN311_SIGNING_KEY is required with WHISTLE_OPEN311_KEYS"))
	}
	if c.RatePerToken < 0 || c.RatePerIP < 0 || c.BurstPerToken < 0 || c.BurstPerIP < 0 || c.RatePublicForm < 0 || c.BurstPublicForm < 0 {
		errs = append(errs, errors.New("WHISTLE_RATE_* must not be negative"))
	}
	if c.StreamMaxPerCaller < 0 {
		errs = append(errs, fmt.Errorf("WHISTLE_STREAM_MAX_PER_CALLER must not be negative, got %d", c.StreamMaxPerCaller))
	}
	if _, err := ratelimit.ParseProxies(c.TrustedProxies); err != nil {
		errs = append(errs, fmt.Errorf("WHISTLE_TRUSTED_PROXIES: %w", err))
	}
	errs = append(errs, c.MapTiles().Validate())
	return errors.Join(errs...)
}
