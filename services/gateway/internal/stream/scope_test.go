package stream_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/auth"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	"github.com/chuishao/whistle/services/gateway/internal/stream"
)

func dispatchEvent(whistle, street, district, dept string) *eventsv1.Event {
	return &eventsv1.Event{WhistleId: whistle, StreetId: street, DistrictId: district, Department: dept,
		Payload: &eventsv1.Event_DispatchAcknowledged{DispatchAcknowledged: &eventsv1.DispatchAcknowledged{}}}
}

func whistleEvent(whistle, street, district string) *eventsv1.Event {
	return &eventsv1.Event{WhistleId: whistle, StreetId: street, DistrictId: district,
		Payload: &eventsv1.Event_WhistleResponding{WhistleResponding: &eventsv1.WhistleResponding{}}}
}

func TestStreetSeesOnlyItsOwnStreet(t *testing.T) {
	t.Parallel()
	s, err := stream.NewScope(auth.Identity{Role: auth.RoleStreet, StreetID: "110101001", DistrictID: "110101"})
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"whistle.v1.*.*", "dispatch.v1.*.110101.*", "sla.v1.*.110101", "report.v1.*.110101"}, s.Subjects())
	require.True(t, s.Allows(dispatchEvent("w1", "110101001", "110101", "police")))
	require.True(t, s.Allows(whistleEvent("w1", "110101001", "110101")))
	require.False(t, s.Allows(whistleEvent("w2", "110101002", "110101")))
}

func TestDeskFollowsItsDepartmentAndItsWhistles(t *testing.T) {
	t.Parallel()
	s, err := stream.NewScope(auth.Identity{Role: auth.RoleDesk, DistrictID: "110101", Department: "police"})
	require.NoError(t, err)
	require.Contains(t, s.Subjects(), "dispatch.v1.*.110101.*")

	require.False(t, s.Allows(whistleEvent("w1", "110101001", "110101")), "not its whistle yet")
	routed := &eventsv1.Event{WhistleId: "w1", DistrictId: "110101", Payload: &eventsv1.Event_WhistleRouted{
		WhistleRouted: &eventsv1.WhistleRouted{Departments: []*eventsv1.RoutedDepartment{{Department: "police"}}}}}
	require.True(t, s.Allows(routed))
	require.True(t, s.Allows(whistleEvent("w1", "110101001", "110101")), "routed to police: its whistle now")
	require.False(t, s.Allows(dispatchEvent("w2", "110101001", "110101", "environment")), "another department's dispatch of another whistle")

	s.Seed("w9")
	require.True(t, s.Allows(whistleEvent("w9", "110101003", "110101")), "a whistle from its queue")
	require.False(t, s.Allows(dispatchEvent("w5", "110105001", "110105", "police")), "another district")
}

func TestDeskFollowsAWhistleOnceADecisionAsksItsDepartment(t *testing.T) {
	t.Parallel()
	s, err := stream.NewScope(auth.Identity{Role: auth.RoleDesk, DistrictID: "110101", Department: "police"})
	require.NoError(t, err)
	added := &eventsv1.Event{WhistleId: "w1", DistrictId: "110101", Payload: &eventsv1.Event_WhistleDepartmentAdded{
		WhistleDepartmentAdded: &eventsv1.WhistleDepartmentAdded{Department: &eventsv1.RoutedDepartment{
			Department: "police", DispatchId: "d1", Request: &eventsv1.DispatchRequested{Category: "noise"}}}}}
	require.True(t, s.Allows(added), "the decision that asks police for a dispatch")
	require.True(t, s.Allows(whistleEvent("w1", "110101001", "110101")), "its whistle now")
}

func TestSupervisorScopeAndRoles(t *testing.T) {
	t.Parallel()
	city, err := stream.NewScope(auth.Identity{Role: auth.RoleSupervisor})
	require.NoError(t, err)
	require.Nil(t, city.Subjects(), "city scope reads the whole stream")
	require.True(t, city.Allows(whistleEvent("w1", "110105001", "110105")))

	district, err := stream.NewScope(auth.Identity{Role: auth.RoleSupervisor, DistrictID: "110101"})
	require.NoError(t, err)
	require.False(t, district.Allows(whistleEvent("w1", "110105001", "110105")))

	_, err = stream.NewScope(auth.Identity{Role: auth.RoleAdmin})
	require.ErrorIs(t, err, stream.ErrRoleNotAllowed)
}

func jurisdictionChecked(whistle, street, district, result string, neighbours ...string) *eventsv1.Event {
	return &eventsv1.Event{WhistleId: whistle, StreetId: street, DistrictId: district,
		Payload: &eventsv1.Event_WhistleJurisdictionChecked{WhistleJurisdictionChecked: &eventsv1.WhistleJurisdictionChecked{
			Result: result, NeighbourStreetIds: neighbours}}}
}

func TestNeighbourStreetFollowsTheWhistlesItWasInformedOf(t *testing.T) {
	t.Parallel()
	s, err := stream.NewScope(auth.Identity{Role: auth.RoleStreet, StreetID: "110101002", DistrictID: "110101"})
	require.NoError(t, err)
	require.Contains(t, s.Subjects(), "whistle.v1.*.*", "a neighbour may lie in another district")

	require.False(t, s.Allows(whistleEvent("w1", "110101001", "110101")), "not informed yet")
	require.True(t, s.Allows(jurisdictionChecked("w1", "110101001", "110101", "near_boundary", "110101002")),
		"the map check that informs it")
	require.True(t, s.Allows(whistleEvent("w1", "110101001", "110101")), "informed: its whistle events now")
	require.False(t, s.Allows(dispatchEvent("w1", "110101001", "110101", "police")), "read only: not the departments' work")

	require.False(t, s.Allows(jurisdictionChecked("w2", "110101001", "110101", "outside", "110101002")),
		"an outside result asks the raising street to confirm; it informs nobody")
	require.False(t, s.Allows(whistleEvent("w2", "110101001", "110101")))
	require.False(t, s.Allows(jurisdictionChecked("w3", "110101001", "110101", "near_boundary", "110101003")), "another street's neighbour")
	require.False(t, s.Allows(whistleEvent("w3", "110101001", "110101")))

	require.True(t, s.Allows(jurisdictionChecked("w4", "110102001", "110102", "near_boundary", "110101002")), "across a district boundary")
	require.True(t, s.Allows(whistleEvent("w4", "110102001", "110102")))
	require.False(t, s.Allows(whistleEvent("w5", "110102001", "110102")), "another district's whistle it was not informed of")

	s.Seed("w6")
	require.True(t, s.Allows(whistleEvent("w6", "110101003", "110101")), "a neighbour whistle from its list")
	require.True(t, s.Allows(dispatchEvent("w7", "110101002", "110101", "police")), "its own whistles: everything")
}

func reportEvent(street, district, grid string) *eventsv1.Event {
	return &eventsv1.Event{StreetId: street, DistrictId: district, Payload: &eventsv1.Event_ReportFiled{
		ReportFiled: &eventsv1.ReportFiled{Report: &intakev1.Report{StreetId: street, DistrictId: district, GridId: grid}}}}
}

// TestReportEventsAreScoped: a street sees its own street's reports, a grid
// worker its own micro-grid's, a district supervisor its district's, a desk none.
func TestReportEventsAreScoped(t *testing.T) {
	t.Parallel()
	mine, neighbour, otherGrid := reportEvent("110101001", "110101", "DHM-01"), reportEvent("110101002", "110101", "JGM-01"),
		reportEvent("110101001", "110101", "DHM-02")

	street, err := stream.NewScope(auth.Identity{Role: auth.RoleStreet, StreetID: "110101001", DistrictID: "110101"})
	require.NoError(t, err)
	require.Contains(t, street.Subjects(), "report.v1.*.110101")
	require.True(t, street.Allows(mine))
	require.True(t, street.Allows(otherGrid), "the street committee sees every micro-grid")
	require.False(t, street.Allows(neighbour))

	grid, err := stream.NewScope(auth.Identity{Role: auth.RoleGrid, StreetID: "110101001", DistrictID: "110101", GridID: "DHM-01"})
	require.NoError(t, err)
	require.Equal(t, []string{"report.v1.*.110101"}, grid.Subjects())
	require.True(t, grid.Allows(mine))
	require.False(t, grid.Allows(otherGrid), "another micro-grid of its street")
	require.False(t, grid.Allows(neighbour))
	require.True(t, grid.Allows(reportEvent("110101001", "110101", "")), "a resident's report or a ticket of its street")
	require.False(t, grid.Allows(whistleEvent("w1", "110101001", "110101")), "no whistle events")

	sup, err := stream.NewScope(auth.Identity{Role: auth.RoleSupervisor, DistrictID: "110101"})
	require.NoError(t, err)
	require.Contains(t, sup.Subjects(), "report.v1.*.110101")
	require.True(t, sup.Allows(neighbour))
	require.False(t, sup.Allows(reportEvent("110105001", "110105", "X")))

	desk, err := stream.NewScope(auth.Identity{Role: auth.RoleDesk, DistrictID: "110101", Department: "police"})
	require.NoError(t, err)
	require.NotContains(t, desk.Subjects(), "report.v1.*.110101")
	require.False(t, desk.Allows(mine))
}

// The joint board (issue 24): a desk taking part in a whistle sees the other
// departments' dispatch events and notes of it; a desk of a department the
// whistle never reached sees none, and the street sees no notes.
func TestJointBoardEventsReachTheParticipantsOnly(t *testing.T) {
	t.Parallel()
	noted := func(dept string) *eventsv1.Event {
		return &eventsv1.Event{WhistleId: "w1", StreetId: "110101001", DistrictId: "110101", Department: dept,
			Payload: &eventsv1.Event_DispatchBoardNoted{DispatchBoardNoted: &eventsv1.DispatchBoardNoted{}}}
	}
	police, err := stream.NewScope(auth.Identity{Role: auth.RoleDesk, DistrictID: "110101", Department: "police"})
	require.NoError(t, err)
	police.Seed("w1")
	require.True(t, police.Allows(dispatchEvent("w1", "110101001", "110101", "urban")), "城管's arrival on its joint whistle")
	require.True(t, police.Allows(noted("urban")), "城管's note on its joint whistle")

	transport, err := stream.NewScope(auth.Identity{Role: auth.RoleDesk, DistrictID: "110101", Department: "transport"})
	require.NoError(t, err)
	require.False(t, transport.Allows(dispatchEvent("w1", "110101001", "110101", "urban")), "not a participant")
	require.False(t, transport.Allows(noted("urban")), "not a participant")

	street, err := stream.NewScope(auth.Identity{Role: auth.RoleStreet, StreetID: "110101001", DistrictID: "110101"})
	require.NoError(t, err)
	require.True(t, street.Allows(dispatchEvent("w1", "110101001", "110101", "urban")))
	require.False(t, street.Allows(noted("urban")), "the departments' notes are not the street's")

	sup, err := stream.NewScope(auth.Identity{Role: auth.RoleSupervisor, DistrictID: "110101"})
	require.NoError(t, err)
	require.True(t, sup.Allows(noted("urban")))
}

// A drill's replayed whistle on a street's ground is not the street's: its
// events reach the district's supervisors, never the street (docs/drills.md).
func TestDrillEventsDoNotReachTheStreet(t *testing.T) {
	t.Parallel()
	ev := whistleEvent("drill-d1-0193b7e2-5c1a-7d3e-9f10-2a4b6c8d0e1f", "110101001", "110101")
	street, err := stream.NewScope(auth.Identity{Role: auth.RoleStreet, StreetID: "110101001", DistrictID: "110101"})
	require.NoError(t, err)
	require.False(t, street.Allows(ev))
	require.True(t, street.Allows(whistleEvent("w1", "110101001", "110101")))
	sup, err := stream.NewScope(auth.Identity{Role: auth.RoleSupervisor, DistrictID: "110101"})
	require.NoError(t, err)
	require.True(t, sup.Allows(ev))
}
