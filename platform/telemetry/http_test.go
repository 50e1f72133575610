package telemetry

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// routedMux is a public API in small: a net/http route that names itself,
// a nested router that names its own routes (as the grpc-gateway mux does), and the
// catch-all that answers unknown paths.
func routedMux() http.Handler {
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		SetRoute(r.Context(), r.Method, PatternRoute("/v1/whistles/{id=*}:cancel"))
		w.WriteHeader(http.StatusAccepted)
	})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/things/{id}", func(_ http.ResponseWriter, r *http.Request) {
		SetRoute(r.Context(), r.Method, "/v1/things/{id}")
	})
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/whistles/w-42:cancel" {
			// a copy of the request, as middleware makes
			inner.ServeHTTP(w, r.WithContext(context.WithoutCancel(r.Context())))
			return
		}
		http.NotFound(w, r)
	}))
	return HTTPHandler("gateway:8080", mux)
}

// TestHTTPSpansAreNamedByTheirRoute: a span is "METHOD route" with
// http.route, by the route that matched (a net/http one or a nested router's),
// never the raw path with its ids; a request no route matched is named by
// its method alone. Not parallel: the tracer provider is process-wide.
func TestHTTPSpansAreNamedByTheirRoute(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	otel.SetTracerProvider(tp)
	t.Cleanup(func() {
		otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample())))
		_ = tp.Shutdown(context.Background())
	})
	srv := httptest.NewServer(routedMux())
	t.Cleanup(srv.Close)
	for _, req := range []struct{ method, path string }{
		{http.MethodGet, "/v1/things/t-7"}, {http.MethodPost, "/v1/whistles/w-42:cancel"}, {http.MethodGet, "/no/such/thing-9"},
	} {
		r, err := http.NewRequest(req.method, srv.URL+req.path, nil)
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(r)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		require.NoError(t, resp.Body.Close())
	}
	got := map[string]string{}
	for _, s := range rec.Ended() {
		attrs := attribute.NewSet(s.Attributes()...)
		route, _ := attrs.Value("http.route")
		got[s.Name()] = route.AsString()
	}
	require.Equal(t, map[string]string{
		"GET /v1/things/{id}":           "/v1/things/{id}",
		"POST /v1/whistles/{id}:cancel": "/v1/whistles/{id}:cancel",
		"GET":                           "",
	}, got)
}

// BenchmarkHTTPHandlerWithoutExporter is the public API's per-request cost
// of tracing when no exporter is set (spans never sampled), beside the bare
// handler: go test -bench HTTPHandler -benchmem ./platform/telemetry.
func BenchmarkHTTPHandlerWithoutExporter(b *testing.B) {
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample())))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/things/{id}", func(w http.ResponseWriter, _ *http.Request) {})
	for name, h := range map[string]http.Handler{"bare": mux, "traced": HTTPHandler("gateway:8080", mux)} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			req := httptest.NewRequest(http.MethodGet, "/v1/things/t-7", nil)
			for b.Loop() {
				h.ServeHTTP(httptest.NewRecorder(), req)
			}
		})
	}
}
