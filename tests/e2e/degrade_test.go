package e2e_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestGatewayServesOnWhileOneBackendIsDown: with the feedback service stopped,
// its routes answer 503 UNAVAILABLE in the error shape, while the gateway stays
// ready and every other route serves as before.
func TestGatewayServesOnWhileOneBackendIsDown(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	street := streetToken(t, s, "110101001")
	raise := func() response {
		return s.do(t, http.MethodPost, "/v1/whistles", street, map[string]any{
			"street_id": "110101001", "category": "noise", "description": "夜间施工噪声扰民",
			"location": map[string]any{"lat": 39.9146, "lng": 116.4036},
		})
	}
	r := raise()
	require.Equal(t, http.StatusCreated, r.status, r.raw)
	id := str(r.body["id"])

	s.stop(t, "feedback")

	r = s.do(t, http.MethodGet, "/v1/whistles/"+id+"/timeline", street, nil)
	require.Equal(t, http.StatusServiceUnavailable, r.status, r.raw)
	require.Equal(t, "UNAVAILABLE", str(obj(r.body["error"])["code"]), r.raw)
	require.NotEmpty(t, str(obj(r.body["error"])["message"]), r.raw)

	ready, err := http.Get(s.opsURL + "/readyz")
	require.NoError(t, err)
	require.NoError(t, ready.Body.Close())
	require.Equal(t, http.StatusOK, ready.StatusCode, "the gateway stays in rotation")
	r = s.do(t, http.MethodGet, "/v1/whistles/"+id, street, nil)
	require.Equal(t, http.StatusOK, r.status, r.raw)
	r = raise()
	require.Equal(t, http.StatusCreated, r.status, r.raw)
	r = s.do(t, http.MethodGet, "/v1/dispatches", deskToken(t, s, "110101", "police"), nil)
	require.Equal(t, http.StatusOK, r.status, r.raw)
}
