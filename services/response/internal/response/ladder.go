package response

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Escalation levels of the ladder.
const (
	LevelNone      = 0
	LevelRemind    = 1 // 催办: the desk is reminded, at breach.
	LevelSupervise = 2 // 督办: the district supervisor.
	LevelList      = 3 // 挂牌督办: city level.
	MaxLevel       = LevelList
)

// Escalate is the kind of timer that climbs the ladder one step.
const Escalate TimerKind = "escalate"

// Default delays between the steps of the ladder.
const (
	DefaultSuperviseAfter = 30 * time.Minute
	DefaultListAfter      = 2 * time.Hour
)

// Ladder holds the delays between escalation steps: from 催办 to 督办, and
// from 督办 to 挂牌督办.
type Ladder struct {
	SuperviseAfter time.Duration
	ListAfter      time.Duration
}

// WithDefaults fills unset delays.
func (l Ladder) WithDefaults() Ladder {
	if l.SuperviseAfter <= 0 {
		l.SuperviseAfter = DefaultSuperviseAfter
	}
	if l.ListAfter <= 0 {
		l.ListAfter = DefaultListAfter
	}
	return l
}

// Next is the step after level and how long after reaching level it comes;
// ok is false at the top of the ladder.
func (l Ladder) Next(level int) (next int, after time.Duration, ok bool) {
	switch {
	case level < LevelSupervise:
		return LevelSupervise, l.SuperviseAfter, true
	case level < LevelList:
		return LevelList, l.ListAfter, true
	}
	return level, 0, false
}

// UnmetBreach is the first breached clock of d that is still running: the
// reason the ladder keeps climbing. ok is false when every breached clock has
// been met (or the dispatch is closed), which stops the ladder.
func (d Dispatch) UnmetBreach() (Clock, bool) {
	for _, c := range Clocks {
		if slices.Contains(d.Breaches, string(c)) && ClockRunning(d.Status, c) {
			return c, true
		}
	}
	return "", false
}

// PressingClock is the running clock a desk must meet next, for a manual
// escalation that no breach started.
func (d Dispatch) PressingClock() Clock {
	if c, ok := d.UnmetBreach(); ok {
		return c
	}
	for _, c := range Clocks {
		if ClockRunning(d.Status, c) {
			return c
		}
	}
	return ClockResolve
}

// ManualEscalation checks a supervisor's escalation of d by hand and returns
// the level it reaches.
func ManualEscalation(d Dispatch, reason string) (int, error) {
	if utf8.RuneCountInString(strings.TrimSpace(reason)) > MaxReasonLen {
		return 0, InvalidError{{Field: "reason", Reason: fmt.Sprintf("must be at most %d characters", MaxReasonLen)}}
	}
	if !d.Status.Open() {
		return 0, &TransitionError{From: d.Status, Action: "escalate", msg: fmt.Sprintf("dispatch is %s; only an open dispatch can be escalated", d.Status)}
	}
	if d.EscalationLevel >= MaxLevel {
		return 0, &TransitionError{From: d.Status, Action: "escalate", msg: "dispatch is already at the top of the ladder (挂牌督办)"}
	}
	return d.EscalationLevel + 1, nil
}

// ClockState is where one SLA clock of a dispatch stands.
type ClockState struct {
	Clock         Clock
	DueAt         time.Time
	OriginalDueAt *time.Time
	State         State
	MetAt         *time.Time
}

// State of a clock.
type State string

// States of a clock, spelled as the proto enum.
const (
	OnTime   State = "ON_TIME"
	Warned   State = "WARNING"
	Breached State = "BREACHED"
	Met      State = "MET"
	MetLate  State = "MET_LATE"
	Stopped  State = "STOPPED"
)

// MetAt is when clock c was met, nil while unmet.
func (d Dispatch) MetAt(c Clock) *time.Time {
	switch c {
	case ClockAck:
		return d.AcknowledgedAt
	case ClockArrive:
		return d.ArrivedAt
	default:
		return d.ResolvedAt
	}
}

// OriginalDeadline is clock c's deadline before an extension moved it.
func (d Dispatch) OriginalDeadline(c Clock) *time.Time {
	switch c {
	case ClockAck:
		return d.OriginalAckBy
	case ClockArrive:
		return d.OriginalArriveBy
	default:
		return d.OriginalResolveBy
	}
}

// ClockStates reports every clock as the engine has seen it: warnings and
// breaches count once their timers fired, so the API agrees with the events.
// A clock met after its deadline is met late even if its breach timer had
// not fired yet.
func (d Dispatch) ClockStates() []ClockState {
	out := make([]ClockState, 0, len(Clocks))
	for _, c := range Clocks {
		cs := ClockState{Clock: c, DueAt: d.Deadline(c), OriginalDueAt: d.OriginalDeadline(c), MetAt: d.MetAt(c)}
		breached := slices.Contains(d.Breaches, string(c))
		switch {
		case cs.MetAt != nil && (breached || cs.MetAt.After(cs.DueAt)):
			cs.State = MetLate
		case cs.MetAt != nil:
			cs.State = Met
		case breached:
			cs.State = Breached
		case !ClockRunning(d.Status, c):
			cs.State = Stopped
		case slices.Contains(d.Warnings, string(c)):
			cs.State = Warned
		default:
			cs.State = OnTime
		}
		out = append(out, cs)
	}
	return out
}
