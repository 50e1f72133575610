package response

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/chuishao/whistle/platform/geo"
	"github.com/chuishao/whistle/platform/invalid"
)

// Action is something done to a dispatch.
type Action string

// Actions. The desk's four, plus Cancel which follows a cancelled whistle.
const (
	Acknowledge Action = "acknowledge"
	Arrive      Action = "arrive"
	Resolve     Action = "resolve"
	Return      Action = "return"
	Cancel      Action = "cancel"
)

// Limits on the free text a desk sends.
const (
	MaxSummaryLen = 2000
	MaxReasonLen  = 500
)

// ErrNotFound is a dispatch that does not exist or that the caller may not see;
// the two are indistinguishable on purpose, so ids cannot be probed.
var ErrNotFound = errors.New("dispatch not found")

// TransitionError rejects a move the lifecycle does not allow.
type TransitionError struct {
	From   Status
	Action Action
	msg    string
}

func (e *TransitionError) Error() string { return e.msg }

// FieldError names one invalid field of a request, by its proto path.
type FieldError = invalid.Violation

// InvalidError lists what is wrong with a request.
type InvalidError = invalid.Error

// Next is the dispatch state machine: where action a takes a dispatch in
// status from. changed is false when the dispatch is already past a — the
// repeat of an action is answered with the current state and no event.
func Next(from Status, a Action) (to Status, changed bool, err error) {
	reject := func(format string, args ...any) (Status, bool, error) {
		return from, false, &TransitionError{From: from, Action: a, msg: fmt.Sprintf(format, args...)}
	}
	switch a {
	case Acknowledge:
		switch from {
		case Pending:
			return Acknowledged, true, nil
		case Acknowledged, Arrived, Resolved:
			return from, false, nil
		}
		return reject("dispatch is %s; it cannot be acknowledged", from)
	case Arrive:
		switch from {
		case Acknowledged:
			return Arrived, true, nil
		case Arrived, Resolved:
			return from, false, nil
		case Pending:
			return reject("dispatch is %s; acknowledge first", from)
		}
		return reject("dispatch is %s; it cannot be checked in on site", from)
	case Resolve:
		switch from {
		case Acknowledged, Arrived:
			return Resolved, true, nil
		case Resolved:
			return from, false, nil
		case Pending:
			return reject("dispatch is %s; acknowledge first", from)
		}
		return reject("dispatch is %s; it cannot be resolved", from)
	case Return:
		switch from {
		case Pending, Acknowledged:
			return Returned, true, nil
		case Returned:
			return from, false, nil
		case Arrived:
			return reject("dispatch is %s; once on site it must be resolved, not returned", from)
		}
		return reject("dispatch is %s; it cannot be returned", from)
	case Cancel:
		switch from {
		case Pending, Acknowledged, Arrived:
			return Cancelled, true, nil
		case Cancelled:
			return from, false, nil
		}
		return reject("dispatch is %s; it cannot be cancelled", from)
	}
	return reject("unknown action %q", a)
}

// Command is one action on a dispatch with what it carries.
type Command struct {
	Action Action
	// By is the subject of who acts.
	By string
	// Location is where the desk checks in (Arrive), in WGS-84; nil arrives
	// without a position (unlocated).
	Location *LatLng
	// AccuracyM is the accuracy the device reported for Location, in metres; nil when none.
	AccuracyM *float64
	// Summary records the handling (Resolve); optional.
	Summary string
	// Reason says why the dispatch goes back (Return); required.
	Reason string
	// Code is the reason code of a return (Return); required.
	Code ReturnCode
	// Department is the department a NeedsAnotherDepartment return names; optional.
	Department string
}

// Validate checks what the command carries, naming fields as the API does.
func (c Command) Validate() error {
	var errs InvalidError
	switch c.Action {
	case Arrive:
		if c.Location != nil {
			errs = append(errs, ValidateLocation("location", c.Location)...)
		}
		errs = append(errs, validateAccuracy(c.AccuracyM, c.Location != nil)...)
	case Resolve:
		if utf8.RuneCountInString(strings.TrimSpace(c.Summary)) > MaxSummaryLen {
			errs = append(errs, FieldError{Field: "summary", Reason: fmt.Sprintf("must be at most %d characters", MaxSummaryLen)})
		}
	case Return:
		reason := strings.TrimSpace(c.Reason)
		switch {
		case reason == "":
			errs = append(errs, FieldError{Field: "reason", Reason: "is required to return a dispatch"})
		case utf8.RuneCountInString(reason) > MaxReasonLen:
			errs = append(errs, FieldError{Field: "reason", Reason: fmt.Sprintf("must be at most %d characters", MaxReasonLen)})
		}
		errs = append(errs, validateReturnCode(c.Code, c.Department)...)
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// ValidateLocation checks a point; field is its name in the request.
func ValidateLocation(field string, p *LatLng) InvalidError {
	if p == nil {
		return InvalidError{{Field: field, Reason: "is required"}}
	}
	var errs InvalidError
	if math.IsNaN(p.Lat) || p.Lat < -90 || p.Lat > 90 {
		errs = append(errs, FieldError{Field: field + ".lat", Reason: "must be between -90 and 90"})
	}
	if math.IsNaN(p.Lng) || p.Lng < -180 || p.Lng > 180 {
		errs = append(errs, FieldError{Field: field + ".lng", Reason: "must be between -180 and 180"})
	}
	return errs
}

// MaxAccuracyM bounds a reported accuracy: a position vaguer than 100 km
// says nothing about being on site, and larger values are input errors.
const MaxAccuracyM = 100000

// validateAccuracy checks a check-in's reported accuracy: optional, only
// with a location, 0-MaxAccuracyM metres.
func validateAccuracy(acc *float64, located bool) InvalidError {
	switch {
	case acc == nil:
		return nil
	case !located:
		return InvalidError{{Field: "accuracy_m", Reason: "is the accuracy of a location: send location with it"}}
	case math.IsNaN(*acc) || *acc < 0 || *acc > MaxAccuracyM:
		return InvalidError{{Field: "accuracy_m", Reason: fmt.Sprintf("must be between 0 and %d metres", MaxAccuracyM)}}
	}
	return nil
}

// Apply performs cmd on d at now. changed is false (and d is returned as it
// was) when d is already past the action. farMeters is the distance from the
// whistle beyond which a check-in is flagged. An arrival without a position
// is recorded (the desk may have none: no signal indoors, positioning
// refused) without a distance: Unlocated marks it.
func Apply(d Dispatch, cmd Command, now time.Time, farMeters float64) (Dispatch, bool, error) {
	if err := cmd.Validate(); err != nil {
		return d, false, err
	}
	to, changed, err := Next(d.Status, cmd.Action)
	if err != nil || !changed {
		return d, false, err
	}
	at := now
	d.Status = to
	// updated_at orders the dispatch's snapshots for every projection, so it
	// never goes back, even for an action dated before the last change (a desk
	// action that waited on the row's lock).
	d.UpdatedAt = later(now, d.UpdatedAt)
	switch cmd.Action {
	case Acknowledge:
		d.AcknowledgedAt, d.AcknowledgedBy = &at, cmd.By
	case Arrive:
		d.ArrivedAt, d.ArrivedBy = &at, cmd.By
		d.ArrivalLocation, d.ArrivalAccuracyM, d.ArrivalDistanceM, d.ArrivalFar = nil, nil, nil, false
		if cmd.Location != nil {
			loc := *cmd.Location
			d.ArrivalLocation = &loc
			if cmd.AccuracyM != nil {
				acc := *cmd.AccuracyM
				d.ArrivalAccuracyM = &acc
			}
		}
		if d.ArrivalLocation != nil && d.Location != nil {
			dist := geo.DistanceM(d.Location.Lat, d.Location.Lng, d.ArrivalLocation.Lat, d.ArrivalLocation.Lng)
			d.ArrivalDistanceM = &dist
			d.ArrivalFar = dist > farMeters
		}
	case Resolve:
		d.ResolvedAt, d.ResolvedBy, d.ResolutionSummary = &at, cmd.By, strings.TrimSpace(cmd.Summary)
	case Return:
		d.ReturnedAt, d.ReturnedBy, d.ReturnReason = &at, cmd.By, strings.TrimSpace(cmd.Reason)
		d.ReturnCode, d.ReturnDepartment = cmd.Code, strings.TrimSpace(cmd.Department)
	case Cancel:
		d.CancelledAt = &at
	}
	return d, true, nil
}

func later(a, b time.Time) time.Time {
	if a.Before(b) {
		return b
	}
	return a
}

// Reject is a TransitionError for a move the rules of the SLA engine forbid.
func Reject(from Status, a Action, msg string) *TransitionError {
	return &TransitionError{From: from, Action: a, msg: msg}
}
