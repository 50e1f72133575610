package response

import (
	"regexp"
	"strings"

	"github.com/chuishao/whistle/proto/returncodes"
)

// ReturnCode is why a desk returns its dispatch (退单原因).
type ReturnCode = returncodes.Code

// departmentCode is the shape of a department code (police, urban-management).
var departmentCode = regexp.MustCompile(`^[a-z][a-z0-9-]{0,63}$`)

// validateReturnCode checks a return's code and the department it names.
// Whether the department exists is routing's to judge: an unknown one sends
// the whistle to arbitration rather than failing the desk's return.
func validateReturnCode(code ReturnCode, department string) InvalidError {
	var errs InvalidError
	if !code.Known() {
		errs = append(errs, FieldError{Field: "reason_code", Reason: "is required: NOT_OUR_REMIT, WRONG_LOCATION, DUPLICATE or NEEDS_ANOTHER_DEPARTMENT"})
	}
	department = strings.TrimSpace(department)
	switch {
	case department == "":
	case code != returncodes.NeedsAnotherDepartment:
		errs = append(errs, FieldError{Field: "department", Reason: "is only given with NEEDS_ANOTHER_DEPARTMENT"})
	case !departmentCode.MatchString(department):
		errs = append(errs, FieldError{Field: "department", Reason: "must be a department code such as housing"})
	}
	return errs
}
