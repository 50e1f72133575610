package stream_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/auth"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
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
	require.ElementsMatch(t, []string{"whistle.v1.*.110101", "dispatch.v1.*.110101.*", "sla.v1.*.110101"}, s.Subjects())
	require.True(t, s.Allows(dispatchEvent("w1", "110101001", "110101", "police")))
	require.True(t, s.Allows(whistleEvent("w1", "110101001", "110101")))
	require.False(t, s.Allows(whistleEvent("w2", "110101002", "110101")))
}

func TestDeskFollowsItsDepartmentAndItsWhistles(t *testing.T) {
	t.Parallel()
	s, err := stream.NewScope(auth.Identity{Role: auth.RoleDesk, DistrictID: "110101", Department: "police"})
	require.NoError(t, err)
	require.Contains(t, s.Subjects(), "dispatch.v1.*.110101.police")

	require.False(t, s.Allows(whistleEvent("w1", "110101001", "110101")), "not its whistle yet")
	routed := &eventsv1.Event{WhistleId: "w1", DistrictId: "110101", Payload: &eventsv1.Event_WhistleRouted{
		WhistleRouted: &eventsv1.WhistleRouted{Departments: []*eventsv1.RoutedDepartment{{Department: "police"}}}}}
	require.True(t, s.Allows(routed))
	require.True(t, s.Allows(whistleEvent("w1", "110101001", "110101")), "routed to police: its whistle now")
	require.False(t, s.Allows(dispatchEvent("w1", "110101001", "110101", "environment")), "another department's dispatch")

	s.Seed("w9")
	require.True(t, s.Allows(whistleEvent("w9", "110101003", "110101")), "a whistle from its queue")
	require.False(t, s.Allows(dispatchEvent("w5", "110105001", "110105", "police")), "another district")
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
