// Package raw measures the machine's own limits on the servers the stack
// uses: the JetStream publish rate and the Postgres "insert a row and its
// outbox row in one transaction" rate. Whistle's figures are read against
// these, so runs on different machines can be compared.
package raw

import (
	"context"
	"crypto/rand"
	_ "embed"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chuishao/whistle/tools/bench/internal/report"
)

var (
	//go:embed schema.sql
	schemaSQL string
	//go:embed insert_row.sql
	insertRowSQL string
	//go:embed insert_outbox.sql
	insertOutboxSQL string
)

// MessageSize is the payload of the publish baseline, about one event.
const MessageSize = 512

// Limits bound each baseline by time and by count.
type Limits struct {
	Duration time.Duration
	MaxOps   int
}

func failed(name, unit string, err error) report.Baseline {
	return report.Baseline{Name: name, Unit: unit, Error: err.Error()}
}

// JetStream publishes MessageSize-byte messages to a scratch file-storage
// stream (like the WHISTLE stream) on natsURL (as the user opts name): once waiting for every ack
// (sync), once with up to window acks outstanding (async). The stream is
// deleted afterwards.
func JetStream(ctx context.Context, natsURL string, lim Limits, window int, opts ...nats.Option) []report.Baseline {
	syncName := fmt.Sprintf("jetstream publish sync, %d B", MessageSize)
	asyncName := fmt.Sprintf("jetstream publish async (window %d), %d B", window, MessageSize)
	nc, err := nats.Connect(natsURL, opts...)
	if err != nil {
		err = fmt.Errorf("connect %s: %w", natsURL, err)
		return []report.Baseline{failed(syncName, "msgs/s", err), failed(asyncName, "msgs/s", err)}
	}
	defer nc.Close()
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(window))
	if err != nil {
		err = fmt.Errorf("jetstream: %w", err)
		return []report.Baseline{failed(syncName, "msgs/s", err), failed(asyncName, "msgs/s", err)}
	}
	stream := fmt.Sprintf("BENCH_RAW_%d", os.Getpid())
	subject := fmt.Sprintf("bench.raw.%d", os.Getpid())
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: stream, Subjects: []string{subject}, Storage: jetstream.FileStorage}); err != nil {
		err = fmt.Errorf("create stream %s: %w", stream, err)
		return []report.Baseline{failed(syncName, "msgs/s", err), failed(asyncName, "msgs/s", err)}
	}
	defer func() { _ = js.DeleteStream(context.WithoutCancel(ctx), stream) }()
	payload := make([]byte, MessageSize)
	_, _ = rand.Read(payload)

	out := []report.Baseline{{Name: syncName, Unit: "msgs/s"}, {Name: asyncName, Unit: "msgs/s"}}
	start := time.Now()
	n := 0
	for ; n < lim.MaxOps && time.Since(start) < lim.Duration; n++ {
		if _, err := js.Publish(ctx, subject, payload); err != nil {
			out[0].Error = fmt.Sprintf("publish: %v", err)
			break
		}
	}
	out[0].Ops, out[0].Rate = n, float64(n)/time.Since(start).Seconds()

	start = time.Now()
	n = 0
	for ; n < lim.MaxOps && time.Since(start) < lim.Duration; n++ {
		if _, err := js.PublishAsync(subject, payload); err != nil {
			out[1].Error = fmt.Sprintf("publish async: %v", err)
			break
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(30 * time.Second):
		out[1].Error = "async acks not complete within 30 s"
	case <-ctx.Done():
		out[1].Error = ctx.Err().Error()
	}
	out[1].Ops, out[1].Rate = n, float64(n)/time.Since(start).Seconds()
	return out
}

// Names of the Postgres baselines.
const (
	pgTxName       = "pgx insert + outbox row tx"
	pgTxNotifyName = "pgx insert + outbox row + pg_notify tx"
)

// PgTx runs conns connections, each committing transactions of one row
// insert plus one outbox insert, in a scratch schema of dbURL's database that
// is dropped afterwards; then the same with a pg_notify in each transaction,
// which Whistle no longer does: its queue lock serialises the commits of the
// whole cluster, and the second figure shows what that costs.
func PgTx(ctx context.Context, dbURL string, conns int, lim Limits) []report.Baseline {
	plain := report.Baseline{Name: fmt.Sprintf("%s, %d conns", pgTxName, conns), Unit: "tx/s"}
	notify := report.Baseline{Name: fmt.Sprintf("%s, %d conns", pgTxNotifyName, conns), Unit: "tx/s"}
	fail := func(err error) []report.Baseline {
		return []report.Baseline{failed(plain.Name, plain.Unit, err), failed(notify.Name, notify.Unit, err)}
	}
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		return fail(fmt.Errorf("parse DATABASE_URL: %w", err))
	}
	schema := fmt.Sprintf("bench_raw_%d", os.Getpid())
	cfg.RuntimeParams["search_path"] = schema
	admin, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fail(fmt.Errorf("connect: %w", err))
	}
	defer func() { _ = admin.Close(context.WithoutCancel(ctx)) }()
	ident := pgx.Identifier{schema}.Sanitize()
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+ident); err != nil {
		return fail(fmt.Errorf("create schema %s: %w", schema, err))
	}
	defer func() { _, _ = admin.Exec(context.WithoutCancel(ctx), "DROP SCHEMA "+ident+" CASCADE") }()
	if _, err := admin.Exec(ctx, schemaSQL); err != nil {
		return fail(fmt.Errorf("create scratch tables: %w", err))
	}

	workers := make([]*pgx.Conn, conns)
	for i := range workers {
		c, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			return fail(fmt.Errorf("connect worker %d: %w", i, err))
		}
		defer func() { _ = c.Close(context.WithoutCancel(ctx)) }()
		workers[i] = c
	}
	measure(ctx, &plain, workers, lim, false)
	measure(ctx, &notify, workers, lim, true)
	return []report.Baseline{plain, notify}
}

// measure fills b with the rate at which workers commit oneTx.
func measure(ctx context.Context, b *report.Baseline, workers []*pgx.Conn, lim Limits, notify bool) {
	payload := make([]byte, MessageSize)
	_, _ = rand.Read(payload)
	var (
		ops      atomic.Int64
		firstErr atomic.Value
		wg       sync.WaitGroup
	)
	start := time.Now()
	for _, c := range workers {
		wg.Go(func() {
			for ctx.Err() == nil && time.Since(start) < lim.Duration {
				if ops.Add(1) > int64(lim.MaxOps) {
					ops.Add(-1)
					return
				}
				if err := oneTx(ctx, c, payload, notify); err != nil {
					ops.Add(-1)
					firstErr.CompareAndSwap(nil, err.Error())
					return
				}
			}
		})
	}
	wg.Wait()
	b.Ops = int(ops.Load())
	b.Rate = float64(b.Ops) / time.Since(start).Seconds()
	if e, ok := firstErr.Load().(string); ok {
		b.Error = e
	}
}

func oneTx(ctx context.Context, c *pgx.Conn, payload []byte, notify bool) error {
	var rowID, eventID [16]byte
	_, _ = rand.Read(rowID[:])
	_, _ = rand.Read(eventID[:])
	return pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, insertRowSQL, rowID, "110101001", "joint-enforcement", "bench raw baseline"); err != nil {
			return fmt.Errorf("insert row: %w", err)
		}
		if _, err := tx.Exec(ctx, insertOutboxSQL, eventID, "whistle.v1.raised.110101", payload); err != nil {
			return fmt.Errorf("insert outbox row: %w", err)
		}
		if notify {
			if _, err := tx.Exec(ctx, "SELECT pg_notify('bench_outbox', '')"); err != nil {
				return fmt.Errorf("notify: %w", err)
			}
		}
		return nil
	})
}
