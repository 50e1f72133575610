// Package intake is the whistle's domain: its statuses and the moves between
// them, the rules a new whistle must satisfy, and how the whistle's status
// follows from its dispatches. It knows nothing of SQL, gRPC or JetStream.
package intake

import (
	"errors"
	"fmt"

	"github.com/chuishao/whistle/platform/invalid"
	"github.com/chuishao/whistle/platform/whistlefields"
)

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

// A whistle's field rules are the API's (platform/whistlefields), named here
// as the domain's own terms.
type (
	// Urgency of a whistle. The names are the API's enum names.
	Urgency = whistlefields.Urgency
	// Raise is a street's request for a new whistle, before it is checked.
	Raise = whistlefields.Raise
)

// Urgencies and the limits of a whistle's text fields, in characters.
const (
	UrgencyNormal     = whistlefields.UrgencyNormal
	UrgencyHigh       = whistlefields.UrgencyHigh
	UrgencyCritical   = whistlefields.UrgencyCritical
	MaxTitle          = whistlefields.MaxTitle
	MaxDescription    = whistlefields.MaxDescription
	MaxAddress        = whistlefields.MaxAddress
	MaxIdempotencyKey = whistlefields.MaxIdempotencyKey
)

// ValidateFeedback checks the street's rating and comment; ValidateReason the
// reason of a cancel or reopen.
var (
	ValidateFeedback = whistlefields.ValidateRating
	ValidateReason   = whistlefields.ValidateReason
)

// ErrNotFound means the whistle does not exist or is outside the caller's scope;
// the two are indistinguishable so ids cannot be probed.
var ErrNotFound = errors.New("whistle not found")

// ErrPermissionDenied means the caller's role may not do this at all.
var ErrPermissionDenied = errors.New("permission denied")

// ErrUnavailable means a service intake depends on did not answer.
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
