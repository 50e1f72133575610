package run

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestHealthURLReachesWildcardAddressesOverLoopback(t *testing.T) {
	t.Parallel()
	require.Equal(t, "http://127.0.0.1:8081/healthz", healthURL(":8081"))
	require.Equal(t, "http://127.0.0.1:8081/healthz", healthURL("0.0.0.0:8081"))
	require.Equal(t, "http://10.0.0.5:8080/healthz", healthURL("10.0.0.5:8080"))
}

func TestHealthcheckNeedsA200(t *testing.T) {
	t.Parallel()
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	t.Cleanup(ok.Close)
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) }))
	t.Cleanup(bad.Close)
	require.NoError(t, Healthcheck(context.Background(), ok.URL))
	err := Healthcheck(context.Background(), bad.URL)
	require.ErrorContains(t, err, "status 503")
}

// Not parallel: t.Setenv.
func TestHealthcheckProbesTheOpsAddress(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	t.Setenv("WHISTLE_HTTP_ADDR", strings.TrimPrefix(srv.URL, "http://"))
	t.Setenv("WHISTLE_OPS_ADDR", "127.0.0.1:1") // nothing listens; the public address is not asked
	require.Equal(t, 1, healthcheck())
	t.Setenv("WHISTLE_OPS_ADDR", strings.TrimPrefix(srv.URL, "http://"))
	require.Equal(t, 0, healthcheck())
	t.Setenv("WHISTLE_OPS_ADDR", "")
	require.Equal(t, 1, healthcheck())
}

func TestMemoryLimitIsNinetyPercentOfTheContainersUnlessGOMEMLIMITIsSet(t *testing.T) {
	t.Parallel()
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	limit, err := memoryLimit(env(MemoryLimitEnv, "256"))
	require.NoError(t, err)
	require.Equal(t, int64(256<<20)*9/10, limit)
	limit, err = memoryLimit(env(MemoryLimitEnv, "256", "GOMEMLIMIT", "200MiB"))
	require.NoError(t, err)
	require.Zero(t, limit, "an explicit GOMEMLIMIT stands")
	limit, err = memoryLimit(env())
	require.NoError(t, err)
	require.Zero(t, limit, "no container limit: the runtime's default")
	_, err = memoryLimit(env(MemoryLimitEnv, "256Mi"))
	require.ErrorContains(t, err, MemoryLimitEnv)

	// Under a memory limit the collector runs less often, unless GOGC says otherwise.
	require.Equal(t, limitedGCPercent, gcPercent(env(MemoryLimitEnv, "256"), int64(256<<20)*9/10))
	require.Equal(t, limitedGCPercent, gcPercent(env("GOMEMLIMIT", "200MiB"), 0))
	require.Zero(t, gcPercent(env(MemoryLimitEnv, "256", "GOGC", "100"), int64(256<<20)*9/10), "an explicit GOGC stands")
	require.Zero(t, gcPercent(env(), 0), "no limit: the runtime's default")
}
