// Package report turns one bench run into the stdout table and the row
// appended to docs/benchmarks.md.
package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/chuishao/whistle/tools/bench/internal/stats"
)

// Steady is the outcome of the steady scenario.
type Steady struct {
	// Rate and Duration are what was asked for.
	Rate     float64
	Duration time.Duration
	// FanOut is the dispatches each whistle must get.
	FanOut int
	// Raised counts 201s, Errors failed raises, Visible whistles whose every
	// dispatch was seen, Missing raised whistles not fully visible before the
	// drain ended.
	Raised, Errors, Visible, Missing int
	// Elapsed is from the first raise to the last whistle fully visible.
	Elapsed time.Duration
	// RaiseLatency is request → 201; Visible is 201 → last dispatch seen.
	RaiseLatency stats.Summary
	VisibleAfter stats.Summary
	// Polled is the same latency for a sample, seen by polling
	// GET /v1/whistles/{id} instead of the live stream.
	Polled stats.Summary
	// FirstError is one example error, for the reader.
	FirstError string
	// Desks is what the bench's duty desks did, when they acted.
	Desks *Desks
}

// Desks is request → answer latency of each desk action, and failures.
type Desks struct {
	Acknowledged, Arrived, Resolved stats.Summary
	Failed                          int
	FirstError                      string
}

// line is the desks' part of a report, e.g. "acknowledged 600 (p50 … p99 …) …".
func (d Desks) line() string {
	one := func(what string, s stats.Summary) string {
		return fmt.Sprintf("%s %d (p50 %s, p99 %s)", what, s.Count, ms(s.P50), ms(s.P99))
	}
	l := one("acknowledged", d.Acknowledged) + ", " + one("arrived", d.Arrived) + ", " + one("resolved", d.Resolved) +
		fmt.Sprintf(", %d failed", d.Failed)
	if d.FirstError != "" {
		l += " (first: " + d.FirstError + ")"
	}
	return l
}

// Achieved is fully visible whistles per second of the run.
func (s Steady) Achieved() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Visible) / s.Elapsed.Seconds()
}

// Baseline is one raw rate measured on the same servers.
type Baseline struct {
	Name  string
	Ops   int
	Rate  float64 // per second
	Unit  string
	Error string
}

// Run is everything one invocation measured.
type Run struct {
	Steady    Steady
	Baselines []Baseline
	// Usage is what the scenario cost the machine (usage.Summary.Lines).
	Usage []string
}

// PgTx is the "insert row + outbox row" baseline (without pg_notify), the
// denominator of the ratio the issue asks for; nil when it was not measured.
func (r Run) PgTx() *Baseline {
	for i := range r.Baselines {
		name := r.Baselines[i].Name
		if strings.HasPrefix(name, "pgx") && !strings.Contains(name, "pg_notify") && r.Baselines[i].Error == "" {
			return &r.Baselines[i]
		}
	}
	return nil
}

// Ratio is achieved whistles/s ÷ raw pgx tx/s (0 without a baseline).
func (r Run) Ratio() float64 {
	b := r.PgTx()
	if b == nil || b.Rate == 0 {
		return 0
	}
	return r.Steady.Achieved() / b.Rate
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

// WriteTable prints the human-readable table.
func WriteTable(w io.Writer, r Run) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	s := r.Steady
	p := func(format string, args ...any) { fmt.Fprintf(tw, format+"\n", args...) }
	p("steady scenario\t%.0f whistles/s for %s, %d-department fan-out", s.Rate, s.Duration, s.FanOut)
	p("  raised (201)\t%d", s.Raised)
	p("  raise errors\t%d", s.Errors)
	p("  fully visible\t%d", s.Visible)
	p("  not fully visible within the drain\t%d", s.Missing)
	p("  achieved\t%.1f whistles/s (%.1f dispatches/s)", s.Achieved(), s.Achieved()*float64(s.FanOut))
	p("  raise → 201\tp50 %s  p95 %s  p99 %s  max %s", ms(s.RaiseLatency.P50), ms(s.RaiseLatency.P95), ms(s.RaiseLatency.P99), ms(s.RaiseLatency.Max))
	p("  201 → all dispatches visible\tp50 %s  p95 %s  p99 %s  max %s", ms(s.VisibleAfter.P50), ms(s.VisibleAfter.P95), ms(s.VisibleAfter.P99), ms(s.VisibleAfter.Max))
	if s.Polled.Count > 0 {
		p("  201 → dispatches on GET (sample of %d)\tp50 %s  p95 %s  p99 %s  max %s", s.Polled.Count, ms(s.Polled.P50), ms(s.Polled.P95), ms(s.Polled.P99), ms(s.Polled.Max))
	}
	if s.FirstError != "" {
		p("  first error\t%s", s.FirstError)
	}
	if s.Desks != nil {
		p("  desk actions (request → answer)\t%s", s.Desks.line())
	}
	if len(r.Usage) > 0 {
		p("machine use while raising and draining\t")
		for _, l := range r.Usage {
			label, value, _ := strings.Cut(l, ": ")
			p("  %s\t%s", label, value)
		}
	}
	p("raw baselines (same servers)\t")
	for _, b := range r.Baselines {
		if b.Error != "" {
			p("  %s\terror: %s", b.Name, b.Error)
			continue
		}
		p("  %s\t%.0f %s (%d ops)", b.Name, b.Rate, b.Unit, b.Ops)
	}
	if ratio := r.Ratio(); ratio > 0 {
		p("ratio whistles/s ÷ pgx tx/s\t%.4f (1/%.0f; target ≥ 1/6)", ratio, 1/ratio)
	}
	return tw.Flush()
}

// Meta is what makes a recorded row reproducible.
type Meta struct {
	Date    time.Time
	Commit  string
	Cores   int
	Command string
	Machine string // free text appended to the core count, e.g. load average
}

// MarkdownRow is one row for docs/benchmarks.md, in its existing columns:
// date | commit | what | command | machine | result.
func MarkdownRow(m Meta, r Run) string {
	s := r.Steady
	what := fmt.Sprintf("bench steady: %.0f whistles/s for %s over REST (joint-enforcement, noise; %d-department fan-out), "+
		"raise → every dispatch.created on the supervisor's SSE stream; raw baselines on the same NATS and Postgres", s.Rate, s.Duration, s.FanOut)
	if s.Desks != nil {
		what += "; desks acknowledge, arrive and resolve every dispatch 1 s, 10 s and 30 s after it appears"
	}
	machine := fmt.Sprintf("%d cores", m.Cores)
	if m.Machine != "" {
		machine += ", " + m.Machine
	}
	var res []string
	res = append(res, fmt.Sprintf("**%.1f whistles/s** end to end (%d raised, %d errors, %d not fully visible within the drain)", s.Achieved(), s.Raised, s.Errors, s.Missing))
	res = append(res, fmt.Sprintf("201 → visible p50 / p95 / p99 **%s / %s / %s**", ms(s.VisibleAfter.P50), ms(s.VisibleAfter.P95), ms(s.VisibleAfter.P99)))
	if s.Polled.Count > 0 {
		res = append(res, fmt.Sprintf("same by polling GET /v1/whistles/{id} (%d sampled) p50 / p99 %s / %s", s.Polled.Count, ms(s.Polled.P50), ms(s.Polled.P99)))
	}
	res = append(res, fmt.Sprintf("raise p99 %s", ms(s.RaiseLatency.P99)))
	if s.Desks != nil {
		res = append(res, "desk actions "+s.Desks.line())
	}
	for _, b := range r.Baselines {
		if b.Error == "" {
			res = append(res, fmt.Sprintf("%s %.0f %s", b.Name, b.Rate, b.Unit))
		}
	}
	if ratio := r.Ratio(); ratio > 0 {
		res = append(res, fmt.Sprintf("ratio whistles/s ÷ pgx tx/s = %.4f (1/%.0f)", ratio, 1/ratio))
	}
	res = append(res, r.Usage...)
	cell := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	return fmt.Sprintf("| %s | %s | %s | `%s` | %s | %s |",
		m.Date.UTC().Format("2006-01-02"), cell(m.Commit), cell(what), cell(m.Command), cell(machine), cell(strings.Join(res, "; ")))
}
