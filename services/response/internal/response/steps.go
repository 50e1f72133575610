package response

import (
	"slices"
	"time"
)

// Step is one thing the SLA engine does for a dispatch when it falls due: a
// running clock's warning or breach, or the escalation ladder's next step
// (Escalate, its Clock the breached one that keeps the ladder climbing).
type Step struct {
	Clock Clock
	Kind  TimerKind
	DueAt time.Time
}

// before orders steps as they fire: by due time; at the same instant in clock
// order, a warning before its breach before the ladder's step.
func (s Step) before(o Step) bool {
	if !s.DueAt.Equal(o.DueAt) {
		return s.DueAt.Before(o.DueAt)
	}
	if a, b := slices.Index(Clocks, s.Clock), slices.Index(Clocks, o.Clock); a != b {
		return a < b
	}
	return kindRank(s.Kind) < kindRank(o.Kind)
}

func kindRank(k TimerKind) int {
	switch k {
	case Warning:
		return 0
	case Breach:
		return 1
	}
	return 2
}

// WarnAt is when clock c warns, nil when it is not to.
func (d Dispatch) WarnAt(c Clock) *time.Time {
	switch c {
	case ClockAck:
		return d.AckWarnAt
	case ClockArrive:
		return d.ArriveWarnAt
	default:
		return d.ResolveWarnAt
	}
}

// NextStep is the first step still to fire for d, computed from its state
// alone: what the pollers fire when it falls due and what the dispatch's one
// timer row says. ok is false when nothing is left (a closed dispatch, or
// every clock breached and the ladder at its top or stopped).
//
// A running clock warns unless it warned already, and breaches unless it
// breached already; the ladder climbs at EscalateAt while a breached clock is
// unmet (meeting it stops the ladder) and the top is not reached.
func (d Dispatch) NextStep() (next Step, ok bool) {
	consider := func(s Step) {
		if !ok || s.before(next) {
			next, ok = s, true
		}
	}
	for _, c := range Clocks {
		if !ClockRunning(d.Status, c) || slices.Contains(d.Breaches, string(c)) {
			continue
		}
		if w := d.WarnAt(c); w != nil && !slices.Contains(d.Warnings, string(c)) {
			consider(Step{Clock: c, Kind: Warning, DueAt: *w})
		}
		consider(Step{Clock: c, Kind: Breach, DueAt: d.Deadline(c)})
	}
	if d.EscalateAt != nil && d.EscalationLevel < MaxLevel {
		if c, unmet := d.UnmetBreach(); unmet {
			consider(Step{Clock: c, Kind: Escalate, DueAt: *d.EscalateAt})
		}
	}
	return next, ok
}

// Fire applies step s (d's NextStep) to d as fired at now: a warning or a
// breach is recorded on its clock; a breach is 催办 (level 1) unless the
// dispatch is higher already, and starts the ladder unless it climbs already;
// the ladder's step raises the level by one. Each step of the ladder counts
// from when the previous one was due, not when it fired, so a late poller
// does not stretch the ladder.
func (d Dispatch) Fire(s Step, l Ladder, now time.Time) Dispatch {
	l = l.WithDefaults()
	d.UpdatedAt = now
	switch s.Kind {
	case Warning:
		d.Warnings = append(slices.Clone(d.Warnings), string(s.Clock))
	case Breach:
		d.Breaches = append(slices.Clone(d.Breaches), string(s.Clock))
		d.EscalationLevel = max(d.EscalationLevel, BreachEscalationLevel)
		// A ladder step still pending (not due before this breach) stands:
		// one ladder per dispatch, whichever clock started it.
		if d.EscalateAt == nil || d.EscalateAt.Before(s.DueAt) {
			d.EscalateAt = nil
			if _, after, ok := l.Next(d.EscalationLevel); ok {
				at := s.DueAt.Add(after)
				d.EscalateAt = &at
			}
		}
	case Escalate:
		d.EscalationLevel++
		d.EscalateAt = nil
		if _, after, ok := l.Next(d.EscalationLevel); ok {
			at := s.DueAt.Add(after)
			d.EscalateAt = &at
		}
	}
	return d
}

// EscalateByHand is a supervisor's step to level (ManualEscalation's answer)
// at now: the ladder's next step, while a breached clock is unmet, counts
// from now; with none unmet the ladder waits for a breach to start it.
func (d Dispatch) EscalateByHand(level int, l Ladder, now time.Time) Dispatch {
	d.EscalationLevel, d.UpdatedAt, d.EscalateAt = level, now, nil
	if _, unmet := d.UnmetBreach(); unmet {
		if _, after, ok := l.WithDefaults().Next(level); ok {
			at := now.Add(after)
			d.EscalateAt = &at
		}
	}
	return d
}
