// Package config reads a service's configuration from the environment.
package config

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sethvargo/go-envconfig"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/platform/grpcserver"
)

// Tokens is how a process verifies its callers' tokens (WHISTLE_JWT_*,
// WHISTLE_JWKS_*): every backend through Base, and the edge for its live stream.
type Tokens struct {
	// JWTPublicKey is the base64 (std) raw Ed25519 public key that verifies tokens.
	JWTPublicKey string `env:"WHISTLE_JWT_PUBLIC_KEY"`
	// JWKSURL is where verification keys are fetched from (preferred over
	// JWTPublicKey; tokens pick their key by kid, so keys rotate without a restart).
	JWKSURL string `env:"WHISTLE_JWKS_URL"`
	// JWKSRefresh is how often the key set is refetched; JWKSMaxStale how long
	// the last fetched set still serves while the key server is unreachable.
	JWKSRefresh  time.Duration `env:"WHISTLE_JWKS_REFRESH, default=5m"`
	JWKSMaxStale time.Duration `env:"WHISTLE_JWKS_MAX_STALE, default=1h"`
	// JWTIssuer must match every token's iss (whistle-dev, the dev signer's,
	// by default); JWTAudience, when set, its aud.
	JWTIssuer   string `env:"WHISTLE_JWT_ISSUER, default=whistle-dev"`
	JWTAudience string `env:"WHISTLE_JWT_AUDIENCE"`
	// JWTScopedKeys are signing keys trusted only for some identities
	// (scope:base64-public-key pairs: the service-account key, the Open311
	// key; see auth.ParseScopedKeys).
	JWTScopedKeys string `env:"WHISTLE_JWT_SCOPED_KEYS"`
}

// Keys is where the tokens' verification keys come from.
func (t Tokens) Keys() auth.KeyConfig {
	return auth.KeyConfig{
		PublicKey: t.JWTPublicKey, JWKSURL: t.JWKSURL, Issuer: t.JWTIssuer, Audience: t.JWTAudience,
		ScopedKeys: t.JWTScopedKeys, Refresh: t.JWKSRefresh, MaxStale: t.JWKSMaxStale,
	}
}

// Validate reports a malformed issuer or scoped key; whether a key or a key
// set is required is the caller's to say.
func (t Tokens) Validate() error {
	var errs []error
	errs = append(errs, auth.ValidateIssuer(t.JWTIssuer))
	if _, err := auth.ParseScopedKeys(t.JWTScopedKeys); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Base is what every backend service reads, in parts by concern, each with
// its own checks; the environment variables are the parts'. Services embed
// it in their own Config.
type Base struct {
	Database
	Bus
	Server
	// Tokens is how the service verifies its callers' tokens.
	Tokens
	Time
	Logging
}

// Validate reports every missing or malformed variable by name.
func (b Base) Validate() error {
	var errs []error
	if b.JWTPublicKey == "" && b.JWKSURL == "" {
		errs = append(errs, errors.New("WHISTLE_JWKS_URL or WHISTLE_JWT_PUBLIC_KEY is required"))
	}
	errs = append(errs, b.Database.Validate(), b.Bus.Validate(), b.Server.Validate(), b.Tokens.Validate(), b.Time.Validate())
	return errors.Join(errs...)
}

// Database is the service's Postgres: where it is, and how a migration sets
// up the service's own role.
type Database struct {
	DatabaseURL string `env:"DATABASE_URL, default=postgres://postgres@127.0.0.1:5432/whistle?sslmode=disable"`
	// MigrateOnly makes the service migrate its schema and exit (a deployment's
	// migration job, run with the database admin's DATABASE_URL) instead of serving.
	MigrateOnly bool `env:"WHISTLE_MIGRATE_ONLY, default=false"`
	// DatabaseRolePassword, when set, is the password a migration gives the
	// service's own login role (whistle_<service>), which the service then
	// runs as (its DATABASE_URL names that role).
	DatabaseRolePassword string `env:"WHISTLE_DATABASE_ROLE_PASSWORD"`
}

// Validate reports a missing DATABASE_URL.
func (d Database) Validate() error {
	if d.DatabaseURL == "" {
		return errors.New("DATABASE_URL is required")
	}
	return nil
}

// Bus is the service's NATS JetStream: the connection, the event stream's
// replicas, how the consumers run and how large an event may be.
type Bus struct {
	NATSURL string `env:"NATS_URL, default=nats://127.0.0.1:4222"`
	// NATS is the service's NATS user and TLS settings (NATS_USER, NATS_CA, ...).
	NATS bus.Client
	// StreamReplicas is the JetStream replica count of the event stream (3 in a cluster).
	StreamReplicas int `env:"WHISTLE_STREAM_REPLICAS, default=1"`
	// ConsumerBatch is the most events a consumer handles in one transaction.
	ConsumerBatch int `env:"WHISTLE_CONSUMER_BATCH, default=256"`
	// ConsumerPartitions splits every consumer by district into this many
	// partitions that the service's replicas share out (1: one consumer that
	// every replica pulls from). Every replica of a service must use the same value.
	ConsumerPartitions int `env:"WHISTLE_CONSUMER_PARTITIONS, default=1"`
	// ConsumerRebalance is how often a replica re-counts the replicas and
	// takes or gives up partitions.
	ConsumerRebalance time.Duration `env:"WHISTLE_CONSUMER_REBALANCE, default=2s"`
	// ConsumerStart says where a durable consumer that does not exist yet
	// begins, by name ("<durable>=2026-12-01T00:00:00+08:00" or "<durable>=new";
	// the default is the stream's first event); an existing one is never moved.
	ConsumerStart bus.Starts `env:"WHISTLE_CONSUMER_START"`
	// MaxEventBytes is the largest event (encoded, with its headers) a
	// service writes to its outbox; a request that would make a larger one is
	// refused. It must stay well under the NATS server's max_payload, so that
	// no accepted event is too large to publish.
	MaxEventBytes int `env:"WHISTLE_MAX_EVENT_BYTES, default=65536"`
	// DedupRetention is how long the consumers remember an event they
	// handled (processed_events); older records are pruned.
	DedupRetention time.Duration `env:"WHISTLE_DEDUP_RETENTION, default=168h"`
}

// MinEventBytes is the smallest WHISTLE_MAX_EVENT_BYTES: below it ordinary
// events would be refused.
const MinEventBytes = 4 << 10

// Validate reports every missing or out-of-range NATS and consumer setting.
// Zero values (a Bus built in code, as the end-to-end tests do) mean the
// defaults, except the URL and the stream's replicas.
func (b Bus) Validate() error {
	var errs []error
	if b.NATSURL == "" {
		errs = append(errs, errors.New("NATS_URL is required"))
	}
	errs = append(errs, b.NATS.Validate())
	if b.StreamReplicas < 1 || b.StreamReplicas > 5 {
		errs = append(errs, fmt.Errorf("WHISTLE_STREAM_REPLICAS must be 1..5, got %d", b.StreamReplicas))
	}
	if b.ConsumerBatch < 0 || b.ConsumerBatch > 1000 {
		errs = append(errs, fmt.Errorf("WHISTLE_CONSUMER_BATCH must be 1..1000, got %d", b.ConsumerBatch))
	}
	if b.ConsumerPartitions < 0 || b.ConsumerPartitions > bus.MaxPartitions {
		errs = append(errs, fmt.Errorf("WHISTLE_CONSUMER_PARTITIONS must be 1..%d, got %d", bus.MaxPartitions, b.ConsumerPartitions))
	}
	if b.ConsumerRebalance < 0 {
		errs = append(errs, fmt.Errorf("WHISTLE_CONSUMER_REBALANCE must be positive, got %v", b.ConsumerRebalance))
	}
	if b.MaxEventBytes != 0 && b.MaxEventBytes < MinEventBytes {
		errs = append(errs, fmt.Errorf("WHISTLE_MAX_EVENT_BYTES must be at least %d, got %d", MinEventBytes, b.MaxEventBytes))
	}
	if b.DedupRetention != 0 && b.DedupRetention < bus.MinRetention {
		errs = append(errs, fmt.Errorf("WHISTLE_DEDUP_RETENTION must be at least %v (longer than any redelivery), got %v", bus.MinRetention, b.DedupRetention))
	}
	return errors.Join(errs...)
}

// Server is where the service listens: its gRPC API and its ops endpoints.
type Server struct {
	// GRPCAddr is where the service's gRPC API listens.
	GRPCAddr string `env:"WHISTLE_GRPC_ADDR"`
	// GRPCTLS is the gRPC server's certificate and the CA its peers are
	// checked against (WHISTLE_GRPC_TLS_*); Postgres TLS is in DATABASE_URL
	// (sslmode=verify-full&sslrootcert=...).
	GRPCTLS grpcserver.TLS
	// OpsAddr serves /healthz, /readyz and /metrics; empty disables it.
	OpsAddr string `env:"WHISTLE_OPS_ADDR"`
	// OpsPprof serves net/http/pprof under /debug/pprof/ on the ops address
	// (profiling a bench run; off by default: it reveals internals).
	OpsPprof bool `env:"WHISTLE_OPS_PPROF, default=false"`
}

// Validate reports a missing gRPC address and malformed TLS settings.
func (s Server) Validate() error {
	var errs []error
	if s.GRPCAddr == "" {
		errs = append(errs, errors.New("WHISTLE_GRPC_ADDR is required"))
	}
	return errors.Join(append(errs, s.GRPCTLS.Validate())...)
}

// Time is the service clock: real time, or a drill's clock that runs
// TimeScale times faster from TimeOrigin.
type Time struct {
	TimeScale  float64   `env:"WHISTLE_TIME_SCALE, default=1"`
	TimeOrigin time.Time `env:"WHISTLE_TIME_ORIGIN"`
}

// Validate reports a scale that is not positive.
func (t Time) Validate() error {
	if t.TimeScale <= 0 {
		return fmt.Errorf("WHISTLE_TIME_SCALE must be positive, got %v", t.TimeScale)
	}
	return nil
}

// Clock is the real clock, or the drill clock when WHISTLE_TIME_SCALE is not 1.
func (t Time) Clock() (clock.Clock, error) { return clock.FromConfig(t.TimeScale, t.TimeOrigin) }

// Logging is how much the service logs.
type Logging struct {
	// LogLevel is debug, info, warn or error; platform/run reads it to make
	// the logger before the configuration is loaded.
	LogLevel string `env:"WHISTLE_LOG_LEVEL, default=info"`
}

// ErrMigrated is what service.Start returns once it has migrated the schema
// when WHISTLE_MIGRATE_ONLY is set: the process has done its job, and run.Main
// exits 0.
var ErrMigrated = errors.New("migrated only (WHISTLE_MIGRATE_ONLY)")

// Validator is a config that can check itself.
type Validator interface{ Validate() error }

// Load fills cfg from the environment and validates it.
func Load(ctx context.Context, cfg Validator) error {
	if err := envconfig.Process(ctx, cfg); err != nil {
		return fmt.Errorf("read configuration: %w", err)
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("invalid configuration: %w", err)
	}
	return nil
}
