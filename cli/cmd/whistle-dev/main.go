// Command whistle-dev is the launcher behind `make run`: it starts every
// Whistle service locally and prints how to use them.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/chuishao/whistle/cli/internal/launcher"
)

func main() {
	cfg := launcher.FromEnv(os.Getenv)
	flag.StringVar(&cfg.BinDir, "bin-dir", cfg.BinDir, "directory of the service binaries (WHISTLE_BIN_DIR)")
	flag.StringVar(&cfg.RunDir, "run-dir", cfg.RunDir, "directory for the NATS store, dev key and tokens (WHISTLE_RUN_DIR)")
	flag.StringVar(&cfg.HTTPAddr, "http-addr", cfg.HTTPAddr, "gateway listen address (WHISTLE_HTTP_ADDR)")
	flag.StringVar(&cfg.GatewayOpsAddr, "gateway-ops-addr", cfg.GatewayOpsAddr,
		"gateway's private ops address: /healthz, /readyz, /metrics (WHISTLE_GATEWAY_OPS_ADDR)")
	flag.StringVar(&cfg.DatabaseURL, "database-url", cfg.DatabaseURL, "PostgreSQL database, created if missing (DATABASE_URL)")
	flag.StringVar(&cfg.NATSURL, "nats-url", cfg.NATSURL, "external NATS server; empty starts an embedded one (NATS_URL)")
	flag.StringVar(&cfg.TimeScale, "time-scale", cfg.TimeScale, "run every clock N times faster, for drills (WHISTLE_TIME_SCALE)")
	flag.BoolVar(&cfg.ExitOnCrash, "exit-on-crash", cfg.ExitOnCrash,
		"stop everything when a service dies, instead of restarting it (WHISTLE_EXIT_ON_CRASH=1)")
	flag.Parse()
	cfg.BaseEnv = os.Environ()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := launcher.Run(ctx, cfg, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "whistle-dev:", err)
		os.Exit(1)
	}
}
