package postgres

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// TestSpansCostNothingWhenNotRecording: without a recording span in the
// caller's context (no exporter: every span is non-recording; a trace not
// sampled; a background poll with no span) the pool's tracer allocates no
// more per statement with its span tracer than without it.
// Not parallel: testing.AllocsPerRun.
func TestSpansCostNothingWhenNotRecording(t *testing.T) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample()))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	unsampled, span := tp.Tracer("test").Start(context.Background(), "request")
	defer span.End()
	require.False(t, span.IsRecording())

	c := newCommitter()
	withSpans := tracer(c)
	query := pgx.TraceQueryStartData{SQL: "select 1"}
	batch := pgx.TraceBatchQueryData{SQL: "insert into t values ($1)"}
	statement := func(tr pgx.QueryTracer, ctx context.Context) func() {
		return func() {
			qctx := tr.TraceQueryStart(ctx, nil, query)
			tr.TraceQueryEnd(qctx, nil, pgx.TraceQueryEndData{})
			bt := tr.(pgx.BatchTracer)
			bctx := bt.TraceBatchStart(ctx, nil, pgx.TraceBatchStartData{})
			bt.TraceBatchQuery(bctx, nil, batch)
			bt.TraceBatchEnd(bctx, nil, pgx.TraceBatchEndData{})
		}
	}
	for name, ctx := range map[string]context.Context{"no span": context.Background(), "unsampled span": unsampled} {
		without := testing.AllocsPerRun(200, statement(c, ctx))
		with := testing.AllocsPerRun(200, statement(withSpans, ctx))
		require.Equal(t, without, with, "%s: the span tracer adds no allocation", name)
	}
}
