package launcher_test

import (
	"crypto/ed25519"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/cli/internal/launcher"
)

func TestPlanSharesOneDrillClock(t *testing.T) {
	t.Parallel()
	_, key, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	cfg := launcher.FromEnv(func(k string) string {
		return map[string]string{"WHISTLE_TIME_SCALE": "60", "WHISTLE_HTTP_ADDR": "0.0.0.0:9090"}[k]
	})
	plan, err := launcher.MakePlan(cfg, "nats://x", key, now)
	require.NoError(t, err)
	require.Equal(t, "http://127.0.0.1:9090", plan.APIURL)
	require.Len(t, plan.Processes, 6) // routing, intake, discovery, response, feedback, gateway
	for _, p := range plan.Processes {
		require.Contains(t, p.Env, "WHISTLE_TIME_SCALE=60", p.Name)
		require.Contains(t, p.Env, "WHISTLE_TIME_ORIGIN=2026-03-02T09:00:00Z", p.Name)
	}
	require.Equal(t, "routing", plan.Processes[0].Name, "routing starts first: it seeds")

	plan, err = launcher.MakePlan(launcher.FromEnv(func(string) string { return "" }), "nats://x", key, now)
	require.NoError(t, err)
	for _, p := range plan.Processes {
		require.False(t, slices.ContainsFunc(p.Env, func(kv string) bool { return strings.HasPrefix(kv, "WHISTLE_TIME_") }), p.Name)
	}

	_, err = launcher.MakePlan(launcher.FromEnv(func(k string) string {
		return map[string]string{"WHISTLE_TIME_SCALE": "fast"}[k]
	}), "nats://x", key, now)
	require.ErrorContains(t, err, "WHISTLE_TIME_SCALE")
}

// A test's stack runs beside `make run` or a bench: with WHISTLE_FREE_PORTS
// none of its backends, NATS or identity provider takes a fixed port.
func TestFreePortsKeepAStackOffTheFixedPorts(t *testing.T) {
	cfg := launcher.FromEnv(func(k string) string { return map[string]string{"WHISTLE_FREE_PORTS": "1"}[k] })
	fixed := map[string]bool{}
	for _, b := range launcher.DefaultBackends {
		fixed[b.GRPCAddr], fixed[b.OpsAddr] = true, true
	}
	require.Len(t, cfg.Backends, len(launcher.DefaultBackends))
	for i, b := range cfg.Backends {
		require.Equal(t, launcher.DefaultBackends[i].Name, b.Name)
		require.False(t, fixed[b.GRPCAddr] || fixed[b.OpsAddr], "%s kept a fixed port: %+v", b.Name, b)
	}
	require.Equal(t, -1, cfg.NATSPort, "the embedded NATS server takes any free port")
	require.NotEqual(t, launcher.DefaultOIDCPort, cfg.OIDCPort)
	require.Equal(t, launcher.DefaultBackends, launcher.FromEnv(func(string) string { return "" }).Backends, "make run keeps its fixed ports")
}
