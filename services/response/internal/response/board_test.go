package response_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/services/response/internal/response"
)

func jointDispatches() []response.Dispatch {
	at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	d := func(dept, role string, st response.Status, arrived bool) response.Dispatch {
		x := response.Dispatch{ID: dept, WhistleID: "w1", DistrictID: "110101", Department: dept, Role: role, Status: st}
		if arrived {
			x.ArrivedAt = &at
		}
		return x
	}
	return []response.Dispatch{
		d("urban-management", "lead", response.Arrived, true),
		d("police", "cooperating", response.Resolved, true),
		d("environment", "cooperating", response.Acknowledged, false),
		d("transport", "cooperating", response.Returned, false),
	}
}

func desk(district, dept string) auth.Identity {
	return auth.Identity{Role: auth.RoleDesk, DistrictID: district, Department: dept, Subject: "desk-" + dept}
}

func TestBoardScope(t *testing.T) {
	t.Parallel()
	ds := jointDispatches()
	require.NoError(t, response.BoardScope(desk("110101", "police"), ds))
	require.ErrorIs(t, response.BoardScope(desk("110101", "transport"), ds), response.ErrNotFound, "returned its dispatch: off the board")
	require.ErrorIs(t, response.BoardScope(desk("110105", "police"), ds), response.ErrNotFound, "another district")
	require.NoError(t, response.BoardScope(auth.Identity{Role: auth.RoleSupervisor, DistrictID: "110101"}, ds))
	require.NoError(t, response.BoardScope(auth.Identity{Role: auth.RoleSupervisor}, ds), "the city")
	require.ErrorIs(t, response.BoardScope(auth.Identity{Role: auth.RoleSupervisor, DistrictID: "110105"}, ds), response.ErrNotFound)
	require.ErrorIs(t, response.BoardScope(auth.Identity{Role: auth.RoleStreet, StreetID: "110101001", DistrictID: "110101"}, ds), response.ErrPermission)
}

func TestCanCompleteNeedsTheLeadAndEveryArrival(t *testing.T) {
	t.Parallel()
	ds := jointDispatches()
	_, _, err := response.CanComplete(desk("110101", "police"), ds)
	require.ErrorIs(t, err, response.ErrPermission, "a cooperating department")
	_, _, err = response.CanComplete(auth.Identity{Role: auth.RoleSupervisor, DistrictID: "110101"}, ds)
	require.ErrorIs(t, err, response.ErrPermission, "a supervisor")

	_, _, err = response.CanComplete(desk("110101", "urban-management"), ds)
	var missing *response.NotArrivedError
	require.True(t, errors.As(err, &missing), "%v", err)
	require.Equal(t, []string{"environment"}, missing.Departments, "the returned department is not waited for")

	at := time.Now()
	ds[2].Status, ds[2].ArrivedAt = response.Arrived, &at
	lead, arrived, err := response.CanComplete(desk("110101", "urban-management"), ds)
	require.NoError(t, err)
	require.Equal(t, "urban-management", lead.Department)
	require.Equal(t, []string{"urban-management", "police", "environment"}, arrived)
}

func TestCheckNote(t *testing.T) {
	t.Parallel()
	require.NoError(t, response.CheckNote("公安已到场"))
	require.Error(t, response.CheckNote("   "))
	long := make([]rune, response.MaxNoteChars+1)
	for i := range long {
		long[i] = '扰'
	}
	require.Error(t, response.CheckNote(string(long)))
}
