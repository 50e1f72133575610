// Package drill names the drill tenant (演练): whistles a supervisor replays
// from a recorded period run through the same stack as real ones, and their
// id says which drill they belong to. Only the service that takes raises
// mints whistle ids, and it mints a drill's only for a raise into a drill, so
// every service can tell a drill whistle (and its dispatches and events,
// which carry the whistle id) from a real one without a column of its own
// (docs/drills.md).
package drill

import (
	"errors"
	"strings"
)

// Prefix starts the id of every drill whistle: drill-<drill id>-<uuid>.
const Prefix = "drill-"

// MaxID is the longest drill id.
const MaxID = 24

// ErrID says what a drill id must be.
var ErrID = errors.New("must be 1-24 lowercase letters, digits or underscores")

// Validate checks a drill id: 1-24 of a-z, 0-9 and _, so it cannot contain
// the separator of a whistle id.
func Validate(id string) error {
	if id == "" || len(id) > MaxID {
		return ErrID
	}
	for _, r := range id {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_' {
			return ErrID
		}
	}
	return nil
}

// WhistleID is the id of a whistle of drill drillID whose own id is uuid.
func WhistleID(drillID, uuid string) string {
	return Prefix + drillID + "-" + uuid
}

// Of is the drill a whistle id belongs to, "" for a real whistle.
func Of(whistleID string) string {
	rest, ok := strings.CutPrefix(whistleID, Prefix)
	if !ok {
		return ""
	}
	id, _, ok := strings.Cut(rest, "-")
	if !ok || Validate(id) != nil {
		return ""
	}
	return id
}

// Is reports whether whistleID is a drill whistle's.
func Is(whistleID string) bool { return Of(whistleID) != "" }
