package e2e_test

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/chuishao/whistle/platform/telemetry"
)

// useTracing installs an in-memory tracer provider and the W3C propagator for
// the rest of the test. The tracer provider is process-wide and every service
// of the in-process system uses it, so a test calling this must not run in
// parallel with others (it would record their spans, and they its); Go runs
// the non-parallel tests of a package before releasing the parallel ones.
func useTracing(t *testing.T) (*sdktrace.TracerProvider, *tracetest.SpanRecorder) {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(telemetry.Propagator())
	t.Cleanup(func() {
		// What a service without an exporter has: ids in logs, nothing recorded.
		otel.SetTracerProvider(sdktrace.NewTracerProvider())
		_ = tp.Shutdown(context.Background())
	})
	return tp, rec
}

// TestTelemetryOneTraceFromRaiseToAcknowledge follows a client's trace (a drill
// script that sends traceparent with both of its requests) through the gateway,
// every gRPC call and every NATS hop: raise → routing → dispatch → acknowledge.
// Not parallel: see useTracing.
func TestTelemetryOneTraceFromRaiseToAcknowledge(t *testing.T) {
	tp, rec := useTracing(t)
	s := startSystem(t, options{})

	ctx, root := tp.Tracer("e2e").Start(context.Background(), "drill")
	carrier := propagation.HeaderCarrier{}
	otel.GetTextMapPropagator().Inject(ctx, carrier)
	traceparent := carrier.Get("traceparent")
	require.NotEmpty(t, traceparent)
	traceID := root.SpanContext().TraceID()

	tok := streetToken(t, s, donghuamen)
	r := s.do(t, http.MethodPost, "/v1/whistles", tok, map[string]any{
		"street_id": donghuamen, "category": "noise", "title": "夜间施工噪声",
		"description": "东华门大街路口夜间施工，噪声扰民。",
		"location":    map[string]any{"lat": 39.9146, "lng": 116.4036}, "urgency": "HIGH",
	}, "traceparent", traceparent)
	require.Equal(t, http.StatusCreated, r.status, r.raw)
	id := str(r.body["id"])
	var w map[string]any
	eventually(t, "a dispatch of "+id, func() bool {
		w = s.do(t, http.MethodGet, "/v1/whistles/"+id, tok, nil).body
		return len(list(w["dispatches"])) >= 1
	})
	d := obj(list(w["dispatches"])[0])
	ack := s.do(t, http.MethodPost, "/v1/dispatches/"+str(d["id"])+":acknowledge",
		deskToken(t, s, str(w["district_id"]), str(d["department"])), map[string]any{}, "traceparent", traceparent)
	require.Equal(t, http.StatusOK, ack.status, ack.raw)
	root.End()

	// Every hop of the path, in order: the name of its span.
	path := []string{
		"whistle.intake.v1.IntakeService/RaiseWhistle",            // gateway → intake (gRPC server)
		"consume whistle.raised",                                  // intake → routing (NATS)
		"consume whistle.routed",                                  // routing → response (NATS)
		"consume dispatch.created",                                // response → intake (NATS)
		"whistle.response.v1.DispatchService/AcknowledgeDispatch", // gateway → response (gRPC server)
		"consume dispatch.acknowledged",                           // response → intake (NATS)
	}
	var seen []string
	eventually(t, "a span for every hop", func() bool {
		seen = spansOfTrace(rec, traceID)
		for _, name := range path {
			if !slices.Contains(seen, name) {
				return false
			}
		}
		return true
	})
	// The gateway's spans are named by route (not the path with its ids), and
	// the services' statements are spans of the same trace (otelpgx).
	for _, name := range []string{"POST /v1/whistles", "POST /v1/dispatches/{id}:acknowledge", "INSERT"} {
		require.Contains(t, seen, name)
	}
	// Nothing of the path started a trace of its own.
	for _, s := range rec.Ended() {
		if slices.Contains(path, s.Name()) {
			require.Equal(t, traceID, s.SpanContext().TraceID(), "span %s is in another trace", s.Name())
		}
	}
}

// spansOfTrace is the names of the ended spans of one trace.
func spansOfTrace(rec *tracetest.SpanRecorder, id trace.TraceID) []string {
	var names []string
	for _, s := range rec.Ended() {
		if s.SpanContext().TraceID() == id {
			names = append(names, s.Name())
		}
	}
	return names
}
