package intake

// The street's actions. Each returns the new status and whether anything
// changes: repeating an action that already took effect changes nothing, so
// a retried request gets the same answer.

// Cancel withdraws a whistle that no department has finished.
func Cancel(s Status) (Status, bool, error) {
	switch s {
	case StatusRaised, StatusRouted, StatusResponding, StatusUnroutable, StatusReopened:
		return StatusCancelled, true, nil
	case StatusCancelled:
		return s, false, nil
	}
	return s, false, &StateError{Status: s, Reason: "only a whistle that is not resolved can be cancelled"}
}

// Close records the street's feedback on a resolved whistle.
func Close(s Status) (Status, bool, error) {
	switch s {
	case StatusResolved:
		return StatusClosed, true, nil
	case StatusClosed:
		return s, false, nil
	}
	return s, false, &StateError{Status: s, Reason: "feedback is given once it is resolved"}
}

// Reopen says "not fixed" about a resolved or closed whistle.
func Reopen(s Status) (Status, bool, error) {
	switch s {
	case StatusResolved, StatusClosed:
		return StatusReopened, true, nil
	case StatusReopened:
		return s, false, nil
	}
	return s, false, &StateError{Status: s, Reason: "only a resolved or closed whistle can be reopened"}
}

// The moves routing's events cause. None moves a final whistle.

// OnRouted is whistle.routed: a raised whistle (or one a human routed after
// it was unroutable) now waits for its departments.
func OnRouted(s Status) Status {
	if s == StatusRaised || s == StatusUnroutable {
		return StatusRouted
	}
	return s
}

// OnRerouted is whistle.rerouted: a department was found for an unroutable whistle.
func OnRerouted(s Status) Status {
	if s == StatusUnroutable {
		return StatusRouted
	}
	return s
}

// OnUnroutable is whistle.unroutable: no department could be found.
func OnUnroutable(s Status) Status {
	if s.Final() {
		return s
	}
	return StatusUnroutable
}
