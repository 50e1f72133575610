package feedback_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/services/feedback/internal/feedback"
)

func TestCanRead(t *testing.T) {
	t.Parallel()
	w := feedback.Whistle{
		StreetID:   "110101001",
		DistrictID: "110101",
		Desks:      []feedback.DeskScope{{Department: "police", DistrictID: "110101"}},
		Neighbours: []string{"110101003"},
	}
	tests := map[string]struct {
		id   auth.Identity
		want error
	}{
		"own street":             {auth.Identity{Role: auth.RoleStreet, StreetID: "110101001", DistrictID: "110101"}, nil},
		"other street":           {auth.Identity{Role: auth.RoleStreet, StreetID: "110101002", DistrictID: "110101"}, feedback.ErrNotFound},
		"neighbouring street":    {auth.Identity{Role: auth.RoleStreet, StreetID: "110101003", DistrictID: "110101"}, nil},
		"dispatched desk":        {auth.Identity{Role: auth.RoleDesk, Department: "police", DistrictID: "110101"}, nil},
		"other department desk":  {auth.Identity{Role: auth.RoleDesk, Department: "environment", DistrictID: "110101"}, feedback.ErrNotFound},
		"same department abroad": {auth.Identity{Role: auth.RoleDesk, Department: "police", DistrictID: "110102"}, feedback.ErrNotFound},
		"district supervisor":    {auth.Identity{Role: auth.RoleSupervisor, DistrictID: "110101"}, nil},
		"other supervisor":       {auth.Identity{Role: auth.RoleSupervisor, DistrictID: "110102"}, feedback.ErrNotFound},
		"city supervisor":        {auth.Identity{Role: auth.RoleSupervisor}, nil},
		"admin":                  {auth.Identity{Role: auth.RoleAdmin}, feedback.ErrWrongRole},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := feedback.CanRead(tc.id, w)
			if tc.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.want)
		})
	}
}

func TestCanReadDrill(t *testing.T) {
	t.Parallel()
	w := feedback.Whistle{
		StreetID: "110101001", DistrictID: "110101", Drill: true,
		Desks: []feedback.DeskScope{{Department: "police", DistrictID: "110101"}},
	}
	require.ErrorIs(t, feedback.CanRead(auth.Identity{Role: auth.RoleStreet, StreetID: "110101001", DistrictID: "110101"}, w), feedback.ErrNotFound)
	require.NoError(t, feedback.CanRead(auth.Identity{Role: auth.RoleDesk, Department: "police", DistrictID: "110101"}, w))
	require.NoError(t, feedback.CanRead(auth.Identity{Role: auth.RoleSupervisor, DistrictID: "110101"}, w))
}

func TestMayReadTimelines(t *testing.T) {
	t.Parallel()
	for _, role := range []string{auth.RoleStreet, auth.RoleDesk, auth.RoleSupervisor} {
		require.True(t, feedback.MayReadTimelines(role), role)
	}
	require.False(t, feedback.MayReadTimelines(auth.RoleAdmin))
	require.False(t, feedback.MayReadTimelines(""))
}
