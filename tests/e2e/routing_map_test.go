package e2e_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// The map check shows on the whistle: clearly outside the raising street is
// flagged for the street to confirm; outside every street goes to the district
// government and the supervisor's review queue.
func TestRoutingMapCheckOnTheWhistle(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	streetTok := streetToken(t, s, donghuamen)
	raiseAt := func(lat, lng float64, wantDispatches int) (string, map[string]any) {
		r := s.do(t, http.MethodPost, "/v1/whistles", streetTok, map[string]any{
			"street_id": donghuamen, "category": "street-vending", "description": "占道经营",
			"location": map[string]any{"lat": lat, "lng": lng}})
		require.Equal(t, http.StatusCreated, r.status, r.raw)
		id := str(r.body["id"])
		var w map[string]any
		eventually(t, "dispatches of "+id, func() bool {
			w = s.do(t, http.MethodGet, "/v1/whistles/"+id, streetTok, nil).body
			return len(list(w["dispatches"])) == wantDispatches && w["routing"] != nil
		})
		return id, w
	}

	// In Jingshan, 700 m outside Donghuamen.
	id, w := raiseAt(39.93, 116.392, 2)
	j := obj(obj(w["routing"])["jurisdiction"])
	require.Equal(t, "outside", str(j["result"]), w)
	require.Equal(t, true, j["needs_confirmation"])
	require.Equal(t, []any{"110101002"}, j["neighbour_street_ids"])
	r := s.do(t, http.MethodPost, "/v1/whistles/"+id+":confirmLocation", streetTok, map[string]any{"note": "两街交界"})
	require.Equal(t, http.StatusOK, r.status, r.raw)
	require.NotEmpty(t, str(obj(r.body["jurisdiction"])["confirmed_at"]))

	// Far outside every street: the district government alone, and a review entry.
	_, w = raiseAt(39.0, 115.0, 1)
	require.Equal(t, "no_street", str(obj(obj(w["routing"])["jurisdiction"])["result"]))
	require.Equal(t, "fallback:no_street", str(obj(w["routing"])["rule"]))
	require.Equal(t, "district-government", str(obj(list(w["dispatches"])[0])["department"]))
	q := s.do(t, http.MethodGet, "/v1/arbitrations", supervisorToken(t, s, dongcheng), nil)
	require.Equal(t, http.StatusOK, q.status, q.raw)
	require.Len(t, list(q.body["arbitrations"]), 1)
	require.Equal(t, "location", str(obj(list(q.body["arbitrations"])[0])["kind"]))
}
