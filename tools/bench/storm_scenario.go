package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chuishao/whistle/tools/bench/internal/steady"
	"github.com/chuishao/whistle/tools/bench/storm"
)

// stormOptions are the flags of --scenario storm.
type stormOptions struct {
	launcher, binDir, apiURL, dbURL string
	cfg                             storm.Config
	drain                           time.Duration
}

// runStorm starts the stack, raises the storm, waits until every accepted
// whistle has all its dispatches (or the drain ends) and prints the table.
func runStorm(ctx context.Context, log *slog.Logger, o stormOptions) error {
	client, err := steady.NewClient(o.apiURL)
	if err != nil {
		return err
	}
	// The started stack narrows intake's duplicate search (stack.Start), as a
	// storm puts hundreds of open whistles of one category within metres.
	st, stop, err := startStack(ctx, log, o.launcher, o.binDir, o.dbURL, o.apiURL)
	if err != nil {
		return err
	}
	defer stop()
	db, err := pgxpool.New(ctx, o.dbURL)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", o.dbURL, err)
	}
	defer db.Close()
	fanOut, err := storm.FanOuts(ctx, db)
	if err != nil {
		return err
	}
	sampler := startSampler(ctx, log, st.Pid(), o.dbURL)
	res, err := storm.Run(ctx, client, o.cfg)
	if err != nil {
		sampler.stop()
		return fmt.Errorf("storm: %w", err)
	}
	log.Info("storm: raising done; waiting for the last dispatches", "accepted", res.Accepted)
	vis, err := storm.WaitDispatched(ctx, db, res, fanOut, o.drain)
	sum := sampler.stop()
	if err != nil {
		return err
	}
	var use []string
	if sum != nil {
		use = append(sum.Lines(), sum.PerWhistle(res.Accepted, -1, ""))
	}
	return writeStormTable(os.Stdout, o.cfg, res, vis, use)
}

// writeStormTable prints the storm's figures and, when sampled, what it cost
// the machine (usage lines).
func writeStormTable(w io.Writer, cfg storm.Config, res storm.Result, vis storm.Visible, use []string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	elapsed := res.End.Sub(res.Start)
	rows := [][2]string{
		{"storm", fmt.Sprintf("%d whistles asked over %v", cfg.Whistles, cfg.Duration)},
		{"raised in", fmt.Sprintf("%.1f s (%.0f whistles/s accepted)", elapsed.Seconds(), float64(res.Accepted)/elapsed.Seconds())},
		{"accepted / failed", fmt.Sprintf("%d / %d (retries %d)", res.Accepted, res.Failed, res.Retries)},
		{"raise → 2xx p50/p95/p99/max", fmt.Sprintf("%v / %v / %v / %v", ms(res.RaiseLatency.P50), ms(res.RaiseLatency.P95), ms(res.RaiseLatency.P99), ms(res.RaiseLatency.Max))},
		{"dispatches expected / found", fmt.Sprintf("%d / %d", vis.Expected, vis.Found)},
		{"whistles missing a dispatch", fmt.Sprintf("%d", vis.Incomplete)},
		{"last dispatch after storm end", fmt.Sprintf("%.1f s", vis.AfterEnd.Seconds())},
	}
	if res.FirstError != "" {
		rows = append(rows, [2]string{"first error", res.FirstError})
	}
	for _, l := range use {
		rows = append(rows, [2]string{"machine use", l})
	}
	for _, r := range rows {
		if _, err := fmt.Fprintf(tw, "%s\t%s\n", r[0], r[1]); err != nil {
			return err
		}
	}
	return tw.Flush()
}

func ms(d time.Duration) string { return d.Round(time.Millisecond).String() }
