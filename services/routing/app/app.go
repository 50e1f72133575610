// Package app assembles the routing service: reference data over gRPC and the
// consumer that routes whistles and re-routes returned dispatches. It is
// exported so the end-to-end tests can run the service in-process.
package app

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/config"
	"github.com/chuishao/whistle/platform/geo/coordsys"
	"github.com/chuishao/whistle/platform/grpcserver"
	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/platform/service"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
	"github.com/chuishao/whistle/services/routing/internal/catalogue"
	"github.com/chuishao/whistle/services/routing/internal/decisions"
	"github.com/chuishao/whistle/services/routing/internal/events"
	"github.com/chuishao/whistle/services/routing/internal/grpcapi"
	"github.com/chuishao/whistle/services/routing/internal/jurisdiction"
	"github.com/chuishao/whistle/services/routing/internal/seed"
	"github.com/chuishao/whistle/services/routing/internal/store"
	"github.com/chuishao/whistle/services/routing/migrations"
)

// Name is the service's name and its Postgres schema.
const Name = "routing"

// Config is the routing service's configuration.
type Config struct {
	config.Base
	// Seed loads the Beijing reference data after migrating (make run, e2e tests).
	Seed bool `env:"WHISTLE_SEED, default=false"`
	// BoundaryBufferM is how close (metres) to a street boundary a whistle
	// counts as on it, so the neighbouring streets are informed.
	BoundaryBufferM float64 `env:"WHISTLE_BOUNDARY_BUFFER_M, default=50"`
	// CoordSys is the coordinate system of a point to locate whose request
	// names none, as intake's: WGS84, GCJ02 or BD09.
	CoordSys string `env:"WHISTLE_COORD_SYS, default=WGS84"`
}

// Validate reports the first missing or malformed variable by name.
func (c Config) Validate() error {
	if err := c.Base.Validate(); err != nil {
		return err
	}
	if c.BoundaryBufferM < 0 || c.BoundaryBufferM > 5000 {
		return fmt.Errorf("WHISTLE_BOUNDARY_BUFFER_M: %v is not between 0 and 5000 metres", c.BoundaryBufferM)
	}
	if _, err := coordsys.ParseDefault(c.CoordSys); err != nil {
		return fmt.Errorf("WHISTLE_COORD_SYS: %w", err)
	}
	return nil
}

// App is a started routing service.
type App struct {
	rt      *service.Runtime
	handler *events.Handler
}

// New migrates the schema, seeds it when configured, and registers the gRPC API.
func New(ctx context.Context, cfg Config, deps service.Deps) (*App, error) {
	sys, err := coordsys.ParseDefault(cfg.CoordSys)
	if err != nil {
		return nil, fmt.Errorf("WHISTLE_COORD_SYS: %w", err)
	}
	if cfg.Seed {
		// Seeding goes first, on its own short-lived pool, so a failure leaves
		// nothing of the runtime to close.
		if err := seedURL(ctx, cfg.DatabaseURL); err != nil {
			return nil, err
		}
	}
	rt, err := service.Start(ctx, Name, cfg.Base, postgres.Migrations{Name: Name, FS: migrations.FS}, deps)
	if err != nil {
		return nil, err
	}
	q := store.New(rt.Pool)
	d := &decisions.Service{Pool: rt.Pool, Clock: rt.Clock, Log: rt.Log, Map: &jurisdiction.Cache{
		Buffer: cfg.BoundaryBufferM,
		Load:   func(ctx context.Context) (jurisdiction.Map, error) { return loadMap(ctx, q) },
		Version: func(ctx context.Context) (jurisdiction.Stamp, error) {
			row, err := q.MapStamp(ctx)
			return jurisdiction.Stamp{Boundaries: row.Boundaries, Parties: row.Parties}, err
		},
	}}
	h := &events.Handler{Decisions: d}
	api := grpcapi.New(d, &catalogue.Service{Pool: rt.Pool, Clock: rt.Clock, Log: rt.Log}, rt.Log)
	api.CoordSys = sys
	routingv1.RegisterRoutingServiceServer(rt.GRPC, api)
	rt.Audit(auditedMethods...)
	grpcserver.RegisterPublicView(grpcapi.PublicViewMethods...)
	grpcserver.RegisterPublic(grpcapi.PublicMethods...)
	return &App{rt: rt, handler: h}, nil
}

// loadMap reads what the jurisdiction index is built from: every street's
// boundary in force, and the communities of the boundary version in force
// with their property companies.
func loadMap(ctx context.Context, q *store.Queries) (jurisdiction.Map, error) {
	rows, err := q.ListStreetBoundaries(ctx)
	if err != nil {
		return jurisdiction.Map{}, err
	}
	m := jurisdiction.Map{Streets: make([]jurisdiction.Street, len(rows))}
	for i, r := range rows {
		m.Streets[i] = jurisdiction.Street{ID: r.ID, Boundary: r.Boundary}
	}
	cs, err := q.ListCommunityMap(ctx)
	if err != nil {
		return jurisdiction.Map{}, err
	}
	m.Communities = make([]jurisdiction.Community, len(cs))
	for i, c := range cs {
		m.Communities[i] = jurisdiction.Community{Code: c.Code, Name: c.Name, Street: c.ParentCode, Property: c.Property, Boundary: c.Geometry}
	}
	return m, nil
}

// GRPCAddr is where the gRPC API listens.
func (a *App) GRPCAddr() string { return a.rt.GRPCAddr() }

// Run serves and consumes until ctx is cancelled.
func (a *App) Run(ctx context.Context) error {
	consumer := a.handler.Consumer()
	return a.rt.Run(ctx, func(ctx context.Context) error {
		return a.rt.Consume(ctx, consumer)
	})
}

// Seed migrates the routing schema of the database pool connects to and loads
// the Beijing reference data; running it again changes nothing. The pool need
// not have the routing search_path (whistlectl seed).
func Seed(ctx context.Context, pool *pgxpool.Pool) error {
	if err := postgres.Migrate(ctx, pool, Name, bus.Migrations, postgres.Migrations{Name: Name, FS: migrations.FS}); err != nil {
		return err
	}
	return load(ctx, pool)
}

func seedURL(ctx context.Context, url string) error {
	pool, err := postgres.Connect(ctx, url, Name)
	if err != nil {
		return err
	}
	defer pool.Close()
	return Seed(ctx, pool)
}

// load upserts the seed in one transaction, so readers never see half a catalogue.
func load(ctx context.Context, pool *pgxpool.Pool) error {
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		q := store.New(tx)
		if err := q.UseRoutingSchema(ctx); err != nil {
			return err
		}
		return seed.Load(ctx, q)
	})
	if err != nil {
		return fmt.Errorf("seed routing: %w", err)
	}
	return nil
}
