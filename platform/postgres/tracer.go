package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/chuishao/whistle/platform/metrics"
)

// statementCounter counts every statement a pool sends (metrics.Statement):
// plain queries, each query of a pipelined batch, and COPY. The count is what
// the benchmark divides by whistles to show a handler's cost in statements.
type statementCounter struct{}

var (
	_ pgx.QueryTracer    = statementCounter{}
	_ pgx.BatchTracer    = statementCounter{}
	_ pgx.CopyFromTracer = statementCounter{}
)

func (statementCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	metrics.Statement(ctx)
	return ctx
}

func (statementCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (statementCounter) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return ctx
}

func (statementCounter) TraceBatchQuery(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchQueryData) {
	metrics.Statement(ctx)
}

func (statementCounter) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

func (statementCounter) TraceCopyFromStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceCopyFromStartData) context.Context {
	metrics.Statement(ctx)
	return ctx
}

func (statementCounter) TraceCopyFromEnd(context.Context, *pgx.Conn, pgx.TraceCopyFromEndData) {}
