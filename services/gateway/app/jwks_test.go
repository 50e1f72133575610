package app_test

import (
	"crypto/ed25519"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/services/gateway/app"
)

func TestDevAuthPublishesItsKeysAsJWKS(t *testing.T) {
	t.Parallel()
	_, priv, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	base := startGateway(t, "", func(c *app.Config) {
		c.DevAuth = true
		c.DevSigningKey = auth.EncodeKey(priv.Seed())
	})

	code, out := do(t, http.MethodGet, base+app.JWKSPath, "", nil)
	require.Equal(t, http.StatusOK, code, "body: %s", out)
	var set auth.KeySet
	require.NoError(t, json.Unmarshal(out, &set))
	require.Len(t, set.Keys, 1)
	require.Equal(t, auth.KeyID(priv.Public().(ed25519.PublicKey)), set.Keys[0].Kid)

	// A service that only knows the gateway's JWKS URL accepts the dev tokens.
	code, out = do(t, http.MethodPost, base+"/v1/dev/tokens", `{"role":"street","street_id":"110101001"}`, nil)
	require.Equal(t, http.StatusOK, code, "body: %s", out)
	var resp struct {
		Token string `json:"token"`
	}
	require.NoError(t, json.Unmarshal(out, &resp))
	keys, err := auth.NewJWKS(base+app.JWKSPath, auth.JWKSOptions{})
	require.NoError(t, err)
	t.Cleanup(keys.Close)
	v := auth.NewJWKSVerifier(keys, auth.WithIssuer("whistle-dev"), auth.WithAudience("whistle"))
	id, err := v.Verify(resp.Token, t0.Add(time.Minute))
	require.NoError(t, err)
	require.Equal(t, "110101001", id.StreetID)
}

func TestNoJWKSWithoutDevAuth(t *testing.T) {
	t.Parallel()
	base := startGateway(t, "", nil)
	code, _ := do(t, http.MethodGet, base+app.JWKSPath, "", nil)
	require.Equal(t, http.StatusNotFound, code)
}
