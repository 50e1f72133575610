package bus

import (
	"context"
	"fmt"
	"hash/fnv"
	"log/slog"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chuishao/whistle/platform/retry"
	"github.com/chuishao/whistle/proto/events"
)

// Partitioning (docs/decisions.md, "Scale-out"): a stream sourced
// from WHISTLE holds every event again under "part.<k>.<subject>", k being
// a hash of the event's district into P partitions (a JetStream subject
// transform). Each consumer becomes P durable consumers "<name>-p<k>" on it,
// and the replicas of a service share them out with Postgres advisory locks:
// a replica holds a member lock while it lives and one lock per partition it
// runs, and takes or gives up partitions until it holds its fair share.
// Every event of a whistle has the whistle's district, so it lands in one
// partition and is handled by one replica, in stream order.

// PartitionStream holds the events again, each under "part.<k>.<subject>".
// Its name does not depend on the partition count, so NATS permissions need
// not either; see docs/operations.md for changing the count.
const PartitionStream = StreamName + "_PARTS"

// MaxPartitions bounds the partition count, so that a service's NATS user can
// be granted its partition consumers by name (PartitionAPI).
const MaxPartitions = 32

// PartitionConsumer is the durable name of partition k of a consumer.
func PartitionConsumer(durable string, k int) string { return durable + "-p" + strconv.Itoa(k) }

// PartitionAPI are the JetStream API subjects a service's NATS user needs to
// run a durable consumer partitioned (any count up to MaxPartitions): declare
// the partition stream, and create, read and acknowledge the partition consumers.
func PartitionAPI(durable string) []string {
	out := []string{
		"$JS.API.STREAM.INFO." + PartitionStream, "$JS.API.STREAM.CREATE." + PartitionStream,
		"$JS.API.STREAM.UPDATE." + PartitionStream,
	}
	for k := range MaxPartitions {
		c := PartitionStream + "." + PartitionConsumer(durable, k)
		out = append(out, "$JS.API.CONSUMER.CREATE."+c, "$JS.API.CONSUMER.CREATE."+c+".>",
			"$JS.API.CONSUMER.INFO."+c, "$JS.API.CONSUMER.MSG.NEXT."+c, "$JS.ACK."+c+".>")
	}
	return out
}

// PartitionSubject is the filter of a partition consumer for one of the
// consumer's subjects, e.g. ("dispatch.v1.requested.>", 3) → "part.3.dispatch.v1.requested.>".
func PartitionSubject(subject string, partition int) string {
	return "part." + strconv.Itoa(partition) + "." + subject
}

// EnsurePartitionStream declares the partition stream for P partitions,
// sourced from the event stream, with the event stream's replica count.
func EnsurePartitionStream(ctx context.Context, js jetstream.JetStream, partitions int) error {
	src, err := js.Stream(ctx, StreamName)
	if err != nil {
		return fmt.Errorf("stream %s: %w", StreamName, err)
	}
	cfg := src.CachedInfo().Config
	_, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:      PartitionStream,
		Sources:   []*jetstream.StreamSource{{Name: StreamName, SubjectTransforms: partitionTransforms(partitions)}},
		Storage:   jetstream.FileStorage,
		Retention: jetstream.LimitsPolicy,
		MaxAge:    cfg.MaxAge,
		Replicas:  cfg.Replicas,
	})
	if err != nil {
		return fmt.Errorf("declare stream %s: %w", PartitionStream, err)
	}
	return nil
}

// partitionTransforms map every subject of the stream to its partition. Every
// subject is <domain>.v1.<event>.<district>[.<more>] (events.Subject), so the
// district is the second wildcard of "<domain>.v1.*.*[.*…]".
func partitionTransforms(partitions int) []jetstream.SubjectTransformConfig {
	part := "part.{{partition(" + strconv.Itoa(partitions) + ",2)}}."
	var out []jetstream.SubjectTransformConfig
	for _, pattern := range events.Subjects {
		domain := strings.TrimSuffix(pattern, ".>")
		src, dst := domain, part+domain
		for w := 1; w <= 4; w++ {
			src += ".*"
			dst += ".{{wildcard(" + strconv.Itoa(w) + ")}}"
			if w >= 2 {
				out = append(out, jetstream.SubjectTransformConfig{Source: src, Destination: dst})
			}
		}
	}
	return out
}

// partitioned runs one consumer as the share of its partitions this replica holds.
type partitioned struct {
	opts Options
	js   jetstream.JetStream
	pool *pgxpool.Pool
	log  *slog.Logger
	c    Consumer
}

// running is a partition this replica holds and runs.
type running struct {
	stop context.CancelFunc
	done chan struct{}
}

func (p *partitioned) run(ctx context.Context) error {
	if err := EnsurePartitionStream(ctx, p.js, p.opts.Partitions); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	return retry.Forever(ctx, p.log, "consumer partitions", p.session)
}

// session joins the group on a connection of its own (the locks live as long
// as it does) and rebalances until ctx is cancelled or the connection fails;
// either way it stops every partition it runs before returning.
func (p *partitioned) session(ctx context.Context) error {
	pc, err := p.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	conn := pc.Hijack()
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()
	var schema string
	if err := conn.QueryRow(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return err
	}
	g := group{conn: conn, members: lockKey("members", schema, p.c.Name), partitions: lockKey("partitions", schema, p.c.Name)}
	if err := g.join(ctx); err != nil {
		return err
	}
	owned := map[int]running{}
	defer func() {
		for k, r := range owned {
			r.stop()
			<-r.done
			delete(owned, k)
		}
	}()
	tick := time.NewTicker(p.opts.rebalance())
	defer tick.Stop()
	for {
		if err := p.rebalance(ctx, g, owned); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// rebalance takes or gives up partitions until this replica holds
// ceil(P / live replicas) of them, and restarts any that stopped.
func (p *partitioned) rebalance(ctx context.Context, g group, owned map[int]running) error {
	n := p.opts.Partitions
	members, err := g.count(ctx)
	if err != nil {
		return err
	}
	fair := (n + max(members, 1) - 1) / max(members, 1)
	before := len(owned)
	for _, k := range slices.Backward(slices.Sorted(maps.Keys(owned))) {
		if len(owned) <= fair {
			break
		}
		r := owned[k]
		r.stop()
		<-r.done
		delete(owned, k)
		if err := g.unlock(ctx, k); err != nil {
			return err
		}
	}
	for i := range n {
		if len(owned) >= fair {
			break
		}
		k := (int(g.member) + i) % n
		if _, ok := owned[k]; ok {
			continue
		}
		got, err := g.tryLock(ctx, k)
		if err != nil {
			return err
		}
		if got {
			owned[k] = p.start(ctx, k)
		}
	}
	if len(owned) != before {
		p.log.Info("consumer partitions", "owned", slices.Sorted(maps.Keys(owned)), "of", n, "replicas", members)
	}
	return nil
}

// start runs partition k until stopped.
func (p *partitioned) start(ctx context.Context, k int) running {
	ctx, cancel := context.WithCancel(ctx)
	subjects := make([]string, len(p.c.Subjects))
	for i, s := range p.c.Subjects {
		subjects[i] = PartitionSubject(s, k)
	}
	name := PartitionConsumer(p.c.Name, k)
	d := durable{stream: PartitionStream, name: name, subjects: subjects, c: p.c,
		opts: p.opts, js: p.js, pool: p.pool, log: p.log.With("partition", k)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = retry.Forever(ctx, d.log, "consumer "+name, d.run)
	}()
	return running{stop: cancel, done: done}
}

// group is this replica's membership of a consumer's group: session-level
// advisory locks (key1, key2) — (members, member id) while it lives and
// (partitions, k) for each partition it runs — released by Postgres when the
// session ends, so a replica that dies frees its partitions at once.
type group struct {
	conn                *pgx.Conn
	members, partitions int32
	member              int32
}

func lockKey(parts ...string) int32 {
	h := fnv.New32a()
	for _, s := range parts {
		_, _ = h.Write([]byte(s + "/"))
	}
	return int32(h.Sum32() & 0x7fffffff)
}

func (g *group) join(ctx context.Context) error {
	for {
		id := rand.Int32()
		var ok bool
		if err := g.conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1::int4, $2::int4)", g.members, id).Scan(&ok); err != nil {
			return err
		}
		if ok {
			g.member = id
			return nil
		}
	}
}

// count is the number of live replicas: sessions holding a member lock.
func (g group) count(ctx context.Context) (int, error) {
	var n int
	err := g.conn.QueryRow(ctx, `SELECT count(*) FROM pg_locks
		WHERE locktype = 'advisory' AND objsubid = 2 AND granted AND classid::int8 = $1
		  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`, int64(g.members)).Scan(&n)
	return n, err
}

func (g group) tryLock(ctx context.Context, k int) (bool, error) {
	var ok bool
	err := g.conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1::int4, $2::int4)", g.partitions, int32(k)).Scan(&ok)
	return ok, err
}

func (g group) unlock(ctx context.Context, k int) error {
	_, err := g.conn.Exec(ctx, "SELECT pg_advisory_unlock($1::int4, $2::int4)", g.partitions, int32(k))
	return err
}
