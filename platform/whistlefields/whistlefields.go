// Package whistlefields holds the API's rules for a whistle's fields: the
// urgency names, the text limits, and the checks of a raise, a rating and a
// reason. Whoever builds a RaiseWhistleRequest (the service that keeps whistles,
// and the one that raises them from reports) checks it by these same rules, so
// a request one accepts the other never refuses for a field.
package whistlefields

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/chuishao/whistle/platform/invalid"
)

// Urgency of a whistle. The names are the API's enum names.
type Urgency string

// Urgencies.
const (
	UrgencyNormal   Urgency = "NORMAL"
	UrgencyHigh     Urgency = "HIGH"
	UrgencyCritical Urgency = "CRITICAL"
)

// Limits of a whistle's text fields, in characters (runes).
const (
	MaxTitle       = 200
	MaxDescription = 2000
	MaxAddress     = 500
	MaxComment     = 1000
	MaxReason      = 1000
	// MaxIdempotencyKey bounds the key a client sends with a raise.
	MaxIdempotencyKey = 255
)

// Raise is a street's request for a new whistle, before it is checked.
type Raise struct {
	StreetID    string
	Category    string
	Description string
	Title       string
	Address     string
	// HasLocation is false when the request carries no location at all.
	HasLocation bool
	Lat, Lng    float64
	// Urgency is empty when the street did not choose one.
	Urgency Urgency
}

// Validate checks every field and reports all problems at once, and fills in
// the default urgency.
func (r *Raise) Validate() error {
	var f invalid.Violations
	if strings.TrimSpace(r.StreetID) == "" {
		f.Add("street_id", "is required")
	}
	if strings.TrimSpace(r.Category) == "" {
		f.Add("category", "is required")
	}
	switch n := utf8.RuneCountInString(r.Description); {
	case strings.TrimSpace(r.Description) == "":
		f.Add("description", "is required")
	case n > MaxDescription:
		f.Add("description", tooLong(MaxDescription, n))
	}
	if n := utf8.RuneCountInString(r.Title); n > MaxTitle {
		f.Add("title", tooLong(MaxTitle, n))
	}
	if n := utf8.RuneCountInString(r.Address); n > MaxAddress {
		f.Add("address", tooLong(MaxAddress, n))
	}
	if !r.HasLocation {
		f.Add("location", "is required")
	} else {
		// Negated comparisons, so that NaN fails too.
		if !(r.Lat >= -90 && r.Lat <= 90) {
			f.Add("location.lat", "must be between -90 and 90")
		}
		if !(r.Lng >= -180 && r.Lng <= 180) {
			f.Add("location.lng", "must be between -180 and 180")
		}
	}
	switch r.Urgency {
	case "":
		r.Urgency = UrgencyNormal
	case UrgencyNormal, UrgencyHigh, UrgencyCritical:
	default:
		f.Add("urgency", "must be NORMAL, HIGH or CRITICAL")
	}
	return f.Err()
}

// ValidateRating checks the street's rating (satisfaction) and comment.
func ValidateRating(satisfaction int32, comment string) error {
	var f invalid.Violations
	if satisfaction < 1 || satisfaction > 5 {
		f.Add("satisfaction", "must be between 1 and 5")
	}
	if n := utf8.RuneCountInString(comment); n > MaxComment {
		f.Add("comment", tooLong(MaxComment, n))
	}
	return f.Err()
}

// ValidateReason checks the reason of a cancel or reopen.
func ValidateReason(reason string, required bool) error {
	var f invalid.Violations
	if required && strings.TrimSpace(reason) == "" {
		f.Add("reason", "is required")
	}
	if n := utf8.RuneCountInString(reason); n > MaxReason {
		f.Add("reason", tooLong(MaxReason, n))
	}
	return f.Err()
}

func tooLong(limit, got int) string {
	return fmt.Sprintf("must be at most %d characters, got %d", limit, got)
}
