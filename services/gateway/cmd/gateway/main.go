// Command gateway serves Whistle's public REST API over the backend services.
package main

import (
	"context"

	"github.com/chuishao/whistle/platform/service"

	"github.com/chuishao/whistle/services/gateway/app"
	"github.com/chuishao/whistle/services/gateway/internal/console"
)

func main() {
	service.Main[app.Config]("gateway", func(ctx context.Context, cfg app.Config, deps service.Deps) (*app.App, error) {
		cfg.Console = console.Handler(cfg.MapTiles()) // the web console is served by the gateway itself
		return app.New(ctx, cfg, deps)
	})
}
