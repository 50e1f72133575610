package postgres

import (
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/multitracer"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Wake-ups after commit, in-process. A writer marks its transaction with
// WakeAfterCommit(tx, topic); when that transaction commits, every channel
// that Wakeups(pool, topic) returned for the transaction's pool receives a
// signal. A rolled-back transaction wakes nobody. This replaces pg_notify,
// whose queue lock serialises the commits of the whole cluster: the loops
// that wait for work (outbox relay, SLA poller, webhook worker) are woken by
// the writers of their own process, and poll as the fallback for everything
// else (another replica's writes, a pool that is not from Connect).

// committer is the tracer of a pool from Connect: it sees each connection's
// commit and rollback and wakes the waiters of the topics its transaction
// marked; it also counts statements (statementCounter).
type committer struct {
	statementCounter
	mu      sync.Mutex
	marked  map[*pgx.Conn][]string
	waiters map[string][]chan struct{}
}

// conns maps each open connection of a pool from Connect to its pool's committer.
var conns sync.Map

func newCommitter() *committer {
	return &committer{marked: map[*pgx.Conn][]string{}, waiters: map[string][]chan struct{}{}}
}

// install makes cfg's pool report its commits to c (beside its spans).
func (c *committer) install(cfg *pgxpool.Config) {
	cfg.ConnConfig.Tracer = tracer(c)
	cfg.AfterConnect = func(_ context.Context, conn *pgx.Conn) error {
		conns.Store(conn, c)
		return nil
	}
	cfg.BeforeClose = func(conn *pgx.Conn) {
		conns.Delete(conn)
		c.take(conn)
	}
}

// WakeAfterCommit marks tx so that the waiters of topic on its pool are woken
// once it commits. Outside a pool from Connect it does nothing (the waiters poll).
func WakeAfterCommit(tx pgx.Tx, topic string) {
	conn := tx.Conn()
	v, ok := conns.Load(conn)
	if !ok {
		return
	}
	c := v.(*committer)
	c.mu.Lock()
	if !slices.Contains(c.marked[conn], topic) {
		c.marked[conn] = append(c.marked[conn], topic)
	}
	c.mu.Unlock()
}

// Wakeups returns a channel that receives a signal after each commit on pool
// that marked topic (signals coalesce while nobody reads), and a stop func
// that unregisters it. For a pool not from Connect the channel never fires.
func Wakeups(pool *pgxpool.Pool, topic string) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	c, ok := committerOf(pool.Config().ConnConfig.Tracer)
	if !ok {
		return ch, func() {}
	}
	c.mu.Lock()
	c.waiters[topic] = append(c.waiters[topic], ch)
	c.mu.Unlock()
	return ch, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.waiters[topic] = slices.DeleteFunc(c.waiters[topic], func(w chan struct{}) bool { return w == ch })
	}
}

// committerOf finds the committer among a pool's tracers.
func committerOf(t pgx.QueryTracer) (*committer, bool) {
	switch t := t.(type) {
	case *committer:
		return t, true
	case *multitracer.Tracer:
		for _, q := range t.QueryTracers {
			if c, ok := q.(*committer); ok {
				return c, true
			}
		}
	}
	return nil, false
}

// take removes and returns conn's marks.
func (c *committer) take(conn *pgx.Conn) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	topics, ok := c.marked[conn]
	if ok {
		delete(c.marked, conn)
	}
	return topics
}

type committing struct{}

// TraceQueryStart drops the marks of a transaction that begins (left by a
// broken connection) or rolls back, and flags a commit for TraceQueryEnd.
func (c *committer) TraceQueryStart(ctx context.Context, conn *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	ctx = c.statementCounter.TraceQueryStart(ctx, conn, data)
	switch {
	case data.SQL == "commit":
		return context.WithValue(ctx, committing{}, true)
	case data.SQL == "rollback", strings.HasPrefix(data.SQL, "begin"):
		c.take(conn)
	}
	return ctx
}

// TraceQueryEnd wakes the waiters of the topics a committed transaction marked.
func (c *committer) TraceQueryEnd(ctx context.Context, conn *pgx.Conn, data pgx.TraceQueryEndData) {
	if ctx.Value(committing{}) == nil {
		return
	}
	topics := c.take(conn)
	if len(topics) == 0 || data.Err != nil || data.CommandTag.String() != "COMMIT" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, topic := range topics {
		for _, w := range c.waiters[topic] {
			select {
			case w <- struct{}{}:
			default:
			}
		}
	}
}
