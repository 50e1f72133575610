// Package whistle is the whistle side as discovery meets it: the rules a raise
// must satisfy before discovery asks intake for it, and the errors
// discovery's use cases answer with. A raise's field rules are the API's own,
// platform/whistlefields; a whistle's and a dispatch's statuses are too,
// platform/whistlestatus, which discovery uses by their own names.
package whistle

import (
	"errors"

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

// ViewerNeighbour is the viewer role of a neighbouring street that is
// informed of a whistle and may read it, but not act on it.
const ViewerNeighbour = "neighbour"

// DefaultDuplicateRadiusM groups an inbox's nearby reports, as intake groups
// duplicate whistles.
const DefaultDuplicateRadiusM = 100.0

// ErrNotFound means the report, token or whistle does not exist or is outside the caller's scope;
// the two are indistinguishable so ids cannot be probed.
var ErrNotFound = errors.New("whistle not found")

// ErrPermissionDenied means the caller's role may not do this at all.
var ErrPermissionDenied = errors.New("permission denied")

// ErrUnavailable means a service discovery depends on did not answer.
var ErrUnavailable = errors.New("dependency unavailable")
