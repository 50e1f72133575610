package routing

import "github.com/chuishao/whistle/proto/returncodes"

// ReturnCode is why a desk returned its dispatch (退单).
type ReturnCode = returncodes.Code

// Return is what routing knows when a dispatch comes back.
type Return struct {
	From string
	Code ReturnCode
	// Target is the known department a NeedsAnotherDepartment return names; "" when none.
	Target string
	// Returns counts the whistle's returned dispatches, this one included.
	Returns int64
	// TargetActive reports whether Target already has an active dispatch of the whistle.
	TargetActive bool
}

// Decision is what follows a return.
type Decision struct {
	Action ReturnAction
	// Department to dispatch (Redispatch) or join (JoinExisting).
	Department string
	// Rule explains the decision, e.g. return:needs_another_department.
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

// DecideReturn re-routes by rule where the return says where (a
// NeedsAnotherDepartment return naming a known department), and otherwise —
// and always from the second return of the whistle on — asks for arbitration.
func DecideReturn(r Return) Decision {
	arbitrate := Decision{Action: Arbitrate, Rule: RuleArbitration}
	if r.Returns >= MaxReturnsBeforeArbitration || r.Code != returncodes.NeedsAnotherDepartment || r.Target == "" || r.Target == r.From {
		return arbitrate
	}
	d := Decision{Action: Redispatch, Department: r.Target, Rule: RuleReturnRedirected}
	if r.TargetActive {
		d.Action = JoinExisting
	}
	return d
}
