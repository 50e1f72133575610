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
func TestHealthcheckTriesTheOpsThenTheHTTPAddress(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	addr := strings.TrimPrefix(srv.URL, "http://")
	t.Setenv("WHISTLE_OPS_ADDR", "127.0.0.1:1") // nothing listens: the gateway has no ops address
	t.Setenv("WHISTLE_HTTP_ADDR", addr)
	require.Equal(t, 0, healthcheck())
	t.Setenv("WHISTLE_HTTP_ADDR", "")
	require.Equal(t, 1, healthcheck())
}
