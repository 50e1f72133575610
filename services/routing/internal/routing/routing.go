// Package routing holds the rules that turn a whistle into dispatches: the
// routing catalogue's category → departments rule, the district-government
// fallback (兜底) and what happens when a department returns a dispatch (退单).
// It is pure: the consumer loads the rows and applies these decisions.
package routing

import (
	"errors"
	"time"
)

// Roles of a department in a decision.
const (
	RoleLead        = "lead"
	RoleCooperating = "cooperating"
	RoleFallback    = "fallback"
)

// FallbackDepartment takes what no rule covers and what is in no street (兜底).
const FallbackDepartment = "district-government"

// CatalogueVersion is the version of the routing catalogue the seed loads.
// Every decision records the version it was made with, so a later catalogue
// change does not rewrite history.
const CatalogueVersion = "seed-1"

// Rules that explain a decision.
const (
	// RuleFallback routes a whistle whose category has no rule.
	RuleFallback = "fallback"
	// RuleFallbackNoStreet routes a whistle located in no street to the fallback department.
	RuleFallbackNoStreet = "fallback:no_street"
	// RuleReturnRedirected re-dispatches to the department a return named.
	RuleReturnRedirected = "return:needs_another_department"
	// RuleArbitration is a supervisor's decision (审定).
	RuleArbitration = "arbitration"
	// RuleManual is a department added by hand (manual 吹哨).
	RuleManual = "manual"
)

// Roles of departments dispatched after the first decision.
const (
	RoleRedirected = "redirected"
	RoleArbitrated = "arbitrated"
	RoleAdded      = "added"
)

// ErrNotFound is returned for an unknown street, category or other reference.
var ErrNotFound = errors.New("not found")

// RuleFor names the catalogue rule of a category, e.g. category:joint-enforcement.
func RuleFor(category string) string { return "category:" + category }

// SLA is the limits of a dispatch's clocks as the catalogue sets them for a
// category. Routing carries them into its dispatch requests; the response
// service owns SLA policy and computes the deadlines: a zero limit (no
// catalogue entry) leaves the clock to response's default.
type SLA struct {
	AckWithin     time.Duration
	ArriveWithin  time.Duration
	ResolveWithin time.Duration
}

// Category is a catalogue entry as routing uses it.
type Category struct {
	Code        string
	Lead        string
	Cooperating []string
	SLA         SLA
	// CatalogueVersion is the catalogue version the category was loaded from.
	CatalogueVersion string
}

// Assignment is one department a decision chose.
type Assignment struct {
	Department string
	Role       string
	// Party is the community party of the catalogue the department stands
	// for (PropertyParty, CommitteeParty); empty for a department named as it is.
	Party string
}

// Plan is a routing decision before it gets dispatch ids.
type Plan struct {
	Rule             string
	CatalogueVersion string
	SLA              SLA
	Assignments      []Assignment
}

// PlanFor routes a whistle of category cat: the lead department and then each
// cooperating one, or the fallback department alone when cat is nil (no rule),
// with no SLA limits of its own (the response service's defaults apply).
func PlanFor(cat *Category) Plan {
	if cat == nil {
		return Plan{
			Rule:             RuleFallback,
			CatalogueVersion: CatalogueVersion,
			Assignments:      []Assignment{{Department: FallbackDepartment, Role: RoleFallback}},
		}
	}
	version := cat.CatalogueVersion
	if version == "" {
		version = CatalogueVersion
	}
	p := Plan{Rule: RuleFor(cat.Code), CatalogueVersion: version, SLA: cat.SLA}
	seen := map[string]bool{cat.Lead: true}
	p.Assignments = append(p.Assignments, Assignment{Department: cat.Lead, Role: RoleLead})
	for _, d := range cat.Cooperating {
		// A department listed twice, or as lead and cooperating, gets one dispatch.
		if d == "" || seen[d] {
			continue
		}
		seen[d] = true
		p.Assignments = append(p.Assignments, Assignment{Department: d, Role: RoleCooperating})
	}
	return p
}

// ReturnAction is what routing does after a department returned its dispatch.
type ReturnAction int

// Return actions.
const (
	// Redispatch asks another department to take over, inheriting the SLA start.
	Redispatch ReturnAction = iota + 1
	// JoinExisting points the returned work at the chosen department's existing
	// active dispatch instead of creating a second one.
	JoinExisting
)
