package telemetry

import (
	"context"
	"runtime"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

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

func TestSamplerIsParentBasedByRatioAndRefusesMistakes(t *testing.T) {
	t.Parallel()
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	s, err := Sampler(env())
	require.NoError(t, err)
	require.Contains(t, s.Description(), "ParentBased")
	require.Contains(t, s.Description(), "TraceIDRatioBased{0.1}", "a tenth by default")
	s, err = Sampler(env("OTEL_TRACES_SAMPLER_ARG", "0.25"))
	require.NoError(t, err)
	require.Contains(t, s.Description(), "TraceIDRatioBased{0.25}")
	s, err = Sampler(env("OTEL_TRACES_SAMPLER", "always_off"))
	require.NoError(t, err)
	require.Equal(t, "AlwaysOffSampler", s.Description())
	_, err = Sampler(env("OTEL_TRACES_SAMPLER_ARG", "1.5"))
	require.ErrorContains(t, err, "OTEL_TRACES_SAMPLER_ARG=1.5")
	_, err = Sampler(env("OTEL_TRACES_SAMPLER", "jaeger_remote"))
	require.ErrorContains(t, err, "OTEL_TRACES_SAMPLER=jaeger_remote")
}

// TestAClientsSampledFlagDoesNotForceSampling: behind parentbased_traceidratio
// a request whose traceparent says "sampled" is sampled only if its trace id
// falls within the ratio; a span of the same process follows its parent.
func TestAClientsSampledFlagDoesNotForceSampling(t *testing.T) {
	t.Parallel()
	s, err := Sampler(func(k string) string {
		if k == "OTEL_TRACES_SAMPLER_ARG" {
			return "0"
		}
		return ""
	})
	require.NoError(t, err)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(s))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	remote := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1}, SpanID: trace.SpanID{1}, TraceFlags: trace.FlagsSampled, Remote: true,
	})
	_, span := tp.Tracer("test").Start(trace.ContextWithRemoteSpanContext(context.Background(), remote), "request")
	require.False(t, span.IsRecording(), "ratio 0: the client's flag is not obeyed")
	require.Equal(t, remote.TraceID(), span.SpanContext().TraceID(), "the trace id is kept for the logs")
}
