// Package app assembles the intake service, so that cmd/intake and the
// end-to-end tests start exactly the same thing.
package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/grpc"

	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/config"
	"github.com/chuishao/whistle/platform/geo/coordsys"
	"github.com/chuishao/whistle/platform/grpcserver"
	"github.com/chuishao/whistle/platform/service"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"

	"github.com/chuishao/whistle/services/intake/internal/events"
	"github.com/chuishao/whistle/services/intake/internal/grpcapi"
	"github.com/chuishao/whistle/services/intake/internal/whistles"
	"github.com/chuishao/whistle/services/intake/migrations"
)

// Name is the service's name and its Postgres schema.
const Name = "intake"

// Config is intake's configuration, read from the environment.
type Config struct {
	config.Base
	// RoutingAddr is routing's gRPC address, asked for streets and categories.
	RoutingAddr string `env:"WHISTLE_ROUTING_ADDR"`
	// DuplicateRadiusM and DuplicateWindow: a new whistle this close to an open
	// one of the same category raised this recently is a duplicate candidate.
	DuplicateRadiusM float64       `env:"WHISTLE_DUPLICATE_RADIUS_M, default=100"`
	DuplicateWindow  time.Duration `env:"WHISTLE_DUPLICATE_WINDOW, default=24h"`
	// CoordSys is the coordinate system of a location whose request names
	// none: WGS84, GCJ02 or BD09 (what the deployment's clients mostly send).
	CoordSys string `env:"WHISTLE_COORD_SYS, default=WGS84"`
}

// Validate reports every missing or malformed variable by name.
func (c Config) Validate() error {
	var errs []error
	if err := c.Base.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.RoutingAddr == "" {
		errs = append(errs, errors.New("WHISTLE_ROUTING_ADDR is required"))
	}
	if c.DuplicateRadiusM < 0 {
		errs = append(errs, errors.New("WHISTLE_DUPLICATE_RADIUS_M must not be negative"))
	}
	if c.DuplicateWindow < 0 {
		errs = append(errs, errors.New("WHISTLE_DUPLICATE_WINDOW must not be negative"))
	}
	if _, err := c.coordSys(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// coordSys is the default coordinate system; WGS-84 when unset (a Config
// built in code).
func (c Config) coordSys() (coordsys.System, error) {
	sys, err := coordsys.ParseDefault(c.CoordSys)
	if err != nil {
		return "", fmt.Errorf("WHISTLE_COORD_SYS: %w", err)
	}
	return sys, nil
}

// App is a started intake service.
type App struct {
	rt       *service.Runtime
	routing  *grpc.ClientConn
	consumer bus.Consumer
}

// New connects, migrates and registers the API; Run serves it.
func New(ctx context.Context, cfg Config, deps service.Deps) (*App, error) {
	if cfg.RoutingAddr == "" {
		return nil, errors.New("WHISTLE_ROUTING_ADDR is required")
	}
	sys, err := cfg.coordSys()
	if err != nil {
		return nil, err
	}
	// Dialling is lazy and fails only on a malformed address, so it goes first:
	// nothing else is open yet to be closed on that error.
	routing, err := cfg.GRPCTLS.Dial(cfg.RoutingAddr)
	if err != nil {
		return nil, err
	}
	rt, err := service.Start(ctx, Name, cfg.Base, migrations.Set, deps)
	if err != nil {
		_ = routing.Close()
		return nil, err
	}
	api := &grpcapi.Server{Service: &whistles.Service{
		Pool:    rt.Pool,
		Routing: routingv1.NewRoutingServiceClient(routing),
		Clock:   rt.Clock,
		Log:     rt.Log,

		DuplicateRadiusM: cfg.DuplicateRadiusM,
		DuplicateWindow:  cfg.DuplicateWindow,
		CoordSys:         sys,
	}}
	intakev1.RegisterIntakeServiceServer(rt.GRPC, api)
	grpcserver.RegisterPublicView(grpcapi.PublicViewMethods...)
	grpcserver.RegisterResidentMethods(grpcapi.ResidentMethods...)
	consumer := &events.Consumer{Clock: rt.Clock}
	return &App{rt: rt, routing: routing, consumer: consumer.Bus()}, nil
}

// GRPCAddr is the address the gRPC API listens on.
func (a *App) GRPCAddr() string { return a.rt.GRPCAddr() }

// Run serves the API and consumes routing's and response's events until ctx
// is cancelled.
func (a *App) Run(ctx context.Context) error {
	defer func() { _ = a.routing.Close() }()
	return a.rt.Run(ctx, func(ctx context.Context) error {
		return a.rt.Consume(ctx, a.consumer)
	})
}
