package config_test

import (
	"testing"

	"github.com/stretchr/testify/require"

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
