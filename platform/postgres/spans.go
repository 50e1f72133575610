package postgres

import (
	"context"

	"github.com/exaring/otelpgx"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/multitracer"
	"go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"
)

// spans gives a pool's statements OpenTelemetry spans (otelpgx: one span per
// query, batch query, COPY, prepare and connect, named by the SQL operation,
// with db.query.text; never the parameters, which hold residents' words and
// phone numbers), children of the span in the caller's context.
//
// Only under a recording span: a statement whose context carries none (no
// exporter, a trace not sampled, a background loop's poll) goes straight to
// the next tracer, allocating nothing (TestSpansCostNothingWhenNotRecording).
// otelpgx's own statement metrics are off (a no-op meter): they would cost a
// histogram record per statement, and whistle_sql_statements counts them.
type spans struct{ t *otelpgx.Tracer }

var (
	_ pgx.QueryTracer    = spans{}
	_ pgx.BatchTracer    = spans{}
	_ pgx.CopyFromTracer = spans{}
	_ pgx.PrepareTracer  = spans{}
	_ pgx.ConnectTracer  = spans{}
)

func newSpans() spans {
	// Pool acquisitions are not spans: one per statement would double the
	// spans for a wait that the statement's own span already includes.
	return spans{otelpgx.NewTracer(otelpgx.WithMeterProvider(noop.NewMeterProvider()), otelpgx.WithDisableAcquireTracer())}
}

// tracer is a pool's tracer: spans, then the committer (wake-ups after
// commit, statement counts).
func tracer(c *committer) pgx.QueryTracer { return multitracer.New(newSpans(), c) }

func recording(ctx context.Context) bool { return trace.SpanFromContext(ctx).IsRecording() }

func (s spans) TraceQueryStart(ctx context.Context, conn *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	if !recording(ctx) {
		return ctx
	}
	return s.t.TraceQueryStart(ctx, conn, data)
}

func (s spans) TraceQueryEnd(ctx context.Context, conn *pgx.Conn, data pgx.TraceQueryEndData) {
	if recording(ctx) {
		s.t.TraceQueryEnd(ctx, conn, data)
	}
}

func (s spans) TraceBatchStart(ctx context.Context, conn *pgx.Conn, data pgx.TraceBatchStartData) context.Context {
	if !recording(ctx) {
		return ctx
	}
	return s.t.TraceBatchStart(ctx, conn, data)
}

func (s spans) TraceBatchQuery(ctx context.Context, conn *pgx.Conn, data pgx.TraceBatchQueryData) {
	if recording(ctx) {
		s.t.TraceBatchQuery(ctx, conn, data)
	}
}

func (s spans) TraceBatchEnd(ctx context.Context, conn *pgx.Conn, data pgx.TraceBatchEndData) {
	if recording(ctx) {
		s.t.TraceBatchEnd(ctx, conn, data)
	}
}

func (s spans) TraceCopyFromStart(ctx context.Context, conn *pgx.Conn, data pgx.TraceCopyFromStartData) context.Context {
	if !recording(ctx) {
		return ctx
	}
	return s.t.TraceCopyFromStart(ctx, conn, data)
}

func (s spans) TraceCopyFromEnd(ctx context.Context, conn *pgx.Conn, data pgx.TraceCopyFromEndData) {
	if recording(ctx) {
		s.t.TraceCopyFromEnd(ctx, conn, data)
	}
}

func (s spans) TracePrepareStart(ctx context.Context, conn *pgx.Conn, data pgx.TracePrepareStartData) context.Context {
	if !recording(ctx) {
		return ctx
	}
	return s.t.TracePrepareStart(ctx, conn, data)
}

func (s spans) TracePrepareEnd(ctx context.Context, conn *pgx.Conn, data pgx.TracePrepareEndData) {
	if recording(ctx) {
		s.t.TracePrepareEnd(ctx, conn, data)
	}
}

func (s spans) TraceConnectStart(ctx context.Context, data pgx.TraceConnectStartData) context.Context {
	if !recording(ctx) {
		return ctx
	}
	return s.t.TraceConnectStart(ctx, data)
}

func (s spans) TraceConnectEnd(ctx context.Context, data pgx.TraceConnectEndData) {
	if recording(ctx) {
		s.t.TraceConnectEnd(ctx, data)
	}
}
