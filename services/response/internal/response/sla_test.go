package response_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/services/response/internal/response"
)

func TestTimers(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	p := response.Policy{ResolveWithin: 10 * time.Hour}.WithDefaults()
	require.Equal(t, 5*time.Minute, p.AckWithin)
	require.Equal(t, 30*time.Minute, p.ArriveWithin)

	require.Equal(t, []response.Timer{
		{Clock: response.ClockAck, Kind: response.Warning, DueAt: start.Add(4 * time.Minute)},
		{Clock: response.ClockAck, Kind: response.Breach, DueAt: start.Add(5 * time.Minute)},
		{Clock: response.ClockArrive, Kind: response.Warning, DueAt: start.Add(24 * time.Minute)},
		{Clock: response.ClockArrive, Kind: response.Breach, DueAt: start.Add(30 * time.Minute)},
		{Clock: response.ClockResolve, Kind: response.Warning, DueAt: start.Add(8 * time.Hour)},
		{Clock: response.ClockResolve, Kind: response.Breach, DueAt: start.Add(10 * time.Hour)},
	}, response.Timers(start, p, start))

	// A re-dispatch 26 minutes into the inherited clocks: warnings already
	// past are dropped, breaches kept (the ack one fires at once).
	require.Equal(t, []response.Timer{
		{Clock: response.ClockAck, Kind: response.Breach, DueAt: start.Add(5 * time.Minute)},
		{Clock: response.ClockArrive, Kind: response.Breach, DueAt: start.Add(30 * time.Minute)},
		{Clock: response.ClockResolve, Kind: response.Warning, DueAt: start.Add(8 * time.Hour)},
		{Clock: response.ClockResolve, Kind: response.Breach, DueAt: start.Add(10 * time.Hour)},
	}, response.Timers(start, p, start.Add(26*time.Minute)))
}

func TestClockRunning(t *testing.T) {
	t.Parallel()
	require.True(t, response.ClockRunning(response.Pending, response.ClockAck))
	require.False(t, response.ClockRunning(response.Acknowledged, response.ClockAck))
	require.True(t, response.ClockRunning(response.Acknowledged, response.ClockArrive))
	require.False(t, response.ClockRunning(response.Arrived, response.ClockArrive))
	require.True(t, response.ClockRunning(response.Arrived, response.ClockResolve))
	require.False(t, response.ClockRunning(response.Returned, response.ClockResolve))
	require.False(t, response.ClockRunning(response.Cancelled, response.ClockArrive))
}

func TestScopes(t *testing.T) {
	t.Parallel()
	d := response.Dispatch{Department: "police", DistrictID: "110101"}
	deskScope, err := response.ActScope(auth.Identity{Subject: "u", Role: auth.RoleDesk, Department: "police", DistrictID: "110101"})
	require.NoError(t, err)
	require.True(t, deskScope.Allows(d))

	otherDept, err := response.ReadScope(auth.Identity{Subject: "u", Role: auth.RoleDesk, Department: "water", DistrictID: "110101"})
	require.NoError(t, err)
	require.False(t, otherDept.Allows(d))

	otherDistrict, err := response.ReadScope(auth.Identity{Subject: "u", Role: auth.RoleDesk, Department: "police", DistrictID: "110102"})
	require.NoError(t, err)
	require.False(t, otherDistrict.Allows(d))

	city, err := response.ReadScope(auth.Identity{Subject: "s", Role: auth.RoleSupervisor})
	require.NoError(t, err)
	require.True(t, city.Allows(d))

	_, err = response.ActScope(auth.Identity{Subject: "s", Role: auth.RoleSupervisor, DistrictID: "110101"})
	require.ErrorIs(t, err, response.ErrPermission)
	_, err = response.ReadScope(auth.Identity{Subject: "st", Role: auth.RoleStreet, StreetID: "1", DistrictID: "110101"})
	require.ErrorIs(t, err, response.ErrPermission)
	_, err = response.ReadScope(auth.Identity{Subject: "a", Role: auth.RoleAdmin})
	require.ErrorIs(t, err, response.ErrPermission)
}
