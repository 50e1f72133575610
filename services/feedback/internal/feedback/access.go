// Package feedback holds the feedback service's domain rules: who may read a
// whistle's timeline, and the errors its API reports.
package feedback

import (
	"errors"
	"slices"

	"github.com/chuishao/whistle/platform/auth"
)

// Errors the API maps to status codes (grpcapi owns the map).
var (
	// ErrNotFound covers both an unknown whistle and one outside the caller's
	// scope, so that ids cannot be probed.
	ErrNotFound = errors.New("whistle not found")
	// ErrWrongRole means the caller's role may not use the method at all.
	ErrWrongRole = errors.New("role may not use this method")
)

// DeskScope is a department's duty desk in one district.
type DeskScope struct {
	Department string
	DistrictID string
}

// Whistle is what the access rules need to know about a whistle.
type Whistle struct {
	StreetID   string
	DistrictID string
	// Desks are the department desks the whistle was dispatched to.
	Desks []DeskScope
	// Neighbours are the streets the map check informed (near a boundary).
	Neighbours []string
	// Drill is a drill whistle's (docs/drills.md): its participants, the
	// supervisors and the desks it was dispatched to, read it; a street not.
	Drill bool
}

// CanRead decides whether id may read w's timeline: a street its own street's
// whistles and those it was informed of as a neighbour, a desk those dispatched to its department in its district, a
// supervisor its district's (every district without one). It returns
// ErrWrongRole for other roles and ErrNotFound when w is outside id's scope.
func CanRead(id auth.Identity, w Whistle) error {
	switch id.Role {
	case auth.RoleStreet:
		if !w.Drill && id.StreetID != "" && (id.StreetID == w.StreetID || slices.Contains(w.Neighbours, id.StreetID)) {
			return nil
		}
	case auth.RoleDesk:
		for _, d := range w.Desks {
			if id.Department != "" && d.Department == id.Department && d.DistrictID == id.DistrictID {
				return nil
			}
		}
	case auth.RoleSupervisor:
		if id.DistrictID == "" || id.DistrictID == w.DistrictID {
			return nil
		}
	default:
		return ErrWrongRole
	}
	return ErrNotFound
}

// MayReadTimelines reports whether role may call GetTimeline at all, so the
// API can reject a wrong role before looking anything up.
func MayReadTimelines(role string) bool {
	switch role {
	case auth.RoleStreet, auth.RoleDesk, auth.RoleSupervisor:
		return true
	}
	return false
}

// boardOnly are the entries of the joint board that only its
// participants (the departments' desks) and supervisors read: the notes the
// departments leave each other are their working talk, not the street's.
var boardOnly = map[string]bool{"dispatch.board_noted": true}

// MaySeeEntry reports whether id, who may read a timeline, sees its entries
// of type typ: a street does not see the joint board's notes.
func MaySeeEntry(id auth.Identity, typ string) bool {
	return id.Role != auth.RoleStreet || !boardOnly[typ]
}
