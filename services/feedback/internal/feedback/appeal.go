package feedback

import (
	"errors"
	"strings"
	"time"

	"github.com/chuishao/whistle/platform/auth"
)

// ErrConflict means the request contradicts the object's state, e.g. an
// appeal against a clock that never breached or a second decision.
var ErrConflict = errors.New("conflicts with the current state")

// Appeal statuses, as stored and as the proto enum names.
const (
	AppealPending  = "PENDING"
	AppealAccepted = "ACCEPTED"
	AppealRejected = "REJECTED"
)

// ReasonCodes an appeal may give.
var ReasonCodes = []string{"force_majeure", "wrong_routing", "other"}

// ValidReasonCode reports whether code is one of ReasonCodes.
func ValidReasonCode(code string) bool {
	for _, c := range ReasonCodes {
		if c == code {
			return true
		}
	}
	return false
}

// ValidClock reports whether clock names an SLA clock.
func ValidClock(clock string) bool {
	return clock == "ack" || clock == "arrive" || clock == "resolve"
}

// MaxReasonLen bounds an appeal's reason and a decision's note.
const MaxReasonLen = 2000

// CanAppeal decides whether a desk may appeal a dispatch of department in
// district: only a desk, and only its own department's dispatches in its own
// district (others are not found, so ids cannot be probed).
func CanAppeal(id auth.Identity, department, district string) error {
	if id.Role != auth.RoleDesk {
		return ErrWrongRole
	}
	if id.Department == "" || id.Department != department || id.DistrictID != district {
		return ErrNotFound
	}
	return nil
}

// CanDecideAppeal decides whether id may decide an appeal in district:
// supervisors of that district or of the city.
func CanDecideAppeal(id auth.Identity, district string) error {
	if id.Role != auth.RoleSupervisor {
		return ErrWrongRole
	}
	if id.DistrictID != "" && id.DistrictID != district {
		return ErrNotFound
	}
	return nil
}

// AppealFilter is what ListAppeals may show id: a desk its department in its
// district, a supervisor its district (all for the city), an admin all.
func AppealFilter(id auth.Identity) (district, department string, err error) {
	switch id.Role {
	case auth.RoleDesk:
		if id.Department == "" || id.DistrictID == "" {
			return "", "", ErrNotFound
		}
		return id.DistrictID, id.Department, nil
	case auth.RoleSupervisor:
		return id.DistrictID, "", nil
	case auth.RoleAdmin:
		return "", "", nil
	}
	return "", "", ErrWrongRole
}

// Decision is the status an accept/reject decision leads to.
func Decision(accept bool) string {
	if accept {
		return AppealAccepted
	}
	return AppealRejected
}

// TrimText trims surrounding space from a free-text field.
func TrimText(s string) string { return strings.TrimSpace(s) }

// Actor is who did something: a role and a subject.
type Actor struct {
	Role, ID string
}

// Appeal is a desk's appeal against one breached clock of its dispatch.
type Appeal struct {
	ID, DispatchID, WhistleID, DistrictID, Department string
	// Clock is the SLA clock appealed: ack, arrive or resolve.
	Clock              string
	ReasonCode, Reason string
	// Status is AppealPending, AppealAccepted or AppealRejected.
	Status  string
	FiledBy Actor
	FiledAt time.Time
	// DecidedBy and DecidedAt are zero while the appeal is pending.
	DecidedBy    Actor
	DecidedAt    time.Time
	DecisionNote string
}
