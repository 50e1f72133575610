package response

import (
	"fmt"
	"time"
)

// Clock names one of a dispatch's SLA clocks.
type Clock string

// The SLA clocks of a dispatch. All start together at the SLA start.
const (
	ClockAck     Clock = "ack"
	ClockArrive  Clock = "arrive"
	ClockResolve Clock = "resolve"
)

// Clocks lists every clock, in deadline order for the defaults.
var Clocks = []Clock{ClockAck, ClockArrive, ClockResolve}

// ParseClock reads a stored clock name.
func ParseClock(s string) (Clock, error) {
	switch c := Clock(s); c {
	case ClockAck, ClockArrive, ClockResolve:
		return c, nil
	}
	return "", fmt.Errorf("unknown SLA clock %q", s)
}

// TimerKind says what happens when a step of a dispatch's SLA falls due.
type TimerKind string

// Timer kinds.
const (
	// Warning fires at WarningShare of a clock's limit.
	Warning TimerKind = "warning"
	// Breach fires at the deadline.
	Breach TimerKind = "breach"
)

// ParseTimerKind reads a stored timer kind.
func ParseTimerKind(s string) (TimerKind, error) {
	switch k := TimerKind(s); k {
	case Warning, Breach, Escalate:
		return k, nil
	}
	return "", fmt.Errorf("unknown timer kind %q", s)
}

// The default limits, the only ones in the system: a clock that neither an
// admin's policy nor routing's catalogue sets (TermsFor) gets its default —
// acknowledge within 5 minutes, arrive within 30, resolve within 72 hours.
const (
	DefaultAckWithin     = 5 * time.Minute
	DefaultArriveWithin  = 30 * time.Minute
	DefaultResolveWithin = 72 * time.Hour
)

// WarningShare is the part of a clock's limit after which a warning fires.
const WarningShare = 0.8

// BreachEscalationLevel is the escalation step a breach starts at: 1 remind (催办).
const BreachEscalationLevel = 1

// Policy holds the limits of a dispatch's clocks, measured from the SLA start.
type Policy struct {
	AckWithin     time.Duration
	ArriveWithin  time.Duration
	ResolveWithin time.Duration
	// ResolveWorkingDays, when positive, replaces ResolveWithin: the limit is
	// that many days' worth of working hours on the calendar's working days.
	ResolveWorkingDays int
}

// WithDefaults fills limits that are unset (or nonsensical) with the defaults.
func (p Policy) WithDefaults() Policy {
	if p.AckWithin <= 0 {
		p.AckWithin = DefaultAckWithin
	}
	if p.ArriveWithin <= 0 {
		p.ArriveWithin = DefaultArriveWithin
	}
	if p.ResolveWithin <= 0 {
		p.ResolveWithin = DefaultResolveWithin
	}
	return p
}

// Limit is the limit of clock c.
func (p Policy) Limit(c Clock) time.Duration {
	switch c {
	case ClockAck:
		return p.AckWithin
	case ClockArrive:
		return p.ArriveWithin
	default:
		return p.ResolveWithin
	}
}

// Deadline is when clock c of a dispatch falls due.
func (d Dispatch) Deadline(c Clock) time.Time {
	switch c {
	case ClockAck:
		return d.AckBy
	case ClockArrive:
		return d.ArriveBy
	default:
		return d.ResolveBy
	}
}

// Schedule is when each clock of a dispatch warns and falls due.
type Schedule struct {
	Due  map[Clock]time.Time
	Warn map[Clock]time.Time
}

// Schedule computes the deadlines and warning times of clocks started at
// start. A working-day resolve limit is counted in working time on cal (the
// default calendar when nil), its warning at WarningShare of that working time.
func (p Policy) Schedule(start time.Time, cal *Calendar) Schedule {
	s := Schedule{Due: map[Clock]time.Time{}, Warn: map[Clock]time.Time{}}
	for _, c := range Clocks {
		limit := p.Limit(c)
		s.Due[c] = start.Add(limit)
		s.Warn[c] = start.Add(time.Duration(float64(limit) * WarningShare))
	}
	if p.ResolveWorkingDays > 0 {
		if cal == nil {
			cal = &Calendar{}
		}
		work := time.Duration(p.ResolveWorkingDays) * cal.DayLength()
		s.Due[ClockResolve] = cal.AddWorkingTime(start, work)
		s.Warn[ClockResolve] = cal.AddWorkingTime(start, time.Duration(float64(work)*WarningShare))
	}
	return s
}

// ClockRunning reports whether clock c still runs for a dispatch in status s,
// i.e. whether its deadline is still to be met. A stopped clock neither warns
// nor breaches.
func ClockRunning(s Status, c Clock) bool {
	switch c {
	case ClockAck:
		return s == Pending
	case ClockArrive:
		return s == Pending || s == Acknowledged
	default:
		return s.Open()
	}
}
