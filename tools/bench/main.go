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
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chuishao/whistle/tools/bench/internal/natscount"
	"github.com/chuishao/whistle/tools/bench/internal/ramp"
	"github.com/chuishao/whistle/tools/bench/internal/raw"
	"github.com/chuishao/whistle/tools/bench/internal/report"
	"github.com/chuishao/whistle/tools/bench/internal/stack"
	"github.com/chuishao/whistle/tools/bench/internal/steady"
	"github.com/chuishao/whistle/tools/bench/internal/usage"
	"github.com/chuishao/whistle/tools/bench/machine"
	"github.com/chuishao/whistle/tools/bench/storm"
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
		desks       = flag.Bool("desks", true, "steady: the desks acknowledge, arrive at and resolve every dispatch 1 s, 10 s and 30 s after it appears (1/120 of a brisk real response)")
		rawDuration = flag.Duration("raw-duration", 5*time.Second, "raw baselines: how long each runs")
		rawMax      = flag.Int("raw-max", 500000, "raw baselines: most operations each runs")
		pgConns     = flag.Int("pg-conns", 8, "raw baselines: Postgres connections")
		window      = flag.Int("publish-window", 256, "raw baselines: outstanding async publishes")
		record      = flag.String("record", "", "append a dated row to this markdown file (e.g. docs/benchmarks.md)")
		scenario    = flag.String("scenario", "steady", "steady; ramp (steady steps of rising rate, --ramp-*); or storm: --whistles over --duration across every street (tools/bench/storm)")
		whistles    = flag.Int("whistles", 100000, "storm: whistles to raise over --duration")
		rampStart   = flag.Float64("ramp-start", 25, "ramp (--scenario ramp): the first step's whistles/s")
		rampFactor  = flag.Float64("ramp-factor", 1.5, "ramp: each step's rate is the previous one's times this")
		rampMax     = flag.Float64("ramp-max", 2000, "ramp: the highest rate tried")
		rampStep    = flag.Duration("ramp-step", 15*time.Second, "ramp: how long each step raises")
		rampP99     = flag.Duration("ramp-max-p99", 5*time.Second, "ramp: the highest 201 → visible p99 of a sustained step")
	)
	timeScale := flag.Float64("time-scale", 1, "run the started stack's clocks this many times faster (WHISTLE_TIME_SCALE), so SLA deadlines fall inside the run and the timers' lateness is measured under the load")
	flag.Parse()
	if *timeScale > 1 {
		// The launcher passes its environment on to every service.
		os.Setenv("WHISTLE_TIME_SCALE", strconv.FormatFloat(*timeScale, 'f', -1, 64))
		benchTimeScale = *timeScale
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	if *scenario == "storm" {
		err := runStorm(ctx, log, stormOptions{launcher: *launcher, binDir: *binDir, apiURL: *apiURL, dbURL: *dbURL, drain: *drain,
			cfg: storm.Config{Whistles: *whistles, Duration: *duration, MaxInFlight: *inFlight, Log: log}})
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	var deskDelays *steady.DeskDelays
	if *desks {
		deskDelays = &steady.DefaultDeskDelays
	}
	err := run(ctx, log, options{
		target: *target, launcher: *launcher, binDir: *binDir, apiURL: *apiURL, dbURL: *dbURL, natsURL: *natsURL,
		steady:  steady.Config{Rate: *rate, Duration: *duration, Drain: *drain, MaxInFlight: *inFlight, SampleEvery: *sample, Desks: deskDelays, Log: log},
		rawLim:  raw.Limits{Duration: *rawDuration, MaxOps: *rawMax},
		pgConns: *pgConns, window: *window, record: *record, scenario: *scenario,
		ramp: ramp.Config{Start: *rampStart, Factor: *rampFactor, MaxRate: *rampMax, Step: *rampStep, MaxP99: *rampP99,
			Steady: steady.Config{Drain: *drain, MaxInFlight: *inFlight, Log: log}, Load: loadAverage},
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
	record, scenario                                 string
	ramp                                             ramp.Config
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
	// A target stack's NATS user comes from NATS_USER/NATS_PASSWORD; a stack
	// the bench starts has its admin user read from the launcher's run directory.
	var natsAuth []nats.Option
	var launcherPid int // 0: a target stack, whose processes the bench does not sample
	if u := os.Getenv("NATS_USER"); u != "" {
		natsAuth = append(natsAuth, nats.UserInfo(u, os.Getenv("NATS_PASSWORD")))
	}
	if o.target == "" {
		st, stop, err := startStack(ctx, log, o.launcher, o.binDir, o.dbURL, o.apiURL)
		if err != nil {
			return err
		}
		defer stop()
		user, password, err := st.NATSAdmin()
		if err != nil {
			return err
		}
		natsAuth = []nats.Option{nats.UserInfo(user, password)}
		launcherPid = st.Pid()
		log.Info("stack ready")
	}
	if o.scenario == "ramp" {
		return runRamp(ctx, client, o)
	}

	res := report.Run{}
	counter := startNATSCount(ctx, log, o.natsURL, natsAuth)
	sampler := startSampler(ctx, log, launcherPid, o.dbURL)
	res.Steady, err = steady.Run(ctx, client, o.steady)
	sum := sampler.stop()
	if err != nil {
		return fmt.Errorf("steady scenario: %w", err)
	}
	if sum != nil {
		msgs, split := counter.stop(ctx)
		res.Usage = append(sum.Lines(), sum.PerWhistle(res.Steady.Raised, msgs, split))
	}
	log.Info("raw baselines", "each", o.rawLim.Duration)
	res.Baselines = append(res.Baselines, raw.JetStream(ctx, o.natsURL, o.rawLim, o.window, natsAuth...)...)
	res.Baselines = append(res.Baselines, raw.PgTx(ctx, o.dbURL, o.pgConns, o.rawLim)...)
	if err := ctx.Err(); err != nil {
		return err
	}

	if err := report.WriteTable(os.Stdout, res); err != nil {
		return err
	}
	if o.record == "" {
		return nil
	}
	return appendRow(o.record, report.MarkdownRow(meta(ctx), res))
}

// runRamp steps the steady scenario's rate up on the started stack (ramp).
func runRamp(ctx context.Context, client *steady.Client, o options) error {
	// The ratio the issue asks for: the highest sustained achieved rate ÷ raw
	// pgx insert + outbox on the same servers, measured before the steps
	// while the stack is idle (after them, its consumers are still catching up).
	run := report.Run{Baselines: raw.PgTx(ctx, o.dbURL, o.pgConns, o.rawLim)}
	steps, err := ramp.Run(ctx, client, o.ramp)
	if len(steps) > 0 {
		if werr := ramp.WriteTable(os.Stdout, steps); werr != nil {
			return werr
		}
	}
	if err != nil {
		return err
	}
	for _, b := range run.Baselines {
		fmt.Printf("%s\t%.0f %s (%d ops)\n", b.Name, b.Rate, b.Unit, b.Ops)
	}
	if b := run.PgTx(); b != nil && b.Rate > 0 {
		ratio := ramp.SustainedAchieved(steps) / b.Rate
		fmt.Printf("ratio sustained whistles/s ÷ pgx tx/s\t%.4f (1/%.1f; target ≥ 1/6)\n", ratio, 1/ratio)
	}
	if o.record == "" {
		return nil
	}
	return appendRow(o.record, ramp.MarkdownRow(meta(ctx), o.ramp, steps))
}

func meta(ctx context.Context) report.Meta {
	return report.Meta{Date: time.Now(), Commit: commit(ctx), Cores: runtime.NumCPU(), Command: command(), Machine: loadAverage()}
}

// appendRow appends a row to the markdown file at path.
func appendRow(path, row string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	if _, err := fmt.Fprintln(f, row); err != nil {
		_ = f.Close()
		return fmt.Errorf("append to %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	fmt.Printf("\nrecorded in %s\n", path)
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

// loadAverage is the machine's load when the run ends.
func loadAverage() string {
	if l := machine.LoadAverage(); l != "" {
		return l + " at the end"
	}
	return ""
}

// benchTimeScale is --time-scale: lateness figures are divided by it.
var benchTimeScale = 1.0

// sampler samples the started stack's processes and backlogs (usage).
type sampler struct{ s *usage.Sampler }

// startSampler samples every second while a scenario runs; with no launcher
// (a --target stack) it samples nothing.
func startSampler(ctx context.Context, log *slog.Logger, launcherPid int, dbURL string) sampler {
	if launcherPid == 0 {
		return sampler{}
	}
	postmaster, err := usage.Postmaster(ctx, dbURL)
	if err != nil {
		log.Warn("every postgres process on the machine is counted as the stack's", "err", err)
	}
	s, err := usage.Start(launcherPid, "NATS (whistle-dev)", postmaster, stack.LauncherOps, time.Second)
	if err != nil {
		log.Warn("no machine use figures", "err", err)
		return sampler{}
	}
	return sampler{s}
}

// stop ends sampling and returns what was seen (nil without sampling).
func (s sampler) stop() *usage.Summary {
	if s.s == nil {
		return nil
	}
	sum := s.s.Stop()
	sum.TimeScale = benchTimeScale
	return &sum
}

// natsCount counts the JetStream messages a scenario moves (natscount).
type natsCount struct {
	nc     *nats.Conn
	js     jetstream.JetStream
	before natscount.Snapshot
	log    *slog.Logger
}

// startNATSCount takes the counters before a scenario; when NATS cannot be
// read the report says the messages were not counted.
func startNATSCount(ctx context.Context, log *slog.Logger, url string, auth []nats.Option) *natsCount {
	nc, err := nats.Connect(url, auth...)
	if err != nil {
		log.Warn("no NATS message count", "err", err)
		return nil
	}
	js, err := jetstream.New(nc)
	if err == nil {
		var before natscount.Snapshot
		if before, err = natscount.Take(ctx, js); err == nil {
			return &natsCount{nc: nc, js: js, before: before, log: log}
		}
	}
	log.Warn("no NATS message count", "err", err)
	nc.Close()
	return nil
}

// stop returns the messages moved since start and their split (-1: not counted).
func (c *natsCount) stop(ctx context.Context) (float64, string) {
	if c == nil {
		return -1, ""
	}
	defer c.nc.Close()
	after, err := natscount.Take(ctx, c.js)
	if err != nil {
		c.log.Warn("no NATS message count", "err", err)
		return -1, ""
	}
	pub, del := after.Since(c.before)
	return float64(pub + del), fmt.Sprintf("%d events published, %d deliveries in all", pub, del)
}

// startStack starts the launcher's stack with its output in a temporary log
// file; stop stops the stack and closes the log.
func startStack(ctx context.Context, log *slog.Logger, launcher, binDir, dbURL, apiURL string) (st *stack.Stack, stop func(), err error) {
	logFile, err := os.CreateTemp("", "whistle-bench-stack-*.log")
	if err != nil {
		return nil, nil, fmt.Errorf("stack log file: %w", err)
	}
	log.Info("starting the stack", "launcher", launcher, "database", dbURL, "log", logFile.Name())
	st, err = stack.Start(ctx, stack.Config{
		Launcher: launcher, BinDir: binDir, DatabaseURL: dbURL, APIURL: apiURL,
		ReadyTimeout: 2 * time.Minute, Output: logFile, Log: log, Ports: stack.LauncherPorts,
	})
	if err != nil {
		_ = logFile.Close()
		return nil, nil, fmt.Errorf("start the stack (see %s): %w", logFile.Name(), err)
	}
	return st, func() {
		st.Stop(context.WithoutCancel(ctx))
		_ = logFile.Close()
	}, nil
}
