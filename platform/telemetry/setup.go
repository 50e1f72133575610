package telemetry

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// Setup installs the process-wide tracer provider, meter provider and W3C
// propagator for the named service, and returns a function that flushes and
// stops them. It belongs in a process's main (run.Main calls it) and not in
// service.Start, because the providers are global: tests that start several
// services in one process install their own.
//
// Spans are exported over OTLP only when OTEL_EXPORTER_OTLP_ENDPOINT,
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_TRACES_EXPORTER=otlp is set; the
// exporter reads the other standard OTEL_* variables itself (protocol, headers,
// timeout); the sampler is Sampler's. Without them spans still carry ids into logs and across
// hops. Metrics go to reg, which /metrics serves (prometheus.DefaultRegisterer
// in a service), with whistle_build_info (BuildInfo).
func Setup(ctx context.Context, service string, reg prometheus.Registerer) (shutdown func(context.Context) error, err error) {
	res, err := Resource(ctx, service)
	if err != nil {
		return nil, err
	}
	tp, err := NewTracerProvider(ctx, res)
	if err != nil {
		return nil, err
	}
	mp, err := NewMeterProvider(res, reg)
	if err != nil {
		return nil, errors.Join(err, tp.Shutdown(ctx))
	}
	if err := reg.Register(BuildInfo()); err != nil {
		return nil, errors.Join(fmt.Errorf("register whistle_build_info: %w", err), tp.Shutdown(ctx), mp.Shutdown(ctx))
	}
	otel.SetTracerProvider(tp)
	otel.SetMeterProvider(mp)
	otel.SetTextMapPropagator(Propagator())
	return func(ctx context.Context) error {
		return errors.Join(tp.Shutdown(ctx), mp.Shutdown(ctx))
	}, nil
}

// Propagator is W3C trace context and baggage: what the outbox writes into NATS
// headers and otelgrpc into gRPC metadata.
func Propagator() propagation.TextMapPropagator {
	return propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
}

// Resource names the service; OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES
// (e.g. a pod name, a replica index) take precedence.
func Resource(ctx context.Context, service string) (*resource.Resource, error) {
	res, err := resource.New(ctx,
		resource.WithAttributes(semconv.ServiceName(service), semconv.ServiceNamespace("whistle")),
		resource.WithFromEnv(),
		resource.WithHost(),
		resource.WithProcessPID(),
	)
	if err != nil && res == nil {
		return nil, fmt.Errorf("telemetry resource: %w", err)
	}
	// A partial resource (an unreadable host detail) is still usable.
	return res, nil
}

// NewTracerProvider returns a provider that batches spans to the OTLP exporter
// chosen by the environment, sampled as Sampler says (a tenth of the traces
// by default), or, without an exporter, one that records nothing: its spans
// still carry trace and span ids into logs and across hops, but nobody would
// read their attributes and events, so they are not built, and the
// instrumentation (otelhttp, otelgrpc, the pgx tracer) skips its work.
func NewTracerProvider(ctx context.Context, res *resource.Resource) (*sdktrace.TracerProvider, error) {
	sampler, err := Sampler(os.Getenv)
	if err != nil {
		return nil, err
	}
	opts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
	exp, err := traceExporter(ctx)
	if err != nil {
		return nil, err
	}
	if exp != nil {
		opts = append(opts, sdktrace.WithBatcher(exp), sdktrace.WithSampler(sampler))
	} else {
		opts = append(opts, sdktrace.WithSampler(sdktrace.NeverSample()))
	}
	return sdktrace.NewTracerProvider(opts...), nil
}

// DefaultSampleRatio is the share of traces sampled when
// OTEL_TRACES_SAMPLER_ARG is not set.
const DefaultSampleRatio = 0.1

// Sampler is the sampler the environment names: OTEL_TRACES_SAMPLER (default
// parentbased_traceidratio) with OTEL_TRACES_SAMPLER_ARG (the ratio, default
// DefaultSampleRatio), the standard variables, read here rather than by the
// SDK so that a mistake stops the process instead of falling back to
// sampling everything. parentbased_traceidratio differs from the SDK's in one
// way: a remote parent's sampled flag does not force sampling, the ratio
// decides by trace id instead, so a public client sending traceparent cannot
// make the REST edge trace every request. The decision by trace id is the same
// on every hop, and so every trace whole, as long as every service has the
// same ratio; a local parent's decision (a span of the same process) stands.
func Sampler(getenv func(string) string) (sdktrace.Sampler, error) {
	name := strings.TrimSpace(getenv("OTEL_TRACES_SAMPLER"))
	ratio := DefaultSampleRatio
	if arg := strings.TrimSpace(getenv("OTEL_TRACES_SAMPLER_ARG")); arg != "" {
		r, err := strconv.ParseFloat(arg, 64)
		if err != nil || r < 0 || r > 1 {
			return nil, fmt.Errorf("OTEL_TRACES_SAMPLER_ARG=%s must be a ratio from 0 to 1", arg)
		}
		ratio = r
	}
	switch name {
	case "", "parentbased_traceidratio":
		byID := sdktrace.TraceIDRatioBased(ratio)
		return sdktrace.ParentBased(byID, sdktrace.WithRemoteParentSampled(byID)), nil
	case "traceidratio":
		return sdktrace.TraceIDRatioBased(ratio), nil
	case "parentbased_always_on":
		return sdktrace.ParentBased(sdktrace.AlwaysSample()), nil
	case "always_on":
		return sdktrace.AlwaysSample(), nil
	case "parentbased_always_off":
		return sdktrace.ParentBased(sdktrace.NeverSample()), nil
	case "always_off":
		return sdktrace.NeverSample(), nil
	}
	return nil, fmt.Errorf("OTEL_TRACES_SAMPLER=%s is not supported (use parentbased_traceidratio, traceidratio, "+
		"parentbased_always_on, always_on, parentbased_always_off or always_off)", name)
}

func traceExporter(ctx context.Context) (sdktrace.SpanExporter, error) {
	kind := strings.ToLower(strings.TrimSpace(os.Getenv("OTEL_TRACES_EXPORTER")))
	endpoint := os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") + os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
	switch {
	case kind == "none":
		return nil, nil
	case kind == "" && endpoint == "":
		return nil, nil
	case kind != "" && kind != "otlp":
		return nil, fmt.Errorf("OTEL_TRACES_EXPORTER=%s is not supported (use otlp or none)", kind)
	}
	protocol := os.Getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
	if protocol == "" {
		protocol = os.Getenv("OTEL_EXPORTER_OTLP_PROTOCOL")
	}
	var (
		exp sdktrace.SpanExporter
		err error
	)
	switch protocol {
	case "", "http/protobuf":
		exp, err = otlptracehttp.New(ctx)
	case "grpc":
		exp, err = otlptracegrpc.New(ctx)
	default:
		return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL=%s is not supported (use http/protobuf or grpc)", protocol)
	}
	if err != nil {
		return nil, fmt.Errorf("otlp trace exporter: %w", err)
	}
	return exp, nil
}

// NewMeterProvider returns a provider whose instruments are read by a
// Prometheus collector registered with reg.
func NewMeterProvider(res *resource.Resource, reg prometheus.Registerer) (*sdkmetric.MeterProvider, error) {
	exp, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return nil, fmt.Errorf("prometheus exporter: %w", err)
	}
	return sdkmetric.NewMeterProvider(sdkmetric.WithResource(res), sdkmetric.WithReader(exp)), nil
}
