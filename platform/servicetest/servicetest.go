// Package servicetest runs services in-process for a test: one fake clock,
// one embedded NATS JetStream server and one token signer shared by every
// service the test starts, each service on its own database cloned from a
// template that its migration job prepared once per test binary. A test acts
// as an identity (As, Token), publishes events as another service would
// (Publish), awaits the events the services publish (Watch) and moves time
// (Clock, AdvanceUntil). It knows no service: a test hands it the service's
// constructor and configuration.
package servicetest

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/bus/natstest"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/platform/config"
	"github.com/chuishao/whistle/platform/postgres/pgtest"
	"github.com/chuishao/whistle/platform/service"
)

// World is what one test's services share.
type World struct {
	t testing.TB
	// Clock is every service's clock; the test moves it.
	Clock *clockwork.FakeClock
	// Signer signs the tokens every service trusts (Base's Tokens) with Key.
	Signer *auth.Signer
	Key    ed25519.PrivateKey

	issuer  string
	logs    io.Writer
	secured bool

	// The NATS server starts when first needed (a world of services that
	// use none has none).
	natsOnce sync.Once
	natsURL  string
	users    *natstest.Secured
	js       jetstream.JetStream
}

// Option changes how New builds a world.
type Option func(*World)

// Secured gives each service its own NATS user limited to its subjects
// (natstest.StartSecured); Base(user) then connects as user.
func Secured() Option { return func(w *World) { w.secured = true } }

// Issuer makes the signer write, and every service require, issuer as the
// tokens' iss claim (default auth.Issuer).
func Issuer(issuer string) Option { return func(w *World) { w.issuer = issuer } }

// Logs sends every service's log lines (debug level) to out instead of the
// test's output (warnings and worse).
func Logs(out io.Writer) Option { return func(w *World) { w.logs = out } }

// New makes a world for t whose clock reads start.
func New(t testing.TB, start time.Time, opts ...Option) *World {
	t.Helper()
	w := &World{t: t, Clock: clock.NewFake(start), issuer: auth.Issuer}
	for _, o := range opts {
		o(w)
	}
	_, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatalf("servicetest: %v", err)
	}
	w.Key, w.Signer = priv, auth.NewSigner(priv).WithIssuer(w.issuer)
	return w
}

// startNATS runs the world's JetStream server, with the event stream, and
// connects an unrestricted client to it.
func (w *World) startNATS() {
	w.natsOnce.Do(func() {
		admin := bus.Client{}
		if w.secured {
			w.users = natstest.StartSecured(w.t)
			w.natsURL = w.users.URL
			admin = w.users.Client(bus.UserAdmin)
		} else {
			w.natsURL = natstest.Start(w.t)
		}
		nc, js, err := bus.Connect(w.natsURL, "servicetest", admin.Options()...)
		if err != nil {
			w.t.Fatalf("servicetest: %v", err)
		}
		w.t.Cleanup(nc.Close)
		if err := bus.EnsureStream(context.Background(), js, 1); err != nil {
			w.t.Fatalf("servicetest: %v", err)
		}
		w.js = js
	})
}

// NATSURL is the JetStream server's address.
func (w *World) NATSURL() string { w.startNATS(); return w.natsURL }

// JetStream is an unrestricted client of the world's server.
func (w *World) JetStream() jetstream.JetStream { w.startNATS(); return w.js }

// NATSUsers are the server's users when the world is Secured (nil otherwise).
func (w *World) NATSUsers() *natstest.Secured { w.startNATS(); return w.users }

// Base is the configuration every service of the world shares: its NATS
// server (as user when Secured), a free loopback gRPC port, the signer's key,
// a one-replica stream and the unscaled clock. The caller sets DatabaseURL
// (Database) and anything of its own.
func (w *World) Base(user string) config.Base {
	b := config.Base{
		Bus:    config.Bus{NATSURL: w.NATSURL(), StreamReplicas: 1},
		Server: config.Server{GRPCAddr: "127.0.0.1:0"},
		Tokens: config.Tokens{
			JWTPublicKey: auth.EncodeKey(w.Signer.PublicKey()), JWTIssuer: w.issuer, JWTAudience: auth.Audience,
		},
		Time: config.Time{TimeScale: 1},
	}
	if w.secured {
		b.NATS = w.users.Client(user)
	}
	return b
}

// Deps are a service's log (named name) and the world's clock, with an
// audited method that answers without its audit transaction failing its call
// (service.Deps.StrictAudit).
func (w *World) Deps(name string) service.Deps {
	return service.Deps{Log: w.logger(name), Clock: w.Clock, StrictAudit: true}
}

func (w *World) logger(name string) *slog.Logger {
	switch {
	case os.Getenv("WHISTLE_TEST_LOG") != "":
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("svc", name, "test", w.t.Name())
	case w.logs != nil:
		return slog.New(slog.NewTextHandler(w.logs, &slog.HandlerOptions{Level: slog.LevelDebug})).With("svc", name)
	}
	return slog.New(slog.NewTextHandler(w.t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})).With("svc", name)
}

// Database is a fresh database for the test, a copy of the template named
// template, which build prepares once per test binary (pgtest.NewDatabaseFrom;
// MigrationJob builds it the way a deployment's migration job does).
func (w *World) Database(template string, build func(ctx context.Context, url string) error) string {
	w.t.Helper()
	return pgtest.NewDatabaseFrom(w.t, template, build)
}

// MigrationJob is a template build that runs a service's migration job:
// migrate is the service's constructor, called with b plus the template's
// DatabaseURL and MigrateOnly, and must return config.ErrMigrated.
func MigrationJob(b config.Base, migrate func(ctx context.Context, b config.Base) error) func(ctx context.Context, url string) error {
	return func(ctx context.Context, url string) error {
		b.DatabaseURL, b.MigrateOnly = url, true
		if err := migrate(ctx, b); !errors.Is(err, config.ErrMigrated) {
			return fmt.Errorf("migration job: %v, want %v", err, config.ErrMigrated)
		}
		return nil
	}
}

// Runner is a started service.
type Runner interface {
	Run(ctx context.Context) error
}

// Start makes a service with newApp and runs it until stop is called or the
// test ends; stop returns once it has stopped. A service that stops with an
// error fails the test.
func Start[A Runner](w *World, name string, newApp func(ctx context.Context, deps service.Deps) (A, error)) (app A, stop func()) {
	w.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	app, err := newApp(ctx, w.Deps(name))
	if err != nil {
		cancel()
		w.t.Fatalf("servicetest: start %s: %v", name, err)
	}
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				w.t.Errorf("servicetest: %s stopped: %v", name, err)
			}
		})
	}
	w.t.Cleanup(stop)
	return app, stop
}
