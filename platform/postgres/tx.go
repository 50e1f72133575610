package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ambient is a transaction a caller opened for the work of a request,
// whether that work joined it, and what the work left to do once it ends.
type ambient struct {
	tx     pgx.Tx
	joined bool
	after  []func()
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

// AfterTx runs fn once the transaction ctx carries (WithTx) has ended,
// committed or rolled back (EndTx), or at once when ctx carries none (the
// work ran in a transaction of its own, which has ended when its InTx
// returned). It is for what must see the outcome in the database: a reload
// of a cache or a signal to re-read, done after the work of a request that
// an outer transaction (an admin action with its audit record) commits.
func AfterTx(ctx context.Context, fn func()) {
	if a, ok := ctx.Value(ambientKey{}).(*ambient); ok {
		a.after = append(a.after, fn)
		return
	}
	fn()
}

// EndTx runs, in order, what the work in the transaction ctx carries left for
// after it (AfterTx). The caller that opened the transaction calls it once
// the transaction has committed or rolled back.
func EndTx(ctx context.Context) {
	a, ok := ctx.Value(ambientKey{}).(*ambient)
	if !ok {
		return
	}
	after := a.after
	a.after = nil
	for _, fn := range after {
		fn()
	}
}
