// Package whistlestatus holds the API's statuses of a whistle and of its
// dispatches (the proto enum names), the order of a dispatch's statuses, and
// the moves a whistle's status makes on the dispatcher's decisions
// (whistle.routed, whistle.rerouted, whistle.unroutable). The service that
// keeps whistles moves them by these rules and the one that keeps a copy of
// their facts folds the same events by them, so the two never disagree on
// where a whistle is.
package whistlestatus

import "fmt"

// Status is where a whistle is in its life, by the API's enum names (Whistle.Status).
type Status string

// A whistle's statuses.
const (
	Raised     Status = "RAISED"
	Routed     Status = "ROUTED"
	Responding Status = "RESPONDING"
	Resolved   Status = "RESOLVED"
	Closed     Status = "CLOSED"
	Unroutable Status = "UNROUTABLE"
	Cancelled  Status = "CANCELLED"
	Reopened   Status = "REOPENED"
)

// Final reports whether no dispatch event may move the whistle any more:
// only the street moves a resolved whistle on (its rating or a reopen).
func (s Status) Final() bool {
	return s == Resolved || s == Closed || s == Cancelled
}

// The moves the dispatcher's decisions cause. None moves a final whistle.

// OnRouted is whistle.routed: a raised whistle (or one a human routed after
// it was unroutable) now waits for its departments.
func OnRouted(s Status) Status {
	if s == Raised || s == Unroutable {
		return Routed
	}
	return s
}

// OnRerouted is whistle.rerouted (and whistle.arbitrated): a department was
// found for an unroutable whistle.
func OnRerouted(s Status) Status {
	if s == Unroutable {
		return Routed
	}
	return s
}

// OnUnroutable is whistle.unroutable: no department could be found.
func OnUnroutable(s Status) Status {
	if s.Final() {
		return s
	}
	return Unroutable
}

// StateError means the whistle's status does not allow the action.
type StateError struct {
	Status Status
	Reason string
}

// Error says what the status is and why it does not allow the action.
func (e *StateError) Error() string { return fmt.Sprintf("the whistle is %s; %s", e.Status, e.Reason) }

// Dispatch is a dispatch's status as its desk reports it, by the API's enum
// names (Dispatch.Status).
type Dispatch string

// A dispatch's statuses.
const (
	DispatchPending      Dispatch = "PENDING"
	DispatchAcknowledged Dispatch = "ACKNOWLEDGED"
	DispatchArrived      Dispatch = "ARRIVED"
	DispatchResolved     Dispatch = "RESOLVED"
	DispatchReturned     Dispatch = "RETURNED"
	DispatchCancelled    Dispatch = "CANCELLED"
)

// Rank orders a dispatch's statuses along its life, so that of two snapshots
// stamped with the same time the later one in the life wins: PENDING <
// ACKNOWLEDGED < ARRIVED < RESOLVED = RETURNED < CANCELLED; 0 for a name it
// does not know.
func (d Dispatch) Rank() int16 {
	switch d {
	case DispatchPending:
		return 1
	case DispatchAcknowledged:
		return 2
	case DispatchArrived:
		return 3
	case DispatchResolved, DispatchReturned:
		return 4
	case DispatchCancelled:
		return 5
	}
	return 0
}
