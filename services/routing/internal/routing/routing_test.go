package routing_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/proto/returncodes"
	"github.com/chuishao/whistle/services/routing/internal/routing"
)

func TestPlanForJointEnforcementDispatchesLeadThenCooperating(t *testing.T) {
	t.Parallel()
	sla := routing.SLA{AckWithin: 5 * time.Minute, ArriveWithin: 30 * time.Minute, ResolveWithin: 72 * time.Hour}
	p := routing.PlanFor(&routing.Category{
		Code: "joint-enforcement", Lead: "urban-management", Cooperating: []string{"police", "environment"},
		SLA: sla, CatalogueVersion: "v7",
	})
	require.Equal(t, "category:joint-enforcement", p.Rule)
	require.Equal(t, "v7", p.CatalogueVersion)
	require.Equal(t, sla, p.SLA)
	require.Equal(t, []routing.Assignment{
		{Department: "urban-management", Role: routing.RoleLead},
		{Department: "police", Role: routing.RoleCooperating},
		{Department: "environment", Role: routing.RoleCooperating},
	}, p.Assignments)
}

func TestPlanForDispatchesEachDepartmentOnce(t *testing.T) {
	t.Parallel()
	p := routing.PlanFor(&routing.Category{Code: "noise", Lead: "environment", Cooperating: []string{"police", "environment", "police"}})
	require.Equal(t, []routing.Assignment{
		{Department: "environment", Role: routing.RoleLead},
		{Department: "police", Role: routing.RoleCooperating},
	}, p.Assignments)
	require.Equal(t, routing.CatalogueVersion, p.CatalogueVersion)
}

func TestPlanForUnknownCategoryFallsBackToDistrictGovernment(t *testing.T) {
	t.Parallel()
	p := routing.PlanFor(nil)
	require.Equal(t, "fallback", p.Rule)
	require.Equal(t, []routing.Assignment{{Department: "district-government", Role: "fallback"}}, p.Assignments)
	require.Zero(t, p.SLA, "no catalogue limits: the response service's defaults apply")
}

func TestDecideReturn(t *testing.T) {
	t.Parallel()
	arbitrate := routing.Decision{Action: routing.Arbitrate, Rule: "arbitration"}
	tests := []struct {
		name string
		in   routing.Return
		want routing.Decision
	}{
		{"the named department", routing.Return{From: "police", Code: returncodes.NeedsAnotherDepartment, Target: "transport", Returns: 1},
			routing.Decision{Action: routing.Redispatch, Department: "transport", Rule: "return:needs_another_department"}},
		{"joins the named department's active dispatch", routing.Return{From: "police", Code: returncodes.NeedsAnotherDepartment, Target: "transport", Returns: 1, TargetActive: true},
			routing.Decision{Action: routing.JoinExisting, Department: "transport", Rule: "return:needs_another_department"}},
		{"no department named", routing.Return{From: "police", Code: returncodes.NeedsAnotherDepartment, Returns: 1}, arbitrate},
		{"naming itself", routing.Return{From: "police", Code: returncodes.NeedsAnotherDepartment, Target: "police", Returns: 1}, arbitrate},
		{"not our remit says nothing of who", routing.Return{From: "police", Code: returncodes.NotOurRemit, Returns: 1}, arbitrate},
		{"wrong location", routing.Return{From: "police", Code: returncodes.WrongLocation, Returns: 1}, arbitrate},
		{"duplicate", routing.Return{From: "police", Code: returncodes.Duplicate, Returns: 1}, arbitrate},
		{"returned before codes existed", routing.Return{From: "police", Returns: 1}, arbitrate},
		{"second return always goes to arbitration", routing.Return{From: "police", Code: returncodes.NeedsAnotherDepartment, Target: "transport", Returns: 2}, arbitrate},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, routing.DecideReturn(tc.in))
		})
	}
}

func TestReturnCodeLegacySpelling(t *testing.T) {
	t.Parallel()
	require.Equal(t, "needs_another_department", returncodes.NeedsAnotherDepartment.Legacy())
	require.Equal(t, "", routing.ReturnCode("").Legacy())
}
