package launcher

import (
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/platform/run"
	"github.com/chuishao/whistle/proto/topology"
)

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
	// Discovery's follow-up key signs the resident tokens it answers a
	// follow-up with, trusted likewise only for residents.
	saKey, open311Key := DerivedKey(key, auth.ScopeServiceAccount), DerivedKey(key, auth.ScopeOpen311)
	followUpKey := DerivedKey(key, auth.ScopeFollowUp)
	common = append(common, "WHISTLE_JWKS_URL="+p.APIURL+"/.well-known/jwks.json",
		"WHISTLE_JWT_ISSUER="+auth.Issuer, "WHISTLE_JWT_AUDIENCE="+auth.Audience,
		"WHISTLE_JWT_SCOPED_KEYS="+auth.FormatScopedKeys(
			auth.ScopedKey{Scope: auth.ScopeServiceAccount, Key: saKey.Public().(ed25519.PublicKey)},
			auth.ScopedKey{Scope: auth.ScopeOpen311, Key: open311Key.Public().(ed25519.PublicKey)},
			auth.ScopedKey{Scope: auth.ScopeFollowUp, Key: followUpKey.Public().(ed25519.PublicKey)}))

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
		case "discovery":
			env = append(env, "WHISTLE_FOLLOWUP_SIGNING_KEY="+auth.EncodeKey(followUpKey.Seed()))
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
		), append(natsUserEnv(cfg.NATSUsers, topology.Gateway), oidcEnv(cfg.OIDC, p.APIURL, key)...)...),
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
