// Package routing holds the rules that turn a whistle into dispatches: the
// routing catalogue's category → departments rule, the district-government
// fallback (兜底) and what happens when a department returns a dispatch (退单).
// It is pure: the use cases (package decisions) load the rows and apply these
// rules.
package routing

import (
	"fmt"
	"strings"
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

// The community parties: the catalogue names them like departments, and a
// decision hands each to the whistle's community's own party. Each is also
// a department row, the district desk that takes the dispatch when the
// community's party is unknown.
const (
	// PropertyParty is 物业: the property company registered for the community.
	PropertyParty = "property-management"
	// CommitteeParty is the community committee (社区居委会/村委会).
	CommitteeParty = "community-committee"
)

// committeePrefix begins the department code of a community committee's own desk.
const committeePrefix = "cc-"

// CommitteeOf is the department code of the committee of a community, its
// own desk: cc-110101001001.
func CommitteeOf(community string) string { return committeePrefix + community }

// CommunityOfCommittee is the community code of a committee's department
// code, and whether code is one.
func CommunityOfCommittee(code string) (string, bool) {
	c, ok := strings.CutPrefix(code, committeePrefix)
	return c, ok && len(c) == 12
}

// ForCommunity hands the plan's community parties to the community's own:
// 物业 to its property company when one is registered, the committee to its
// committee's desk when the whistle has a community. A party that stays
// (no community, no company) is its district desk. A party resolved to one
// already on the plan is not asked twice.
func (p Plan) ForCommunity(community, property string) Plan {
	out := p
	out.Assignments = make([]Assignment, 0, len(p.Assignments))
	seen := map[string]bool{}
	for _, a := range p.Assignments {
		switch {
		case a.Department == PropertyParty && community != "" && property != "":
			a.Party, a.Department = a.Department, property
		case a.Department == CommitteeParty && community != "":
			a.Party, a.Department = a.Department, CommitteeOf(community)
		}
		if seen[a.Department] {
			continue
		}
		seen[a.Department] = true
		out.Assignments = append(out.Assignments, a)
	}
	return out
}

// ExplainParty adds to a reason which community party an assignment stands for.
func ExplainParty(reason string, a Assignment, community, name string) string {
	switch a.Party {
	case PropertyParty:
		return fmt.Sprintf("%s: the property company (物业) of community %s %s", reason, community, name)
	case CommitteeParty:
		return fmt.Sprintf("%s: the committee of community %s %s", reason, community, name)
	}
	return reason
}
