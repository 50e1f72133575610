package routes_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/services/gateway/internal/routes"
)

// answer writes name, and how many body bytes it could read.
func answer(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			w.WriteHeader(http.StatusRequestEntityTooLarge)
		}
		_, _ = io.WriteString(w, name+" "+strings.Repeat("|", min(int(n), 1)))
	})
}

func serve(t *testing.T, h http.Handler, method, path, media, body string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", media)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, strings.TrimSpace(rec.Body.String())
}

func TestAPatternListedTwiceIsAnError(t *testing.T) {
	t.Parallel()
	_, err := routes.Mux([]routes.Route{
		{Pattern: "GET /v1/time", Handler: answer("a")},
		{Pattern: "GET /v1/time", Handler: answer("b"), Off: true},
	}, answer("rest"), time.Second)
	require.ErrorContains(t, err, `"GET /v1/time" is listed twice`)

	_, err = routes.Mux([]routes.Route{{Pattern: "GET /v1/time"}}, answer("rest"), time.Second)
	require.ErrorContains(t, err, "no handler")
}

func TestTheTableRoutesAndTheRESTAPITakesTheRest(t *testing.T) {
	t.Parallel()
	h, err := routes.Mux([]routes.Route{
		{Pattern: "GET /v1/time", Handler: answer("time")},
		{Pattern: "GET /v1/off", Handler: answer("off"), Off: true},
		{Pattern: "POST /v1/tickets:importCsv", Media: []string{"text/csv"}, Handler: answer("file"), Limits: routes.OwnBody},
		{Pattern: "POST /v1/big", Handler: answer("big"), Limits: routes.OwnBody},
		{Pattern: "POST /v1/small", Handler: answer("small")},
	}, answer("rest"), time.Second)
	require.NoError(t, err)

	for _, c := range []struct{ method, path, media, want string }{
		{http.MethodGet, "/v1/time", "", "time"},
		{http.MethodGet, "/v1/off", "", "rest"},
		{http.MethodGet, "/v1/whistles", "", "rest"},
		{http.MethodPost, "/v1/time", "", "rest"},
		// A file goes to its route, its JSON form to the REST API.
		{http.MethodPost, "/v1/tickets:importCsv", "text/csv; charset=utf-8", "file"},
		{http.MethodPost, "/v1/tickets:importCsv", "application/json", "rest"},
	} {
		_, got := serve(t, h, c.method, c.path, c.media, "")
		require.Equal(t, c.want, got, "%s %s %s", c.method, c.path, c.media)
	}

	// Standard routes and the REST API read at most 1 MiB; OwnBody routes bound their body themselves.
	twoMiB := strings.Repeat("x", 2<<20)
	code, got := serve(t, h, http.MethodPost, "/v1/small", "application/json", twoMiB)
	require.Equal(t, http.StatusRequestEntityTooLarge, code, got)
	code, got = serve(t, h, http.MethodPost, "/v1/whistles", "application/json", twoMiB)
	require.Equal(t, http.StatusRequestEntityTooLarge, code, got)
	code, got = serve(t, h, http.MethodPost, "/v1/big", "application/json", twoMiB)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "big |", got)
}

func TestPatternsSplitIntoMethodAndPath(t *testing.T) {
	t.Parallel()
	require.Equal(t, "GET", routes.Route{Pattern: "GET /v1/time"}.Method())
	require.Equal(t, "/v1/time", routes.Route{Pattern: "GET /v1/time"}.Path())
	require.Empty(t, routes.Route{Pattern: "/v1/stream"}.Method())
	require.Equal(t, "/v1/stream", routes.Route{Pattern: "/v1/stream"}.Path())
}

// TestTheCallersRequestKeepsNoPattern: otelhttp, outside the mux, would
// take a Request.Pattern as the route, "/" for the whole REST API; routes
// are named by their template instead (SetRoute).
func TestTheCallersRequestKeepsNoPattern(t *testing.T) {
	t.Parallel()
	h, err := routes.Mux([]routes.Route{{Pattern: "GET /v1/time", Handler: answer("time")}}, answer("rest"), time.Second)
	require.NoError(t, err)
	for _, path := range []string{"/v1/time", "/v1/whistles"} {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		h.ServeHTTP(httptest.NewRecorder(), req)
		require.Empty(t, req.Pattern, path)
	}
}
