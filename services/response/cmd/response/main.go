// Command response runs the response service: dispatches, duty-desk actions
// and SLA timers.
package main

import (
	"context"
	"log/slog"

	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/platform/config"
	"github.com/chuishao/whistle/platform/run"
	"github.com/chuishao/whistle/platform/service"
	"github.com/chuishao/whistle/services/response/app"
)

func main() {
	run.Main(app.Name, func(ctx context.Context, log *slog.Logger) error {
		var cfg app.Config
		if err := config.Load(ctx, &cfg); err != nil {
			return err
		}
		clk, err := clock.FromConfig(cfg.TimeScale, cfg.TimeOrigin)
		if err != nil {
			return err
		}
		a, err := app.New(ctx, cfg, service.Deps{Log: log, Clock: clk})
		if err != nil {
			return err
		}
		return a.Run(ctx)
	})
}
