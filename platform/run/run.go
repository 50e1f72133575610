// Package run gives every binary the same start: a context cancelled on
// SIGINT/SIGTERM, a JSON logger, tracing and metrics, the Go runtime's memory
// limit from the container's (and a lazier collector under it), and a
// non-zero exit on error.
package run

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel"

	"github.com/chuishao/whistle/platform/config"
	"github.com/chuishao/whistle/platform/telemetry"
)

// HealthcheckFlag makes a binary probe its own /healthz and exit 0 or 1. Images
// without a shell or curl (distroless) use it as their HEALTHCHECK.
const HealthcheckFlag = "-healthcheck"

// Main runs fn until it returns or a signal arrives, then exits. Telemetry is
// set up here, once per process, so every service gets traces and metrics
// without wiring them itself (see telemetry.Setup). A run that only migrated
// (WHISTLE_MIGRATE_ONLY) exits 0.
func Main(service string, fn func(ctx context.Context, log *slog.Logger) error) {
	if slices.Contains(os.Args[1:], HealthcheckFlag) || slices.Contains(os.Args[1:], "-"+HealthcheckFlag) {
		os.Exit(healthcheck())
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	log := telemetry.NewLogger(os.Stderr, service, os.Getenv("WHISTLE_LOG_LEVEL"))
	if limit, err := memoryLimit(os.Getenv); err != nil {
		log.Error("exit", "err", err)
		os.Exit(1)
	} else {
		if limit > 0 {
			debug.SetMemoryLimit(limit)
			log.Info("memory limit", "bytes", limit, "from", MemoryLimitEnv)
		}
		if gc := gcPercent(os.Getenv, limit); gc > 0 {
			debug.SetGCPercent(gc)
		}
	}
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { log.Warn("telemetry", "err", err) }))
	shutdown, err := telemetry.Setup(ctx, service, prometheus.DefaultRegisterer)
	if err == nil {
		err = fn(ctx, log)
		// Flush the last spans even though ctx is cancelled.
		flushCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		if ferr := shutdown(flushCtx); ferr != nil {
			log.Warn("telemetry shutdown", "err", ferr)
		}
		cancel()
	}
	stop()
	if errors.Is(err, config.ErrMigrated) {
		err = nil
	}
	if err != nil {
		log.Error("exit", "err", err)
		os.Exit(1)
	}
}

// healthcheck probes /healthz on the ops address (WHISTLE_OPS_ADDR), where
// every process, the REST edge too, serves it (platform/ops).
func healthcheck() int {
	addr := os.Getenv("WHISTLE_OPS_ADDR")
	if addr == "" {
		fmt.Fprintln(os.Stderr, "healthcheck: WHISTLE_OPS_ADDR is not set")
		return 1
	}
	if err := Healthcheck(context.Background(), healthURL(addr)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// healthURL is /healthz on a listen address, reached over loopback when the
// address is a wildcard.
func healthURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr + "/healthz"
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/healthz"
}

// Healthcheck fails unless url answers 200 within 3 seconds.
func Healthcheck(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("healthcheck %s: %w", url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck %s: status %d", url, resp.StatusCode)
	}
	return nil
}
