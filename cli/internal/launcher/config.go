package launcher

import (
	"strconv"
	"strings"
	"time"

	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/clock"
)

// Defaults of Config.
const (
	DefaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/whistle?sslmode=disable"
	DefaultHTTPAddr    = "127.0.0.1:8080"
	// DefaultGatewayOpsAddr is the gateway's private ops listener (/healthz,
	// /readyz, /metrics), beside the backends' 7201–7204.
	DefaultGatewayOpsAddr = "127.0.0.1:7205"
	// DefaultNATSPort avoids 4222, which a system NATS may already hold.
	DefaultNATSPort = 4333
)

// The Open311 api_key of `make run`, bound to 东华门街道.
const (
	DemoOpen311Key    = "demo-open311-key-dongcheng"
	DemoOpen311Street = "110101001"
)

// TokenTTL is how long the printed dev tokens live, in real time.
const TokenTTL = 7 * 24 * time.Hour

// Backend is one backend service and where it listens.
type Backend struct {
	Name     string
	GRPCAddr string
	OpsAddr  string
}

// DefaultBackends are the fixed local addresses of `make run`. Routing comes
// first: it seeds the reference data the others rely on.
var DefaultBackends = []Backend{
	{Name: "routing", GRPCAddr: "127.0.0.1:7102", OpsAddr: "127.0.0.1:7202"},
	{Name: "intake", GRPCAddr: "127.0.0.1:7101", OpsAddr: "127.0.0.1:7201"},
	{Name: "discovery", GRPCAddr: "127.0.0.1:7105", OpsAddr: "127.0.0.1:7206"},
	{Name: "response", GRPCAddr: "127.0.0.1:7103", OpsAddr: "127.0.0.1:7203"},
	{Name: "feedback", GRPCAddr: "127.0.0.1:7104", OpsAddr: "127.0.0.1:7204"},
}

// Config is the launcher's settings (flags and environment).
type Config struct {
	// BinDir holds the service binaries (WHISTLE_BIN_DIR, default .bin).
	BinDir string
	// RunDir holds the launcher's state: the NATS store and the dev key (.run).
	RunDir string
	// DatabaseURL is the Postgres database; created when missing.
	DatabaseURL string
	// NATSURL is an external NATS server; empty starts an embedded one.
	NATSURL string
	// NATSPort is the embedded server's port; a free one when taken, -1 for any.
	NATSPort int
	// NATSUsers are the embedded server's users (bus.NewCredentials), set by
	// Run: each service then connects as its own user, limited to its subjects.
	NATSUsers []bus.Credential
	// HTTPAddr is the gateway's listen address.
	HTTPAddr string
	// GatewayOpsAddr is the gateway's ops address (WHISTLE_GATEWAY_OPS_ADDR).
	GatewayOpsAddr string
	// TimeScale and TimeOrigin are passed to every service (drills).
	TimeScale  string
	TimeOrigin string
	// Backends are the backend services and their addresses.
	Backends []Backend
	// ReadyTimeout bounds the wait for every service's /readyz.
	ReadyTimeout time.Duration
	// StopGrace is how long a child may take to stop before it is killed.
	StopGrace time.Duration
	// ExitOnCrash stops everything when a service exits after start-up, as
	// tests and tools may want (WHISTLE_EXIT_ON_CRASH=1, --exit-on-crash);
	// otherwise the service is restarted after Backoff.
	ExitOnCrash bool
	// Backoff is the wait before restarting a crashed service (the zero
	// value: DefaultBackoff).
	Backoff Backoff
	// Clock is what restart waits run on (nil: real time).
	Clock clock.Clock
	// BaseEnv is the environment every child inherits (os.Environ()).
	BaseEnv []string
	// DatabasePasswords are the backends' database role passwords, set by
	// Run: each backend then runs as its own role, and its schema is migrated
	// first as DatabaseURL's user. Without them every backend uses DatabaseURL.
	DatabasePasswords map[string]string
	// TimelineKeys is the feedback service's chain key list, set by Run.
	TimelineKeys string
	// OIDCPort is the dev identity provider's port (WHISTLE_DEV_OIDC_PORT);
	// a free one when taken.
	OIDCPort int
	// OIDC is the dev identity provider, set by Run.
	OIDC DevOIDC
}

// DefaultMemoryLimitMiB is each process's memory limit when the environment
// gives none. Not the chart's 256 MiB: a development machine has the memory,
// and a gateway flooded by the bench's desks (thousands of requests in
// flight) holds more than that, where a tight limit makes the collector run
// without pause; in a cluster such load is spread over replicas by the HPA.
const DefaultMemoryLimitMiB = 1024

// FromEnv returns the default Config, overridden by the environment.
func FromEnv(getenv func(string) string) Config {
	or := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	cfg := Config{
		BinDir:         or("WHISTLE_BIN_DIR", ".bin"),
		RunDir:         or("WHISTLE_RUN_DIR", ".run"),
		DatabaseURL:    or("DATABASE_URL", DefaultDatabaseURL),
		NATSURL:        getenv("NATS_URL"),
		NATSPort:       DefaultNATSPort,
		OIDCPort:       intOr(getenv("WHISTLE_DEV_OIDC_PORT"), DefaultOIDCPort),
		HTTPAddr:       or("WHISTLE_HTTP_ADDR", DefaultHTTPAddr),
		GatewayOpsAddr: or("WHISTLE_GATEWAY_OPS_ADDR", DefaultGatewayOpsAddr),
		TimeScale:      getenv("WHISTLE_TIME_SCALE"),
		TimeOrigin:     getenv("WHISTLE_TIME_ORIGIN"),
		Backends:       DefaultBackends,
		ReadyTimeout:   60 * time.Second,
		StopGrace:      10 * time.Second,
		ExitOnCrash:    truthy(getenv("WHISTLE_EXIT_ON_CRASH")),
	}
	if truthy(getenv("WHISTLE_FREE_PORTS")) {
		cfg.useFreePorts()
	}
	return cfg
}

// useFreePorts moves the backends, the embedded NATS server and the dev
// identity provider to ports free now (WHISTLE_FREE_PORTS=1), so that a test's
// stack can run beside `make run`, a bench or another test's stack. The
// gateway's addresses stay as configured.
func (c *Config) useFreePorts() {
	backends := make([]Backend, len(c.Backends))
	for i, b := range c.Backends {
		b.GRPCAddr, b.OpsAddr = freeLoopbackAddr(), freeLoopbackAddr()
		backends[i] = b
	}
	c.Backends = backends
	c.NATSPort = -1
	if port, err := strconv.Atoi(strings.TrimPrefix(freeLoopbackAddr(), "127.0.0.1:")); err == nil {
		c.OIDCPort = port
	}
}

// intOr reads an integer environment variable, or def when unset or not a number.
func intOr(v string, def int) int {
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
		return n
	}
	return def
}

// truthy reads a boolean environment variable: 1, true, yes or on.
func truthy(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}
