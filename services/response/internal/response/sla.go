package response

import (
	"fmt"
	"slices"
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

// DispatchRequest is routing's request for one department's part of a
// whistle, as a dispatch is created from it.
type DispatchRequest struct {
	ID, WhistleID, DistrictID, StreetID, Category, Department string
	// Role is lead or cooperating.
	Role string
	// CommunityCode and CommunityName are the community of the whistle's
	// point; empty when none.
	CommunityCode, CommunityName string
	// Location is the whistle's, nil when unknown.
	Location *LatLng
}

// NewDispatch is the dispatch r asks for, created at now: pending, its clocks
// started at start and due and warning as s (the Schedule of its terms from
// start) says. A warning due by now is not kept: a re-dispatch inherits an
// old start, and the warning would tell of what is late or about to be. Its
// times are kept to the microsecond, the precision they are stored at, so the
// dispatch is the row it is stored as and its NextStep is its first timer's.
func NewDispatch(r DispatchRequest, start, now time.Time, s Schedule) Dispatch {
	now = now.Truncate(time.Microsecond)
	warn := func(c Clock) *time.Time {
		if at := s.Warn[c].Truncate(time.Microsecond); at.After(now) {
			return &at
		}
		return nil
	}
	return Dispatch{
		ID: r.ID, WhistleID: r.WhistleID, DistrictID: r.DistrictID, StreetID: r.StreetID,
		Category: r.Category, Department: r.Department, Role: r.Role,
		CommunityCode: r.CommunityCode, CommunityName: r.CommunityName, Location: r.Location,
		Status:        Pending,
		DispatchedAt:  now,
		SLAStartedAt:  start.Truncate(time.Microsecond),
		AckBy:         s.Due[ClockAck].Truncate(time.Microsecond),
		ArriveBy:      s.Due[ClockArrive].Truncate(time.Microsecond),
		ResolveBy:     s.Due[ClockResolve].Truncate(time.Microsecond),
		AckWarnAt:     warn(ClockAck),
		ArriveWarnAt:  warn(ClockArrive),
		ResolveWarnAt: warn(ClockResolve),
		UpdatedAt:     now,
	}
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

// Source names the rule that set one clock's limit of a dispatch.
type Source string

// Sources, from the weakest to the strongest.
const (
	// FromDefault is this service's default (DefaultAckWithin and the others):
	// the one default of the system, for a category nobody set a limit for.
	FromDefault Source = "default"
	// FromCatalogue is routing's catalogue entry for the category, carried in
	// the dispatch request.
	FromCatalogue Source = "catalogue"
	// FromPolicy is an admin's policy for the category in every district.
	FromPolicy Source = "policy"
	// FromDistrictPolicy is an admin's policy for the category in the
	// dispatch's own district.
	FromDistrictPolicy Source = "district policy"
)

// Override is the admin's policy that applies to a dispatch (the district's
// own one, else the every-district one): its positive limits win over the
// catalogue's.
type Override struct {
	Policy
	// District is the policy's district, "" for every district.
	District string
}

// Terms is a dispatch's SLA: the limit of each clock and the rule that gave it.
type Terms struct {
	Policy
	From map[Clock]Source
}

// TermsFor decides a dispatch's limits, and is the one place that does: an
// admin's policy (over, nil when none applies) wins over routing's catalogue
// limits (requested, zero where the request set none), which win over the
// defaults. A policy's resolve limit in hours or in working days replaces the
// catalogue's whole resolve limit.
func TermsFor(requested Policy, over *Override) Terms {
	t := Terms{From: map[Clock]Source{}}
	for _, c := range Clocks {
		if requested.Limit(c) > 0 {
			t.set(c, requested, FromCatalogue)
		}
	}
	if over != nil {
		from := FromPolicy
		if over.District != "" {
			from = FromDistrictPolicy
		}
		for _, c := range Clocks {
			if over.Limit(c) > 0 || (c == ClockResolve && over.ResolveWorkingDays > 0) {
				t.set(c, over.Policy, from)
			}
		}
	}
	defaults := Policy{}.WithDefaults()
	for _, c := range Clocks {
		if _, ok := t.From[c]; !ok {
			t.set(c, defaults, FromDefault)
		}
	}
	return t
}

// set takes clock c's limit from p, attributed to from.
func (t *Terms) set(c Clock, p Policy, from Source) {
	switch c {
	case ClockAck:
		t.AckWithin = p.AckWithin
	case ClockArrive:
		t.ArriveWithin = p.ArriveWithin
	default:
		if p.ResolveWorkingDays > 0 {
			// The hours limit is unused while working days count.
			t.ResolveWorkingDays, t.ResolveWithin = p.ResolveWorkingDays, DefaultResolveWithin
		} else {
			t.ResolveWorkingDays, t.ResolveWithin = 0, p.ResolveWithin
		}
	}
	t.From[c] = from
}

// Explain says how clock c's deadline comes about, e.g. "arrive within 30m0s
// of the SLA start (default)" or "resolve within 3 working days (district
// policy)".
func (t Terms) Explain(c Clock) string {
	if c == ClockResolve && t.ResolveWorkingDays > 0 {
		return fmt.Sprintf("%s within %d working days (%s)", c, t.ResolveWorkingDays, t.From[c])
	}
	return fmt.Sprintf("%s within %s of the SLA start (%s)", c, t.Limit(c).Round(time.Second), t.From[c])
}

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
