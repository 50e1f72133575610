package routing

import (
	"context"
	"time"
)

// Raised is a new whistle as routing decides where it goes.
type Raised struct {
	// Cause is the context of the whistle.raised it answers, whose trace the
	// decision's events continue.
	Cause      context.Context
	ID         string
	Category   string
	StreetID   string
	DistrictID string
	Lat, Lng   float64
	// Urgency is the whistle's urgency by name; empty is NORMAL.
	Urgency string
}

// Returned is a dispatch its desk returned (退单), as routing re-routes it.
type Returned struct {
	DispatchID string
	WhistleID  string
	// Code is why it was returned; "" for a return without a code.
	Code   ReturnCode
	Reason string
	// Department is the department the return names; "" when none.
	Department string
	// SLAStartedAt is when the returned dispatch's clocks started, and
	// DispatchedAt when it was created; zero when the event does not say.
	SLAStartedAt time.Time
	DispatchedAt time.Time
}
