package response

import (
	"errors"
	"fmt"

	"github.com/chuishao/whistle/platform/auth"
)

// ErrPermission is a caller whose role may not do what it asks, whatever the object.
var ErrPermission = errors.New("permission denied")

// Scope is the part of all dispatches a caller may see; an empty field matches any.
type Scope struct {
	Department string
	DistrictID string
}

// Allows reports whether d is inside the scope.
func (s Scope) Allows(d Dispatch) bool {
	return (s.Department == "" || s.Department == d.Department) &&
		(s.DistrictID == "" || s.DistrictID == d.DistrictID)
}

// ReadScope is what id may read: a desk its department in its district, a
// supervisor its district (the city when its token names none).
func ReadScope(id auth.Identity) (Scope, error) {
	switch id.Role {
	case auth.RoleDesk:
		if id.Department == "" || id.DistrictID == "" {
			// Tokens are validated, but a desk scope must never widen to "any".
			return Scope{}, fmt.Errorf("%w: desk token without department or district", ErrPermission)
		}
		return Scope{Department: id.Department, DistrictID: id.DistrictID}, nil
	case auth.RoleSupervisor:
		return Scope{DistrictID: id.DistrictID}, nil
	}
	return Scope{}, fmt.Errorf("%w: role %q cannot read dispatches", ErrPermission, id.Role)
}

// ActScope is what id may act on: only a duty desk acts, within its queue.
func ActScope(id auth.Identity) (Scope, error) {
	if id.Role != auth.RoleDesk {
		return Scope{}, fmt.Errorf("%w: only a duty desk acts on dispatches, not role %q", ErrPermission, id.Role)
	}
	return ReadScope(id)
}
