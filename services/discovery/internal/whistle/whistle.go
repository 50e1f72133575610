// Package whistle is the whistle side as discovery meets it: a whistle's and a
// dispatch's statuses (the API's enum names), the rules a raise must satisfy
// before discovery asks intake for it, and the errors and field checks
// discovery's use cases answer with. Its statuses are discovery's own copy (services
// share the API and the events, not each other's code); a raise's field rules
// are the API's own, platform/whistlefields.
package whistle

import (
	"errors"
	"fmt"
	"math"

	"github.com/chuishao/whistle/platform/invalid"
	"github.com/chuishao/whistle/platform/whistlefields"
)

// The whistle's field rules discovery checks a raise and a rating by are the
// API's (platform/whistlefields), named here as the domain's own terms.
type Raise = whistlefields.Raise

// Limits, in characters, of what discovery passes on to a whistle: the
// triaged reports' text as its description, a resident's reason to reopen it.
const (
	MaxDescription = whistlefields.MaxDescription
	MaxReason      = whistlefields.MaxReason
)

// ValidateFeedback checks a rating and its comment.
var ValidateFeedback = whistlefields.ValidateRating

// Status is where a whistle is in its life. The names are the API's enum names.
type Status string

// Whistle statuses.
const (
	StatusRaised     Status = "RAISED"
	StatusRouted     Status = "ROUTED"
	StatusResponding Status = "RESPONDING"
	StatusResolved   Status = "RESOLVED"
	StatusClosed     Status = "CLOSED"
	StatusUnroutable Status = "UNROUTABLE"
	StatusCancelled  Status = "CANCELLED"
	StatusReopened   Status = "REOPENED"
)

// Final reports whether no dispatch event may move the whistle any more:
// only the street moves a resolved whistle on (feedback or reopen).
func (s Status) Final() bool {
	return s == StatusResolved || s == StatusClosed || s == StatusCancelled
}

// Dispatch statuses as response reports them.
const (
	DispatchPending      = "PENDING"
	DispatchAcknowledged = "ACKNOWLEDGED"
	DispatchArrived      = "ARRIVED"
	DispatchResolved     = "RESOLVED"
	DispatchReturned     = "RETURNED"
	DispatchCancelled    = "CANCELLED"
)

// DispatchRank orders a dispatch's statuses along its life, so that of two
// snapshots stamped with the same time the later one in the life wins.
func DispatchRank(status string) int16 {
	switch status {
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

// ViewerNeighbour is the viewer role of a neighbouring street that is
// informed of a whistle and may read it, but not act on it.
const ViewerNeighbour = "neighbour"

// DefaultDuplicateRadiusM groups an inbox's nearby reports, as intake groups
// duplicate whistles.
const DefaultDuplicateRadiusM = 100.0

// earthRadiusM is the mean Earth radius.
const earthRadiusM = 6371008.8

// DistanceM is the great-circle distance between two points in metres.
func DistanceM(lat1, lng1, lat2, lng2 float64) float64 {
	rad := math.Pi / 180
	dLat := (lat2 - lat1) * rad
	dLng := (lng2 - lng1) * rad
	a := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLng/2)*math.Sin(dLng/2)
	return 2 * earthRadiusM * math.Asin(math.Min(1, math.Sqrt(a)))
}

// ErrNotFound means the report, token or whistle does not exist or is outside the caller's scope;
// the two are indistinguishable so ids cannot be probed.
var ErrNotFound = errors.New("whistle not found")

// ErrPermissionDenied means the caller's role may not do this at all.
var ErrPermissionDenied = errors.New("permission denied")

// ErrUnavailable means a service discovery depends on did not answer.
var ErrUnavailable = errors.New("dependency unavailable")

// StateError means the whistle's status does not allow the action.
type StateError struct {
	Status Status
	Reason string
}

// Error says what the status is and why it does not allow the action.
func (e *StateError) Error() string { return fmt.Sprintf("the whistle is %s; %s", e.Status, e.Reason) }

// FieldError is one invalid request field, named by its proto path (location.lat).
type FieldError = invalid.Violation

// InvalidError lists every invalid field of a request.
type InvalidError = invalid.Error

// Invalid is an InvalidError for one field.
func Invalid(field, reason string) error { return invalid.Field(field, reason) }

// Fields collects field errors; Err is nil when there are none.
type Fields = invalid.Violations
