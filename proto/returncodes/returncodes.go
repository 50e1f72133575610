// Package returncodes names why a desk returns its dispatch (退单原因), spelled
// as the proto enum names (whistle.response.v1.Dispatch.ReturnCode). Response
// validates a return against it; routing decides what follows from it.
package returncodes

import "strings"

// Code is a return code, e.g. NOT_OUR_REMIT.
type Code string

// Return codes.
const (
	// NotOurRemit: the department does not handle this (不属本部门职责); it
	// says nothing of who does, so a supervisor decides.
	NotOurRemit Code = "NOT_OUR_REMIT"
	// WrongLocation: the whistle is not where it says (地点有误); a
	// supervisor decides.
	WrongLocation Code = "WRONG_LOCATION"
	// Duplicate: another whistle covers it (重复); a supervisor decides.
	Duplicate Code = "DUPLICATE"
	// NeedsAnotherDepartment: another department must act (需其他部门); the
	// return may name it in its department field, and routing then re-routes
	// to it.
	NeedsAnotherDepartment Code = "NEEDS_ANOTHER_DEPARTMENT"
)

// All lists the codes a desk may give.
var All = []Code{NotOurRemit, WrongLocation, Duplicate, NeedsAnotherDepartment}

// Known reports whether c is one of All.
func (c Code) Known() bool {
	for _, k := range All {
		if c == k {
			return true
		}
	}
	return false
}

// Legacy is the code's spelling in the deprecated string field reason_code of
// events and arbitrations: the enum name in lower case.
func (c Code) Legacy() string { return strings.ToLower(string(c)) }
