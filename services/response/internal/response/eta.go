package response

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// A desk's own ETA for arriving is at most this far ahead.
const MaxEtaAhead = 7 * 24 * time.Hour

// MaxEtaNoteChars bounds the note a desk adds to its ETA.
const MaxEtaNoteChars = 200

// CheckEta validates a desk's own ETA for arriving at d, stated at now: a time
// after now and within MaxEtaAhead, a short note, and a dispatch the desk has
// not yet arrived at (after arriving there is nothing left to estimate).
func CheckEta(d Dispatch, arriveAt time.Time, note string, now time.Time) error {
	var inv InvalidError
	switch {
	case arriveAt.IsZero():
		inv = append(inv, FieldError{Field: "arrive_at", Reason: "is required"})
	case !arriveAt.After(now):
		inv = append(inv, FieldError{Field: "arrive_at", Reason: "must be in the future"})
	case arriveAt.After(now.Add(MaxEtaAhead)):
		inv = append(inv, FieldError{Field: "arrive_at", Reason: fmt.Sprintf("must be within %d days", int(MaxEtaAhead/(24*time.Hour)))})
	}
	if utf8.RuneCountInString(strings.TrimSpace(note)) > MaxEtaNoteChars {
		inv = append(inv, FieldError{Field: "note", Reason: fmt.Sprintf("is longer than %d characters", MaxEtaNoteChars)})
	}
	if len(inv) > 0 {
		return inv
	}
	if d.Status != Pending && d.Status != Acknowledged {
		return Reject(d.Status, "setEta", "an ETA can only be stated before arriving on site")
	}
	return nil
}
