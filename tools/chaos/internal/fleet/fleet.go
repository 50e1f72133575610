// Package fleet starts every Whistle service of a chaos run as its own
// process, on free loopback ports, with the environment the dev launcher
// (cli/internal/launcher) gives them, plus the cluster's settings: R3 stream,
// every NATS node's URL, the drill clock, and two response replicas.
package fleet

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/platform/postgres/pgcluster"
	"github.com/chuishao/whistle/tools/chaos/internal/proc"
)

// Service is one running service process.
type Service struct {
	*proc.Proc
	// Kind is the binary (response for both replicas).
	Kind     string
	ReadyURL string
	// Consumer is its durable JetStream consumer ("" for the gateway).
	Consumer string
}

// Fleet is every service.
type Fleet struct {
	Services []*Service
	APIURL   string
}

// Config says where everything is.
type Config struct {
	BinDir, LogDir, DatabaseURL, NATSURL string
	Replicas                             int // of the stream
	TimeScale                            float64
	TimeOrigin                           time.Time
	ResponseReplicas                     int
}

// Start starts routing first (it seeds the reference data), then the others,
// and waits for each to be ready.
func Start(ctx context.Context, cfg Config) (*Fleet, error) {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate dev key: %w", err)
	}
	type backend struct{ name, kind, consumer string }
	backends := []backend{{"routing", "routing", "routing"}, {"intake", "intake", "intake"}, {"discovery", "discovery", "discovery"}}
	for i := range max(cfg.ResponseReplicas, 1) {
		backends = append(backends, backend{fmt.Sprintf("response-%d", i+1), "response", "response"})
	}
	backends = append(backends, backend{"feedback", "feedback", "feedback"})
	ports, err := pgcluster.FreePorts(2 + 2*len(backends))
	if err != nil {
		return nil, err
	}
	httpPort := ports[0]
	gatewayOps := fmt.Sprintf("127.0.0.1:%d", ports[len(ports)-1])
	f := &Fleet{APIURL: fmt.Sprintf("http://127.0.0.1:%d", httpPort)}
	grpc := map[string]string{}
	ops := map[string]string{}
	for i, b := range backends {
		grpc[b.name] = fmt.Sprintf("127.0.0.1:%d", ports[1+2*i])
		ops[b.name] = fmt.Sprintf("127.0.0.1:%d", ports[2+2*i])
	}
	common := append(os.Environ(),
		"WHISTLE_INTAKE_ADDR="+grpc["intake"], "WHISTLE_DISCOVERY_ADDR="+grpc["discovery"], "WHISTLE_ROUTING_ADDR="+grpc["routing"],
		"WHISTLE_RESPONSE_ADDR="+grpc["response-1"], "WHISTLE_FEEDBACK_ADDR="+grpc["feedback"],
		"WHISTLE_JWKS_URL="+f.APIURL+"/.well-known/jwks.json",
		"WHISTLE_JWT_ISSUER="+auth.Issuer, "WHISTLE_JWT_AUDIENCE="+auth.Audience,
		"WHISTLE_STREAM_REPLICAS="+fmt.Sprint(cfg.Replicas),
		"WHISTLE_TIME_SCALE="+fmt.Sprint(cfg.TimeScale), "WHISTLE_TIME_ORIGIN="+cfg.TimeOrigin.UTC().Format(time.RFC3339Nano),
		"NATS_URL="+cfg.NATSURL,
		// The storm puts many open whistles of one category within metres of
		// each other; see tools/bench/storm_scenario.go.
		"WHISTLE_DUPLICATE_RADIUS_M=1",
	)
	timelineKeys, err := newTimelineKeys()
	if err != nil {
		return nil, err
	}
	common = append(common, "WHISTLE_TIMELINE_KEYS="+timelineKeys)
	// Each kind of backend runs as its own database role, as under `make run`.
	roleURLs, err := migrate(ctx, cfg, common)
	if err != nil {
		return nil, err
	}
	for _, b := range backends {
		env := append(append([]string(nil), common...), "DATABASE_URL="+roleURLs[b.kind],
			"WHISTLE_GRPC_ADDR="+grpc[b.name], "WHISTLE_OPS_ADDR="+ops[b.name])
		if b.kind == "routing" {
			env = append(env, "WHISTLE_SEED=1")
		}
		f.Services = append(f.Services, &Service{Kind: b.kind, Consumer: b.consumer, ReadyURL: "http://" + ops[b.name] + "/readyz",
			Proc: &proc.Proc{Name: b.name, Path: filepath.Join(cfg.BinDir, b.kind), Env: env, Log: filepath.Join(cfg.LogDir, b.name+".log")}})
	}
	seed := auth.EncodeKey(key.Seed())
	f.Services = append(f.Services, &Service{Kind: "gateway", ReadyURL: "http://" + gatewayOps + "/readyz", Proc: &proc.Proc{
		Name: "gateway", Path: filepath.Join(cfg.BinDir, "gateway"), Log: filepath.Join(cfg.LogDir, "gateway.log"),
		Env: append(append([]string(nil), common...), fmt.Sprintf("WHISTLE_HTTP_ADDR=127.0.0.1:%d", httpPort), "WHISTLE_OPS_ADDR="+gatewayOps,
			"WHISTLE_DEV_AUTH=1", "WHISTLE_DEV_SIGNING_KEY="+seed,
			// The storm is one client; a real edge's per-address limits do not apply.
			"WHISTLE_RATE_PER_IP=1000000", "WHISTLE_RATE_BURST_PER_IP=1000000",
			"WHISTLE_RATE_PER_TOKEN=1000000", "WHISTLE_RATE_BURST_PER_TOKEN=1000000"),
	}})
	// Routing alone first: it seeds the streets and the catalogue.
	for _, batch := range [][]*Service{f.Services[:1], f.Services[1:]} {
		for _, s := range batch {
			if err := s.Start(); err != nil {
				f.Stop()
				return nil, err
			}
		}
		for _, s := range batch {
			if err := s.WaitReady(ctx, 2*time.Minute); err != nil {
				f.Stop()
				return nil, err
			}
		}
	}
	return f, nil
}

// backendKinds are the services with a database schema.
var backendKinds = []string{"routing", "intake", "discovery", "response", "feedback"}

// migrate prepares each backend kind's database roles and migrates its schema
// as the cluster's admin (the binary with WHISTLE_MIGRATE_ONLY, which calls
// postgres.EnsureServiceRoles), and returns each kind's own DATABASE_URL.
func migrate(ctx context.Context, cfg Config, common []string) (map[string]string, error) {
	urls := map[string]string{}
	for _, kind := range backendKinds {
		raw := make([]byte, 16)
		if _, err := rand.Read(raw); err != nil {
			return nil, fmt.Errorf("database password: %w", err)
		}
		password := hex.EncodeToString(raw)
		cmd := exec.CommandContext(ctx, filepath.Join(cfg.BinDir, kind))
		cmd.Env = append(append([]string(nil), common...), "DATABASE_URL="+cfg.DatabaseURL, "WHISTLE_GRPC_ADDR=127.0.0.1:0",
			"WHISTLE_MIGRATE_ONLY=true", "WHISTLE_DATABASE_ROLE_PASSWORD="+password)
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("migrate %s: %w\n%s", kind, err, out)
		}
		u, err := postgres.RoleURL(cfg.DatabaseURL, postgres.RuntimeRole(kind), password)
		if err != nil {
			return nil, err
		}
		urls[kind] = u
	}
	return urls, nil
}

// newTimelineKeys is a fresh chain key list for the feedback service.
func newTimelineKeys() (string, error) {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return "", fmt.Errorf("timeline key: %w", err)
	}
	return "chaos:" + base64.StdEncoding.EncodeToString(secret), nil
}

// Ready reports whether the service answers /readyz with 200.
func (s *Service) Ready(ctx context.Context) bool { return proc.Answers200(ctx, s.ReadyURL) }

// WaitReady polls /readyz every 20 ms until 200 or timeout.
func (s *Service) WaitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for !s.Ready(ctx) {
		if s.Exited() {
			return fmt.Errorf("%s exited before it was ready (see %s)", s.Name, s.Log)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %v (see %s)", s.Name, timeout, s.Log)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}

// ByName finds a service.
func (f *Fleet) ByName(name string) *Service {
	for _, s := range f.Services {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// Stop stops every service, the gateway first.
func (f *Fleet) Stop() {
	for i := len(f.Services) - 1; i >= 0; i-- {
		f.Services[i].Stop(10 * time.Second)
	}
}

// PeakRSS lists each service's peak resident set in MB.
func (f *Fleet) PeakRSS() string {
	var parts []string
	for _, s := range f.Services {
		parts = append(parts, fmt.Sprintf("%s %.0f", s.Name, float64(s.Proc.PeakRSS())/(1<<20)))
	}
	return strings.Join(parts, ", ")
}
