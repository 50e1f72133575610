package response

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/chuishao/whistle/platform/auth"
)

// The joint board (联合执法): every department of a whistle sees the
// others' dispatches, leaves notes for them, and the lead marks the joint
// action done once all have arrived on site.

// RoleLead is the role routing's decision gives the department that leads a
// joint whistle; the others are cooperating.
const RoleLead = "lead"

// MaxNoteChars bounds a board note (the proto's limits option says the same
// at the edge; this is the domain's own check).
const MaxNoteChars = 1000

// onBoard reports whether d is still one of the whistle's departments: a
// dispatch returned (退单) has left the joint action.
func onBoard(d Dispatch) bool { return d.Status != Returned }

// BoardScope is who may read and write a whistle's board: a desk whose
// department (in its district) has a dispatch on the whistle that it has not
// returned, a supervisor of the whistle's district (the city's without one).
// It returns ErrPermission for other roles and ErrNotFound when caller is
// outside, so a whistle cannot be probed.
func BoardScope(caller auth.Identity, ds []Dispatch) error {
	scope, err := ReadScope(caller)
	if err != nil {
		return err
	}
	for _, d := range ds {
		if onBoard(d) && scope.Allows(d) {
			return nil
		}
	}
	return ErrNotFound
}

// CheckNote validates a note's text.
func CheckNote(text string) error {
	t := strings.TrimSpace(text)
	switch {
	case t == "":
		return InvalidError{{Field: "text", Reason: "is required"}}
	case utf8.RuneCountInString(t) > MaxNoteChars:
		return InvalidError{{Field: "text", Reason: fmt.Sprintf("is longer than %d characters", MaxNoteChars)}}
	}
	return nil
}

// NotArrivedError refuses a joint action's completion: departments of the
// whistle have not arrived on site.
type NotArrivedError struct {
	Departments []string
}

func (e *NotArrivedError) Error() string {
	return "not every department has arrived on site: " + strings.Join(e.Departments, ", ")
}

// CanComplete decides whether caller may mark the joint action of a whistle
// with dispatches ds done: a desk of the lead department, once every
// department still on the board has arrived (or resolved). It returns the
// lead's dispatch and the departments on site.
func CanComplete(caller auth.Identity, ds []Dispatch) (Dispatch, []string, error) {
	scope, err := ActScope(caller)
	if err != nil {
		return Dispatch{}, nil, err
	}
	if err := BoardScope(caller, ds); err != nil {
		return Dispatch{}, nil, err
	}
	var lead *Dispatch
	var missing, arrived []string
	for i, d := range ds {
		if !onBoard(d) {
			continue
		}
		if d.Role == RoleLead && scope.Allows(d) {
			lead = &ds[i]
		}
		if d.Status == Cancelled {
			continue
		}
		if d.ArrivedAt == nil {
			missing = append(missing, d.Department)
		} else {
			arrived = append(arrived, d.Department)
		}
	}
	if lead == nil {
		return Dispatch{}, nil, fmt.Errorf("%w: only the lead department's desk completes a joint action", ErrPermission)
	}
	if lead.Status == Cancelled {
		return Dispatch{}, nil, &TransitionError{From: Cancelled, msg: "the whistle was cancelled: there is no joint action to complete"}
	}
	if len(missing) > 0 {
		return Dispatch{}, nil, &NotArrivedError{Departments: missing}
	}
	return *lead, arrived, nil
}
