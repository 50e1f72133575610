// Package run gives every binary the same start: a context cancelled on
// SIGINT/SIGTERM, a JSON logger, and a non-zero exit on error.
package run

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/chuishao/whistle/platform/telemetry"
)

// Main runs fn until it returns or a signal arrives, then exits.
func Main(service string, fn func(ctx context.Context, log *slog.Logger) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	log := telemetry.NewLogger(os.Stderr, service, os.Getenv("WHISTLE_LOG_LEVEL"))
	err := fn(ctx, log)
	stop()
	if err != nil {
		log.Error("exit", "err", err)
		os.Exit(1)
	}
}
