package whistles

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/auth"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
)

// raiseAs raises a noise whistle at the test's spot as id, into drillID when set, with key.
func (e *raiseEnv) raiseAs(id auth.Identity, drillID, key string) (*intakev1.Whistle, error) {
	return e.s.Raise(context.Background(), id, NewWhistle{StreetID: street, Category: "noise", Description: "演练回放",
		DrillID: drillID, Location: &typesv1.LatLng{Lat: 39.914, Lng: 116.404}, IdempotencyKey: key})
}

func TestDrillRaises(t *testing.T) {
	t.Parallel()
	e := newRaiseEnv(t)
	sup := auth.Identity{Subject: "sup", Role: auth.RoleSupervisor, DistrictID: district}

	real, err := e.raiseAs(streetA, "", "k1")
	require.NoError(t, err)
	require.Empty(t, real.GetDrillId())

	// A supervisor raises into a drill for a street of its district, with the same key as the street's: another whistle.
	w, err := e.raiseAs(sup, "d1", "k1")
	require.NoError(t, err)
	require.Equal(t, "d1", w.GetDrillId())
	require.Regexp(t, `^drill-d1-[0-9a-f-]{36}$`, w.GetId())
	require.Empty(t, w.GetDuplicateCandidates(), "a drill whistle is no duplicate of the real one at the same spot")
	again, err := e.raiseAs(sup, "d1", "k1")
	require.NoError(t, err)
	require.Equal(t, w.GetId(), again.GetId(), "the drill's key answers the drill's whistle")
	other, err := e.raiseAs(auth.Identity{Role: auth.RoleAdmin}, "d2", "k1")
	require.NoError(t, err)
	require.NotEqual(t, w.GetId(), other.GetId(), "each drill has its own keys")

	// The real whistle's next twin finds the real one as a duplicate, not the drill's.
	twin, err := e.raiseAs(streetA, "", "k2")
	require.NoError(t, err)
	require.Len(t, twin.GetDuplicateCandidates(), 1)
	require.Equal(t, real.GetId(), twin.GetDuplicateCandidates()[0].GetWhistleId())

	for name, tc := range map[string]struct {
		id    auth.Identity
		drill string
		key   string
		kind  string
		field string
	}{
		"a street into a drill":      {streetA, "d1", "", "denied", ""},
		"a desk into a drill":        {auth.Identity{Role: auth.RoleDesk, DistrictID: district, Department: "police"}, "d1", "", "denied", ""},
		"a supervisor without drill": {sup, "", "", "denied", ""},
		"another district":           {auth.Identity{Role: auth.RoleSupervisor, DistrictID: "110105"}, "d1", "", "not found", ""},
		"a bad drill id":             {sup, "Has-Dash", "", "invalid", "drill_id"},
		"a street's drill key":       {streetA, "", "drill:d1:k1", "invalid", "idempotency_key"},
	} {
		_, err := e.raiseAs(tc.id, tc.drill, tc.key)
		require.Equal(t, tc.kind, kind(err), "%s: %v", name, err)
		if tc.field != "" {
			require.Contains(t, err.Error(), tc.field, name)
		}
	}
}
