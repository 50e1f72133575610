package postgres_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/platform/postgres/pgtest"
)

// TestStatementsAreSpansOfTheCallersTrace: under a recording span a
// statement is a child span named by its operation, with the SQL text and
// never its parameters; a statement with no span in its context makes none.
// Not parallel: the tracer provider is process-wide.
func TestStatementsAreSpansOfTheCallersTrace(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	otel.SetTracerProvider(tp)
	t.Cleanup(func() {
		otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample())))
		_ = tp.Shutdown(context.Background())
	})
	ctx := t.Context()
	pool, err := postgres.Connect(ctx, pgtest.NewDatabase(t), "spans")
	require.NoError(t, err)
	defer pool.Close()

	_, err = pool.Exec(ctx, "select 1")
	require.NoError(t, err)
	reqCtx, parent := tp.Tracer("test").Start(ctx, "request")
	var n int
	require.NoError(t, pool.QueryRow(reqCtx, "select $1::int", 4711).Scan(&n))
	parent.End()

	var db []sdktrace.ReadOnlySpan
	var names []string
	for _, s := range rec.Ended() {
		for _, a := range s.Attributes() {
			if a.Key == "db.system.name" && a.Value.AsString() == "postgresql" {
				db = append(db, s)
				names = append(names, s.Name())
			}
		}
	}
	// The query's span, and inside it the prepare's (pgx prepares a statement
	// on a connection's first use of it). None for the statement without a span.
	require.Equal(t, []string{"SELECT", "SELECT"}, names)
	children := 0
	for _, s := range db {
		require.Equal(t, parent.SpanContext().TraceID(), s.SpanContext().TraceID(), "in the caller's trace")
		if s.Parent().SpanID() == parent.SpanContext().SpanID() {
			children++
		}
		attrs := attribute.NewSet(s.Attributes()...)
		text, ok := attrs.Value("db.query.text")
		require.True(t, ok)
		require.Equal(t, "select $1::int", text.AsString())
		for _, a := range s.Attributes() {
			require.NotContains(t, a.Value.String(), "4711", "parameters are never recorded (%s)", a.Key)
		}
	}
	require.Equal(t, 1, children, "the query's span is a child of the caller's")
}
