package intake

import (
	"time"

	"github.com/chuishao/whistle/platform/whistlestatus"
)

// Dispatch is what the whistle's status needs to know of one dispatch.
type Dispatch struct {
	Department     string
	Status         whistlestatus.Dispatch
	AcknowledgedAt time.Time
	ArrivedAt      time.Time
	ResolvedAt     time.Time
	UpdatedAt      time.Time
}

// Progress is everything the whistle's derived status depends on.
type Progress struct {
	Status whistlestatus.Status
	// Routed is true once routing's decision (whistle.routed) has arrived; until
	// then Expected may be incomplete.
	Routed bool
	// ReopenedAt is when the street last reopened the whistle: dispatch work
	// from before then does not count again. Zero when never reopened.
	ReopenedAt time.Time
	// Expected are the departments the whistle waits for.
	Expected   []string
	Dispatches []Dispatch
}

// Advance returns the statuses the whistle moves through, in order, given its
// dispatches: RESPONDING once a department has acknowledged, RESOLVED once
// every expected department has resolved. Empty when nothing changes. Events
// may arrive in any order, so this is evaluated after each of them.
func Advance(p Progress) []whistlestatus.Status {
	var moves []whistlestatus.Status
	s := p.Status
	if (s == whistlestatus.Routed || s == whistlestatus.Reopened) && p.anyResponse() {
		s = whistlestatus.Responding
		moves = append(moves, s)
	}
	if (s == whistlestatus.Routed || s == whistlestatus.Responding || s == whistlestatus.Reopened) && p.allResolved() {
		s = whistlestatus.Resolved
		moves = append(moves, s)
	}
	return moves
}

// counts reports whether work done at t is current, i.e. not from before a reopen.
func (p Progress) counts(t time.Time) bool {
	return p.ReopenedAt.IsZero() || t.After(p.ReopenedAt)
}

func (p Progress) anyResponse() bool {
	for _, d := range p.Dispatches {
		switch d.Status {
		case whistlestatus.DispatchAcknowledged, whistlestatus.DispatchArrived, whistlestatus.DispatchResolved:
			last := latest(d.AcknowledgedAt, d.ArrivedAt, d.ResolvedAt)
			if last.IsZero() {
				last = d.UpdatedAt
			}
			if p.counts(last) {
				return true
			}
		}
	}
	return false
}

func (p Progress) allResolved() bool {
	if !p.Routed || len(p.Expected) == 0 {
		return false
	}
	for _, dept := range p.Expected {
		if !p.resolvedBy(dept) {
			return false
		}
	}
	return true
}

func (p Progress) resolvedBy(dept string) bool {
	for _, d := range p.Dispatches {
		if d.Department != dept || d.Status != whistlestatus.DispatchResolved {
			continue
		}
		at := d.ResolvedAt
		if at.IsZero() {
			at = d.UpdatedAt
		}
		if p.counts(at) {
			return true
		}
	}
	return false
}

func latest(ts ...time.Time) time.Time {
	var out time.Time
	for _, t := range ts {
		if t.After(out) {
			out = t
		}
	}
	return out
}

// PendingArbitration is the placeholder a whistle waits for while a supervisor
// arbitrates a return: it has no dispatch, so the whistle cannot be resolved
// by the departments left on it until the decision replaces it.
func PendingArbitration(arbitrationID string) string { return "arbitration:" + arbitrationID }
