package routing

import (
	"strings"
)

// ReturnCode is why a desk returned its dispatch (退单). The response API
// carries only a free-text reason, so the code travels as its prefix:
// "needs_other_department: transport 需要交通部门处理".
type ReturnCode string

// Return codes.
const (
	// NotOurRemit: the department does not handle this; the district government
	// takes it (兜底) unless it was the district government that returned it.
	NotOurRemit ReturnCode = "not_our_remit"
	// WrongLocation: the whistle is not where it says; a supervisor decides.
	WrongLocation ReturnCode = "wrong_location"
	// Duplicate: another whistle covers it; a supervisor decides.
	Duplicate ReturnCode = "duplicate"
	// NeedsOtherDepartment names the department that should act first in its text.
	NeedsOtherDepartment ReturnCode = "needs_other_department"
)

// ReturnCodes lists the codes a desk may use.
var ReturnCodes = []ReturnCode{NotOurRemit, WrongLocation, Duplicate, NeedsOtherDepartment}

// ParseReturnReason splits "code: text" into its code and text. A reason
// without a known code prefix is NotOurRemit with the whole reason as text
// (returns written before codes existed meant exactly that).
func ParseReturnReason(reason string) (ReturnCode, string) {
	head, rest, ok := strings.Cut(reason, ":")
	if !ok {
		head, rest, ok = strings.Cut(reason, "：") // full-width colon, as typed on Chinese keyboards
	}
	if ok {
		code := ReturnCode(strings.ToLower(strings.TrimSpace(head)))
		for _, c := range ReturnCodes {
			if code == c {
				return c, strings.TrimSpace(rest)
			}
		}
	}
	return NotOurRemit, strings.TrimSpace(reason)
}

// TargetDepartment is the department a needs_other_department return names:
// the first word of its text, when it is a known department code.
func TargetDepartment(text string, known func(string) bool) string {
	fields := strings.FieldsFunc(text, func(r rune) bool {
		return r == ' ' || r == ',' || r == '，' || r == ';' || r == '；' || r == '\t'
	})
	if len(fields) == 0 || !known(fields[0]) {
		return ""
	}
	return fields[0]
}

// Return is what routing knows when a dispatch comes back.
type Return struct {
	From string
	Code ReturnCode
	// Target is the department a needs_other_department return names; "" when none.
	Target string
	// Returns counts the whistle's returned dispatches, this one included.
	Returns int64
	// TargetActive reports whether Target (or, for not_our_remit, the fallback
	// department) already has an active dispatch of the whistle.
	TargetActive bool
}

// Decision is what follows a return.
type Decision struct {
	Action ReturnAction
	// Department to dispatch (Redispatch) or join (JoinExisting).
	Department string
	// Rule explains the decision, e.g. return:needs_other_department.
	Rule string
}

// Return actions beyond the fallback ones.
const (
	// Arbitrate puts the whistle in the district supervisor's arbitration queue.
	Arbitrate ReturnAction = iota + 10
)

// MaxReturnsBeforeArbitration: from the second return of one whistle on, a
// supervisor decides, so a whistle cannot bounce between departments (退单拉锯).
const MaxReturnsBeforeArbitration = 2

// DecideReturn re-routes by rule where the reason says where, and otherwise —
// and always from the second return of the whistle — asks for arbitration.
func DecideReturn(r Return) Decision {
	arbitrate := Decision{Action: Arbitrate, Rule: RuleArbitration}
	if r.Returns >= MaxReturnsBeforeArbitration {
		return arbitrate
	}
	switch r.Code {
	case NeedsOtherDepartment:
		if r.Target == "" || r.Target == r.From {
			return arbitrate
		}
		d := Decision{Action: Redispatch, Department: r.Target, Rule: RuleReturnRedirected}
		if r.TargetActive {
			d.Action = JoinExisting
		}
		return d
	case NotOurRemit:
		if r.From == FallbackDepartment {
			return arbitrate
		}
		d := Decision{Action: Redispatch, Department: FallbackDepartment, Rule: RuleFallbackReturned}
		if r.TargetActive {
			d.Action = JoinExisting
		}
		return d
	default: // wrong_location, duplicate: a person must look at the whistle
		return arbitrate
	}
}
