// Package app assembles the feedback service: its schema, the consumer that
// builds the timelines and the read model, and the FeedbackService API. It is exported so that the
// end-to-end tests can run the service in-process.
package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"google.golang.org/grpc"

	"github.com/chuishao/whistle/platform/config"
	"github.com/chuishao/whistle/platform/grpcserver"
	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/platform/service"
	feedbackv1 "github.com/chuishao/whistle/proto/gen/whistle/feedback/v1"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"

	"github.com/chuishao/whistle/services/feedback/internal/appeals"
	"github.com/chuishao/whistle/services/feedback/internal/events"
	"github.com/chuishao/whistle/services/feedback/internal/grpcapi"
	"github.com/chuishao/whistle/services/feedback/internal/refnames"
	"github.com/chuishao/whistle/services/feedback/internal/rekey"
	"github.com/chuishao/whistle/services/feedback/internal/reports"
	"github.com/chuishao/whistle/services/feedback/internal/timeline"
	"github.com/chuishao/whistle/services/feedback/internal/whistles"
	"github.com/chuishao/whistle/services/feedback/migrations"
)

// Name is the service's name and its Postgres schema.
const Name = "feedback"

// Config is the feedback service's configuration.
type Config struct {
	config.Base
	// TimelineKeys seal and verify the timelines' hash chains: "id:base64",
	// the current key first, then retired keys still needed to verify older
	// entries (timeline.ParseKeys). The database never holds them.
	TimelineKeys string `env:"WHISTLE_TIMELINE_KEYS"`
	// TimelineRekey re-seals, with the current key, the intact timelines
	// written before keyed hashes, when the schema is migrated (as its owner).
	TimelineRekey bool `env:"WHISTLE_TIMELINE_REKEY, default=false"`
	// RoutingAddr is routing's gRPC address, asked for the names of a
	// whistle's street and category in its upward report; without it the
	// report prints their codes.
	RoutingAddr string `env:"WHISTLE_ROUTING_ADDR"`
}

// Validate reports missing or malformed variables by name.
func (c Config) Validate() error {
	var errs []error
	if _, err := timeline.ParseKeys(c.TimelineKeys); err != nil {
		errs = append(errs, fmt.Errorf("WHISTLE_TIMELINE_KEYS: %w", err))
	}
	return errors.Join(c.Base.Validate(), errors.Join(errs...))
}

// App is a started feedback service.
type App struct {
	rt       *service.Runtime
	recorder *events.Recorder
	routing  *grpc.ClientConn // nil without RoutingAddr
}

// New migrates the schema, connects to NATS and registers the API; Run serves it.
func New(ctx context.Context, cfg Config, deps service.Deps) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid configuration: %w", err)
	}
	keys, _ := timeline.ParseKeys(cfg.TimelineKeys) // validated above
	// Dialling is lazy and fails only on a malformed address, so it goes first.
	var conn *grpc.ClientConn
	var names refnames.Names
	if cfg.RoutingAddr != "" {
		var err error
		if conn, err = cfg.GRPCTLS.Dial(cfg.RoutingAddr); err != nil {
			return nil, err
		}
		names = refnames.Routing{Client: routingv1.NewRoutingServiceClient(conn)}
	}
	schema := postgres.Migrations{Name: Name, FS: migrations.FS}
	if cfg.TimelineRekey {
		schema.Then = func(ctx context.Context, tx pgx.Tx) error { return rekey.Run(ctx, tx, keys, deps.Log) }
	}
	rt, err := service.Start(ctx, Name, cfg.Base, schema, deps)
	if err != nil {
		if conn != nil {
			_ = conn.Close()
		}
		return nil, err
	}
	rebuild := func(ctx context.Context) (int64, int64, error) { return events.Rebuild(ctx, rt.Pool, rt.JS) }
	lookup := refnames.Lookup{Names: names, Log: rt.Log}
	feedbackv1.RegisterFeedbackServiceServer(rt.GRPC, &grpcapi.Server{
		Whistles: &whistles.Service{Pool: rt.Pool, Log: rt.Log, Clock: rt.Clock, Keys: keys, Names: lookup},
		Reports:  &reports.Service{Pool: rt.Pool, Clock: rt.Clock, Names: lookup, Rebuilder: rebuild},
		Appeals:  &appeals.Service{Pool: rt.Pool, Clock: rt.Clock},
		Log:      rt.Log,
	})
	rt.Audit(auditedMethods...)
	grpcserver.RegisterPublicView(grpcapi.ListWhistleEtasMethod)
	return &App{rt: rt, recorder: &events.Recorder{Clock: rt.Clock, Log: rt.Log, Keys: keys}, routing: conn}, nil
}

// GRPCAddr is the address the gRPC API listens on.
func (a *App) GRPCAddr() string { return a.rt.GRPCAddr() }

// Run serves the API and consumes the event stream until ctx is cancelled.
func (a *App) Run(ctx context.Context) error {
	if a.routing != nil {
		defer func() { _ = a.routing.Close() }()
	}
	consumer := a.recorder.Consumer()
	return a.rt.Run(ctx, func(ctx context.Context) error {
		return a.rt.Consume(ctx, consumer)
	})
}
