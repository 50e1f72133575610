// Package launcher is `make run`: it prepares Postgres, NATS and a dev signing
// key, starts every Whistle service as its own process, waits until all are
// ready, prints how to use them, and stops them together.
package launcher

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chuishao/whistle/cli/devoidc"
	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/bus/embedded"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/platform/run"
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

// freeLoopbackAddr is a loopback address whose port the kernel has just
// handed out and taken back: free unless someone else takes it before the
// child listens (unlikely, and the child then fails to start, loudly).
func freeLoopbackAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "127.0.0.1:0"
	}
	defer l.Close()
	return l.Addr().String()
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

// Process is one child to start.
type Process struct {
	Name     string
	Binary   string
	Env      []string
	ReadyURL string
	// MigrateEnv, when set, is the environment of the process's migration
	// step, run to completion before any service starts.
	MigrateEnv []string
}

// Plan is what Run decided before starting anything.
type Plan struct {
	Processes []Process
	APIURL    string
	NATSURL   string
	// TimeScale and TimeOrigin are what every service got (empty: real time).
	TimeScale  string
	TimeOrigin string
}

// DerivedKey is the key of scope derived from the dev key, so that it stays
// the same across restarts (tokens issued before still verify) without a file
// of its own.
func DerivedKey(dev ed25519.PrivateKey, scope auth.KeyScope) ed25519.PrivateKey {
	seed := sha256.Sum256(append([]byte("whistle-dev "+string(scope)+" key "), dev.Seed()...))
	return ed25519.NewKeyFromSeed(seed[:])
}

// MakePlan lays out the children: their binaries, environments and readiness
// URLs. now fixes the common time origin of a drill when none is given.
func MakePlan(cfg Config, natsURL string, key ed25519.PrivateKey, now time.Time) (Plan, error) {
	p := Plan{NATSURL: natsURL}
	if err := p.setTime(cfg, now); err != nil {
		return Plan{}, err
	}
	api, err := apiURL(cfg.HTTPAddr)
	if err != nil {
		return Plan{}, err
	}
	p.APIURL = api

	binDir, err := filepath.Abs(cfg.BinDir)
	if err != nil {
		return Plan{}, fmt.Errorf("bin dir: %w", err)
	}
	addrs := map[string]string{}
	for _, b := range cfg.Backends {
		addrs["WHISTLE_"+strings.ToUpper(b.Name)+"_ADDR"] = b.GRPCAddr
	}
	common := slices.Clone(cfg.BaseEnv)
	// Every process runs under a memory limit unless told otherwise, so that
	// make run and the bench see a deployment's collector settings (platform/run).
	if !slices.ContainsFunc(common, func(kv string) bool { return strings.HasPrefix(kv, run.MemoryLimitEnv+"=") }) {
		common = append(common, run.MemoryLimitEnv+"="+strconv.Itoa(DefaultMemoryLimitMiB))
	}
	for _, name := range slices.Sorted(maps.Keys(addrs)) {
		common = append(common, name+"="+addrs[name])
	}
	if p.TimeScale != "" {
		common = append(common, "WHISTLE_TIME_SCALE="+p.TimeScale, "WHISTLE_TIME_ORIGIN="+p.TimeOrigin)
	}
	// Everyone fetches the dev signer's keys from the gateway (by kid, cached),
	// the way a deployment fetches its identity provider's JWKS. Response's
	// service-account key and the gateway's Open311 key are keys of their own,
	// which every service trusts only within their scopes.
	saKey, open311Key := DerivedKey(key, auth.ScopeServiceAccount), DerivedKey(key, auth.ScopeOpen311)
	common = append(common, "WHISTLE_JWKS_URL="+p.APIURL+"/.well-known/jwks.json",
		"WHISTLE_JWT_ISSUER="+auth.Issuer, "WHISTLE_JWT_AUDIENCE="+auth.Audience,
		"WHISTLE_JWT_SCOPED_KEYS="+auth.FormatScopedKeys(
			auth.ScopedKey{Scope: auth.ScopeServiceAccount, Key: saKey.Public().(ed25519.PublicKey)},
			auth.ScopedKey{Scope: auth.ScopeOpen311, Key: open311Key.Public().(ed25519.PublicKey)}))

	for _, b := range cfg.Backends {
		dbURL := cfg.DatabaseURL
		password := cfg.DatabasePasswords[b.Name]
		if password != "" {
			if dbURL, err = postgres.RoleURL(cfg.DatabaseURL, postgres.RuntimeRole(b.Name), password); err != nil {
				return Plan{}, err
			}
		}
		env := append(slices.Clone(common),
			"DATABASE_URL="+dbURL,
			"NATS_URL="+natsURL,
			"WHISTLE_GRPC_ADDR="+b.GRPCAddr,
			"WHISTLE_OPS_ADDR="+b.OpsAddr,
		)
		env = append(env, natsUserEnv(cfg.NATSUsers, b.Name)...)
		var migrateEnv []string
		if password != "" {
			// The admin's URL, and the role's password to set. A development
			// database re-keys timelines written before keyed hashes.
			migrateEnv = append(slices.Clone(env), "DATABASE_URL="+cfg.DatabaseURL,
				"WHISTLE_MIGRATE_ONLY=true", "WHISTLE_DATABASE_ROLE_PASSWORD="+password, "WHISTLE_TIMELINE_REKEY=true")
		}
		switch b.Name {
		case "routing":
			env = append(env, "WHISTLE_SEED=1")
		case "response":
			env = append(env, "WHISTLE_SERVICE_ACCOUNT_KEY="+auth.EncodeKey(saKey.Seed()))
		case "feedback":
			env = append(env, "WHISTLE_TIMELINE_KEYS="+cfg.TimelineKeys)
			if migrateEnv != nil {
				migrateEnv = append(migrateEnv, "WHISTLE_TIMELINE_KEYS="+cfg.TimelineKeys)
			}
		}
		p.Processes = append(p.Processes, Process{
			Name: b.Name, Binary: filepath.Join(binDir, b.Name), Env: env,
			ReadyURL: "http://" + b.OpsAddr + "/readyz", MigrateEnv: migrateEnv,
		})
	}
	p.Processes = append(p.Processes, Process{
		Name:   "gateway",
		Binary: filepath.Join(binDir, "gateway"),
		Env: append(append(slices.Clone(common),
			"WHISTLE_HTTP_ADDR="+cfg.HTTPAddr,
			"WHISTLE_OPS_ADDR="+cfg.GatewayOpsAddr,
			"WHISTLE_DEV_AUTH=1",
			"WHISTLE_DEV_SIGNING_KEY="+auth.EncodeKey(key.Seed()),
			"NATS_URL="+natsURL, // the live stream
			"WHISTLE_OPEN311_SIGNING_KEY="+auth.EncodeKey(open311Key.Seed()),
			"WHISTLE_OPEN311_KEYS="+DemoOpen311Key+":"+DemoOpen311Street,
			"WHISTLE_BLOB_DIR="+filepath.Join(cfg.RunDir, "blobs"), // attachments
		), append(natsUserEnv(cfg.NATSUsers, bus.UserGateway), oidcEnv(cfg.OIDC, p.APIURL, key)...)...),
		ReadyURL: "http://" + cfg.GatewayOpsAddr + "/readyz",
	})
	return p, nil
}

// natsAdminFile holds the embedded server's admin user, in the run directory.
const natsAdminFile = "nats-admin.env"

// writeNATSAdmin writes NATS_URL, NATS_USER and NATS_PASSWORD of the embedded
// server's admin user to nats-admin.env in the run directory (for tools such as
// the bench's raw JetStream baseline).
func writeNATSAdmin(cfg Config, natsURL string) error {
	path := filepath.Join(cfg.RunDir, natsAdminFile)
	for _, c := range cfg.NATSUsers {
		if c.User == bus.UserAdmin {
			body := fmt.Sprintf("NATS_URL=%s\nNATS_USER=%s\nNATS_PASSWORD=%s\n", natsURL, c.User, c.Password)
			if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
				return fmt.Errorf("write %s: %w", path, err)
			}
			return nil
		}
	}
	return errors.New("no NATS admin user")
}

// natsUserEnv is the NATS_USER/NATS_PASSWORD of a service among users, if any.
func natsUserEnv(users []bus.Credential, service string) []string {
	for _, c := range users {
		if c.User == service {
			return []string{"NATS_USER=" + c.User, "NATS_PASSWORD=" + c.Password}
		}
	}
	return nil
}

// setTime decides the drill clock: any scale but 1 needs one origin shared by
// every service, or their clocks would disagree.
func (p *Plan) setTime(cfg Config, now time.Time) error {
	if cfg.TimeScale == "" {
		return nil
	}
	scale, err := strconv.ParseFloat(cfg.TimeScale, 64)
	if err != nil || scale <= 0 {
		return fmt.Errorf("WHISTLE_TIME_SCALE must be a positive number, got %q", cfg.TimeScale)
	}
	if scale == 1 && cfg.TimeOrigin == "" {
		return nil
	}
	origin := cfg.TimeOrigin
	if origin == "" {
		origin = now.UTC().Format(time.RFC3339Nano)
	} else if _, err := time.Parse(time.RFC3339, origin); err != nil {
		return fmt.Errorf("WHISTLE_TIME_ORIGIN must be RFC 3339, got %q", origin)
	}
	p.TimeScale, p.TimeOrigin = cfg.TimeScale, origin
	return nil
}

// Clock is the clock the services run on under this plan.
func (p Plan) Clock() (clock.Clock, float64, error) {
	if p.TimeScale == "" {
		return clock.Real(), 1, nil
	}
	scale, _ := strconv.ParseFloat(p.TimeScale, 64)
	origin, err := time.Parse(time.RFC3339, p.TimeOrigin)
	if err != nil {
		return nil, 0, fmt.Errorf("WHISTLE_TIME_ORIGIN: %w", err)
	}
	clk, err := clock.FromConfig(scale, origin)
	return clk, scale, err
}

// Run launches everything and blocks until ctx is cancelled (Ctrl-C: a clean
// stop, nil). A service that dies after start-up is restarted with backoff
// while the others run on, or, with ExitOnCrash, everything is stopped and
// the error names it. out receives the children's prefixed output and the banner.
func Run(ctx context.Context, cfg Config, out io.Writer) error {
	sup := NewSupervisor(out, len("whistle-dev"))
	names := []string{"gateway"}
	for _, b := range cfg.Backends {
		names = append(names, b.Name)
	}
	for _, name := range names {
		path := filepath.Join(cfg.BinDir, name)
		if info, err := os.Stat(path); err != nil || info.IsDir() {
			return fmt.Errorf("no %s binary at %s: build the binaries first (`make run` builds them into .bin)", name, path)
		}
	}

	sup.Printf("checking PostgreSQL at %s", redactURL(cfg.DatabaseURL))
	if err := ensurePostgres(ctx, cfg.DatabaseURL); err != nil {
		return err
	}

	natsURL := cfg.NATSURL
	if natsURL == "" {
		cfg.NATSUsers = bus.NewCredentials()
		emb, err := startNATS(filepath.Join(cfg.RunDir, "nats"), cfg.NATSPort, cfg.NATSUsers)
		if err != nil {
			return err
		}
		defer func() {
			emb.Shutdown()
			sup.Printf("embedded NATS stopped")
		}()
		natsURL = emb.URL()
		sup.Printf("embedded NATS JetStream at %s (store %s)", natsURL, filepath.Join(cfg.RunDir, "nats"))
		// Written before any service starts, so a tool that waits for the
		// gateway's readiness (the bench) finds it.
		if err := writeNATSAdmin(cfg, natsURL); err != nil {
			return err
		}
	}

	key, err := LoadOrCreateKey(filepath.Join(cfg.RunDir, "dev-key"))
	if err != nil {
		return err
	}
	if cfg.TimelineKeys, err = LoadOrCreateTimelineKeys(filepath.Join(cfg.RunDir, "timeline-keys")); err != nil {
		return err
	}
	if cfg.DatabasePasswords, err = newDatabasePasswords(cfg.Backends); err != nil {
		return err
	}
	idp, devOIDC, err := startDevOIDC(cfg, key)
	if err != nil {
		return err
	}
	defer func() { _ = idp.Close() }()
	cfg.OIDC = devOIDC
	sup.Printf("dev identity provider at %s (demo people, password %s)", devOIDC.Issuer, devoidc.DemoPassword)
	plan, err := MakePlan(cfg, natsURL, key, time.Now())
	if err != nil {
		return err
	}
	if err := checkPortsFree(cfg); err != nil {
		return err
	}
	if err := migrate(ctx, sup, plan.Processes); err != nil {
		if ctx.Err() != nil {
			return nil // interrupted while migrating: still a clean stop
		}
		return err
	}

	defer func() {
		sup.Printf("stopping services")
		sup.Stop(cfg.StopGrace)
	}()
	// Routing goes first and alone: it seeds the reference data.
	first, rest := plan.Processes[:1], plan.Processes[1:]
	for _, batch := range [][]Process{first, rest} {
		for _, p := range batch {
			if err := sup.Start(p.Name, p.Binary, p.Env); err != nil {
				return err
			}
		}
		if err := waitReady(ctx, sup, batch, cfg.ReadyTimeout); err != nil {
			if ctx.Err() != nil {
				return nil // interrupted while starting: still a clean stop
			}
			return err
		}
	}

	if err := printBanner(sup, cfg, plan, key); err != nil {
		return err
	}
	if !cfg.ExitOnCrash {
		b, clk := cfg.Backoff, cfg.Clock
		if b == (Backoff{}) {
			b = DefaultBackoff
		}
		if clk == nil {
			clk = clock.Real()
		}
		keepRunning(ctx, sup, plan.Processes, b, clk)
		return nil
	}
	select {
	case <-ctx.Done():
		return nil
	case e := <-sup.Exits():
		return fmt.Errorf("%s exited (%s); stopped everything (exit on crash)", e.Name, exitReason(e))
	}
}

func ensurePostgres(ctx context.Context, dbURL string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := postgres.EnsureDatabase(ctx, dbURL); err != nil {
		return fmt.Errorf("PostgreSQL is not usable at DATABASE_URL=%s: %w\n"+
			"Start a server (on Debian: `sudo pg_ctlcluster 15 main start`) or set DATABASE_URL to one you have",
			redactURL(dbURL), err)
	}
	return nil
}

func startNATS(dir string, port int, users []bus.Credential) (*embedded.Server, error) {
	if port > 0 {
		// embedded.Start on a taken port only fails after its ready timeout; look first.
		lis, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			port = -1
		} else {
			_ = lis.Close()
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create NATS store: %w", err)
	}
	emb, err := embedded.Start(dir, "127.0.0.1", port, users...)
	if err != nil {
		return nil, fmt.Errorf("start embedded NATS (or set NATS_URL): %w", err)
	}
	return emb, nil
}

// checkPortsFree fails early, naming the port, when something else (often an
// earlier `make run`) holds one of the services' addresses.
func checkPortsFree(cfg Config) error {
	type use struct{ what, addr string }
	uses := []use{{"gateway HTTP (WHISTLE_HTTP_ADDR)", cfg.HTTPAddr}, {"gateway ops (WHISTLE_GATEWAY_OPS_ADDR)", cfg.GatewayOpsAddr}}
	for _, b := range cfg.Backends {
		uses = append(uses, use{b.Name + " gRPC", b.GRPCAddr}, use{b.Name + " ops", b.OpsAddr})
	}
	for _, u := range uses {
		lis, err := net.Listen("tcp", u.addr)
		if err != nil {
			return fmt.Errorf("%s address %s is taken (is another `make run` still running?): %w", u.what, u.addr, err)
		}
		_ = lis.Close()
	}
	return nil
}

// waitReady polls each process's /readyz until all answer 200, a child
// exits, ctx ends or timeout passes.
func waitReady(ctx context.Context, sup *Supervisor, procs []Process, timeout time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second}
	pending := map[string]Process{}
	last := map[string]string{}
	for _, p := range procs {
		pending[p.Name] = p
		last[p.Name] = "no answer yet"
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		for name, p := range pending {
			ok, detail := probe(ctx, client, p.ReadyURL)
			if ok {
				delete(pending, name)
				sup.Printf("%s is ready", name)
				continue
			}
			last[name] = detail
		}
		if len(pending) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case e := <-sup.Exits():
			return fmt.Errorf("%s exited (%s) before it was ready; see its log above", e.Name, exitReason(e))
		case <-deadline.C:
			var msgs []string
			for _, name := range slices.Sorted(maps.Keys(pending)) {
				msgs = append(msgs, fmt.Sprintf("%s (%s: %s)", name, pending[name].ReadyURL, last[name]))
			}
			return fmt.Errorf("not ready after %v: %s", timeout, strings.Join(msgs, ", "))
		case <-tick.C:
		}
	}
}

func probe(ctx context.Context, client *http.Client, url string) (bool, string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false, err.Error()
	}
	resp, err := client.Do(req)
	if err != nil {
		return false, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode == http.StatusOK {
		return true, ""
	}
	return false, fmt.Sprintf("%d %s", resp.StatusCode, strings.TrimSpace(string(body)))
}

func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
