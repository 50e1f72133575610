// Command chaos proves that faults lose nothing: on a private PostgreSQL
// cluster and a three-node NATS JetStream cluster (R3 stream) on loopback, it
// starts every Whistle service as its own process (two response replicas),
// raises a storm of whistles (tools/bench/storm) and meanwhile kills -9
// services, kills a NATS node and restarts Postgres the hard way, each
// followed by its restart; then it lets the drill clock run past the
// deadlines and checks the invariants (package invariant). It exits 1 when
// any invariant broke, never because something was slow.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/platform/postgres/pgcluster"
	"github.com/chuishao/whistle/tools/bench/storm"
	"github.com/chuishao/whistle/tools/chaos/internal/fleet"
	"github.com/chuishao/whistle/tools/chaos/internal/natscluster"
	"github.com/chuishao/whistle/tools/chaos/invariant"
)

// streamName is platform/bus.StreamName (not imported: the chaos run needs
// nothing else of the platform's bus).
const streamName = "WHISTLE"

type options struct {
	binDir, pgBin, scratch, kills string
	whistles, responseReplicas    int
	duration, giveUp, natsDown    time.Duration
	recoverTimeout, settle        time.Duration
	scale                         float64
	seed                          uint64
	keep                          bool
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == natscluster.NodeCommand {
		if err := natscluster.RunNode(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	var o options
	flag.StringVar(&o.binDir, "bin-dir", ".bin", "directory of the service binaries (make build)")
	flag.StringVar(&o.pgBin, "pg-bin", "", "directory of initdb and pg_ctl (default: newest /usr/lib/postgresql/*/bin, else PATH)")
	flag.StringVar(&o.scratch, "scratch", "", "parent of the run's scratch directory (default: the system's temp dir)")
	flag.StringVar(&o.kills, "kills", "1-of-each", "what to kill during the storm: 1-of-each, random:N, or a comma list of intake, discovery, routing, response, feedback, gateway, nats, postgres")
	flag.IntVar(&o.whistles, "whistles", 2000, "whistles in the storm")
	flag.DurationVar(&o.duration, "duration", time.Minute, "how long the storm lasts; the kills are spread over it")
	flag.IntVar(&o.responseReplicas, "response-replicas", 2, "response service processes")
	flag.DurationVar(&o.giveUp, "give-up", 3*time.Minute, "how long one raise is retried (same idempotency key) before it counts as failed")
	flag.DurationVar(&o.natsDown, "nats-down", 2*time.Second, "how long a killed NATS node stays down")
	flag.DurationVar(&o.recoverTimeout, "recover-timeout", 2*time.Minute, "longest wait for a killed target to be back and caught up")
	flag.DurationVar(&o.settle, "settle", 10*time.Minute, "longest wait, after the storm, for every dispatch and for the system to drain (then it is judged as it stands)")
	flag.Float64Var(&o.scale, "time-scale", 60, "drill clock speed (WHISTLE_TIME_SCALE): at 60, a 30-minute deadline falls due after 30 s")
	flag.Uint64Var(&o.seed, "seed", 0, "random seed of the kill plan (0: from the clock)")
	flag.BoolVar(&o.keep, "keep", false, "keep the scratch directory (logs, data) even when every invariant holds")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	ok, err := run(ctx, log, o)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		os.Exit(2)
	}
	if !ok {
		os.Exit(1)
	}
}

func run(ctx context.Context, log *slog.Logger, o options) (ok bool, err error) {
	if o.seed == 0 {
		o.seed = uint64(time.Now().UnixNano())
	}
	rnd := rand.New(rand.NewPCG(o.seed, o.seed>>1))
	plan, err := planKills(o.kills, rnd)
	if err != nil {
		return false, err
	}
	dir, err := os.MkdirTemp(o.scratch, "whistle-chaos-")
	if err != nil {
		return false, fmt.Errorf("scratch directory: %w", err)
	}
	defer func() {
		if ok && !o.keep {
			_ = os.RemoveAll(dir)
			return
		}
		fmt.Printf("\nlogs and data kept in %s\n", dir)
	}()
	log.Info("chaos: scratch directory", "dir", dir, "seed", o.seed, "kills", plan)
	w, err := setUp(ctx, log, o, dir)
	defer w.tearDown(context.WithoutCancel(ctx))
	if err != nil {
		return false, err
	}
	fanOut, err := storm.FanOuts(ctx, w.db)
	if err != nil {
		return false, err
	}
	arrive, err := longestArrive(ctx, w.db)
	if err != nil {
		return false, err
	}

	// The storm, with the kills spread over it.
	type stormDone struct {
		res storm.Result
		err error
	}
	done := make(chan stormDone, 1)
	start := time.Now()
	go func() {
		res, err := storm.Run(ctx, w.client, storm.Config{Whistles: o.whistles, Duration: o.duration, MaxInFlight: 64, GiveUp: o.giveUp, Log: log})
		done <- stormDone{res, err}
	}()
	k := &killer{fleet: w.fleet, nats: w.nats, pg: w.pg, js: w.js, rnd: rnd, natsDown: o.natsDown, timeout: o.recoverTimeout}
	killed := make(chan []recovery, 1)
	go func() { killed <- k.run(ctx, plan, start, o.duration, log) }()
	sd := <-done
	if sd.err != nil {
		return false, fmt.Errorf("storm: %w", sd.err)
	}
	res := sd.res
	log.Info("chaos: storm over", "accepted", res.Accepted, "failed", res.Failed, "retries", res.Retries)
	vis, err := storm.WaitDispatched(ctx, w.db, res, fanOut, o.settle)
	if err != nil {
		return false, err
	}
	recoveries := <-killed
	if ctx.Err() != nil {
		return false, ctx.Err()
	}

	rep, err := judge(ctx, log, w, o, res, arrive)
	if err != nil {
		return false, err
	}
	printReport(os.Stdout, o, res, vis, recoveries, rep, w.fleet.PeakRSS())
	if res.Failed > 0 {
		return false, nil
	}
	for _, r := range recoveries {
		if r.Err != "" {
			return false, nil
		}
	}
	return rep.OK(), nil
}

// world is everything a run starts.
type world struct {
	pg     *pgcluster.Cluster
	nats   *natscluster.Cluster
	fleet  *fleet.Fleet
	nc     *nats.Conn
	js     jetstream.JetStream
	db     *pgxpool.Pool
	clk    clock.Clock
	client *storm.Client
}

// setUp starts Postgres, the NATS cluster and the services under dir and
// connects to them; w is never nil, so tearDown stops what did start.
func setUp(ctx context.Context, log *slog.Logger, o options, dir string) (w *world, err error) {
	w = &world{}
	self, err := os.Executable()
	if err != nil {
		return w, fmt.Errorf("find own binary: %w", err)
	}
	binDir, err := filepath.Abs(o.binDir)
	if err != nil {
		return w, err
	}
	pgBin, err := pgcluster.FindBin(o.pgBin)
	if err != nil {
		return w, err
	}
	// fsync is off: a chaos run kills processes, not the machine, so the page
	// cache survives every crash it causes; commits stay synchronous, so an
	// immediate restart still must not lose an acknowledged transaction.
	settings := pgcluster.Settings{"fsync": "off", "full_page_writes": "off", "max_connections": "200", "shared_buffers": "128MB"}
	if w.pg, err = pgcluster.Start(ctx, pgBin, filepath.Join(dir, "pg"), settings); err != nil {
		return w, err
	}
	if err := w.pg.CreateDatabase(ctx, "whistle"); err != nil {
		return w, err
	}
	log.Info("chaos: PostgreSQL up", "bin", pgBin, "url", w.pg.URL("whistle"))

	if w.nats, err = natscluster.Start(self, filepath.Join(dir, "nats"), 3); err != nil {
		return w, err
	}
	hctx, cancel := context.WithTimeout(ctx, time.Minute)
	err = w.nats.WaitHealthy(hctx)
	cancel()
	if err != nil {
		return w, err
	}
	log.Info("chaos: NATS cluster up", "urls", w.nats.URLs())

	origin := time.Now()
	if w.clk, err = clock.FromConfig(o.scale, origin); err != nil {
		return w, err
	}
	logDir := filepath.Join(dir, "logs")
	if err := os.MkdirAll(logDir, 0o700); err != nil {
		return w, err
	}
	w.fleet, err = fleet.Start(ctx, fleet.Config{
		BinDir: binDir, LogDir: logDir, DatabaseURL: w.pg.URL("whistle"), NATSURL: w.nats.URLs(), Replicas: 3,
		TimeScale: o.scale, TimeOrigin: origin, ResponseReplicas: o.responseReplicas,
	})
	if err != nil {
		return w, err
	}
	log.Info("chaos: services ready", "api", w.fleet.APIURL)

	if w.nc, err = nats.Connect(w.nats.URLs(), nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond)); err != nil {
		return w, fmt.Errorf("connect to NATS: %w", err)
	}
	if w.js, err = jetstream.New(w.nc); err != nil {
		return w, err
	}
	st, err := w.js.Stream(ctx, streamName)
	if err != nil {
		return w, fmt.Errorf("stream %s: %w", streamName, err)
	}
	if r := st.CachedInfo().Config.Replicas; r != 3 {
		return w, fmt.Errorf("stream %s has %d replicas, want 3", streamName, r)
	}
	if w.db, err = pgxpool.New(ctx, w.pg.URL("whistle")); err != nil {
		return w, err
	}
	w.client, err = storm.NewClient(w.fleet.APIURL)
	return w, err
}

// tearDown stops what setUp started, the services first.
func (w *world) tearDown(ctx context.Context) {
	if w.db != nil {
		w.db.Close()
	}
	if w.nc != nil {
		w.nc.Close()
	}
	if w.fleet != nil {
		w.fleet.Stop()
	}
	if w.nats != nil {
		w.nats.Stop()
	}
	if w.pg != nil {
		_ = w.pg.Stop(ctx)
	}
}

// judge lets the drill clock pass the storm's arrival deadlines (the longest
// its categories set), waits for the system to drain, and checks the
// invariants.
func judge(ctx context.Context, log *slog.Logger, w *world, o options, res storm.Result, arrive time.Duration) (invariant.Report, error) {
	grace := time.Duration(float64(10*time.Second) * o.scale)
	until := res.End.Add(time.Duration(float64(arrive+grace) / o.scale))
	log.Info("chaos: waiting for the deadlines to fall due", "until", until.Format(time.TimeOnly), "drill_arrive", arrive)
	select {
	case <-ctx.Done():
		return invariant.Report{}, ctx.Err()
	case <-time.After(time.Until(until)):
	}
	admin, err := w.client.DevToken(ctx, "admin", "", "")
	if err != nil {
		return invariant.Report{}, err
	}
	raises := make([]invariant.Raise, len(res.Raises))
	for i, r := range res.Raises {
		raises[i] = invariant.Raise{Key: r.Key, StreetID: r.StreetID, WhistleID: r.WhistleID, Category: r.Category}
	}
	// The drill clock keeps the escalation ladder firing, so new events can
	// be in flight between the moment the system settled and the snapshot. A
	// verdict whose only finding is a consumer behind is taken again after the
	// next settle (a few times): a consumer that is really stuck stays behind.
	var report invariant.Report
	for attempt := 1; ; attempt++ {
		if err := settle(ctx, w.db, w.js, w.clk, grace, o.settle); err != nil {
			log.Warn("chaos: not settled; checking anyway", "err", err)
		}
		snap, err := invariant.Load(ctx, invariant.Sources{DB: w.db, JS: w.js, Stream: streamName, APIURL: w.fleet.APIURL, AdminToken: admin},
			w.clk.Now(), grace, raises)
		if err != nil {
			return invariant.Report{}, err
		}
		report = invariant.Check(snap)
		if report.OK() || attempt == 3 || !onlyConsumersBehind(report) {
			return report, nil
		}
		log.Info("chaos: events were in flight at the snapshot; judging again", "violations", report.Violations)
	}
}

// onlyConsumersBehind reports whether every violation is a consumer behind.
func onlyConsumersBehind(r invariant.Report) bool {
	for _, v := range r.Violations {
		if !strings.HasPrefix(v, "consumer behind") {
			return false
		}
	}
	return true
}

// longestArrive is the longest arrival limit of the storm's categories.
func longestArrive(ctx context.Context, db *pgxpool.Pool) (time.Duration, error) {
	var minutes int
	err := db.QueryRow(ctx, `SELECT coalesce(max(sla_arrive_minutes), 0) FROM routing.categories WHERE code = ANY($1)`, storm.Categories).Scan(&minutes)
	if err != nil {
		return 0, fmt.Errorf("read arrival limits: %w", err)
	}
	return time.Duration(minutes) * time.Minute, nil
}

// settle waits until no timer due more than grace ago waits, the outboxes
// are empty and every consumer has nothing pending, or timeout: a slow system
// delays the verdict rather than failing it.
func settle(ctx context.Context, db *pgxpool.Pool, js jetstream.JetStream, clk clock.Clock, grace, timeout time.Duration) error {
	var last string
	err := poll(ctx, timeout, func() bool {
		var due int
		if err := db.QueryRow(ctx, `SELECT count(*) FROM response.timers WHERE due_at <= $1`, clk.Now().Add(-grace)).Scan(&due); err != nil || due > 0 {
			last = fmt.Sprintf("timers due: %d (%v)", due, err)
			return false
		}
		for _, schema := range invariant.Schemas {
			var n int
			if err := db.QueryRow(ctx, fmt.Sprintf(`SELECT count(*) FROM %s.outbox`, schema)).Scan(&n); err != nil || n > 0 {
				last = fmt.Sprintf("%s outbox: %d (%v)", schema, n, err)
				return false
			}
		}
		lags, err := invariant.Consumers(ctx, js, streamName)
		if err != nil {
			last = err.Error()
			return false
		}
		for name, l := range lags {
			if l.Pending > 0 || l.AckPending > 0 {
				last = fmt.Sprintf("consumer %s: %d pending, %d unacknowledged", name, l.Pending, l.AckPending)
				return false
			}
		}
		return true
	})
	if err != nil {
		return errors.New(last + ": " + err.Error())
	}
	return nil
}
