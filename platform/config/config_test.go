package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/config"
)

// TestNATSAndTLSSettingsComeFromTheEnvironment: the nested NATS client and
// gRPC TLS settings are read like the rest, and half-given ones are refused.
func TestNATSAndTLSSettingsComeFromTheEnvironment(t *testing.T) {
	for k, v := range map[string]string{
		"WHISTLE_GRPC_ADDR": ":9090", "WHISTLE_JWKS_URL": "https://idp.example/jwks.json",
		"NATS_USER": "routing", "NATS_PASSWORD": "pw", "NATS_CA": "/etc/nats/ca.crt",
		"WHISTLE_GRPC_TLS_CERT": "/tls/tls.crt", "WHISTLE_GRPC_TLS_KEY": "/tls/tls.key", "WHISTLE_GRPC_TLS_CA": "/tls/ca.crt",
	} {
		t.Setenv(k, v)
	}
	var cfg config.Base
	require.NoError(t, config.Load(t.Context(), &cfg))
	require.Equal(t, "routing", cfg.NATS.User)
	require.Equal(t, "pw", cfg.NATS.Password)
	require.Equal(t, "/etc/nats/ca.crt", cfg.NATS.CA)
	require.Len(t, cfg.NATS.Options(), 3, "user, inbox prefix, CA")
	require.Equal(t, "/tls/tls.crt", cfg.GRPCTLS.Cert)
	require.Equal(t, "/tls/ca.crt", cfg.GRPCTLS.CA)

	t.Setenv("NATS_PASSWORD", "")
	require.ErrorContains(t, config.Load(t.Context(), &config.Base{}), "NATS_PASSWORD is required with NATS_USER")
}

// TestEveryPartReadsItsVariables: Base is its parts, and each reads the
// variables it always did.
func TestEveryPartReadsItsVariables(t *testing.T) {
	for k, v := range map[string]string{
		"DATABASE_URL": "postgres://svc@db/whistle", "WHISTLE_MIGRATE_ONLY": "true", "WHISTLE_DATABASE_ROLE_PASSWORD": "rpw",
		"NATS_URL": "nats://bus:4222", "WHISTLE_STREAM_REPLICAS": "3", "WHISTLE_CONSUMER_BATCH": "64",
		"WHISTLE_CONSUMER_PARTITIONS": "4", "WHISTLE_CONSUMER_REBALANCE": "5s", "WHISTLE_MAX_EVENT_BYTES": "8192",
		"WHISTLE_DEDUP_RETENTION": "200h", "WHISTLE_GRPC_ADDR": ":9090", "WHISTLE_OPS_ADDR": ":7100", "WHISTLE_OPS_PPROF": "true",
		"WHISTLE_JWT_PUBLIC_KEY": "k", "WHISTLE_TIME_SCALE": "60", "WHISTLE_TIME_ORIGIN": "2026-03-02T09:00:00+08:00",
		"WHISTLE_LOG_LEVEL": "debug",
	} {
		t.Setenv(k, v)
	}
	var cfg config.Base
	require.NoError(t, config.Load(t.Context(), &cfg))
	require.Equal(t, config.Database{DatabaseURL: "postgres://svc@db/whistle", MigrateOnly: true, DatabaseRolePassword: "rpw"}, cfg.Database)
	require.Equal(t, config.Bus{NATSURL: "nats://bus:4222", StreamReplicas: 3, ConsumerBatch: 64, ConsumerPartitions: 4,
		ConsumerRebalance: 5 * time.Second, MaxEventBytes: 8192, DedupRetention: 200 * time.Hour}, cfg.Bus)
	require.Equal(t, ":9090", cfg.GRPCAddr)
	require.Equal(t, ":7100", cfg.OpsAddr)
	require.True(t, cfg.OpsPprof)
	require.Equal(t, "k", cfg.JWTPublicKey)
	require.Equal(t, 60.0, cfg.TimeScale)
	require.Equal(t, time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC), cfg.TimeOrigin.UTC())
	require.Equal(t, "debug", cfg.LogLevel)
	_, err := cfg.Clock()
	require.NoError(t, err, "a drill clock")
}

// TestEachPartNamesItsVariables: an empty Base names every required
// variable once, and each part checks its own.
func TestEachPartNamesItsVariables(t *testing.T) {
	err := config.Base{}.Validate()
	require.Error(t, err)
	for _, name := range []string{"DATABASE_URL", "NATS_URL", "WHISTLE_STREAM_REPLICAS", "WHISTLE_GRPC_ADDR", "WHISTLE_JWT_PUBLIC_KEY", "WHISTLE_TIME_SCALE"} {
		require.Equal(t, 1, strings.Count(err.Error(), name), "%s in %q", name, err)
	}
	require.ErrorContains(t, config.Database{}.Validate(), "DATABASE_URL")
	require.ErrorContains(t, config.Bus{NATSURL: "nats://x", StreamReplicas: 1, ConsumerBatch: 5000}.Validate(), "WHISTLE_CONSUMER_BATCH")
	require.ErrorContains(t, config.Bus{NATSURL: "nats://x", StreamReplicas: 1, MaxEventBytes: 10}.Validate(), "WHISTLE_MAX_EVENT_BYTES")
	require.NoError(t, config.Bus{NATSURL: "nats://x", StreamReplicas: 1}.Validate(), "zero values are the defaults")
	require.ErrorContains(t, config.Server{}.Validate(), "WHISTLE_GRPC_ADDR")
	require.ErrorContains(t, config.Time{TimeScale: -1}.Validate(), "WHISTLE_TIME_SCALE")
}

// TestConsumerStartsAreReadByDurable: WHISTLE_CONSUMER_START gives new
// durable consumers a start time or new events only, by name; a malformed
// one is refused with the variable named.
func TestConsumerStartsAreReadByDurable(t *testing.T) {
	t.Setenv("WHISTLE_GRPC_ADDR", ":9090")
	t.Setenv("WHISTLE_JWT_PUBLIC_KEY", "k")
	t.Setenv("WHISTLE_CONSUMER_START", "reports=2026-12-01T00:00:00+08:00, audit=new,scores=all")
	var cfg config.Base
	require.NoError(t, config.Load(t.Context(), &cfg))
	require.Equal(t, bus.Starts{
		"reports": {At: time.Date(2026, 11, 30, 16, 0, 0, 0, time.UTC)},
		"audit":   {New: true},
		"scores":  {},
	}, normalised(cfg.ConsumerStart))

	for _, bad := range []string{"reports", "reports=yesterday", "=new", "reports=new,reports=all"} {
		t.Setenv("WHISTLE_CONSUMER_START", bad)
		require.ErrorContains(t, config.Load(t.Context(), &config.Base{}), "WHISTLE_CONSUMER_START", bad)
	}
}

// normalised has the starts' times in UTC, for comparing.
func normalised(s bus.Starts) bus.Starts {
	out := bus.Starts{}
	for k, v := range s {
		if !v.At.IsZero() {
			v.At = v.At.UTC()
		}
		out[k] = v
	}
	return out
}
