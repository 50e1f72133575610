// Package service wires what every backend service has in common: its Postgres
// schema, the event stream, the outbox relay, the gRPC server and the ops
// endpoints. A service's app package adds its own API, consumers and workers.
package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/bus/outbox"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/platform/config"
	"github.com/chuishao/whistle/platform/grpcserver"
	"github.com/chuishao/whistle/platform/ops"
	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/proto/topology"
)

// Deps are what a service takes from its caller rather than from the environment,
// so tests can inject a fake clock and a test logger.
type Deps struct {
	Log   *slog.Logger
	Clock clock.Clock
	// StrictAudit fails the call of an audited method that answered without
	// running in its audit transaction (auditUnary) instead of only logging
	// and counting it: tests set it (servicetest does), production does not.
	StrictAudit bool
}

// Runtime is a started service's shared plumbing.
type Runtime struct {
	Name  string
	Log   *slog.Logger
	Clock clock.Clock
	Pool  *pgxpool.Pool
	NC    *nats.Conn
	JS    jetstream.JetStream
	// GRPC is the server to register the service's API on before Run.
	GRPC *grpc.Server

	lis         net.Listener
	opsLis      net.Listener
	pprof       bool
	consumers   bus.Options
	retention   time.Duration
	revocations *bus.RevocationList
	verifier    *auth.Verifier
	audited     map[string]string // method: its object (Audited.Object)
}

// Start connects to Postgres (schema = name) and migrates it, connects to NATS
// and declares the stream, and listens on the gRPC and ops addresses.
func Start(ctx context.Context, name string, cfg config.Base, migrations postgres.Migrations, deps Deps) (rt *Runtime, err error) {
	if deps.Log == nil || deps.Clock == nil {
		return nil, errors.New("service: Deps.Log and Deps.Clock are required")
	}
	// Every service refuses revoked service accounts' tokens (JS is set once connected).
	revocations := &bus.RevocationList{Log: deps.Log.With("component", "revocations")}
	keys := cfg.Keys()
	keys.Revocations = revocations
	verifier, err := auth.NewVerifierFromConfig(keys, deps.Log)
	if err != nil {
		return nil, err
	}
	rt = &Runtime{Name: name, Log: deps.Log, Clock: deps.Clock, pprof: cfg.OpsPprof, retention: cfg.DedupRetention, consumers: bus.Options{
		Batch: cfg.ConsumerBatch, Partitions: cfg.ConsumerPartitions, Rebalance: cfg.ConsumerRebalance,
		Starts: cfg.ConsumerStart,
	}, revocations: revocations, verifier: verifier, audited: map[string]string{}}
	if err := checkStarts(name, cfg.ConsumerStart); err != nil {
		return nil, err
	}
	started := rt // the named result is nil by the time a failed Start returns
	defer func() {
		if err != nil {
			started.close()
		}
	}()
	if rt.Pool, err = postgres.Connect(ctx, cfg.DatabaseURL, name); err != nil {
		return nil, err
	}
	rt.consumers.Limit = bus.NewLimit(rt.Pool)
	if err = prepareSchema(ctx, rt.Pool, name, cfg, migrations); err != nil {
		return nil, err
	}
	if cfg.MigrateOnly {
		rt.Log.Info("migrated; exiting (WHISTLE_MIGRATE_ONLY)")
		return nil, config.ErrMigrated
	}
	if rt.NC, rt.JS, err = bus.Connect(cfg.NATSURL, "whistle-"+name, cfg.NATS.Options()...); err != nil {
		return nil, err
	}
	if err = checkEventLimit(cfg.MaxEventBytes, rt.NC.MaxPayload()); err != nil {
		return nil, err
	}
	if err = bus.EnsureStream(ctx, rt.JS, cfg.StreamReplicas); err != nil {
		return nil, err
	}
	revocations.JS = rt.JS
	if rt.lis, err = net.Listen("tcp", cfg.GRPCAddr); err != nil {
		return nil, fmt.Errorf("listen WHISTLE_GRPC_ADDR %s: %w", cfg.GRPCAddr, err)
	}
	if rt.opsLis, err = ops.Listen(cfg.OpsAddr); err != nil {
		return nil, err
	}
	tlsOpts, err := cfg.GRPCTLS.ServerOptions()
	if err != nil {
		return nil, err
	}
	audit := grpc.ChainUnaryInterceptor(auditUnary(name, rt.audited, deps.StrictAudit, rt.Pool, deps.Clock, deps.Log))
	rt.GRPC = grpcserver.New(deps.Log, verifier, deps.Clock, append(tlsOpts, audit)...)
	return rt, nil
}

// checkStarts fails for a consumer start (WHISTLE_CONSUMER_START) that names
// none of the service's durables (proto/topology): a misspelt name would
// otherwise leave a new consumer to read the whole stream.
func checkStarts(name string, starts bus.Starts) error {
	if len(starts) == 0 {
		return nil
	}
	svc, err := topology.Of(name)
	if err != nil {
		return fmt.Errorf("WHISTLE_CONSUMER_START: %w", err)
	}
	for durable := range starts {
		if !slices.Contains(svc.Durables, durable) {
			return fmt.Errorf("WHISTLE_CONSUMER_START names %q, not one of %s's durable consumers %v", durable, name, svc.Durables)
		}
	}
	return nil
}

// eventHeadroom is the part of the server's max payload kept for what the
// relay adds to an event (the message id and NATS's header framing).
const eventHeadroom = 4 << 10

// checkEventLimit sets the outbox's event size limit (0: the default) once it
// has checked that an event of that size can be published to a server whose
// max payload is maxPayload.
func checkEventLimit(limit int, maxPayload int64) error {
	if limit == 0 {
		limit = outbox.DefaultMaxEventBytes
	}
	if int64(limit) > maxPayload-eventHeadroom {
		return fmt.Errorf("WHISTLE_MAX_EVENT_BYTES (%d) must be at most the NATS server's max_payload (%d) less %d bytes for headers",
			limit, maxPayload, eventHeadroom)
	}
	outbox.SetMaxEventBytes(limit)
	return nil
}

// prepareSchema sets the password of the service's own database role when
// asked to (a migration job), then migrates the schema, or, connected as that
// role, checks that it is migrated (postgres.Migrate).
func prepareSchema(ctx context.Context, pool *pgxpool.Pool, name string, cfg config.Base, migrations postgres.Migrations) error {
	if cfg.DatabaseRolePassword != "" {
		if err := postgres.EnsureServiceRoles(ctx, pool, name, cfg.DatabaseRolePassword); err != nil {
			return err
		}
	}
	return postgres.Migrate(ctx, pool, name, bus.Migrations, migrations)
}

// GRPCAddr is the address the gRPC server listens on (useful with port 0).
func (rt *Runtime) GRPCAddr() string { return rt.lis.Addr().String() }

// Run serves gRPC and ops, relays the outbox, prunes the consumers' records of
// handled events, and runs the service's own tasks
// (consumers, timer pollers) until ctx is cancelled or one of them fails; then
// it stops them all and closes the connections.
func (rt *Runtime) Run(ctx context.Context, tasks ...func(context.Context) error) error {
	defer rt.close()
	if err := rt.checkAudited(); err != nil {
		return err
	}
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return grpcserver.Serve(ctx, rt.GRPC, rt.lis) })
	relay := &outbox.Relay{Pool: rt.Pool, JS: rt.JS, Log: rt.Log.With("component", "outbox"), Name: rt.Name}
	g.Go(func() error { return relay.Run(ctx) })
	pruner := &bus.Pruner{Pool: rt.Pool, Clock: rt.Clock, Log: rt.Log.With("component", "dedup"), Retention: rt.retention}
	g.Go(func() error { return pruner.Run(ctx) })
	g.Go(func() error { return rt.revocations.Run(ctx) })
	if rt.opsLis != nil {
		g.Go(func() error { return rt.serveOps(ctx) })
	}
	for _, task := range tasks {
		g.Go(func() error { return task(ctx) })
	}
	rt.Log.Info("started", "grpc", rt.GRPCAddr())
	return g.Wait()
}

// Consume runs the durable consumer c with the service's batch and partition
// settings (WHISTLE_CONSUMER_*) until ctx is cancelled.
func (rt *Runtime) Consume(ctx context.Context, c bus.Consumer) error {
	return rt.consumers.Consume(ctx, rt.JS, rt.Pool, rt.Log, c)
}

func (rt *Runtime) serveOps(ctx context.Context) error {
	return ops.Serve(ctx, rt.opsLis, ops.Handler(rt.pprof,
		ops.Check{Name: "postgres", Fn: rt.Pool.Ping},
		ops.Check{Name: "nats", Fn: func(context.Context) error {
			if !rt.NC.IsConnected() {
				return errors.New("not connected")
			}
			return nil
		}},
	))
}

func (rt *Runtime) close() {
	rt.verifier.Close()
	if rt.NC != nil {
		rt.NC.Close()
	}
	if rt.Pool != nil {
		rt.Pool.Close()
	}
	if rt.lis != nil {
		_ = rt.lis.Close()
	}
	if rt.opsLis != nil {
		_ = rt.opsLis.Close()
	}
}
