package telemetry

import (
	"context"
	"runtime"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/chuishao/whistle/platform/version"
)

// Not parallel: t.Setenv.
func TestTraceExporterOnlyWhenTheEnvironmentAsksForIt(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name             string
		env              map[string]string
		wantExporter     bool
		wantErrSubstring string
	}{
		{name: "nothing set: no exporter"},
		{name: "endpoint", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, wantExporter: true},
		{name: "grpc", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, wantExporter: true},
		{name: "exporter named", env: map[string]string{"OTEL_TRACES_EXPORTER": "otlp"}, wantExporter: true},
		{name: "none wins", env: map[string]string{"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}},
		{name: "unknown exporter", env: map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}, wantErrSubstring: "OTEL_TRACES_EXPORTER=zipkin"},
		{name: "unknown protocol", env: map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}, wantErrSubstring: "OTEL_EXPORTER_OTLP_PROTOCOL=http/json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range []string{"OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
				"OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"} {
				t.Setenv(k, tc.env[k])
			}
			exp, err := traceExporter(ctx)
			if tc.wantErrSubstring != "" {
				require.ErrorContains(t, err, tc.wantErrSubstring)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.wantExporter, exp != nil)
			if exp != nil {
				require.NoError(t, exp.Shutdown(ctx))
			}
		})
	}
}

// Not parallel: t.Setenv.
func TestWithoutAnExporterSpansCarryIDsButRecordNothing(t *testing.T) {
	for _, k := range []string{"OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"} {
		t.Setenv(k, "")
	}
	ctx := context.Background()
	tp, err := NewTracerProvider(ctx, resource.Empty())
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, tp.Shutdown(ctx)) })
	ctx, parent := tp.Tracer("test").Start(ctx, "parent")
	_, child := tp.Tracer("test").Start(ctx, "child")
	require.False(t, parent.IsRecording())
	require.True(t, parent.SpanContext().IsValid(), "logs still get a trace id")
	require.Equal(t, parent.SpanContext().TraceID(), child.SpanContext().TraceID(), "one trace across the hop")
}

func TestBuildInfoNamesTheStampedVersion(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	require.NoError(t, reg.Register(BuildInfo()))
	families, err := reg.Gather()
	require.NoError(t, err)
	require.Len(t, families, 1)
	require.Equal(t, "whistle_build_info", families[0].GetName())
	m := families[0].GetMetric()[0]
	require.Equal(t, 1.0, m.GetGauge().GetValue())
	labels := map[string]string{}
	for _, l := range m.GetLabel() {
		labels[l.GetName()] = l.GetValue()
	}
	require.Equal(t, version.Get().Version, labels["version"])
	require.Equal(t, runtime.Version(), labels["goversion"])
}
