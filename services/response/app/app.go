// Package app assembles the response service: its schema, the dispatch
// consumer, the duty desks' gRPC API and the SLA timer poller. It is exported
// so that cmd/response and the end-to-end tests start it the same way.
package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/config"
	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/platform/service"
	"github.com/chuishao/whistle/services/response/internal/desk"
	"github.com/chuishao/whistle/services/response/internal/events"
	"github.com/chuishao/whistle/services/response/internal/grpcapi"
	"github.com/chuishao/whistle/services/response/internal/sla"
	"github.com/chuishao/whistle/services/response/migrations"
)

// Name is the service's name and its Postgres schema.
const Name = "response"

// Config is the response service's configuration.
type Config struct {
	config.Base
	// FarArrivalMeters flags a check-in farther than this from the whistle.
	FarArrivalMeters float64 `env:"WHISTLE_FAR_ARRIVAL_METERS, default=500"`
}

// Validate checks the base configuration and the service's own variables.
func (c Config) Validate() error {
	var errs []error
	if err := c.Base.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.FarArrivalMeters <= 0 {
		errs = append(errs, fmt.Errorf("WHISTLE_FAR_ARRIVAL_METERS must be positive, got %v", c.FarArrivalMeters))
	}
	return errors.Join(errs...)
}

// App is a started response service, ready to Run.
type App struct {
	rt      *service.Runtime
	handler *events.Handler
	poller  *sla.Poller
}

// New connects, migrates and registers the API; Run starts the work.
func New(ctx context.Context, cfg Config, deps service.Deps) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	rt, err := service.Start(ctx, Name, cfg.Base, postgres.Migrations{Name: Name, FS: migrations.FS}, deps)
	if err != nil {
		return nil, err
	}
	api := &grpcapi.Server{
		Desk: &desk.Service{Pool: rt.Pool, Clock: rt.Clock, FarArrivalMeters: cfg.FarArrivalMeters},
		Log:  rt.Log.With("component", "grpcapi"),
	}
	api.Register(rt.GRPC)
	return &App{
		rt:      rt,
		handler: &events.Handler{Clock: rt.Clock, Log: rt.Log.With("component", "consumer")},
		poller:  &sla.Poller{Pool: rt.Pool, Clock: rt.Clock, Log: rt.Log.With("component", "sla")},
	}, nil
}

// GRPCAddr is where the gRPC API listens.
func (a *App) GRPCAddr() string { return a.rt.GRPCAddr() }

// Run serves the API, consumes dispatch requests and fires SLA timers until
// ctx is cancelled.
func (a *App) Run(ctx context.Context) error {
	consumer := a.handler.Consumer()
	return a.rt.Run(ctx,
		func(ctx context.Context) error { return bus.Consume(ctx, a.rt.JS, a.rt.Pool, a.rt.Log, consumer) },
		a.poller.Run,
	)
}
