// Package response is the domain of the response service: dispatches, their
// lifecycle (PENDING → ACKNOWLEDGED → ARRIVED → RESOLVED, RETURNED, CANCELLED),
// their SLA clocks and who may see and act on them. It is pure: no I/O, no clock.
package response

import (
	"fmt"
	"time"
)

// Status is where a dispatch is in its lifecycle.
type Status string

// Statuses, spelled as the proto enum names so they read the same everywhere.
const (
	Pending      Status = "PENDING"
	Acknowledged Status = "ACKNOWLEDGED"
	Arrived      Status = "ARRIVED"
	Resolved     Status = "RESOLVED"
	Returned     Status = "RETURNED"
	Cancelled    Status = "CANCELLED"
)

// OpenStatuses are those a desk still has work on; the queue shows them by default.
var OpenStatuses = []Status{Pending, Acknowledged, Arrived}

// Open reports whether the dispatch still has work to do.
func (s Status) Open() bool { return s == Pending || s == Acknowledged || s == Arrived }

// ParseStatus reads a stored status.
func ParseStatus(s string) (Status, error) {
	switch st := Status(s); st {
	case Pending, Acknowledged, Arrived, Resolved, Returned, Cancelled:
		return st, nil
	}
	return "", fmt.Errorf("unknown dispatch status %q", s)
}

// LatLng is a WGS-84 point.
type LatLng struct {
	Lat, Lng float64
}

// Dispatch is one department's part of a whistle.
type Dispatch struct {
	ID         string
	WhistleID  string
	DistrictID string
	StreetID   string
	Category   string
	Department string
	// Role is lead or cooperating.
	Role   string
	Status Status

	DispatchedAt time.Time
	// SLAStartedAt is when the clocks started; a re-dispatch inherits it.
	SLAStartedAt time.Time
	AckBy        time.Time
	ArriveBy     time.Time
	ResolveBy    time.Time

	AcknowledgedAt *time.Time
	AcknowledgedBy string
	ArrivedAt      *time.Time
	ArrivedBy      string
	// ArrivalLocation is where the desk checked in; nil when it arrived
	// without a position (Unlocated).
	ArrivalLocation *LatLng
	// ArrivalAccuracyM is the accuracy the device reported for
	// ArrivalLocation, in metres; nil when it reported none.
	ArrivalAccuracyM *float64
	// ArrivalDistanceM is the check-in's distance from the whistle; nil when
	// the whistle's location is unknown.
	ArrivalDistanceM *float64
	// ArrivalFar flags a check-in farther from the whistle than the service allows.
	ArrivalFar        bool
	ResolvedAt        *time.Time
	ResolvedBy        string
	ResolutionSummary string
	ReturnedAt        *time.Time
	ReturnedBy        string
	ReturnReason      string
	// ReturnCode is why the dispatch was returned; ReturnDepartment the
	// department a NeedsAnotherDepartment return named.
	ReturnCode       ReturnCode
	ReturnDepartment string
	// CommunityCode and CommunityName are the community (社区/村) of the
	// whistle's point, as routing resolved it; empty when none.
	CommunityCode, CommunityName string
	CancelledAt                  *time.Time

	// Breaches lists the clocks that passed their deadline unmet.
	Breaches []string
	// Warnings lists the clocks whose 80 % warning fired.
	Warnings []string
	// EscalationLevel is the step of the ladder reached: 0 none, 1 remind
	// (催办), 2 supervise (督办), 3 list (挂牌督办).
	EscalationLevel int
	// OriginalAckBy, OriginalArriveBy and OriginalResolveBy are the deadlines
	// before an approved extension moved them; nil while never moved.
	OriginalAckBy     *time.Time
	OriginalArriveBy  *time.Time
	OriginalResolveBy *time.Time
	// AckWarnAt, ArriveWarnAt and ResolveWarnAt are when each clock's warning
	// fires; nil when none is to (it was due before the dispatch was created).
	AckWarnAt     *time.Time
	ArriveWarnAt  *time.Time
	ResolveWarnAt *time.Time
	// EscalateAt is when the ladder climbs to the next level, if a breached
	// clock is still unmet then; nil until a breach starts the ladder.
	EscalateAt *time.Time
	// Extensions asked for, newest first; loaded for a single dispatch only.
	Extensions []Extension
	// Location is the whistle's location, nil when unknown.
	Location  *LatLng
	UpdatedAt time.Time
}

// ArrivalUnlocated reports whether the desk arrived without a position.
func (d Dispatch) ArrivalUnlocated() bool {
	return d.ArrivedAt != nil && d.ArrivalLocation == nil
}
