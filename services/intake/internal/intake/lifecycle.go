package intake

import "github.com/chuishao/whistle/platform/whistlestatus"

// The street's actions. Each returns the new status and whether anything
// changes: repeating an action that already took effect changes nothing, so
// a retried request gets the same answer.

// Cancel withdraws a whistle that no department has finished.
func Cancel(s whistlestatus.Status) (whistlestatus.Status, bool, error) {
	switch s {
	case whistlestatus.Raised, whistlestatus.Routed, whistlestatus.Responding, whistlestatus.Unroutable, whistlestatus.Reopened:
		return whistlestatus.Cancelled, true, nil
	case whistlestatus.Cancelled:
		return s, false, nil
	}
	return s, false, &whistlestatus.StateError{Status: s, Reason: "only a whistle that is not resolved can be cancelled"}
}

// Close records the street's feedback on a resolved whistle.
func Close(s whistlestatus.Status) (whistlestatus.Status, bool, error) {
	switch s {
	case whistlestatus.Resolved:
		return whistlestatus.Closed, true, nil
	case whistlestatus.Closed:
		return s, false, nil
	}
	return s, false, &whistlestatus.StateError{Status: s, Reason: "feedback is given once it is resolved"}
}

// Reopen says "not fixed" about a resolved or closed whistle.
func Reopen(s whistlestatus.Status) (whistlestatus.Status, bool, error) {
	switch s {
	case whistlestatus.Resolved, whistlestatus.Closed:
		return whistlestatus.Reopened, true, nil
	case whistlestatus.Reopened:
		return s, false, nil
	}
	return s, false, &whistlestatus.StateError{Status: s, Reason: "only a resolved or closed whistle can be reopened"}
}
