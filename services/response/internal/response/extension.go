package response

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// ExtensionStatus is where a request for a later deadline stands.
type ExtensionStatus string

// Extension statuses, spelled as the proto enum.
const (
	ExtensionPending  ExtensionStatus = "PENDING"
	ExtensionApproved ExtensionStatus = "APPROVED"
	ExtensionRejected ExtensionStatus = "REJECTED"
)

// ErrExtensionNotFound is an extension that does not exist on the dispatch.
var ErrExtensionNotFound = errors.New("extension not found")

// Extension is a desk's request for a later deadline (延期) and its decision.
type Extension struct {
	ID            string
	DispatchID    string
	Clock         Clock
	Until         time.Time
	PreviousDueAt time.Time
	Reason        string
	RequestedBy   string
	RequestedAt   time.Time
	Status        ExtensionStatus
	DecidedBy     string
	DecidedAt     *time.Time
	DecisionNote  string
}

// ExtensionRequest is what a desk asks for.
type ExtensionRequest struct {
	Clock  string
	Until  time.Time
	Reason string
}

// CheckExtensionRequest validates req against d at now and returns the clock.
// A clock can be extended while it runs and before it breaches: once the
// deadline has passed, the breach and the ladder stand.
func CheckExtensionRequest(d Dispatch, req ExtensionRequest, now time.Time) (Clock, error) {
	var errs InvalidError
	c, err := ParseClock(req.Clock)
	if err != nil {
		errs = append(errs, FieldError{Field: "clock", Reason: "must be ack, arrive or resolve"})
	}
	reason := strings.TrimSpace(req.Reason)
	switch {
	case reason == "":
		errs = append(errs, FieldError{Field: "reason", Reason: "is required to ask for an extension"})
	case utf8.RuneCountInString(reason) > MaxReasonLen:
		errs = append(errs, FieldError{Field: "reason", Reason: fmt.Sprintf("must be at most %d characters", MaxReasonLen)})
	}
	if req.Until.IsZero() {
		errs = append(errs, FieldError{Field: "until", Reason: "is required"})
	} else if err == nil && !req.Until.After(d.Deadline(c)) {
		errs = append(errs, FieldError{Field: "until", Reason: "must be later than the current deadline"})
	}
	if len(errs) > 0 {
		return "", errs
	}
	reject := func(msg string) error {
		return &TransitionError{From: d.Status, Action: "requestExtension", msg: msg}
	}
	switch {
	case !ClockRunning(d.Status, c):
		return "", reject(fmt.Sprintf("dispatch is %s; its %s clock no longer runs", d.Status, c))
	case slices.Contains(d.Breaches, string(c)) || !now.Before(d.Deadline(c)):
		return "", reject(fmt.Sprintf("the %s deadline has passed; an extension must be asked before it", c))
	}
	return c, nil
}

// CheckDecision validates a supervisor's decision on e.
func CheckDecision(e Extension, note string) error {
	if utf8.RuneCountInString(strings.TrimSpace(note)) > MaxReasonLen {
		return InvalidError{{Field: "note", Reason: fmt.Sprintf("must be at most %d characters", MaxReasonLen)}}
	}
	if e.Status != ExtensionPending {
		return &TransitionError{Action: "decideExtension", msg: fmt.Sprintf("extension %s is already %s", e.ID, e.Status)}
	}
	return nil
}

// Extend moves clock c of d to until, keeping the first deadline on record.
// The clock warns again at WarningShare of its new wall-clock span from the
// SLA start, unless that is already past at now.
func Extend(d Dispatch, c Clock, until, now time.Time) Dispatch {
	keep := func(orig **time.Time, cur time.Time) {
		if *orig == nil {
			v := cur
			*orig = &v
		}
	}
	var warnAt *time.Time
	if at := d.SLAStartedAt.Add(time.Duration(float64(until.Sub(d.SLAStartedAt)) * WarningShare)); at.After(now) {
		warnAt = &at
	}
	switch c {
	case ClockAck:
		keep(&d.OriginalAckBy, d.AckBy)
		d.AckBy, d.AckWarnAt = until, warnAt
	case ClockArrive:
		keep(&d.OriginalArriveBy, d.ArriveBy)
		d.ArriveBy, d.ArriveWarnAt = until, warnAt
	default:
		keep(&d.OriginalResolveBy, d.ResolveBy)
		d.ResolveBy, d.ResolveWarnAt = until, warnAt
	}
	// A warning of the old deadline no longer says anything about the new one.
	d.Warnings = slices.DeleteFunc(slices.Clone(d.Warnings), func(w string) bool { return w == string(c) })
	d.UpdatedAt = now
	return d
}
