// Package duty is who staffs the departments' duty desks: rosters of shifts
// per department x district (who is on duty when, handing over at the shift
// change), the desks' heartbeats (a department with no live desk in a district
// is unstaffed, and a dispatch to it escalates at once) and the service
// accounts through which a department's own system acts as its desk.
package duty

import (
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/services/response/internal/notify"
	"github.com/chuishao/whistle/services/response/internal/response"
)

// Errors of the package; the API maps them to gRPC codes.
var (
	ErrShiftNotFound   = errors.New("shift not found")
	ErrAccountNotFound = errors.New("service account not found")
	// ErrRevoked is a service account token whose account was revoked (or
	// never existed here): the caller is not authenticated.
	ErrRevoked = errors.New("service account revoked")
	// ErrNoSigner is a service account asked for where no signing key is configured.
	ErrNoSigner = errors.New("service accounts are not configured (WHISTLE_SERVICE_ACCOUNT_KEY)")
)

// DefaultWindow is how recent a desk's heartbeat must be for it to count as live.
const DefaultWindow = 2 * time.Minute

// Shanghai is the time zone rosters are written and shown in.
var Shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}()

// Service keeps rosters, heartbeats and service accounts.
type Service struct {
	Pool  *pgxpool.Pool
	Clock clock.Clock
	// Window is how recent a heartbeat must be; 0 disables unstaffed escalation.
	Window time.Duration
	// Signer issues service-account tokens; nil when none is configured.
	Signer *auth.Signer
	// Outbox writes the escalations of unstaffed desks and queues their webhooks.
	Outbox *notify.Outbox
	// Revoked, when set, is told after a revocation commits (to publish the
	// revocation list to every service at once).
	Revoked func()
}

var (
	departmentCode = regexp.MustCompile(`^[a-z][a-z0-9-]{0,39}$`)
	districtCode   = regexp.MustCompile(`^[0-9]{6}$`)
)

// checkDesk adds the field errors of a department x district.
func checkDesk(invalid *response.InvalidError, prefix, department, district string) {
	if !departmentCode.MatchString(department) {
		*invalid = append(*invalid, response.FieldError{Field: prefix + "department", Reason: "must be a department code such as police"})
	}
	if !districtCode.MatchString(district) {
		*invalid = append(*invalid, response.FieldError{Field: prefix + "district_id", Reason: "must be a six-digit district code"})
	}
}

// adminScope is the district whose rosters, heartbeats and accounts caller
// manages: every district ("") for admins and city supervisors, its own for a
// district supervisor.
func adminScope(caller auth.Identity) (string, error) {
	switch caller.Role {
	case auth.RoleAdmin:
		return "", nil
	case auth.RoleSupervisor:
		return caller.DistrictID, nil
	}
	return "", fmt.Errorf("%w: duty desks are managed by supervisors and admins, not role %q", response.ErrPermission, caller.Role)
}

// inScope reports whether district is inside scope ("" = every district).
func inScope(scope, district string) bool { return scope == "" || scope == district }

// narrow is the district filter of a request for district inside scope; ok
// is false when it asks for a district outside it (which then looks empty).
func narrow(scope, district string) (string, bool) {
	if scope == "" {
		return district, true
	}
	return scope, district == "" || district == scope
}

// shanghai formats t for messages.
func shanghai(t time.Time) string { return t.In(Shanghai).Format("2006-01-02 15:04") }
