package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/chuishao/whistle/tools/bench/machine"
	"github.com/chuishao/whistle/tools/bench/storm"
	"github.com/chuishao/whistle/tools/chaos/invariant"
)

func printReport(w io.Writer, o options, res storm.Result, vis storm.Visible, recs []recovery, rep invariant.Report, rss string) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, format string, args ...any) {
		_, _ = fmt.Fprintf(tw, "%s\t%s\n", k, fmt.Sprintf(format, args...))
	}
	elapsed := res.End.Sub(res.Start)
	fmt.Fprintln(tw, "\n== chaos: storm ==")
	row("storm", "%d whistles asked over %v; %d accepted in %.1f s, %d failed, %d retries", o.whistles, o.duration,
		res.Accepted, elapsed.Seconds(), res.Failed, res.Retries)
	row("raise → 2xx p50/p99/max", "%v / %v / %v", round(res.RaiseLatency.P50), round(res.RaiseLatency.P99), round(res.RaiseLatency.Max))
	row("dispatches expected / found", "%d / %d (whistles missing one: %d)", vis.Expected, vis.Found, vis.Incomplete)
	row("last dispatch after storm end", "%.1f s", vis.AfterEnd.Seconds())
	row("peak RSS (MB, last incarnation)", "%s", rss)
	_ = tw.Flush()

	fmt.Fprintln(w, "\n== chaos: kills (time from the kill) ==")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "target\tat\tback\tcaught up\tnote")
	for _, r := range recs {
		back, caught := secs(r.Back, o.recoverTimeout), secs(r.CaughtUp, o.recoverTimeout)
		fmt.Fprintf(tw, "%s\t%.1f s\t%s\t%s\t%s\n", r.Target, r.At.Seconds(), back, caught, r.Err+r.Slow)
	}
	_ = tw.Flush()

	fmt.Fprintln(w, "\n== chaos: invariants ==")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row("accepted raises / whistles in intake", "%d / %d", rep.Raises, rep.Whistles)
	row("dispatches / events on the stream", "%d / %d", rep.Dispatches, rep.Events)
	row("deadlines due / breaches fired once", "%d / %d (escalation steps %d)", rep.DeadlinesDue, rep.BreachesFired, rep.Escalated)
	row("lost / duplicated / missed / early", "%d / %d / %d / %d", rep.Lost, rep.Duplicated, rep.Missed, rep.Early)
	verdict := "OK: nothing lost, nothing duplicated, no deadline missed"
	if !rep.OK() {
		verdict = fmt.Sprintf("BROKEN: %d violations", len(rep.Violations))
	}
	row("verdict", "%s", verdict)
	_ = tw.Flush()
	for _, v := range rep.Violations {
		fmt.Fprintln(w, "  ✗ "+v)
	}
	fmt.Fprintf(w, "\n%s; command: %s; %s\n", time.Now().UTC().Format("2006-01-02 15:04 MST"), strings.Join(os.Args, " "), machine.LoadAverage())
}

// secs prints a recovery time; zero is one never reached within timeout.
func secs(d, timeout time.Duration) string {
	if d == 0 {
		return "> " + timeout.String()
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

func round(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
