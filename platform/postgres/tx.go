package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ambient is a transaction a caller opened for the work of a request, and
// whether that work joined it.
type ambient struct {
	tx     pgx.Tx
	joined bool
}

type ambientKey struct{}

// WithTx returns ctx carrying tx: InTx called with the returned context runs
// its work inside tx (as a savepoint) instead of beginning a transaction of
// its own, so the caller commits that work together with its own writes
// (an admin action with its audit record).
func WithTx(ctx context.Context, tx pgx.Tx) context.Context {
	return context.WithValue(ctx, ambientKey{}, &ambient{tx: tx})
}

// Joined tells whether InTx ran work inside the transaction ctx carries.
func Joined(ctx context.Context) bool {
	a, ok := ctx.Value(ambientKey{}).(*ambient)
	return ok && a.joined
}

// InTx runs fn in a transaction: inside the one ctx carries (WithTx), or in a
// new one on pool, committed when fn returns nil.
func InTx(ctx context.Context, pool *pgxpool.Pool, fn func(pgx.Tx) error) error {
	if a, ok := ctx.Value(ambientKey{}).(*ambient); ok {
		a.joined = true
		return pgx.BeginFunc(ctx, a.tx, fn)
	}
	return pgx.BeginFunc(ctx, pool, fn)
}
