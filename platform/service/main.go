package service

import (
	"context"
	"log/slog"

	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/platform/config"
	"github.com/chuishao/whistle/platform/run"
)

// Config is what Main needs of a service's configuration.
type Config interface {
	config.Validator
	// Clock is the clock the service runs on (real, or scaled for drills).
	Clock() (clock.Clock, error)
}

// Runner is a started service.
type Runner interface {
	Run(ctx context.Context) error
}

// Main is the whole of a service's main: read C from the environment and
// validate it, build the clock, start the service with newApp and run it until
// a signal arrives. Usage: service.Main[app.Config](app.Name, app.New).
func Main[C any, P interface {
	*C
	Config
}, A Runner](name string, newApp func(context.Context, C, Deps) (A, error)) {
	run.Main(name, func(ctx context.Context, log *slog.Logger) error {
		var cfg C
		if err := config.Load(ctx, P(&cfg)); err != nil {
			return err
		}
		clk, err := P(&cfg).Clock()
		if err != nil {
			return err
		}
		a, err := newApp(ctx, cfg, Deps{Log: log, Clock: clk})
		if err != nil {
			return err
		}
		return a.Run(ctx)
	})
}
