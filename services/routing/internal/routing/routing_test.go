package routing_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

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
	require.Equal(t, 30*time.Minute, p.SLA.ArriveWithin)
}

func TestDecideReturn(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   routing.Return
		want routing.Decision
	}{
		{"not our remit goes to the district government", routing.Return{From: "police", Code: routing.NotOurRemit, Returns: 1},
			routing.Decision{Action: routing.Redispatch, Department: "district-government", Rule: "fallback:returned"}},
		{"joins an active district government", routing.Return{From: "police", Code: routing.NotOurRemit, Returns: 1, TargetActive: true},
			routing.Decision{Action: routing.JoinExisting, Department: "district-government", Rule: "fallback:returned"}},
		{"the named department", routing.Return{From: "police", Code: routing.NeedsOtherDepartment, Target: "transport", Returns: 1},
			routing.Decision{Action: routing.Redispatch, Department: "transport", Rule: "return:needs_other_department"}},
		{"no department named", routing.Return{From: "police", Code: routing.NeedsOtherDepartment, Returns: 1},
			routing.Decision{Action: routing.Arbitrate, Rule: "arbitration"}},
		{"wrong location", routing.Return{From: "police", Code: routing.WrongLocation, Returns: 1},
			routing.Decision{Action: routing.Arbitrate, Rule: "arbitration"}},
		{"duplicate", routing.Return{From: "police", Code: routing.Duplicate, Returns: 1},
			routing.Decision{Action: routing.Arbitrate, Rule: "arbitration"}},
		{"the district government returned it", routing.Return{From: "district-government", Code: routing.NotOurRemit, Returns: 1},
			routing.Decision{Action: routing.Arbitrate, Rule: "arbitration"}},
		{"second return always goes to arbitration", routing.Return{From: "police", Code: routing.NeedsOtherDepartment, Target: "transport", Returns: 2},
			routing.Decision{Action: routing.Arbitrate, Rule: "arbitration"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, routing.DecideReturn(tc.in))
		})
	}
}

func TestParseReturnReason(t *testing.T) {
	t.Parallel()
	code, text := routing.ParseReturnReason("needs_other_department: transport 路面塌陷")
	require.Equal(t, routing.NeedsOtherDepartment, code)
	require.Equal(t, "transport 路面塌陷", text)
	require.Equal(t, "transport", routing.TargetDepartment(text, func(d string) bool { return d == "transport" }))
	require.Empty(t, routing.TargetDepartment("路面塌陷 transport", func(d string) bool { return d == "transport" }))
	code, text = routing.ParseReturnReason("Wrong_Location：不在本区")
	require.Equal(t, routing.WrongLocation, code)
	require.Equal(t, "不在本区", text)
	code, text = routing.ParseReturnReason("不属于公安职责")
	require.Equal(t, routing.NotOurRemit, code)
	require.Equal(t, "不属于公安职责", text)
	code, _ = routing.ParseReturnReason("note: something")
	require.Equal(t, routing.NotOurRemit, code)
}
