// Package ramp finds the highest end-to-end rate the stack sustains: it runs
// the steady scenario at rising rates until a step cannot keep up.
package ramp

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/chuishao/whistle/tools/bench/internal/report"
	"github.com/chuishao/whistle/tools/bench/internal/steady"
)

// Config is the ramp's shape.
type Config struct {
	// Start is the first step's rate; each next step multiplies it by Factor,
	// up to MaxRate (whistles/s).
	Start, Factor, MaxRate float64
	// Step is how long each step raises; Steady.Drain bounds its wait after.
	Step time.Duration
	// MaxP99 is the highest 201 → visible p99 a sustained step may have: a
	// backlog that grows during the step shows as a p99 that grows with it.
	MaxP99 time.Duration
	// Steady is the template of every step (its Rate and Duration are set per step).
	Steady steady.Config
	// Load reads the machine's load average, noted with each step (others may share the machine).
	Load func() string
}

// Step is one rate tried.
type Step struct {
	Result report.Steady
	Load   string
	// Sustained tells whether the stack kept up; Reason says why not.
	Sustained bool
	Reason    string
}

// Run steps the rate up until a step is not sustained (or MaxRate is passed)
// and returns every step run.
func Run(ctx context.Context, c *steady.Client, cfg Config) ([]Step, error) {
	if cfg.Start <= 0 || cfg.Factor <= 1 || cfg.Step <= 0 {
		return nil, fmt.Errorf("ramp: start must be positive and factor above 1, got %v and %v", cfg.Start, cfg.Factor)
	}
	var steps []Step
	for rate := cfg.Start; rate <= cfg.MaxRate; rate *= cfg.Factor {
		sc := cfg.Steady
		sc.Rate, sc.Duration = rate, cfg.Step
		cfg.Steady.Log.Info("ramp: step", "rate", rate, "for", cfg.Step)
		res, err := steady.Run(ctx, c, sc)
		if err != nil {
			return steps, fmt.Errorf("ramp step at %.0f/s: %w", rate, err)
		}
		st := Step{Result: res}
		if cfg.Load != nil {
			st.Load = cfg.Load()
		}
		st.Sustained, st.Reason = Judge(res, cfg.MaxP99)
		steps = append(steps, st)
		if !st.Sustained {
			break
		}
	}
	return steps, nil
}

// Judge tells whether a step kept up with its offered rate: at least 90 % of
// the offered raises made (the raising loop is bounded by time), (almost) no
// failed raises, every whistle visible before the drain ended, and the visible
// p99 within maxP99. Not "achieved ≥ offered": a step's achieved rate counts
// its last whistle's latency in the elapsed time, which a short step cannot hide.
func Judge(s report.Steady, maxP99 time.Duration) (bool, string) {
	offered := s.Rate * s.Duration.Seconds()
	switch {
	case float64(s.Errors) > 0.01*offered:
		return false, fmt.Sprintf("%d of %.0f raises failed", s.Errors, offered)
	case float64(s.Raised+s.Errors) < 0.9*offered:
		return false, fmt.Sprintf("only %d of %.0f raises made in time", s.Raised+s.Errors, offered)
	case s.Missing > 0:
		return false, fmt.Sprintf("%d whistles not visible within the drain (backlog)", s.Missing)
	case s.VisibleAfter.P99 > maxP99:
		return false, fmt.Sprintf("visible p99 %s > %s", ms(s.VisibleAfter.P99), ms(maxP99))
	}
	return true, ""
}

// Sustainable is the highest offered rate of a sustained step (0: none).
func Sustainable(steps []Step) float64 {
	best := 0.0
	for _, s := range steps {
		if s.Sustained {
			best = max(best, s.Result.Rate)
		}
	}
	return best
}

// SustainedAchieved is the highest achieved rate of a sustained step (0: none).
func SustainedAchieved(steps []Step) float64 {
	best := 0.0
	for _, s := range steps {
		if s.Sustained {
			best = max(best, s.Result.Achieved())
		}
	}
	return best
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }

// WriteTable prints one line per step and the verdict.
func WriteTable(w io.Writer, steps []Step) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "offered/s\tachieved/s\traised\terrors\tmissing\tvisible p50\tp99\traise p99\tload\tverdict")
	for _, s := range steps {
		r := s.Result
		verdict := "sustained"
		if !s.Sustained {
			verdict = "NOT sustained: " + s.Reason
		}
		fmt.Fprintf(tw, "%.0f\t%.1f\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\n", r.Rate, r.Achieved(), r.Raised, r.Errors, r.Missing,
			ms(r.VisibleAfter.P50), ms(r.VisibleAfter.P99), ms(r.RaiseLatency.P99), s.Load, verdict)
	}
	fmt.Fprintf(tw, "highest sustained end-to-end rate\t%.0f whistles/s offered\n", Sustainable(steps))
	return tw.Flush()
}

// MarkdownRow is one row for docs/benchmarks.md: the steps in the result cell.
func MarkdownRow(m report.Meta, cfg Config, steps []Step) string {
	what := fmt.Sprintf("bench ramp: steady steps of %s from %.0f whistles/s ×%.2f until one is not sustained "+
		"(errors > 1 %%, < 90 %% of the raises made, backlog left after the drain, or 201 → visible p99 > %s)",
		cfg.Step, cfg.Start, cfg.Factor, ms(cfg.MaxP99))
	var res []string
	res = append(res, fmt.Sprintf("**highest sustained %.0f whistles/s**", Sustainable(steps)))
	for _, s := range steps {
		r := s.Result
		verdict := "ok"
		if !s.Sustained {
			verdict = s.Reason
		}
		res = append(res, fmt.Sprintf("%.0f/s → %.1f/s, p50/p99 %s/%s, %s (%s)", r.Rate, r.Achieved(),
			ms(r.VisibleAfter.P50), ms(r.VisibleAfter.P99), verdict, s.Load))
	}
	cell := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	return fmt.Sprintf("| %s | %s | %s | `%s` | %d cores | %s |", m.Date.UTC().Format("2006-01-02"), cell(m.Commit), cell(what),
		cell(m.Command), m.Cores, cell(strings.Join(res, "; ")))
}
