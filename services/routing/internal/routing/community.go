package routing

import (
	"fmt"
	"strings"
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
