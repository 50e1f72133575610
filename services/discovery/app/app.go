// Package app assembles the discovery service, so that cmd/discovery and the
// end-to-end tests start exactly the same thing.
package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/grpc"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/config"
	"github.com/chuishao/whistle/platform/geo/coordsys"
	"github.com/chuishao/whistle/platform/grpcserver"
	"github.com/chuishao/whistle/platform/service"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"

	"github.com/chuishao/whistle/services/discovery/internal/discovery"
	"github.com/chuishao/whistle/services/discovery/internal/events"
	"github.com/chuishao/whistle/services/discovery/internal/grpcapi"
	"github.com/chuishao/whistle/services/discovery/internal/reports"
	"github.com/chuishao/whistle/services/discovery/migrations"
)

// Name is the service's name and its Postgres schema.
const Name = "discovery"

// Config is discovery's configuration, read from the environment.
type Config struct {
	config.Base
	// IntakeAddr is intake's gRPC address: whistles are raised, read and
	// answered there.
	IntakeAddr string `env:"WHISTLE_INTAKE_ADDR"`
	// RoutingAddr is routing's gRPC address, asked for streets and categories.
	RoutingAddr string `env:"WHISTLE_ROUTING_ADDR"`
	// FollowUpSigningKey is the base64 Ed25519 key that signs the resident
	// tokens discovery answers a follow-up with at intake; its public half is
	// every service's follow-up scoped key (WHISTLE_JWT_SCOPED_KEYS).
	FollowUpSigningKey string `env:"WHISTLE_FOLLOWUP_SIGNING_KEY"`
	// DuplicateRadiusM groups an inbox's nearby reports of one category.
	DuplicateRadiusM float64 `env:"WHISTLE_DUPLICATE_RADIUS_M, default=100"`
	// TriageLimit is how long a street has to triage a report (warning at 80 %).
	TriageLimit time.Duration `env:"WHISTLE_TRIAGE_LIMIT, default=2h"`
	// FollowUpTTL is how long a resident's follow-up token works after the
	// result it follows was given (30 days).
	FollowUpTTL time.Duration `env:"WHISTLE_FOLLOWUP_TTL, default=720h"`
	// CoordSys is the coordinate system of a location whose request names
	// none: WGS84, GCJ02 or BD09.
	CoordSys string `env:"WHISTLE_COORD_SYS, default=WGS84"`
	// HotlineLimits are the 12345 statutory limits per ticket type
	// ("urgent=2h,expedited=24h,general=7d,complex=15d"; types not named keep
	// these defaults).
	HotlineLimits string `env:"WHISTLE_HOTLINE_LIMITS"`
}

// Validate reports every missing or malformed variable by name.
func (c Config) Validate() error {
	var errs []error
	if err := c.Base.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.IntakeAddr == "" {
		errs = append(errs, errors.New("WHISTLE_INTAKE_ADDR is required"))
	}
	if c.RoutingAddr == "" {
		errs = append(errs, errors.New("WHISTLE_ROUTING_ADDR is required"))
	}
	if c.FollowUpSigningKey != "" {
		if _, err := auth.ParsePrivateKey(c.FollowUpSigningKey); err != nil {
			errs = append(errs, fmt.Errorf("WHISTLE_FOLLOWUP_SIGNING_KEY: %w", err))
		}
	}
	if c.DuplicateRadiusM < 0 {
		errs = append(errs, errors.New("WHISTLE_DUPLICATE_RADIUS_M must not be negative"))
	}
	if c.TriageLimit < 0 {
		errs = append(errs, errors.New("WHISTLE_TRIAGE_LIMIT must not be negative"))
	}
	if c.FollowUpTTL < 0 {
		errs = append(errs, errors.New("WHISTLE_FOLLOWUP_TTL must not be negative"))
	}
	if _, err := coordsys.ParseDefault(c.CoordSys); err != nil {
		errs = append(errs, fmt.Errorf("WHISTLE_COORD_SYS: %w", err))
	}
	if _, err := reports.ParseTicketLimits(c.HotlineLimits); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// App is a started discovery service.
type App struct {
	rt       *service.Runtime
	conns    []*grpc.ClientConn
	consumer bus.Consumer
	triage   *events.TriageClock
}

// New connects, migrates and registers the API; Run serves it.
func New(ctx context.Context, cfg Config, deps service.Deps) (*App, error) {
	if cfg.IntakeAddr == "" || cfg.RoutingAddr == "" {
		return nil, errors.New("WHISTLE_INTAKE_ADDR and WHISTLE_ROUTING_ADDR are required")
	}
	sys, err := coordsys.ParseDefault(cfg.CoordSys)
	if err != nil {
		return nil, fmt.Errorf("WHISTLE_COORD_SYS: %w", err)
	}
	limits, err := reports.ParseTicketLimits(cfg.HotlineLimits)
	if err != nil {
		return nil, err
	}
	var resident *auth.Signer
	if cfg.FollowUpSigningKey != "" {
		key, err := auth.ParsePrivateKey(cfg.FollowUpSigningKey)
		if err != nil {
			return nil, fmt.Errorf("WHISTLE_FOLLOWUP_SIGNING_KEY: %w", err)
		}
		resident = auth.NewSigner(key).WithIssuer(cfg.JWTIssuer)
	}
	// Dialling is lazy and fails only on a malformed address, so it goes first.
	intake, err := cfg.GRPCTLS.Dial(cfg.IntakeAddr)
	if err != nil {
		return nil, err
	}
	routing, err := cfg.GRPCTLS.Dial(cfg.RoutingAddr)
	if err != nil {
		_ = intake.Close()
		return nil, err
	}
	a := &App{conns: []*grpc.ClientConn{intake, routing}}
	rt, err := service.Start(ctx, Name, cfg.Base, migrations.Set, deps)
	if err != nil {
		a.close()
		return nil, err
	}
	a.rt = rt
	disc := &discovery.Service{Pool: rt.Pool, Clock: rt.Clock, TriageLimit: cfg.TriageLimit, FollowUpTTL: cfg.FollowUpTTL,
		TicketLimits: limits, DuplicateRadiusM: cfg.DuplicateRadiusM,
		Whistles: grpcapi.Whistles{Intake: intakev1.NewIntakeServiceClient(intake), Resident: resident, Clock: rt.Clock},
		Refs:     grpcapi.NewReferences(routingv1.NewRoutingServiceClient(routing)),
	}
	intakev1.RegisterReportServiceServer(rt.GRPC, &grpcapi.ReportServer{Discovery: disc, Log: rt.Log, CoordSys: sys})
	grpcserver.RegisterPublic(grpcapi.PublicReportMethods...)
	grpcserver.RegisterPublicView(grpcapi.PublicViewMethods...)
	consumer := &events.Consumer{Clock: rt.Clock}
	a.consumer = consumer.Bus()
	a.triage = &events.TriageClock{Pool: rt.Pool, Clock: rt.Clock, Log: rt.Log.With("component", "triage")}
	return a, nil
}

func (a *App) close() {
	for _, c := range a.conns {
		_ = c.Close()
	}
}

// GRPCAddr is the address the gRPC API listens on.
func (a *App) GRPCAddr() string { return a.rt.GRPCAddr() }

// Run serves the API, consumes the whistle and dispatch events and runs the
// triage clock until ctx is cancelled.
func (a *App) Run(ctx context.Context) error {
	defer a.close()
	return a.rt.Run(ctx, func(ctx context.Context) error {
		return a.rt.Consume(ctx, a.consumer)
	}, a.triage.Run)
}
