package e2e_test

import (
	"crypto/ed25519"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/auth"
)

// TestDeniedRequestsAreWarnings: a forged token and a desk raising a whistle
// (a street's method) are logged by the service that refused them at WARN, with
// the method and (when known) who asked, so operators see probing without
// debug logs — and never with the token itself.
func TestDeniedRequestsAreWarnings(t *testing.T) {
	t.Parallel()
	logs := &lockedBuffer{}
	s := startSystem(t, options{logs: logs})

	street := authIdentity(auth.RoleStreet, donghuamen, dongcheng, "")
	street.Subject = "street-" + donghuamen
	_, otherKey, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	forged, err := auth.NewSigner(otherKey).Sign(street, s.clock.Now(), time.Hour)
	require.NoError(t, err)
	require.Equal(t, http.StatusUnauthorized, s.do(t, http.MethodGet, "/v1/whistles?street_id="+donghuamen, forged, nil).status)

	desk := deskToken(t, s, dongcheng, "police")
	r := s.do(t, http.MethodPost, "/v1/whistles", desk, map[string]any{
		"street_id": donghuamen, "category": "noise", "title": "夜间施工", "description": "夜间施工扰民",
		"location": map[string]any{"lat": 39.9146, "lng": 116.4036}, "urgency": "HIGH"})
	require.Equal(t, http.StatusForbidden, r.status, r.raw)

	text := logs.String()
	require.Regexp(t, regexp.MustCompile(`level=WARN msg="rpc denied" .*method=/whistle\.[a-z]+\.v1\.\w+/ListWhistles code=Unauthenticated`), text)
	require.Regexp(t, regexp.MustCompile(`level=WARN msg="rpc denied" .*method=\S+/RaiseWhistle code=PermissionDenied .*subject=\S+ role=desk`), text)
	require.NotContains(t, text, forged)
	require.NotContains(t, text, desk)
}
