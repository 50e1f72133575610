package ops_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/ops"
)

func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Code, rec.Body.String()
}

func TestReadyzNamesTheFailedChecksAndPprofIsOptIn(t *testing.T) {
	t.Parallel()
	down := errors.New("not connected")
	h := ops.Handler(false,
		ops.Check{Name: "postgres", Fn: func(context.Context) error { return nil }},
		ops.Check{Name: "nats", Fn: func(context.Context) error { return down }})
	code, _ := get(t, h, "/healthz")
	require.Equal(t, http.StatusOK, code, "alive whatever its dependencies")
	code, body := get(t, h, "/readyz")
	require.Equal(t, http.StatusServiceUnavailable, code)
	var r struct {
		Status string            `json:"status"`
		Failed map[string]string `json:"failed"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &r))
	require.Equal(t, map[string]string{"nats": "not connected"}, r.Failed)
	code, _ = get(t, h, "/metrics")
	require.Equal(t, http.StatusOK, code)
	code, _ = get(t, h, "/debug/pprof/")
	require.Equal(t, http.StatusNotFound, code, "pprof only when asked for")
	code, _ = get(t, ops.Handler(true), "/debug/pprof/")
	require.Equal(t, http.StatusOK, code)
}
