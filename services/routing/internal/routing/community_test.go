package routing_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/services/routing/internal/routing"
)

func TestCommunityPartiesGoToTheCommunitysOwn(t *testing.T) {
	t.Parallel()
	plan := routing.PlanFor(&routing.Category{Code: "garbage", Lead: routing.PropertyParty,
		Cooperating: []string{routing.CommitteeParty, "urban-management"}})
	departments := func(p routing.Plan) []string {
		var out []string
		for _, a := range p.Assignments {
			out = append(out, a.Department+"/"+a.Role+"/"+a.Party)
		}
		return out
	}
	require.Equal(t, []string{"pm-yinzha/lead/property-management", "cc-110101001002/cooperating/community-committee",
		"urban-management/cooperating/"}, departments(plan.ForCommunity("110101001002", "pm-yinzha")))
	require.Equal(t, []string{"property-management/lead/", "cc-110101001002/cooperating/community-committee",
		"urban-management/cooperating/"}, departments(plan.ForCommunity("110101001002", "")), "no company: the district desk")
	require.Equal(t, []string{"property-management/lead/", "community-committee/cooperating/",
		"urban-management/cooperating/"}, departments(plan.ForCommunity("", "")), "no community: both district desks")
	code, ok := routing.CommunityOfCommittee("cc-110101001002")
	require.True(t, ok)
	require.Equal(t, "110101001002", code)
	_, ok = routing.CommunityOfCommittee("police")
	require.False(t, ok)
}
