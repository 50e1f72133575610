// Package intake is the whistle's domain: the street's moves of its status,
// the rules a new whistle must satisfy, and how the whistle's status follows
// from its dispatches. The statuses themselves and the moves the dispatcher's
// decisions cause are the API's, platform/whistlestatus. It knows nothing of
// SQL, gRPC or JetStream.
package intake

import (
	"errors"

	"github.com/chuishao/whistle/platform/whistlefields"
)

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
