package telemetry

import (
	"context"
	"net/http"
	"regexp"
	"strings"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// HTTPHandler is otelhttp's server instrumentation: a span per request that
// continues the caller's W3C traceparent (so a client can follow its request
// through every gRPC call and NATS hop, the span being the parent of the
// edge's gRPC client spans), and the standard http.server.* metrics.
// The span is named "METHOD route" by the route pattern that served the
// request (SetRoute), never by the raw path, which holds ids; a request no
// route matched is named by its method alone. server names the server in the
// metrics (host:port), so clients' Host headers cannot add series.
//
// Only the public API is wrapped: the ops listener (health, metrics, pprof)
// is not traced at all.
func HTTPHandler(server string, next http.Handler) http.Handler {
	h := otelhttp.NewHandler(next, "http",
		otelhttp.WithServerName(server),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
			if rt, ok := r.Context().Value(routeKey{}).(*route); ok && rt.name != "" {
				return r.Method + " " + rt.name
			}
			return r.Method
		}),
	)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), routeKey{}, &route{})))
	})
}

type routeKey struct{}

// route is where the handler that matched a request leaves its pattern for
// the span name formatter and the metrics.
type route struct{ name string }

// SetRoute names the route (a pattern such as "/v1/whistles/{id}") that
// serves the request whose context is ctx: the span's name and http.route
// attribute, and the metrics' http_route label. The first call wins, so a
// router nested in another names the request before the outer one's
// catch-all does. Outside HTTPHandler it does nothing.
func SetRoute(ctx context.Context, method, pattern string) {
	rt, ok := ctx.Value(routeKey{}).(*route)
	if !ok || rt.name != "" || pattern == "" {
		return
	}
	rt.name = pattern
	attr := semconv.HTTPRoute(pattern)
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		span.SetName(method + " " + pattern)
		span.SetAttributes(attr)
	}
	if l, ok := otelhttp.LabelerFromContext(ctx); ok {
		l.Add(attr)
	}
}

// captureAll is a grpc-gateway path variable's "{name=*}" form.
var captureAll = regexp.MustCompile(`\{([^=}]+)=\*\}`)

// PatternRoute turns a grpc-gateway pattern ("/v1/whistles/{id=*}:cancel",
// runtime.Pattern's String) into the route template the API documents
// ("/v1/whistles/{id}:cancel").
func PatternRoute(pattern string) string {
	if !strings.Contains(pattern, "=*}") {
		return pattern
	}
	return captureAll.ReplaceAllString(pattern, "{$1}")
}
