// Package app assembles the response service: its schema, the dispatch
// consumer, the duty desks' gRPC API, the SLA timer poller and the outbound
// webhooks (internal/notify). It is exported
// so that cmd/response and the end-to-end tests start it the same way.
package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/config"
	"github.com/chuishao/whistle/platform/geo/coordsys"
	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/platform/service"
	"github.com/chuishao/whistle/services/response/internal/desk"
	"github.com/chuishao/whistle/services/response/internal/duty"
	"github.com/chuishao/whistle/services/response/internal/events"
	"github.com/chuishao/whistle/services/response/internal/grpcapi"
	"github.com/chuishao/whistle/services/response/internal/notify"
	"github.com/chuishao/whistle/services/response/internal/policy"
	"github.com/chuishao/whistle/services/response/internal/response"
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
	// CoordSys is the coordinate system of a check-in position whose request
	// names none (as intake's and routing's WHISTLE_COORD_SYS).
	CoordSys string `env:"WHISTLE_COORD_SYS, default=WGS84"`
	// SuperviseAfter is the delay from 催办 (the breach) to 督办 (the district supervisor).
	SuperviseAfter time.Duration `env:"WHISTLE_SLA_SUPERVISE_AFTER, default=30m"`
	// ListAfter is the delay from 督办 to 挂牌督办 (city level).
	ListAfter time.Duration `env:"WHISTLE_SLA_LIST_AFTER, default=2h"`
	// WorkStart and WorkEnd are the working hours (Asia/Shanghai, HH:MM) that
	// resolve limits in working days count.
	WorkStart string `env:"WHISTLE_SLA_WORK_START, default=09:00"`
	WorkEnd   string `env:"WHISTLE_SLA_WORK_END, default=17:00"`
	// TimerBatch is the most SLA timers fired per transaction.
	TimerBatch int32 `env:"WHISTLE_SLA_TIMER_BATCH, default=500"`
	// Webhooks are the departments' outbound webhook endpoints,
	// "department@district=url|secret,..." (see docs/webhooks.md); loaded
	// into the schema at start, replacing the previous set.
	Webhooks string `env:"WHISTLE_WEBHOOKS"`
	// WebhookAllow opens the webhooks' egress to internal destinations that
	// are refused by default (loopback, private, link-local, CGNAT...): comma-
	// separated CIDRs, IP addresses and hostnames, for a department's real
	// intranet (docs/security.md, "Webhook egress").
	WebhookAllow string `env:"WHISTLE_WEBHOOK_ALLOW"`
	// WebhookDeny are ranges webhooks never reach, whatever WebhookAllow says:
	// comma-separated CIDRs, such as the cluster's pod and service ranges.
	WebhookDeny string `env:"WHISTLE_WEBHOOK_DENY"`
	// WebhookTimeout bounds one delivery attempt.
	WebhookTimeout time.Duration `env:"WHISTLE_WEBHOOK_TIMEOUT, default=10s"`
	// WebhookBackoff is the wait after a first failed attempt; it doubles after each further one.
	WebhookBackoff time.Duration `env:"WHISTLE_WEBHOOK_BACKOFF, default=30s"`
	// WebhookMaxAttempts failed attempts make a delivery a dead letter.
	WebhookMaxAttempts int `env:"WHISTLE_WEBHOOK_MAX_ATTEMPTS, default=8"`
	// WebhookPerMinute individual deliveries per endpoint and minute; the
	// events beyond go into a digest (docs/webhooks.md). Negative: no limit.
	WebhookPerMinute int `env:"WHISTLE_WEBHOOK_PER_MINUTE, default=30"`
	// WebhookWorkers posts run at once per replica; WebhookPerEndpoint of
	// them at most to one endpoint, so a hanging endpoint delays no other.
	WebhookWorkers     int `env:"WHISTLE_WEBHOOK_WORKERS, default=8"`
	WebhookPerEndpoint int `env:"WHISTLE_WEBHOOK_PER_ENDPOINT, default=2"`
	// WebhookSecretOverlap is how long a replaced secret keeps signing beside
	// the new one (a rotation through the API may say otherwise).
	WebhookSecretOverlap time.Duration `env:"WHISTLE_WEBHOOK_SECRET_OVERLAP, default=24h"`
	// DeskWindow is how recent a desk's heartbeat must be for its department
	// to be staffed; a dispatch to an unstaffed desk escalates at once
	// (docs/duty-desks.md). Negative: no unstaffed escalation.
	DeskWindow time.Duration `env:"WHISTLE_DESK_HEARTBEAT_WINDOW, default=2m"`
	// ServiceAccountKey is the base64 Ed25519 key that signs service-account
	// tokens; the services' verifiers must accept it (the issuer's key or a
	// key in the JWKS). Empty: service accounts cannot be issued.
	ServiceAccountKey string `env:"WHISTLE_SERVICE_ACCOUNT_KEY"`
	// Channels are the messages to people on duty (SMS, group robots, e-mail).
	Channels ChannelsConfig
}

// duty is the duty desks' service: rosters, heartbeats, service accounts.
func (c Config) duty(rt *service.Runtime) *duty.Service {
	s := &duty.Service{Pool: rt.Pool, Clock: rt.Clock, Window: c.DeskWindow}
	switch {
	case c.DeskWindow == 0:
		s.Window = duty.DefaultWindow
	case c.DeskWindow < 0:
		s.Window = 0
	}
	if key, err := auth.ParsePrivateKey(c.ServiceAccountKey); err == nil && c.ServiceAccountKey != "" {
		s.Signer = auth.NewSigner(key).WithIssuer(c.JWTIssuer)
	}
	return s
}

// throttle is the webhooks' limit per endpoint and minute.
func (c Config) throttle() notify.Throttle {
	switch {
	case c.WebhookPerMinute == 0:
		return notify.Throttle{PerMinute: notify.DefaultPerMinute}
	case c.WebhookPerMinute < 0:
		return notify.Throttle{}
	}
	return notify.Throttle{PerMinute: c.WebhookPerMinute}
}

// egress is the webhooks' egress policy.
func (c Config) egress() (notify.Egress, error) {
	return notify.ParseEgress(c.WebhookAllow, c.WebhookDeny)
}

// checkWebhooks validates the egress policy and the configured endpoints, and
// refuses an endpoint whose address the policy would refuse on every attempt.
func (c Config) checkWebhooks() error {
	eg, err := c.egress()
	if err != nil {
		return err
	}
	eps, err := notify.ParseEndpoints(c.Webhooks)
	if err != nil {
		return err
	}
	for _, ep := range eps {
		if err := eg.CheckURL(ep.URL); err != nil {
			return fmt.Errorf("WHISTLE_WEBHOOKS endpoint %s@%s: %w (list it in WHISTLE_WEBHOOK_ALLOW if it is a department's intranet)",
				ep.Department, ep.DistrictID, err)
		}
	}
	return c.Channels.check(eg)
}

// workHours parses the working hours.
func (c Config) workHours() (start, end time.Duration, err error) {
	parse := func(name, v string) (time.Duration, error) {
		if v == "" {
			return 0, nil
		}
		t, err := time.Parse("15:04", v)
		if err != nil {
			return 0, fmt.Errorf("%s must be HH:MM, got %q", name, v)
		}
		return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
	}
	if start, err = parse("WHISTLE_SLA_WORK_START", c.WorkStart); err != nil {
		return 0, 0, err
	}
	if end, err = parse("WHISTLE_SLA_WORK_END", c.WorkEnd); err != nil {
		return 0, 0, err
	}
	if start == 0 && end == 0 {
		return response.DefaultWorkStart, response.DefaultWorkEnd, nil
	}
	if end <= start {
		return 0, 0, fmt.Errorf("WHISTLE_SLA_WORK_END (%s) must be after WHISTLE_SLA_WORK_START (%s)", c.WorkEnd, c.WorkStart)
	}
	return start, end, nil
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
	if _, err := coordsys.ParseDefault(c.CoordSys); err != nil {
		errs = append(errs, fmt.Errorf("WHISTLE_COORD_SYS: %w", err))
	}
	// Zero values (a Config built in code, as the end-to-end tests do) mean the defaults.
	if c.SuperviseAfter < 0 {
		errs = append(errs, fmt.Errorf("WHISTLE_SLA_SUPERVISE_AFTER must be positive, got %v", c.SuperviseAfter))
	}
	if c.ListAfter < 0 {
		errs = append(errs, fmt.Errorf("WHISTLE_SLA_LIST_AFTER must be positive, got %v", c.ListAfter))
	}
	if c.TimerBatch < 0 {
		errs = append(errs, fmt.Errorf("WHISTLE_SLA_TIMER_BATCH must be positive, got %v", c.TimerBatch))
	}
	if _, _, err := c.workHours(); err != nil {
		errs = append(errs, err)
	}
	if err := c.checkWebhooks(); err != nil {
		errs = append(errs, err)
	}
	if c.ServiceAccountKey != "" {
		if _, err := auth.ParsePrivateKey(c.ServiceAccountKey); err != nil {
			errs = append(errs, fmt.Errorf("WHISTLE_SERVICE_ACCOUNT_KEY: %w", err))
		}
	}
	if c.WebhookTimeout < 0 || c.WebhookBackoff < 0 || c.WebhookMaxAttempts < 0 {
		errs = append(errs, errors.New("WHISTLE_WEBHOOK_TIMEOUT, WHISTLE_WEBHOOK_BACKOFF and WHISTLE_WEBHOOK_MAX_ATTEMPTS must be positive"))
	}
	if c.WebhookWorkers < 0 || c.WebhookPerEndpoint < 0 || c.WebhookSecretOverlap < 0 {
		errs = append(errs, errors.New("WHISTLE_WEBHOOK_WORKERS, WHISTLE_WEBHOOK_PER_ENDPOINT and WHISTLE_WEBHOOK_SECRET_OVERLAP must not be negative"))
	}
	return errors.Join(errs...)
}

// App is a started response service, ready to Run.
type App struct {
	rt      *service.Runtime
	handler *events.Handler
	poller  *sla.Poller
	webhook *notify.Notifier
	// revocations publishes the revoked service accounts to every service.
	revocations *bus.RevocationPublisher
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
	workStart, workEnd, _ := cfg.workHours()                           // validated above
	coordSys, _ := coordsys.ParseDefault(cfg.CoordSys)                 // validated above
	egress, _ := cfg.egress()                                          // validated above
	webhooks, _ := notify.ParseEndpoints(cfg.Webhooks)                 // validated above
	channelEndpoints, _ := notify.ParseChannels(cfg.Channels.Channels) // validated above
	// The configured endpoints are in place before any event is written.
	if err := notify.SyncEndpoints(ctx, rt.Pool, rt.Clock.Now(), cfg.WebhookSecretOverlap, append(webhooks, channelEndpoints...)); err != nil {
		return nil, fmt.Errorf("load webhook endpoints: %w", err)
	}
	subscriptions := &notify.Subscriptions{Pool: rt.Pool}
	out := &notify.Outbox{Clock: rt.Clock, Log: rt.Log.With("component", "webhooks"), Throttle: cfg.throttle(),
		ChannelThrottle: cfg.Channels.throttle(), Subscriptions: subscriptions}
	ladder := response.Ladder{SuperviseAfter: cfg.SuperviseAfter, ListAfter: cfg.ListAfter}
	duties := cfg.duty(rt)
	duties.Outbox = out
	revocations := &bus.RevocationPublisher{
		JS: rt.JS, Log: rt.Log.With("component", "revocations"), Revoked: duties.RevokedAccounts, Replicas: cfg.StreamReplicas,
	}
	duties.Revoked = revocations.Wake
	api := &grpcapi.Server{
		Desk:     &desk.Service{Pool: rt.Pool, Clock: rt.Clock, FarArrivalMeters: cfg.FarArrivalMeters, Ladder: ladder, Accounts: duties, Outbox: out},
		Duty:     duties,
		Log:      rt.Log.With("component", "grpcapi"),
		CoordSys: coordSys,
	}
	api.Register(rt.GRPC)
	admin := &grpcapi.AdminServer{
		Policy:    &policy.Service{Pool: rt.Pool, Clock: rt.Clock},
		Webhooks:  &notify.Deliveries{Pool: rt.Pool, Clock: rt.Clock},
		Endpoints: &notify.Endpoints{Pool: rt.Pool, Clock: rt.Clock, Egress: egress, Subscriptions: subscriptions, SecretOverlap: cfg.WebhookSecretOverlap},
		Channels:  &notify.Channels{Pool: rt.Pool, Clock: rt.Clock, Egress: egress, Subscriptions: subscriptions},
		Duty:      duties,
		Log:       rt.Log.With("component", "grpcapi"),
	}
	admin.Register(rt.GRPC)
	rt.Audit(auditedMethods...)
	return &App{
		rt: rt,
		handler: &events.Handler{
			Clock: rt.Clock, Log: rt.Log.With("component", "consumer"), WorkStart: workStart, WorkEnd: workEnd,
			Created: duties.EscalateIfUnstaffed, Outbox: out,
		},
		poller: &sla.Poller{
			Pool: rt.Pool, Clock: rt.Clock, Log: rt.Log.With("component", "sla"), Ladder: ladder, BatchSize: cfg.TimerBatch,
			Outbox: out,
		},
		webhook: &notify.Notifier{
			Pool: rt.Pool, Clock: rt.Clock, Log: rt.Log.With("component", "webhooks"), Subscriptions: subscriptions,
			Worker: notify.Worker{
				Timeout: cfg.WebhookTimeout, Backoff: cfg.WebhookBackoff, MaxAttempts: cfg.WebhookMaxAttempts, Egress: egress,
				Concurrency: cfg.WebhookWorkers, PerEndpoint: cfg.WebhookPerEndpoint, Channels: cfg.Channels.sender(),
			},
		},
		revocations: revocations,
	}, nil
}

// GRPCAddr is where the gRPC API listens.
func (a *App) GRPCAddr() string { return a.rt.GRPCAddr() }

// Run serves the API, consumes dispatch requests and fires SLA timers until
// ctx is cancelled.
func (a *App) Run(ctx context.Context) error {
	consumer := a.handler.Consumer()
	return a.rt.Run(ctx,
		func(ctx context.Context) error { return a.rt.Consume(ctx, consumer) },
		a.poller.Run,
		a.webhook.Run,
		a.revocations.Run,
	)
}
