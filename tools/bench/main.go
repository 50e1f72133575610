// Command bench measures Whistle end to end on this machine: it starts the
// stack (or targets a running one), drives the steady scenario over REST,
// measures the raw JetStream and Postgres limits on the same servers, prints
// a table and, with --record, appends a row to docs/benchmarks.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/chuishao/whistle/tools/bench/internal/raw"
	"github.com/chuishao/whistle/tools/bench/internal/report"
	"github.com/chuishao/whistle/tools/bench/internal/stack"
	"github.com/chuishao/whistle/tools/bench/internal/steady"
)

func main() {
	var (
		target      = flag.String("target", "", "URL of a running stack's gateway (loopback only); empty starts one with --launcher")
		launcher    = flag.String("launcher", ".bin/whistle-dev", "the launcher binary (make build)")
		binDir      = flag.String("bin-dir", ".bin", "directory of the service binaries")
		apiURL      = flag.String("api-url", "http://127.0.0.1:8080", "where the started stack's gateway answers")
		dbURL       = flag.String("database-url", "postgres://postgres@127.0.0.1:5432/whistle_bench?sslmode=disable", "database of the started stack (created fresh, dropped after) and of the pgx baseline")
		natsURL     = flag.String("nats-url", "nats://127.0.0.1:4333", "NATS server of the stack, for the publish baseline")
		rate        = flag.Float64("rate", 50, "steady: whistles raised per second")
		duration    = flag.Duration("duration", 20*time.Second, "steady: how long to raise")
		drain       = flag.Duration("drain", 60*time.Second, "steady: longest wait for the last dispatches after raising")
		sample      = flag.Int("sample-every", 20, "steady: also poll every n-th whistle with GET /v1/whistles/{id} (0: never)")
		inFlight    = flag.Int("max-in-flight", 256, "steady: most raise requests outstanding at once")
		rawDuration = flag.Duration("raw-duration", 5*time.Second, "raw baselines: how long each runs")
		rawMax      = flag.Int("raw-max", 500000, "raw baselines: most operations each runs")
		pgConns     = flag.Int("pg-conns", 8, "raw baselines: Postgres connections")
		window      = flag.Int("publish-window", 256, "raw baselines: outstanding async publishes")
		record      = flag.String("record", "", "append a dated row to this markdown file (e.g. docs/benchmarks.md)")
	)
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, log, options{
		target: *target, launcher: *launcher, binDir: *binDir, apiURL: *apiURL, dbURL: *dbURL, natsURL: *natsURL,
		steady:  steady.Config{Rate: *rate, Duration: *duration, Drain: *drain, MaxInFlight: *inFlight, SampleEvery: *sample, Log: log},
		rawLim:  raw.Limits{Duration: *rawDuration, MaxOps: *rawMax},
		pgConns: *pgConns, window: *window, record: *record,
	})
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type options struct {
	target, launcher, binDir, apiURL, dbURL, natsURL string
	steady                                           steady.Config
	rawLim                                           raw.Limits
	pgConns, window                                  int
	record                                           string
}

func run(ctx context.Context, log *slog.Logger, o options) error {
	base := o.target
	if base == "" {
		base = o.apiURL
	}
	client, err := steady.NewClient(base)
	if err != nil {
		return err
	}
	if o.target == "" {
		logFile, err := os.CreateTemp("", "whistle-bench-stack-*.log")
		if err != nil {
			return fmt.Errorf("stack log file: %w", err)
		}
		defer func() { _ = logFile.Close() }()
		log.Info("starting the stack", "launcher", o.launcher, "database", o.dbURL, "log", logFile.Name())
		st, err := stack.Start(ctx, stack.Config{
			Launcher: o.launcher, BinDir: o.binDir, DatabaseURL: o.dbURL, APIURL: o.apiURL,
			ReadyTimeout: 2 * time.Minute, Output: logFile, Log: log, Ports: stack.LauncherPorts,
		})
		if err != nil {
			return fmt.Errorf("start the stack (see %s): %w", logFile.Name(), err)
		}
		defer st.Stop(context.WithoutCancel(ctx))
		log.Info("stack ready")
	}

	res := report.Run{}
	res.Steady, err = steady.Run(ctx, client, o.steady)
	if err != nil {
		return fmt.Errorf("steady scenario: %w", err)
	}
	log.Info("raw baselines", "each", o.rawLim.Duration)
	res.Baselines = append(res.Baselines, raw.JetStream(ctx, o.natsURL, o.rawLim, o.window)...)
	res.Baselines = append(res.Baselines, raw.PgTx(ctx, o.dbURL, o.pgConns, o.rawLim))
	if err := ctx.Err(); err != nil {
		return err
	}

	if err := report.WriteTable(os.Stdout, res); err != nil {
		return err
	}
	if o.record == "" {
		return nil
	}
	row := report.MarkdownRow(report.Meta{
		Date: time.Now(), Commit: commit(ctx), Cores: runtime.NumCPU(), Command: command(), Machine: loadAverage(),
	}, res)
	f, err := os.OpenFile(o.record, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", o.record, err)
	}
	if _, err := fmt.Fprintln(f, row); err != nil {
		_ = f.Close()
		return fmt.Errorf("append to %s: %w", o.record, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", o.record, err)
	}
	fmt.Printf("\nrecorded in %s\n", o.record)
	return nil
}

func commit(ctx context.Context) string {
	out, err := exec.CommandContext(ctx, "git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	c := strings.TrimSpace(string(out))
	if st, err := exec.CommandContext(ctx, "git", "status", "--porcelain").Output(); err == nil && len(st) > 0 {
		c += " (+ work tree)"
	}
	return c
}

// command is what to type to repeat the run: `make bench` passes its own
// spelling in WHISTLE_BENCH_COMMAND, otherwise the arguments as given.
func command() string {
	if c := os.Getenv("WHISTLE_BENCH_COMMAND"); c != "" {
		return c
	}
	return strings.Join(os.Args, " ")
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return fmt.Sprintf("load average %s %s %s at the end", f[0], f[1], f[2])
}
