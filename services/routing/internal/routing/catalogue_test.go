package routing_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/services/routing/internal/routing"
)

var sla = routing.SLA{AckWithin: 5 * time.Minute, ArriveWithin: 30 * time.Minute, ResolveWithin: 24 * time.Hour}

func ref() routing.Reference {
	return routing.Reference{
		Categories:  map[string]bool{"noise": true, "garbage": true},
		Departments: map[string]bool{"environment": true, "police": true, "urban-management": true},
		Districts:   map[string]bool{"110101": true},
	}
}

func TestValidateCatalogue(t *testing.T) {
	t.Parallel()
	ok := []routing.Rule{
		{Category: "noise", Lead: "environment", Cooperating: []string{"police"}, SLA: sla},
		{Category: "garbage", Lead: "urban-management", SLA: sla},
		{Category: "noise", DistrictID: "110101", Lead: "police", SLA: sla},
	}
	require.Empty(t, routing.ValidateCatalogue(ok, ref()))

	fields := func(rules []routing.Rule) []string {
		var out []string
		for _, v := range routing.ValidateCatalogue(rules, ref()) {
			out = append(out, v.Field)
		}
		return out
	}
	twoLeads := append(append([]routing.Rule(nil), ok...), routing.Rule{Category: "noise", Lead: "police", SLA: sla})
	require.Equal(t, []string{"rules[3].category"}, fields(twoLeads))
	require.Equal(t, []string{"rules[0].lead_department", "rules[0].cooperating_departments[0]"}, fields([]routing.Rule{
		{Category: "noise", Lead: "sanitation", Cooperating: []string{"fire"}, SLA: sla}, ok[1]}))
	require.Equal(t, []string{"rules[0].cooperating_departments[0]"}, fields([]routing.Rule{
		{Category: "noise", Lead: "police", Cooperating: []string{"police"}, SLA: sla}, ok[1]}))
	require.Equal(t, []string{"rules"}, fields(ok[:1]), "garbage has no rule")
	require.Equal(t, []string{"rules[2].district_id", "rules[2].sla.arrive_within"}, fields(append(ok[:2:2],
		routing.Rule{Category: "noise", DistrictID: "999999", Lead: "police", SLA: routing.SLA{AckWithin: 1, ResolveWithin: 1}})))
}

func TestDiff(t *testing.T) {
	t.Parallel()
	before := []routing.Rule{
		{Category: "noise", Lead: "environment", Cooperating: []string{"police"}, SLA: sla},
		{Category: "garbage", Lead: "urban-management", SLA: sla},
	}
	after := []routing.Rule{
		{Category: "noise", Lead: "environment", Cooperating: []string{"police", "urban-management"}, SLA: sla},
		{Category: "noise", DistrictID: "110101", Lead: "police", SLA: sla},
	}
	changes := routing.Diff(before, after)
	require.Len(t, changes, 3)
	kinds := map[string]string{}
	for _, c := range changes {
		r := c.After
		if r == nil {
			r = c.Before
		}
		kinds[r.Name()] = c.Kind
	}
	require.Equal(t, map[string]string{"category:garbage": "removed", "category:noise": "changed", "category:noise@110101": "added"}, kinds)
	require.Empty(t, routing.Diff(before, before))
}
