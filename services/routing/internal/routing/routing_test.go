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

func TestOnReturn(t *testing.T) {
	t.Parallel()
	require.Equal(t, routing.Redispatch, routing.OnReturn("police", false))
	require.Equal(t, routing.JoinFallback, routing.OnReturn("police", true))
	require.Equal(t, routing.GiveUp, routing.OnReturn("district-government", false))
	require.Equal(t, routing.GiveUp, routing.OnReturn("district-government", true))
	require.Equal(t, "returned by the fallback department: not ours", routing.UnroutableReason("not ours"))
}
